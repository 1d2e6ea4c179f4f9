"""MTurk's answer XML (QuestionFormAnswers), read safely into ``{field: value}``.

The XML comes from workers' browsers through MTurk, so it is parsed with defusedxml: a
DTD, an entity declaration or an external reference is refused with a clear error instead
of being expanded. The worker page sends its result as JSON in the ``result`` field, which
is decoded here; a link-out HIT sends ``completion_code``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import defusedxml
import defusedxml.ElementTree as DET

from ...errors import ValidationError

NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"
MAX_BYTES = 1_000_000


def parse(xml_text: str) -> dict[str, Any]:
    """The answer's fields; ``result`` decoded from JSON. Raises ValidationError(field="answer")."""
    if not xml_text:
        return {}
    if len(xml_text) > MAX_BYTES:
        raise ValidationError("answer", f"is larger than {MAX_BYTES} bytes")
    try:
        root = DET.fromstring(xml_text.encode("utf-8"), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise ValidationError("answer", f"refused hostile XML ({type(exc).__name__}: DTDs, entities and external "
                                        "references are not allowed)") from None
    except ET.ParseError as exc:
        raise ValidationError("answer", f"is not well-formed XML: {exc}") from None
    if _local(root.tag) != "QuestionFormAnswers":
        raise ValidationError("answer", f"root element is <{_local(root.tag)}>, not <QuestionFormAnswers>")
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
        try:
            fields["result"] = json.loads(fields["result"])
        except ValueError:
            raise ValidationError("answer.result", "is not JSON") from None
    return fields


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
