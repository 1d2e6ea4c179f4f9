"""QuestionFormAnswers XML: how MTurk stores a submitted form, built and read back."""
from __future__ import annotations

from xml.sax.saxutils import escape

import defusedxml.ElementTree as DET

ANSWERS_NS = ("http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/"
              "2005-10-01/QuestionFormAnswers.xsd")


def to_answer_xml(fields: dict[str, str]) -> str:
    """One <Answer> per form field, escaped, ASCII with character references like MTurk."""
    parts = [f'<?xml version="1.0" encoding="ASCII"?><QuestionFormAnswers xmlns="{ANSWERS_NS}">']
    for name, value in fields.items():
        parts.append(f"<Answer><QuestionIdentifier>{escape(str(name))}</QuestionIdentifier>"
                     f"<FreeText>{escape(str(value))}</FreeText></Answer>")
    parts.append("</QuestionFormAnswers>")
    return "".join(parts).encode("ascii", "xmlcharrefreplace").decode("ascii")


def parse_answer_xml(xml_text: str) -> dict[str, str]:
    """The form fields of a QuestionFormAnswers document (FreeText answers)."""
    root = DET.fromstring(xml_text.encode("ascii", "xmlcharrefreplace"), forbid_dtd=True)
    ns = {"a": ANSWERS_NS}
    out = {}
    for ans in root.findall("a:Answer", ns):
        out[ans.findtext("a:QuestionIdentifier", "", ns)] = ans.findtext("a:FreeText", "", ns)
    return out
