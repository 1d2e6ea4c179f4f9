"""Parameter and Question XML validation with MTurk's limits and messages."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import defusedxml
import defusedxml.ElementTree as DET

from .errors import RequestError, bad_param

EXTERNAL_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"
HTML_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"
FORM_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/QuestionForm.xsd"
QUESTION_ROOTS = {"ExternalQuestion": EXTERNAL_NS, "HTMLQuestion": HTML_NS, "QuestionForm": FORM_NS}

MIN_REWARD = Decimal("0.01")
MAX_REWARD = Decimal("10000.00")  # MTurk publishes no ceiling; a HIT above this is a typo here.
MAX_QUESTION_BYTES = 65535
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
REWARD_RE = re.compile(r"^\d{1,7}(\.\d{1,2})?$")

# System qualification types MTurk provides to every requester.
SYSTEM_QUALIFICATIONS = {
    "00000000000000000071": "Worker_Locale",
    "00000000000000000040": "Worker_NumberHITsApproved",
    "000000000000000000L0": "Worker_PercentAssignmentsApproved",
    "00000000000000000060": "Worker_Adult",
    "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH": "Masters (production)",
    "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6": "Masters (sandbox)",
}
COMPARATORS = {"LessThan", "LessThanOrEqualTo", "GreaterThan", "GreaterThanOrEqualTo", "EqualTo",
               "NotEqualTo", "Exists", "DoesNotExist", "In", "NotIn"}


@dataclass
class Question:
    """A parsed Question: its kind and, for an ExternalQuestion, the worker URL."""

    kind: str
    external_url: str | None = None
    frame_height: int | None = None


def require(params: dict, *names: str) -> None:
    """Refuse a request that misses a required member."""
    for name in names:
        if params.get(name) in (None, ""):
            raise bad_param(f"Value null at '{name[0].lower() + name[1:]}' failed to satisfy "
                            f"constraint: Member must not be null")


def text(params: dict, name: str, max_len: int, required: bool = False, min_len: int = 0) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            require(params, name)
        return None
    if not isinstance(value, str):
        raise bad_param(f"{name} must be a string.")
    if len(value) < min_len or len(value) > max_len:
        raise bad_param(f"{name} must be between {min_len} and {max_len} characters long. "
                        f"It was {len(value)} characters.")
    return value


def integer(params: dict, name: str, lo: int, hi: int, default: int | None = None,
            required: bool = False) -> int | None:
    value = params.get(name)
    if value is None:
        if required:
            require(params, name)
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_param(f"{name} must be an integer.")
    if value < lo or value > hi:
        raise RequestError(f"The value {value} for {name} is invalid. It must be between "
                           f"{lo} and {hi}.", "AWS.ParameterOutOfRange")
    return value


def reward(value) -> str:
    """A Reward: a string dollar amount with at most two decimals, within MTurk's range."""
    if not isinstance(value, str) or not REWARD_RE.match(value.strip()):
        raise bad_param(f"The value '{value}' for Reward is invalid. It must be a dollar amount "
                        f"such as 0.50.")
    amount = Decimal(value.strip())
    if amount < MIN_REWARD or amount > MAX_REWARD:
        raise RequestError(f"The value {value} for Reward is invalid. It must be between "
                           f"{MIN_REWARD} and {MAX_REWARD}.", "AWS.ParameterOutOfRange")
    return str(amount.quantize(Decimal("0.01")))


def amount(value, name: str = "BonusAmount") -> Decimal:
    """A positive dollar amount, e.g. a bonus."""
    try:
        dec = Decimal(str(value).strip())
    except (InvalidOperation, AttributeError):
        raise bad_param(f"The value '{value}' for {name} is invalid.") from None
    if not dec.is_finite() or dec <= 0 or dec != dec.quantize(Decimal("0.01")):
        raise bad_param(f"The value '{value}' for {name} is invalid. It must be a positive "
                        f"dollar amount with at most two decimals.")
    return dec


def timestamp(value, name: str) -> float:
    """A json-1.1 timestamp: epoch seconds (what botocore sends) or ISO 8601."""
    if isinstance(value, bool):
        raise bad_param(f"{name} must be a timestamp.")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise bad_param(f"{name} must be a timestamp.")


def question(xml_text) -> Question:
    """Parse and check a Question: hostile XML, root element, namespace and its fields."""
    if not isinstance(xml_text, str) or not xml_text.strip():
        raise bad_param("Either a Question parameter or a HITLayoutId parameter must be provided.")
    if len(xml_text.encode("utf-8")) > MAX_QUESTION_BYTES:
        raise bad_param("The XML question data must not be larger than 64 kilobytes "
                        "(65,535 bytes) in size, including whitespace.")
    try:
        root = DET.fromstring(xml_text, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise RequestError(f"The Question XML is refused: {type(exc).__name__} "
                           f"(DTDs and entity declarations are not allowed).",
                           "AWS.MechanicalTurk.XMLParseError") from None
    except ET.ParseError as exc:
        raise RequestError(f"There was an error parsing the XML question or answer data in "
                           f"your request.  Please make sure the data is well-formed and "
                           f"validates against the appropriate schema. Details: {exc}",
                           "AWS.MechanicalTurk.XMLParseError") from None
    ns, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if local not in QUESTION_ROOTS:
        raise RequestError(f"The root element <{local}> is not a Question; expected one of "
                           f"{', '.join(QUESTION_ROOTS)}.", "AWS.MechanicalTurk.XMLParseError")
    if ns != QUESTION_ROOTS[local]:
        raise RequestError(f"The {local} element must be in the namespace "
                           f"{QUESTION_ROOTS[local]} (found '{ns}').",
                           "AWS.MechanicalTurk.XMLParseError")
    if local == "QuestionForm":
        if root.find(f"{{{ns}}}Question") is None:
            raise RequestError("A QuestionForm must contain at least one Question.",
                               "AWS.MechanicalTurk.XMLParseError")
        return Question(kind=local)
    height = _frame_height(root, ns)
    if local == "HTMLQuestion":
        content = root.findtext(f"{{{ns}}}HTMLContent")
        if not content or not content.strip():
            raise RequestError("HTMLQuestion requires a non-empty HTMLContent element.",
                               "AWS.MechanicalTurk.XMLParseError")
        return Question(kind=local, frame_height=height)
    url = (root.findtext(f"{{{ns}}}ExternalURL") or "").strip()
    check_external_url(url)
    return Question(kind=local, external_url=url, frame_height=height)


def _frame_height(root, ns: str) -> int:
    raw = root.findtext(f"{{{ns}}}FrameHeight")
    if raw is None or not raw.strip().isdigit():
        raise RequestError("FrameHeight is required and must be a non-negative integer "
                           "(0 lets the frame fill the window).", "AWS.MechanicalTurk.XMLParseError")
    return int(raw.strip())


def check_external_url(url: str) -> None:
    """ExternalURL must be https (http only for this machine, as the simulator is local)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        raise RequestError(f"The ExternalURL '{url}' is not a valid URL.",
                           "AWS.MechanicalTurk.XMLParseError")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return
    raise RequestError(f"The ExternalURL '{url}' must use https.",
                       "AWS.MechanicalTurk.XMLParseError")


def qualification_requirements(reqs, known_types) -> list[dict]:
    """Check QualificationRequirements; `known_types(id)` says if a custom type exists."""
    if reqs is None:
        return []
    if not isinstance(reqs, list):
        raise bad_param("QualificationRequirements must be a list.")
    out = []
    for req in reqs:
        qid, comparator = req.get("QualificationTypeId"), req.get("Comparator")
        if not qid or comparator not in COMPARATORS:
            raise bad_param("Each QualificationRequirement needs a QualificationTypeId and a "
                            "valid Comparator.")
        if qid not in SYSTEM_QUALIFICATIONS and not known_types(qid):
            raise RequestError(f"QualificationType {qid} does not exist.",
                               "AWS.MechanicalTurk.QualificationTypeDoesNotExist")
        ints, locales = req.get("IntegerValues") or [], req.get("LocaleValues") or []
        if comparator in ("Exists", "DoesNotExist") and (ints or locales):
            raise bad_param(f"Comparator {comparator} takes no values.")
        if comparator not in ("Exists", "DoesNotExist") and not (ints or locales):
            raise bad_param(f"Comparator {comparator} needs IntegerValues or LocaleValues.")
        if comparator not in ("In", "NotIn") and (len(ints) > 1 or len(locales) > 1):
            raise bad_param(f"Comparator {comparator} takes a single value.")
        clean = {"QualificationTypeId": qid, "Comparator": comparator}
        if ints:
            clean["IntegerValues"] = [int(v) for v in ints]
        if locales:
            clean["LocaleValues"] = [{k: v for k, v in loc.items() if k in ("Country", "Subdivision")}
                                     for loc in locales]
        if "RequiredToPreview" in req:
            clean["RequiredToPreview"] = bool(req["RequiredToPreview"])
        if req.get("ActionsGuarded"):
            clean["ActionsGuarded"] = req["ActionsGuarded"]
        out.append(clean)
    return out


def compare(comparator: str, have: int | None, values: list[int]) -> bool:
    """Whether a worker's integer qualification value meets one requirement."""
    if comparator == "Exists":
        return have is not None
    if comparator == "DoesNotExist":
        return have is None
    if have is None:
        return False
    ops = {
        "LessThan": lambda: have < values[0], "LessThanOrEqualTo": lambda: have <= values[0],
        "GreaterThan": lambda: have > values[0], "GreaterThanOrEqualTo": lambda: have >= values[0],
        "EqualTo": lambda: have == values[0], "NotEqualTo": lambda: have != values[0],
        "In": lambda: have in values, "NotIn": lambda: have not in values,
    }
    return ops[comparator]()
