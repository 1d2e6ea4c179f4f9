"""The Prolific researcher API over httpx: which endpoint each environment means, the token, errors, retries.

``PROLIFIC_ENVIRONMENT=local|production`` (default ``local``: the simulator at ``PROLIFIC_ENDPOINT_URL``,
default ``http://127.0.0.1:8600``, or the ``endpoint_url`` passed). Prolific has no sandbox. The token comes
from ``PROLIFIC_API_TOKEN`` (``Authorization: Token <token>``) and is never logged; the local simulator takes
any, so a placeholder stands in there. Throttling (429) and 5xx answers are retried with backoff, except a
non-idempotent POST (``idempotent=False``: paying a bonus) whose outcome is unknown: it is never sent twice.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import httpx

from workbench.errors import ValidationError, WorkbenchError
from ..base import resolve_environment

ENVIRONMENTS = ("local", "production")
PRODUCTION = "https://api.prolific.com"
DEFAULT_LOCAL_ENDPOINT = "http://127.0.0.1:8600"
API = "/api/v1/"
log = logging.getLogger(__name__)


class ProductionNotConfirmed(WorkbenchError):
    """Acting on real money and real participants needs an explicit yes."""

    code = "production_not_confirmed"


class ProlificError(WorkbenchError):
    """Prolific refused a request; ``field`` names what it refused, when its answer says."""

    code = "prolific_error"

    def __init__(self, operation: str, status: int, body: Any) -> None:
        field, detail = _detail(body)
        self.status = 404 if status == 404 else 409 if status == 409 else 400
        self.http_status = status
        super().__init__(f"Prolific refused {operation}: {detail}", field=field, reason=detail,
                         operation=operation, http_status=status)


class ProlificUnreachable(WorkbenchError):
    """Prolific (or the local simulator) did not answer, even after retries; or a payment's outcome is unknown."""

    status = 503
    code = "prolific_unreachable"


def environment(name: str | None = None) -> str:
    """The environment asked for, or ``PROLIFIC_ENVIRONMENT``, or ``local``; checked."""
    return resolve_environment(name, "PROLIFIC_ENVIRONMENT", ENVIRONMENTS)


def endpoint(env: str) -> str:
    if env == "local":
        return os.environ.get("PROLIFIC_ENDPOINT_URL") or DEFAULT_LOCAL_ENDPOINT
    return PRODUCTION


def check_production(env: str, confirm_production: bool) -> None:
    if env == "production" and not confirm_production:
        raise ProductionNotConfirmed(
            "PROLIFIC_ENVIRONMENT is production: this would spend real money with real participants",
            field="environment", reason="production needs an explicit confirmation",
            hint="pass --confirm-production on the command line, or confirm_production=True in Python")


def _detail(body: Any) -> tuple[str | None, str]:
    """(field, message) of a Prolific 4xx body: ``{"error": ErrorDetail}``, a bare ErrorDetail, or field lists."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if isinstance(body, dict):
        detail = body.get("detail", body)
        if isinstance(detail, str):
            return None, detail
        if isinstance(detail, dict):
            for field, problems in detail.items():
                text = "; ".join(map(str, problems)) if isinstance(problems, list) else str(problems)
                return str(field), f"{field}: {text}"
        if isinstance(detail, list):
            return None, "; ".join(map(str, detail))
    return None, str(body)[:500]


class Client:
    """One Prolific account in one environment."""

    def __init__(self, env: str | None = None, *, confirm_production: bool = False, endpoint_url: str | None = None,
                 token: str | None = None, max_attempts: int = 5, backoff: float = 0.2, timeout: float = 30) -> None:
        self.environment = environment(env)
        check_production(self.environment, confirm_production)
        token = token or os.environ.get("PROLIFIC_API_TOKEN")
        if not token:
            if self.environment != "local":
                raise ValidationError("PROLIFIC_API_TOKEN", "is not set: Prolific's API needs a token",
                                      hint="create one under Settings → API tokens on Prolific")
            token = "local-placeholder"  # the simulator takes any non-empty token
        self.base_url = (endpoint_url or endpoint(self.environment)).rstrip("/")
        self.max_attempts, self.backoff = max(1, max_attempts), backoff
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout,
                                 headers={"Authorization": f"Token {token}"})
        self._workspace: str | None = None

    def __repr__(self) -> str:  # the token is never shown
        return f"<prolific.Client {self.environment} {self.base_url}>"

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                idempotent: bool | None = None, response_headers: dict | None = None) -> Any:
        """Call ``/api/v1/<path>``; a 4xx becomes a ProlificError naming the field, 429/5xx are retried.

        ``idempotent`` (default: not a POST) says a call may be repeated; a non-idempotent call is sent
        once, and a lost answer is reported as unknown, never retried. ``response_headers``, when given, is
        filled with the successful answer's headers (a subscription's ``X-Hook-Secret``)."""
        idempotent = method != "POST" if idempotent is None else idempotent
        operation = f"{method} {path}"
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.http.request(method, API + path.lstrip("/"), json=json, params=params)
            except httpx.TransportError as exc:
                sent = not isinstance(exc, httpx.ConnectError)
                if sent and not idempotent:
                    raise ProlificUnreachable(f"{operation}: the answer was lost ({exc.__class__.__name__}); "
                                              "it may have been done, so it is not sent again",
                                              operation=operation, outcome="unknown") from exc
                if attempt == self.max_attempts:
                    raise ProlificUnreachable(f"cannot reach Prolific at {self.base_url}: {exc}", operation=operation,
                                              hint="for the local environment start `workbench prolific-sim` "
                                                   "(PROLIFIC_ENDPOINT_URL says where it listens)") from exc
            else:
                status = response.status_code
                if status == 429 or status >= 500:
                    if not idempotent and status != 429:
                        raise ProlificUnreachable(f"{operation}: Prolific answered {status}; the outcome is unknown, "
                                                  "so it is not sent again", operation=operation, outcome="unknown")
                    if attempt == self.max_attempts:
                        raise ProlificUnreachable(f"{operation}: Prolific answered {status} {attempt} times",
                                                  operation=operation)
                elif status >= 400:
                    try:
                        body = response.json()
                    except ValueError:
                        body = response.text
                    raise ProlificError(operation, status, body)
                else:
                    if response_headers is not None:
                        response_headers.update(response.headers)
                    if not response.content:
                        return None
                    try:
                        return response.json()
                    except ValueError:
                        return response.text
            log.debug("retrying %s (attempt %d)", operation, attempt)
            time.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: Any = None, *, idempotent: bool | None = None) -> Any:
        return self.request("POST", path, json=body if body is not None else {}, idempotent=idempotent)

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, json=body, idempotent=True)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path, idempotent=True)

    def listing(self, path: str, **params: Any) -> list[dict]:
        """Every result of a paginated list (``_links.next``)."""
        out: list[dict] = []
        page = self.get(path, **params)
        while True:
            out.extend(page.get("results") or [])
            nxt = ((page.get("_links") or {}).get("next") or {}).get("href")
            if not nxt:
                return out
            path, query = self._same_api(nxt)
            page = self.get(path, **query)

    def _same_api(self, href: str) -> tuple[str, dict]:
        """The path under ``/api/v1/`` and the query of a ``_links`` URL; a link elsewhere (another host or scheme,
        which would receive the token) is refused."""
        link, base = httpx.URL(href), httpx.URL(self.base_url)
        if (link.scheme, link.host, link.port) != (base.scheme, base.host, base.port) or \
                not link.path.startswith(API):
            raise ProlificUnreachable(f"Prolific's next page is outside its API ({href!r}); not followed",
                                      field="_links.next", reason="outside the API")
        return link.path[len(API):], dict(link.params)

    def workspace_id(self) -> str:
        """The researcher's first workspace (groups and the balance belong to one)."""
        if self._workspace is None:
            spaces = self.listing("workspaces/")
            if not spaces:
                raise ValidationError("workspace", "the Prolific account has no workspace")
            self._workspace = spaces[0]["id"]
        return self._workspace
