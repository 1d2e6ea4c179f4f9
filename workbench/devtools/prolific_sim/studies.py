"""Studies: draft, validation, the status machine, places and cost (prolific-openapi.yml, Studies)."""
from __future__ import annotations

from .errors import ApiError, field_error, not_found
from .store import iso, public

# prolific-openapi.yml, BaseStudy: the enums a study's fields take
PROLIFIC_ID_OPTIONS = {"question", "url_parameters", "not_required"}
CODE_TYPES = {"COMPLETED", "FAILED_ATTENTION_CHECK", "FOLLOW_UP_STUDY", "GIVE_BONUS",
              "INCOMPATIBLE_DEVICE", "NO_CONSENT", "OTHER"}
ACTIONS = {"AUTOMATICALLY_APPROVE", "ADD_TO_PARTICIPANT_GROUP", "REMOVE_FROM_PARTICIPANT_GROUP",
           "MANUALLY_REVIEW", "REQUEST_RETURN", "DYNAMIC_PAYMENT"}
REQUIRED = ("name", "description", "external_study_url", "prolific_id_option", "completion_codes",
            "estimated_completion_time", "reward", "total_available_places")  # CreateStudy.required
EDITABLE = {"name", "internal_name", "description", "external_study_url", "prolific_id_option",
            "completion_codes", "total_available_places", "estimated_completion_time",
            "maximum_allowed_time", "reward", "device_compatibility", "peripheral_requirements",
            "filters", "filter_set_id", "filter_set_version", "naivety_distribution_rate", "project",
            "submissions_config", "study_labels", "content_warnings", "content_warning_details",
            "metadata", "access_details", "is_custom_screening"}
EDITABLE_AFTER_PUBLISH = {"internal_name", "total_available_places"}
# prolific-openapi.yml, POST /api/v1/studies/{id}/transition/: action -> (from statuses, to)
TRANSITIONS = {"PUBLISH": ({"UNPUBLISHED"}, "ACTIVE"), "PAUSE": ({"ACTIVE"}, "PAUSED"),
               "START": ({"PAUSED"}, "ACTIVE"), "STOP": ({"ACTIVE", "PAUSED"}, "AWAITING REVIEW")}
TAKES_PLACE = {"ACTIVE", "AWAITING REVIEW", "APPROVED"}  # rejected, returned, timed-out free it
FEE_RATE_NUM, FEE_RATE_DEN, VAT_PERCENT = 1, 3, 20  # the simulator's own fee model: 33.3% + 20% VAT


def fees_for(cents: int) -> tuple[int, int]:
    """(service fee, VAT on the fee) in cents for `cents` paid to participants."""
    fee = (cents * FEE_RATE_NUM + FEE_RATE_DEN // 2) // FEE_RATE_DEN
    return fee, (fee * VAT_PERCENT + 50) // 100


def _positive_number(body: dict, field: str, minimum: float = 0, integer: bool = False) -> None:
    value = body[field]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise field_error(field, "A valid number is required.")
    if integer and value != int(value):
        raise field_error(field, "A valid integer is required.")
    if value < minimum:
        raise field_error(field, f"Ensure this value is greater than or equal to {minimum}.")


def validate_study_fields(body: dict) -> None:
    """The checks of BaseStudy on the fields present in `body`."""
    for field in body:
        if field not in EDITABLE:
            raise field_error(field, "This field is not a study field or cannot be set.")
    for field in ("name", "description", "external_study_url"):
        if field in body and (not isinstance(body[field], str) or not body[field].strip()):
            raise field_error(field, "This field may not be blank.")
    if "prolific_id_option" in body and body["prolific_id_option"] not in PROLIFIC_ID_OPTIONS:
        raise field_error("prolific_id_option", f'"{body["prolific_id_option"]}" is not a valid choice.')
    if "estimated_completion_time" in body:
        _positive_number(body, "estimated_completion_time", minimum=1)
    if "maximum_allowed_time" in body:
        _positive_number(body, "maximum_allowed_time", minimum=1)
    if "reward" in body:
        _positive_number(body, "reward", integer=True)
    if "total_available_places" in body:
        _positive_number(body, "total_available_places", minimum=1, integer=True)
    if "completion_codes" in body:
        _validate_codes(body["completion_codes"])
    if "filters" in body and body["filters"] is not None:
        _validate_filters(body["filters"])


def _validate_filters(filters) -> None:
    """prolific-openapi.yml, SelectFilter (filter_id, selected_values: [string]) or RangeFilter (filter_id,
    selected_range: {lower, upper}, each an integer or a string, at least one non-null)."""
    if not isinstance(filters, list):
        raise field_error("filters", "Expected a list of filters.")
    for f in filters:
        if not isinstance(f, dict) or not isinstance(f.get("filter_id"), str) or not f["filter_id"]:
            raise field_error("filters", "Each filter needs a filter_id.")
        if "selected_values" in f:
            values = f["selected_values"]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise field_error("filters", f"{f['filter_id']}: selected_values must be a list of strings.")
        elif "selected_range" in f:
            bounds = f["selected_range"]
            if not isinstance(bounds, dict) or set(bounds) - {"lower", "upper"} or not any(
                    bounds.get(k) is not None for k in ("lower", "upper")) or not all(
                    v is None or (isinstance(v, (int, str)) and not isinstance(v, bool)) for v in bounds.values()):
                raise field_error("filters", f"{f['filter_id']}: selected_range needs a lower or upper bound.")
        else:
            raise field_error("filters", f"{f['filter_id']}: a filter needs selected_values or selected_range.")


def _validate_codes(codes) -> None:
    if not isinstance(codes, list) or not codes:
        raise field_error("completion_codes", "At least one completion code is required.")
    seen = set()
    for entry in codes:
        if not isinstance(entry, dict) or not all(k in entry for k in ("code", "code_type", "actions")):
            raise field_error("completion_codes", "Each code needs code, code_type and actions.")
        if entry["code_type"] not in CODE_TYPES:
            raise field_error("completion_codes", f'"{entry["code_type"]}" is not a valid code_type.')
        if entry["code"] in seen:
            raise field_error("completion_codes", f'The code "{entry["code"]}" is used twice.')
        seen.add(entry["code"])
        if not isinstance(entry["actions"], list):
            raise field_error("completion_codes", "actions must be a list.")
        for action in entry["actions"]:
            if not isinstance(action, dict) or action.get("action") not in ACTIONS:
                raise field_error("completion_codes", f"{action!r} is not a valid action.")
            if action["action"] in {"ADD_TO_PARTICIPANT_GROUP", "REMOVE_FROM_PARTICIPANT_GROUP"} \
                    and not action.get("participant_group"):
                raise field_error("completion_codes", f"{action['action']} needs participant_group.")
            if action["action"] == "REQUEST_RETURN" and not action.get("return_reason"):
                raise field_error("completion_codes", "REQUEST_RETURN needs return_reason.")


class StudiesMixin:
    """Study operations of the Backend."""

    def study(self, study_id: str) -> dict:
        doc = self.store.get("study", study_id)
        if doc is None:
            raise not_found("Study", study_id)
        return doc

    def study_view(self, doc: dict) -> dict:
        subs = self.store.all("submission", study_id=doc["id"])
        doc = dict(doc, places_taken=sum(1 for s in subs if s["status"] in TAKES_PLACE),
                   number_of_submissions=len(subs))
        doc["total_cost"] = self._study_cost_cents(doc)
        return public(doc)

    def _study_cost_cents(self, doc: dict) -> int:
        rewards = int(doc["reward"]) * int(doc["total_available_places"])
        fee, vat = fees_for(rewards)
        return rewards + fee + vat

    def create_study(self, body: dict) -> dict:
        missing = [f for f in REQUIRED if body.get(f) in (None, "", [])]
        if missing:
            raise ApiError(400, {f: ["This field is required."] for f in missing})
        validate_study_fields(body)
        with self.store.transaction():
            doc = {"internal_name": None, "maximum_allowed_time": None, "device_compatibility": [],
                   "peripheral_requirements": [], "filters": [], "study_labels": [],
                   "submissions_config": {"max_submissions_per_participant": 1,
                                          "max_concurrent_submissions": -1},
                   "is_custom_screening": False, "metadata": None, "filter_set_id": None,
                   "filter_set_version": None, "naivety_distribution_rate": None,
                   "content_warnings": [], "access_details": None, **body,
                   "id": self.store.new_id(), "status": "UNPUBLISHED", "study_type": "SINGLE",
                   "published_at": None, "publish_at": None,
                   "date_created": iso(self.clock.now()), "_stopped": False}
            if doc["maximum_allowed_time"] is None:  # Prolific's default allowance
                doc["maximum_allowed_time"] = int(doc["estimated_completion_time"]) * 3 + 2
            self.store.put("study", doc)
        return self.study_view(doc)

    def list_studies(self, query: dict) -> dict:
        docs = self.store.all("study")
        if query.get("state"):
            wanted = set(query["state"].strip("()").split("|"))
            docs = [d for d in docs if d["status"] in wanted]
        keys = ("id", "name", "internal_name", "status", "study_type", "total_available_places",
                "places_taken", "number_of_submissions", "reward", "total_cost", "published_at",
                "publish_at", "date_created")
        return self.listing([{k: v for k, v in self.study_view(d).items() if k in keys} for d in docs],
                            "studies/")

    def update_study(self, study_id: str, body: dict) -> dict:
        with self.store.transaction():
            doc = self.study(study_id)
            if doc["status"] != "UNPUBLISHED":
                for field in body:
                    if field not in EDITABLE_AFTER_PUBLISH:
                        raise field_error(field, "This field cannot be changed once the study is published.")
                if "total_available_places" in body:
                    _positive_number(body, "total_available_places", minimum=1, integer=True)
                    if body["total_available_places"] < doc["total_available_places"]:
                        raise field_error("total_available_places",
                                          "Places can only be increased once the study is published.")
            validate_study_fields(body)
            doc.update(body)
            self.store.put("study", doc)
            self.refresh_study(doc["id"])
        return self.study_view(self.study(study_id))

    def delete_study(self, study_id: str) -> None:
        with self.store.transaction():
            doc = self.study(study_id)
            if doc["status"] != "UNPUBLISHED":
                raise ApiError(400, "Only an unpublished study can be deleted.")
            self.store.delete("study", study_id)

    def transition_study(self, study_id: str, body: dict) -> dict:
        action = body.get("action")
        if action not in TRANSITIONS:
            raise field_error("action", f'"{action}" is not a valid choice.')
        with self.store.transaction():
            doc = self.study(study_id)
            sources, target = TRANSITIONS[action]
            if doc["status"] not in sources:
                raise field_error("action", f"Cannot {action} a study whose status is {doc['status']}.")
            if action == "PUBLISH":
                doc["published_at"] = iso(self.clock.now())
            if action == "STOP":
                doc["_stopped"] = True
            self.set_study_status(doc, target)
            self.refresh_study(study_id)
        return self.study_view(self.study(study_id))

    def set_study_status(self, doc: dict, status: str) -> None:
        if doc["status"] != status:
            doc["status"] = status
            self.store.put("study", doc)
            self.emit("study.status.change", doc["id"])

    def refresh_study(self, study_id: str) -> None:
        """Full or stopped studies await review; reviewed ones complete; more places reopen."""
        doc = self.store.get("study", study_id)
        if doc is None or doc["status"] in {"UNPUBLISHED", "PAUSED", "COMPLETED"}:
            return
        subs = self.store.all("submission", study_id=study_id)
        taken = sum(1 for s in subs if s["status"] in TAKES_PLACE)
        open_work = any(s["status"] in {"ACTIVE", "AWAITING REVIEW"} for s in subs)
        if doc["status"] == "ACTIVE" and taken >= doc["total_available_places"]:
            self.set_study_status(doc, "AWAITING REVIEW")
        elif doc["status"] == "AWAITING REVIEW" and not doc["_stopped"] \
                and taken < doc["total_available_places"]:
            self.set_study_status(doc, "ACTIVE")
        if doc["status"] == "AWAITING REVIEW" and not open_work:
            self.set_study_status(doc, "COMPLETED")

    def study_cost(self, study_id: str) -> dict:
        doc = self.study(study_id)
        rewards = int(doc["reward"]) * int(doc["total_available_places"])
        fee, vat = fees_for(rewards)
        bonus = sum(e["amount"] for p in self.store.all("payout", study=study_id)
                    if p["_paid"] for e in p["_entries"])
        bfee, bvat = fees_for(bonus)
        cur = self.currency

        def amt(cents):  # prolific-openapi.yml, AmountAndCurrency
            return {"amount": cents, "currency": cur}

        return {"rewards": {"rewards": amt(rewards), "fees": amt(fee), "tax": amt(vat),
                            "rep_sample_fees": amt(0), "rep_sample_tax": amt(0)},
                "bonuses": {"rewards": amt(bonus), "fees": amt(bfee), "tax": amt(bvat)},
                "_links": {}}
