"""Errors the simulator answers with, shaped like MTurk's json-1.1 faults."""
from __future__ import annotations

import time


def _stamp() -> str:
    # MTurk appends a millisecond timestamp in parentheses to most messages.
    return f"({int(time.time() * 1000)})"


class SimError(Exception):
    """An error returned to the client as a JSON fault."""

    type_name = "RequestError"
    status = 400

    def __init__(self, message: str, turk_code: str | None = None):
        super().__init__(message)
        self.message = message
        self.turk_code = turk_code

    def body(self) -> dict:
        out = {"__type": self.type_name, "Message": f"{self.message} {_stamp()}"}
        if self.turk_code:
            out["TurkErrorCode"] = self.turk_code
        return out


class RequestError(SimError):
    """A request MTurk refuses (bad parameter, wrong state, missing object)."""


class ServiceFault(SimError):
    """An internal MTurk failure; botocore retries it like any 5xx."""

    type_name = "ServiceFault"
    status = 500


class Throttled(SimError):
    """Rate exceeded; botocore's standard and adaptive retry modes retry this code."""

    type_name = "ThrottlingException"

    def __init__(self, message: str = "Rate exceeded"):
        super().__init__(message, None)

    def body(self) -> dict:
        return {"__type": self.type_name, "Message": self.message}


class UnknownOperation(SimError):
    """The X-Amz-Target names no operation the simulator serves."""

    type_name = "UnknownOperationException"


def not_found(kind: str, ident: str, code: str) -> RequestError:
    """MTurk's 'Hit X does not exist.' style error."""
    return RequestError(f"{kind} {ident} does not exist.", code)


def bad_param(message: str) -> RequestError:
    """A parameter failed validation."""
    return RequestError(message, "AWS.MechanicalTurk.ParameterValidationError")


def wrong_state(kind: str, current: str, allowed: str, code: str) -> RequestError:
    """MTurk's 'This X is currently in the state ...' error."""
    return RequestError(
        f"This {kind} is currently in the state '{current}'.  "
        f"This operation can be called with a status of: {allowed}",
        code,
    )
