"""A link's settings: the query name the panel puts its participant id under, and the redirect a finished
participant is sent to.

Both are checked when the link is made, for both reach participants: the id parameter is read from every
entry URL, and the completion template becomes a redirect. A placeholder may stand only in the path, query
or fragment of that template, each filled URL-encoded: in the host, a participant id (which anyone may
choose) would choose where the panel's participants are sent.
"""

from __future__ import annotations

import os
import re
import string
from typing import Any
from urllib.parse import quote, urlsplit

from workbench.errors import ValidationError

DEFAULT_ID_PARAM = "participant_id"
ID_PARAM = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
#: Query names the entry route (or Jupyter before it) reads for itself.
RESERVED_PARAMS = ("link", "token", "_xsrf", "project")
PLACEHOLDERS = ("code", "participant", "link")
MAX_TEMPLATE = 2000
#: The scheme and authority of a redirect template: written out, or a participant id could choose the host.
ORIGIN = re.compile(r"^https?://([^/?#]*)", re.IGNORECASE)


def check_id_param(value: Any) -> str:
    """The query name the panel puts its participant id under: a short name of letters, digits and ``_.-``."""
    if value is None or value == "":
        value = os.environ.get("LINKOUT_ID_PARAM") or DEFAULT_ID_PARAM
    if not isinstance(value, str) or not ID_PARAM.match(value):
        raise ValidationError("id_param", "must be 1 to 64 letters, digits or _.- (the panel's query name for the "
                                          "participant id, such as participant_id, id or PROLIFIC_PID)")
    if value in RESERVED_PARAMS:
        raise ValidationError("id_param", f"{value!r} is read by the entry route itself; choose another name")
    return value


def check_completion_url(value: Any) -> str | None:
    """The redirect template a finished participant is sent to, or None for the code page.

    An http(s) URL with a host, whose only placeholders are ``{code}``, ``{participant}`` and ``{link}``
    (each filled URL-encoded); ``{{`` and ``}}`` stand for literal braces. Placeholders stand only in the path,
    query or fragment: a participant id in the host (``https://{participant}/``, ``https://panel.org{participant}``)
    would send the participant wherever the id says."""
    if value is None or value == "":
        value = os.environ.get("LINKOUT_COMPLETION_URL") or None
        if value is None:
            return None
    if not isinstance(value, str) or len(value) > MAX_TEMPLATE or not value.isprintable() or value != value.strip():
        raise ValidationError("completion_url", f"must be a URL of at most {MAX_TEMPLATE} printable characters")
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(value)
                  if name is not None]
    except ValueError as exc:
        raise ValidationError("completion_url", f"has a malformed placeholder ({exc}); write {{{{ for a brace")
    for name, spec, conversion in fields:
        if spec or conversion:
            raise ValidationError("completion_url", f"placeholder {{{name}}} takes no format or conversion")
        if name not in PLACEHOLDERS:
            raise ValidationError("completion_url", f"placeholder {{{name}}} is not one of "
                                                    f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)}")
    origin = ORIGIN.match(value)
    if origin is None or "{" in origin.group(1) or "}" in origin.group(1):
        raise ValidationError("completion_url", "placeholders may stand only in the path, query or fragment: "
                                                "write the scheme, host and port out, such as "
                                                "https://panel.example.org/done?code={code}")
    sample = urlsplit(fill(value, code="CODE", participant="P", link="L"))
    if sample.scheme not in ("http", "https") or not sample.hostname or sample.username is not None:
        raise ValidationError("completion_url", "must be an http(s) URL with a host, such as "
                                                "https://panel.example.org/done?code={code}")
    return value


def fill(template: str, *, code: str, participant: str, link: str) -> str:
    """The redirect template with its placeholders filled, each value URL-encoded."""
    return template.format(code=quote(code, safe=""), participant=quote(participant, safe=""),
                           link=quote(link, safe=""))
