"""The hostile values the campaign sends: XSS, traversal, SQL injection, odd unicode, numbers, nesting, XML, framing."""

from __future__ import annotations

import json

XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg/onload=alert(1)>", "javascript:alert(1)",
       "</script><script>alert(1)</script>", '<iframe src="javascript:alert(1)">', "{{7*7}}${7*7}<%= 7*7 %>"]
#: What an HTML answer may never hold as it is (the payloads above, unescaped).
XSS_MARKERS = ("<script>alert(1)", "<img src=x onerror", "<svg/onload", '<iframe src="javascript')
TRAVERSAL = ["../../../../../../etc/passwd", "..\\..\\..\\windows\\win.ini", "/etc/passwd", "~root/.ssh/id_rsa",
             "file:///etc/passwd", "....//....//etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "~nosuchuser/a.png"]
SQLI = ["' OR '1'='1", "1; DROP TABLE tasks; --", "1 UNION SELECT sqlite_version(), version() --", '" OR ""="',
        "'; SELECT pg_sleep(5); --", "1' AND SLEEP(5)#", "admin'--", "%' OR 1=1 --", "1)) OR ((1=1"]
UNICODE = ["\ud800", "\udfff x", "a\u0000b", "\u0000", "\u202eevil\u202c", "zero\u200bwidth\u200d", "\ufeffbom",
           "e\u0301\u0301\u0301", "\U0001F600" * 8, "\uffff\ufffe", "\uff11\uff12\uff13", "\u0661\u0662", "\u00b2",
           "\u2028\u2029", "A" * 300, "\t\r\n"]
NUMBERS = ["9223372036854775808", "18446744073709551616", "9223372036854775809", "-9223372036854775809",
           "2147483648", "99999999999999999999999999999", "1e400", "-1e400", "-0", "-1", "0", "1e308", "4.9e-324",
           "1e-400", "1.5", "0x10", "1_000", "+1", "00000000001"]
NONFINITE = ["NaN", "Infinity", "-Infinity", "[NaN]", '{"x": Infinity}', "[1, -Infinity]"]
DEEP = ["[" * 3000 + "]" * 3000, '{"a":' * 3000 + "1" + "}" * 3000, "[" * 65 + "]" * 65,
        '{"a": ' + "[" * 200 + "]" * 200 + "}"]
TEXT_FAMILIES = {"xss": XSS, "traversal": TRAVERSAL, "sqli": SQLI, "unicode": UNICODE}


def billion_laughs(root: str = "lolz", inner: str = "&lol9;") -> str:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 2 else "") + ";") * 10}">' for n in range(2, 10)]
    return f'<?xml version="1.0"?><!DOCTYPE {root} [{"".join(entities)}]><{root}>{inner}</{root}>'


def xxe(url: str) -> str:
    return f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "{url}">]><x>&e;</x>'


#: Paths as they are sent (already in URL form): traversal, NUL, encodings a decoder might fold, names no file has.
RAW_PATHS = ["../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
             "..%252f..%252fetc%252fpasswd", "....//....//etc/passwd", "..%5c..%5c..%5cwindows%5cwin.ini",
             "%00", "worker.css%00", "plugin.js%00.png", "%00../../etc/passwd", "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
             "%ed%a0%80", "%ff%fe", "/etc/passwd", "//etc/passwd", "%2fetc%2fpasswd", ".", "..", "~", "%7eroot",
             "a" * 4000, "con", "manifest.json", "../manifest.json", "..%2fmanifest.json", "plugin.js;.png",
             "%25", "%", "%zz", "%u002e%u002e/etc/passwd", "..;/..;/etc/passwd"]
#: Bytes that go into the request line unencoded (non-ASCII, an unpaired surrogate as CESU-8).
RAW_BYTES = ["\u00e9" * 43, "\u0661\u0662", "\ud800", "\U0001F600", "\u202e", "\uff11"]
HUGE_IDS = ["9223372036854775808", "18446744073709551617", "99999999999999999999999", "2147483648", "9999999999",
            "0", "-1", "1e3", "0x10", "%00", "1%00", "\uff11\uff12", "\u0661\u0662", "00000000001", "1.0", "+1", ""]
CONTENT_TYPES = ["text/plain", "application/xml", "text/html", "multipart/form-data", "multipart/form-data; boundary=b",
                 "application/x-www-form-urlencoded", "application/json; charset=utf-7", "application/json; charset=x",
                 "", "*/*", "application/" + "x" * 3000, "application/json\u00e9"]
MALFORMED = [b"", b"{", b"[", b'{"a":', b"\xff\xfe{}", "\ufeff{}".encode(), b"{'a': 1}", b'{"a":1,}', b"null", b"[]",
             b'"text"', b"1", b"NaN", b'{"a":1}{"b":2}', b"\x00\x00\x00", '{"a": "b"}'.encode("utf-16"),
             b'{"task_id":1', b'{"a":"\\x41"}', b'{"a":"\\ud800\\udc00\\ud800"}', b"\xc0\xae", b" " * 1000,
             json.dumps({f"k{n}": n for n in range(4000)}).encode(), json.dumps(list(range(12000))).encode()]
ODD_METHODS = ["TRACE", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "PROPFIND", "DEBUG", "M-SEARCH", "get", "HEAD",
               "GET2", "POST"]
RANGES = ["bytes=0-0,-1", "bytes=99999999999999999999999-", "bytes=-0", "bytes=5-1", "bytes=0-" + "9" * 40,
          "bytes=" + ",".join(["0-1"] * 500), "items=0-1", "bytes=\u00e9"]

