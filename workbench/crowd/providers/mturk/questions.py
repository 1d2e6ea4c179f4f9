"""The Question XML of a HIT: the worker page in MTurk's frame, or a link out with a completion code.

``external``: an ExternalQuestion whose URL is ``{PUBLIC_BASE_URL}/workbench/annotate/{task_id}``;
MTurk appends ``assignmentId``, ``hitId``, ``workerId`` and ``turkSubmitTo``, and the page
posts the worker's ``result`` (JSON) to MTurk's externalSubmit.

``link-out``: an HTMLQuestion with a link to ``{PUBLIC_BASE_URL}/workbench/login`` carrying
the worker's ids (the ``${workerId}`` placeholders are filled in by the page's script from
the frame's query string), and a form field for the completion code the workbench shows at
the end; the code is checked during review.
"""

from __future__ import annotations

import ipaddress
import json
import os
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape

from workbench import config
from workbench.errors import ValidationError

EXTERNAL_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"
HTML_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8888"
CODE_FIELD = "completion_code"


BASE_URL_SETTING = ("set WORKBENCH_PUBLIC_BASE_URL (or c.WorkbenchApp.public_base_url for the server) to the https "
                    "address workers reach this server at")


def public_base_url(value: str | None = None, *, environment: str = "local") -> str:
    """Where workers reach the workbench: the argument, ``WORKBENCH_PUBLIC_BASE_URL``, or (``local`` only) this machine.

    Outside ``local`` real workers follow the link from their own browsers, so a loopback, private or
    plain-http address could never work: it is refused here, before MTurk is asked for anything.
    """
    url = (value or os.environ.get("WORKBENCH_PUBLIC_BASE_URL") or "").strip().rstrip("/")
    if not url:
        if environment != "local":
            raise ValidationError("public_base_url", f"is not set, and MTurk's {environment} workers cannot reach "
                                                     f"{DEFAULT_PUBLIC_BASE_URL}: {BASE_URL_SETTING}")
        url = DEFAULT_PUBLIC_BASE_URL
    url = config.check_base_url(url)
    parts = urlsplit(url)
    if environment != "local":
        why = unreachable(parts.scheme, parts.hostname)
        if why:
            raise ValidationError("public_base_url", f"{url!r} {why}, so MTurk's {environment} workers could not "
                                                     f"reach it: {BASE_URL_SETTING}")
    return url


def unreachable(scheme: str, host: str) -> str:
    """Why workers on the internet could not use ``scheme://host`` for a framed page, or ''."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return "names this machine or a private network"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is not None and not address.is_global:
        return "is a loopback, private or reserved address"
    if scheme != "https":
        return "is not https (MTurk frames the page in an https site, and browsers block plain http inside it)"
    return ""


def annotate_url(task_id: int, base_url: str | None = None) -> str:
    return f"{public_base_url(base_url)}/workbench/annotate/{int(task_id)}"


def external_question(task_id: int, *, frame_height: int = 0, base_url: str | None = None) -> str:
    url = annotate_url(task_id, base_url)
    return (f'<ExternalQuestion xmlns="{EXTERNAL_NS}"><ExternalURL>{escape(url)}</ExternalURL>'
            f"<FrameHeight>{int(frame_height)}</FrameHeight></ExternalQuestion>")


def login_link(project_slug: str, base_url: str | None = None) -> str:
    """The link-out URL with MTurk-style placeholders for the worker's ids."""
    query = urlencode({"project": project_slug})
    return (f"{public_base_url(base_url)}/workbench/login?{query}"
            "&workerId=${workerId}&assignmentId=${assignmentId}&hitId=${hitId}")


_LINK_OUT_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body>
<p>{description}</p>
<p><a id="wb-link" href="#" target="_blank" rel="noopener">Open the task in a new tab</a></p>
<form id="wb-form" method="post" action="https://www.mturk.com/mturk/externalSubmit">
<input type="hidden" name="assignmentId" id="wb-assignment" value="">
<label>Completion code: <input type="text" name="{field}" id="wb-code" required maxlength="64"></label>
<button type="submit" id="wb-submit">Submit</button>
</form>
<script>
(function () {{
  var q = new URLSearchParams(window.location.search);
  var a = q.get("assignmentId") || "", preview = !a || a === "ASSIGNMENT_ID_NOT_AVAILABLE";
  var link = {link};
  ["workerId", "assignmentId", "hitId"].forEach(function (k) {{
    link = link.split("${{" + k + "}}").join(encodeURIComponent(q.get(k) || ""));
  }});
  document.getElementById("wb-assignment").value = a;
  var to = q.get("turkSubmitTo");
  if (to) document.getElementById("wb-form").action = to.replace(/\\/$/, "") + "/mturk/externalSubmit";
  if (preview) {{
    document.getElementById("wb-submit").disabled = true;
    document.getElementById("wb-link").removeAttribute("href");
    document.getElementById("wb-link").textContent = "Accept the HIT to open the task.";
  }} else {{
    document.getElementById("wb-link").href = link;
  }}
}})();
</script>
</body></html>"""


def link_out_question(project_slug: str, *, title: str, description: str, frame_height: int = 0,
                      base_url: str | None = None) -> str:
    page = _LINK_OUT_PAGE.format(title=escape(title), description=escape(description), field=CODE_FIELD,
                                 link=json.dumps(login_link(project_slug, base_url)).replace("<", "\\u003c"))
    # The page travels inside CDATA; a "]]>" in it would end the section early.
    page = page.replace("]]>", "]]]]><![CDATA[>")
    return (f'<HTMLQuestion xmlns="{HTML_NS}"><HTMLContent><![CDATA[{page}]]></HTMLContent>'
            f"<FrameHeight>{int(frame_height)}</FrameHeight></HTMLQuestion>")
