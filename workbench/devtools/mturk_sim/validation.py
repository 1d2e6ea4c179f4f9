"""Parameter and Question XML validation with MTurk's limits and messages."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit

import defusedxml
import defusedxml.ElementTree as DET

from .errors import ParameterValidationError, RequestError, bad_param

EXTERNAL_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"
HTML_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"
FORM_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/QuestionForm.xsd"
QUESTION_ROOTS = {"ExternalQuestion": EXTERNAL_NS, "HTMLQuestion": HTML_NS, "QuestionForm": FORM_NS}

MIN_REWARD = Decimal("0.01")
MAX_REWARD = Decimal("10000.00")  # MTurk publishes no ceiling; a HIT above this is a typo here.
MAX_QUESTION_BYTES = 65535
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
# Reward and BonusAmount, as botocore's MTurk model constrains them: "5", "5." and "5.25".
AMOUNT_RE = re.compile(r"^[0-9]+(\.)?[0-9]{0,2}$")
# QualificationRequirement limits from botocore's MTurk model (and the legacy CreateHIT page):
# at most 10 requirements, 15 IntegerValues and 30 LocaleValues for In and NotIn.
MAX_REQUIREMENTS, MAX_INTEGER_VALUES, MAX_LOCALE_VALUES = 10, 15, 30
WORKER_LOCALE = "00000000000000000071"
WORKER_ID_RE = re.compile(r"^A[A-Z0-9]+$")
LOCALE_COMPARATORS = {"EqualTo", "NotEqualTo", "In", "NotIn"}

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


def worker_id(params: dict, message: str = 'The value "{}" is not valid for the parameter '
                                              'WorkerId.') -> str:
    """A WorkerId as botocore's model shapes it (^A[A-Z0-9]+$, at most 64), refused in MTurk's
    words (https://github.com/aws/aws-sdk-java/issues/2055)."""
    require(params, "WorkerId")
    value = params["WorkerId"]
    if not isinstance(value, str) or len(value) > 64 or not WORKER_ID_RE.match(value):
        raise bad_param(message.format(value))
    return value


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
        raise bad_param(f"The value {value} for {name} is invalid. It must be between "
                        f"{lo} and {hi}.")
    return value


def reward(value) -> str:
    """A Reward: a string dollar amount with at most two decimals, within MTurk's range."""
    if not isinstance(value, str) or not AMOUNT_RE.match(value):
        raise bad_param(f"The value '{value}' for Reward is invalid. It must be a dollar amount "
                        f"such as 0.50.")
    amount = Decimal(value)
    if amount < MIN_REWARD or amount > MAX_REWARD:
        raise bad_param(f"The value {value} for Reward is invalid. It must be between "
                        f"{MIN_REWARD} and {MAX_REWARD}.")
    return str(amount.quantize(Decimal("0.01")))


def amount(value, name: str = "BonusAmount") -> Decimal:
    """A positive dollar amount, e.g. a bonus."""
    if not isinstance(value, str) or not AMOUNT_RE.match(value) or Decimal(value) <= 0:
        raise bad_param(f"The value '{value}' for {name} is invalid. It must be a positive "
                        f"dollar amount with at most two decimals, such as 1.50.")
    return Decimal(value)


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
        raise bad_question(f"{type(exc).__name__}: DTDs and entity declarations are not "
                           f"allowed.") from None
    except ET.ParseError as exc:
        raise bad_question(str(exc)) from None
    ns, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if local not in QUESTION_ROOTS:
        raise bad_question(f"the root element <{local}> is not a Question; expected one of "
                           f"{', '.join(QUESTION_ROOTS)}.")
    if ns != QUESTION_ROOTS[local]:
        raise bad_question(f"the {local} element must be in the namespace "
                           f"{QUESTION_ROOTS[local]} (found '{ns}').")
    if local == "QuestionForm":
        if root.find(f"{{{ns}}}Question") is None:
            raise bad_question("a QuestionForm must contain at least one Question.")
        return Question(kind=local)
    height = _frame_height(root, ns)
    if local == "HTMLQuestion":
        content = root.findtext(f"{{{ns}}}HTMLContent")
        if not content or not content.strip():
            raise bad_question("HTMLQuestion requires a non-empty HTMLContent element.")
        return Question(kind=local, frame_height=height)
    url = (root.findtext(f"{{{ns}}}ExternalURL") or "").strip()
    check_external_url(url)
    return Question(kind=local, external_url=url, frame_height=height)


def bad_question(details: str) -> ParameterValidationError:
    """A Question that does not validate, worded like MTurk's refusal of bad HTML5
    (https://github.com/tylin/coco-ui/pull/4) with XML in its place."""
    return ParameterValidationError(
        f"There was an error parsing the XML question or answer data in your request.  Please "
        f"make sure the data is well-formed and validates against the appropriate schema. "
        f"Details: {details}")


def _frame_height(root, ns: str) -> int:
    raw = root.findtext(f"{{{ns}}}FrameHeight")
    if raw is None or not raw.strip().isdigit():
        raise bad_question("FrameHeight is required and must be a non-negative integer "
                           "(0 lets the frame fill the window).")
    return int(raw.strip())


def check_external_url(url: str) -> None:
    """ExternalURL must be https (http only for this machine, as the simulator is local)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        raise bad_question(f"the ExternalURL '{url}' is not a valid URL.")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return
    raise bad_question(f"the ExternalURL '{url}' must use https.")


def qualification_requirements(reqs, known_types) -> list[dict]:
    """Check QualificationRequirements; `known_types(id)` says if a custom type exists."""
    if reqs is None:
        return []
    if not isinstance(reqs, list):
        raise bad_param("QualificationRequirements must be a list.")
    if len(reqs) > MAX_REQUIREMENTS:
        raise bad_param(f"A HIT can have at most {MAX_REQUIREMENTS} QualificationRequirements; "
                        f"it has {len(reqs)}.")
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
        if len(ints) > MAX_INTEGER_VALUES or len(locales) > MAX_LOCALE_VALUES:
            raise bad_param(f"Comparator {comparator} takes at most {MAX_INTEGER_VALUES} "
                            f"IntegerValues or {MAX_LOCALE_VALUES} LocaleValues.")
        if locales and (qid != WORKER_LOCALE or comparator not in LOCALE_COMPARATORS):
            raise bad_param("LocaleValues can be used only with the Worker_Locale qualification "
                            "and the EqualTo, NotEqualTo, In and NotIn comparators.")
        if ints and qid == WORKER_LOCALE:
            raise bad_param("IntegerValues cannot be used with the Worker_Locale qualification.")
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
