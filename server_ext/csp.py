"""The worker pages' and the collaboration page's Content-Security-Policy, and the turkSubmitTo check.

Scripts and styles come only from this server (and the plugins CDN when one is set);
no inline script runs. Framing is allowed only for MTurk's worker and sandbox worker
sites and the configured origins. The answer form may be posted only to MTurk (or a
configured or loopback origin: the local simulator).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from workbench.errors import ValidationError

MTURK_FRAME_ANCESTORS = ("https://worker.mturk.com", "https://workersandbox.mturk.com")
MTURK_SUBMIT_ORIGINS = ("https://www.mturk.com", "https://workersandbox.mturk.com")


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_submit_to(turk_submit_to: str, extra: list[str] | tuple[str, ...] = ()) -> str:
    """The origin of a valid turkSubmitTo; ValidationError for anything else."""
    found = origin(turk_submit_to)
    allowed = {o.rstrip("/").lower() for o in (*MTURK_SUBMIT_ORIGINS, *extra)}
    if found is None or urlsplit(turk_submit_to).path.strip("/") or urlsplit(turk_submit_to).query:
        raise ValidationError("turkSubmitTo", "must be an origin such as https://www.mturk.com")
    if found not in allowed and not _loopback(urlsplit(found).hostname or ""):
        raise ValidationError("turkSubmitTo", "is not an MTurk address (nor a configured one)")
    return found


def _policy(code_origins: tuple[str, ...], media_origins: tuple[str, ...], *, form_action: str,
            frame_ancestors: tuple[str, ...]) -> str:
    """The policy both kinds of page share; they differ only in where forms go and who may frame them."""
    code = " ".join(("'self'", *code_origins))
    media = " ".join(("'self'", "data:", "blob:", *media_origins))
    return "; ".join([
        "default-src 'none'",
        f"script-src {code}",
        f"style-src {code}",
        f"font-src {code}",
        f"img-src {media}",
        f"media-src {media}",
        "connect-src 'self'",
        f"form-action {form_action}",
        "frame-ancestors " + " ".join(dict.fromkeys(frame_ancestors)),
        "base-uri 'none'",
        "object-src 'none'",
    ])


def worker_policy(*, frame_ancestors: list[str] | tuple[str, ...] = (), form_origins: tuple[str, ...] = (),
                  code_origins: tuple[str, ...] = (), media_origins: tuple[str, ...] = ()) -> str:
    """The CSP header of a worker page."""
    return _policy(code_origins, media_origins, form_action=" ".join(dict.fromkeys(("'self'", *form_origins))),
                   frame_ancestors=(*MTURK_FRAME_ANCESTORS, *frame_ancestors))


def bundle_origins(bundle: dict[str, Any] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The other origins a page showing ``bundle`` loads from: (plugin code, asset media)."""
    plugin = (bundle or {}).get("plugin") or {}
    code = tuple(sorted({o for o in map(origin, [*plugin.get("js", []), *plugin.get("css", [])]) if o}))
    asset = (bundle or {}).get("asset") or {}
    media = tuple(o for o in [origin(asset.get("url", ""))] if o)
    return code, media


def collab_policy(*, code_origins: tuple[str, ...] = (), media_origins: tuple[str, ...] = ()) -> str:
    """The CSP header of the collaboration page: its socket, and the task's plugin and asset when it labels
    (audio and video included, as on a worker page). It posts no form."""
    return _policy(code_origins, media_origins, form_action="'none'",
                   frame_ancestors=("'self'", *MTURK_FRAME_ANCESTORS))
