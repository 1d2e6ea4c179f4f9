"""The boto3 MTurk client: which endpoint each environment means, credentials, retries.

``MTURK_ENVIRONMENT=local|sandbox|production`` (default ``local``: the simulator at
``MTURK_LOCAL_ENDPOINT``, default ``http://127.0.0.1:8443``). Credentials come from the
standard AWS chain (environment, shared files, instance roles); the local simulator takes
any, so placeholders are supplied when the chain has none. Retries use botocore's own
``standard`` or ``adaptive`` mode (``MTURK_RETRY_MODE``, ``MTURK_MAX_ATTEMPTS``), which
retry throttling and 5xx answers with backoff; calls that create or pay carry idempotency
tokens, so a retried call is answered the same.
"""

from __future__ import annotations

import os
import re
from typing import Any

from workbench.errors import ValidationError, WorkbenchError
from ..base import ENVIRONMENTS, resolve_environment

ENDPOINTS = {
    "sandbox": "https://mturk-requester-sandbox.us-east-1.amazonaws.com",
    "production": "https://mturk-requester.us-east-1.amazonaws.com",
}
DEFAULT_LOCAL_ENDPOINT = "http://127.0.0.1:8443"
REGION = "us-east-1"  # MTurk's API lives in us-east-1 only


class ProductionNotConfirmed(WorkbenchError):
    """Acting on real money and real workers needs an explicit yes."""

    code = "production_not_confirmed"


def environment(name: str | None = None) -> str:
    """The environment asked for, or ``MTURK_ENVIRONMENT``, or ``local``; checked."""
    return resolve_environment(name, "MTURK_ENVIRONMENT", ENVIRONMENTS)


def endpoint(env: str) -> str:
    if env == "local":
        return os.environ.get("MTURK_LOCAL_ENDPOINT") or DEFAULT_LOCAL_ENDPOINT
    return ENDPOINTS[env]


def check_production(env: str, confirm_production: bool) -> None:
    if env == "production" and not confirm_production:
        raise ProductionNotConfirmed(
            "MTURK_ENVIRONMENT is production: this would spend real money with real workers",
            field="environment", reason="production needs an explicit confirmation",
            hint="pass --confirm-production on the command line, or confirm_production=True in Python")


def make_client(env: str | None = None, *, confirm_production: bool = False, endpoint_url: str | None = None,
                retry_mode: str | None = None, max_attempts: int | None = None,
                max_pool_connections: int = 16, session: Any = None) -> Any:
    """A boto3 ``mturk`` client for ``env``; production refuses without ``confirm_production``."""
    # boto3 is heavy (~0.15 s); loaded only when a client is made, not by the offline parts (costs, questions)
    import boto3
    from botocore.config import Config

    env = environment(env)
    check_production(env, confirm_production)
    mode = (retry_mode or os.environ.get("MTURK_RETRY_MODE") or "adaptive").lower()
    if mode not in ("standard", "adaptive"):
        raise ValidationError("retry_mode", "must be standard or adaptive")
    attempts = int(max_attempts or os.environ.get("MTURK_MAX_ATTEMPTS") or 8)
    config = Config(retries={"mode": mode, "max_attempts": attempts}, max_pool_connections=max_pool_connections,
                    connect_timeout=10, read_timeout=60)
    session = session or boto3.session.Session()
    kwargs: dict[str, Any] = {"region_name": REGION, "endpoint_url": endpoint_url or endpoint(env), "config": config}
    if env == "local" and session.get_credentials() is None:
        # The simulator checks no signature; a placeholder keeps botocore from refusing to sign.
        kwargs.update(aws_access_key_id="local", aws_secret_access_key="local")
    return session.client("mturk", **kwargs)


_ERROR_CODE = re.compile(r"^[A-Za-z.]+$")


def turk_code(exc: Exception) -> str:
    """MTurk's own error code (``AWS.MechanicalTurk.…``) of a botocore ClientError, or ''."""
    response = getattr(exc, "response", None) or {}
    code = response.get("TurkErrorCode") or ""
    return code if _ERROR_CODE.match(code or "") else ""


def message(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return (response.get("Error") or {}).get("Message") or str(exc)


def is_client_error(exc: BaseException) -> bool:
    # botocore comes with boto3, loaded only once a client is made (see make_client)
    from botocore.exceptions import ClientError

    return isinstance(exc, ClientError)


class MTurkError(WorkbenchError):
    """MTurk refused a request; ``turk_code`` is its reason, as MTurk names it."""

    code = "mturk_error"

    def __init__(self, operation: str, exc: Exception, **context: Any) -> None:
        self.turk_code = turk_code(exc)
        status = 404 if self.turk_code.endswith("DoesNotExist") else 409 if "State" in self.turk_code else 400
        self.status = status
        super().__init__(f"MTurk refused {operation}: {message(exc)}", reason=self.turk_code or None,
                         operation=operation, turk_code=self.turk_code or None, **context)


class MTurkUnreachable(WorkbenchError):
    """MTurk (or the local simulator) did not answer, even after botocore's retries."""

    status = 503
    code = "mturk_unreachable"


def call(client: Any, operation: str, **params: Any) -> dict[str, Any]:
    """Call one MTurk operation; a refusal becomes an MTurkError naming MTurk's reason."""
    # botocore comes with boto3, loaded only once a client is made (see make_client)
    from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError

    method = getattr(client, _snake(operation))
    try:
        return method(**params)
    except ClientError as exc:
        raise MTurkError(operation, exc) from exc
    except BotoConnectionError as exc:
        raise MTurkUnreachable(f"cannot reach MTurk at {client.meta.endpoint_url}: {exc}",
                               hint="for the local environment start `workbench mturk-sim` "
                                    "(MTURK_LOCAL_ENDPOINT says where it listens)") from exc


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower().replace("h_i_t", "hit").replace("_h_i_ts", "_hits")
