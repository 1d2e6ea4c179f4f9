"""MTurk's answer XML (QuestionFormAnswers), read safely into ``{field: value}``.

The XML comes from workers' browsers through MTurk, so nothing in it is trusted. It is
parsed with defusedxml: a DTD, an entity declaration or an external reference is refused
instead of being expanded. It reaches us as text (boto3 decodes MTurk's JSON), so it is
read as UTF-8 whatever its declaration says, and a declaration of another encoding than
MTurk's (ASCII, or UTF-8) is refused. The worker page sends its result as JSON in the
``result`` field, which is decoded here and held to what every store keeps
(``json_safety.check_storable``); a link-out HIT sends ``completion_code``.

``parse`` raises ValidationError, and nothing else, for any text: sync keeps a refused
answer raw (``storable``) with the reason, and ingest records it as invalid for review.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import defusedxml
import defusedxml.ElementTree as DET

from workbench.study.json_safety import MAX_DEPTH, check_storable
from workbench.errors import ValidationError

NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"
MAX_BYTES = 1_000_000
#: The encodings an answer may declare: MTurk writes ASCII, and the text we read is Unicode (UTF-8 on the wire).
TEXT_ENCODINGS = ("ascii", "us-ascii", "utf-8", "utf8")
_DECLARATION = re.compile(r"\ufeff?<\?xml\s[^>]*?\bencoding\s*=\s*([\"'])(.*?)\1")
_ENCODING_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,39}$")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def parse(xml_text: Any) -> dict[str, Any]:
    """The answer's fields; ``result`` decoded from JSON. Raises ValidationError(field="answer…") and nothing else."""
    if not isinstance(xml_text, str):
        raise ValidationError("answer", "must be text")
    if not xml_text:
        return {}
    if len(xml_text) > MAX_BYTES:
        raise ValidationError("answer", f"is larger than {MAX_BYTES} bytes")
    try:
        data = xml_text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("answer", "holds an unpaired surrogate (not text)") from None
    declared = _DECLARATION.match(xml_text[:256])  # a declaration comes first, and is short
    if declared and declared.group(2).strip().lower() not in TEXT_ENCODINGS:
        name = declared.group(2) if _ENCODING_NAME.match(declared.group(2)) else "another encoding"
        raise ValidationError("answer", f"declares encoding {name}; MTurk's answers are ASCII or UTF-8 text")
    root = _root(data)
    if _local(root.tag) != "QuestionFormAnswers":
        raise ValidationError("answer", f"root element is <{_local(root.tag)[:64]}>, not <QuestionFormAnswers>")
    fields: dict[str, Any] = {}
    for answer in root:
        if _local(answer.tag) != "Answer":
            continue
        name, value = None, None
        for child in answer:
            tag = _local(child.tag)
            if tag == "QuestionIdentifier":
                name = (child.text or "").strip()
            elif tag == "FreeText":
                value = child.text or ""
            elif tag == "SelectionIdentifier":
                value = child.text or "" if value is None else value
        if name:
            fields[name] = value if value is not None else ""
    if "result" in fields and isinstance(fields["result"], str):
        fields["result"] = _result(fields["result"])
    return fields


def storable(xml_text: str) -> str:
    """The raw answer as every store can keep it: a NUL or an unpaired surrogate, which no well-formed answer holds
    (``parse`` refuses it), becomes U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", xml_text)


def _root(data: bytes) -> ET.Element:
    # The encoding is given, so the declaration's is never looked up (expat refuses UTF-7 and unknown names with
    # ValueError and LookupError).
    parser = DET.DefusedXMLParser(target=ET.TreeBuilder(), encoding="utf-8", forbid_dtd=True, forbid_entities=True,
                                  forbid_external=True)
    try:
        parser.feed(data)
        return parser.close()
    except defusedxml.DefusedXmlException as exc:
        raise ValidationError("answer", f"refused hostile XML ({type(exc).__name__}: DTDs, entities and external "
                                        "references are not allowed)") from None
    except ET.ParseError as exc:
        raise ValidationError("answer", f"is not well-formed XML: {exc}") from None


def _result(text: str) -> Any:
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValidationError("answer.result", f"nests deeper than {MAX_DEPTH} levels") from None
    except ValueError:
        raise ValidationError("answer.result", "is not JSON") from None
    check_storable(value, "answer.result")
    return value


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
