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


class ParameterValidationError(RequestError):
    """A parameter MTurk's validation refuses: its own fault type on the wire, HTTP 400, which
    botocore raises as a plain ClientError (https://github.com/aws/aws-sdk-java/issues/2055,
    https://github.com/boto/boto3/issues/2108)."""

    type_name = "ParameterValidationError"

    def __init__(self, message: str):
        super().__init__(message, None)


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


def bad_param(message: str) -> ParameterValidationError:
    """A parameter failed validation."""
    return ParameterValidationError(message)


def hit_state(current: str, allowed: str) -> RequestError:
    """A HIT in the wrong status, worded as MTurk words it on the wire
    (https://github.com/boto/boto3/issues/2107)."""
    return RequestError(f"This HIT is currently in the state '{current}'.  "
                        f"This operation can be called with a status of: {allowed}",
                        "AWS.MechanicalTurk.InvalidHITState")


def assignment_state(allowed: str) -> RequestError:
    """An assignment in the wrong status; MTurk names only the statuses it accepts
    (https://github.com/NRGI/resourcecontracts.org/issues/1384)."""
    return RequestError(f"This operation can be called with a status of: {allowed}",
                        "AWS.MechanicalTurk.InvalidAssignmentState")
