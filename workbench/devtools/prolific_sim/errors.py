"""Errors answered in the spec's `Error` shape: {"error": {status, error_code, title, detail}}."""
from __future__ import annotations

TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict"}


class ApiError(Exception):
    """A 4xx answer; `detail` is a string, or {field: [messages]} for field-level errors."""

    def __init__(self, status: int, detail, title: str | None = None):
        super().__init__(str(detail))
        self.status, self.detail = status, detail
        self.title = title or TITLES.get(status, "Error")

    def body(self) -> dict:
        # prolific-openapi.yml, components/schemas/Error and ErrorDetail (additionalProperties: false)
        return {"error": {"status": self.status, "error_code": self.status * 100,
                          "title": self.title, "detail": self.detail}}


def field_error(field: str, message: str) -> ApiError:
    """400 naming the field, as Prolific's validation errors do."""
    return ApiError(400, {field: [message]})


def not_found(kind: str, doc_id: str) -> ApiError:
    return ApiError(404, f"{kind} {doc_id} not found.")
