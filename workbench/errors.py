"""The workbench's errors: one root class, and subclasses that say what a user can do.

Faces map them to what their users see: the REST API to 400/404/409 with the same
fields, the CLI to a one-line message and a non-zero exit code, the panels to a red
status line.
"""

from __future__ import annotations

from typing import Any


class WorkbenchError(Exception):
    """Root of every error the workbench raises on purpose.

    ``field`` names the input that was wrong (a dotted path such as ``result.labels[0]``),
    ``reason`` says why, ``hint`` says what to do about it.
    """

    status = 400
    code = "error"

    def __init__(self, message: str, *, field: str | None = None, reason: str | None = None,
                 hint: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason
        self.hint = hint
        self.context = context

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.reason is not None:
            out["reason"] = self.reason
        if self.hint is not None:
            out["hint"] = self.hint
        out.update({k: v for k, v in self.context.items() if v is not None})
        return out

    @classmethod
    def from_dict(cls, body: dict[str, Any], status: int) -> WorkbenchError:
        """The error ``to_dict()`` described (sent from another process), with the same status and body."""
        fields = {k: v for k, v in body.items() if k not in ("error", "message")}
        error = cls(str(body.get("message", "")), field=fields.pop("field", None), reason=fields.pop("reason", None),
                    hint=fields.pop("hint", None), **fields)
        error.status = status
        error.code = str(body.get("error", cls.code))
        return error

    def __str__(self) -> str:
        text = self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ValidationError(WorkbenchError):
    """Input that breaks a rule: a schema, a format, a range, a state machine."""

    code = "validation_error"

    def __init__(self, field: str, reason: str, *, message: str | None = None, **context: Any) -> None:
        super().__init__(message or f"{field}: {reason}", field=field, reason=reason, **context)


class NotFoundError(WorkbenchError):
    """A named thing does not exist."""

    status = 404
    code = "not_found"

    def __init__(self, kind: str, key: Any, *, hint: str | None = None) -> None:
        super().__init__(f"{kind} {key!r} not found", hint=hint, kind=kind, key=str(key))
        self.kind = kind
        self.key = key


class ConflictError(WorkbenchError):
    """The request clashes with what the store already holds (a duplicate, a lost race)."""

    status = 409
    code = "conflict"


class StoreError(WorkbenchError):
    """The store cannot be used as it is (unreachable, or at another schema revision)."""

    status = 503
    code = "store_error"
