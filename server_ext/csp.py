"""The worker pages' and the collaboration page's Content-Security-Policy, and the turkSubmitTo check.

Scripts and styles come only from this server (and the plugins CDN when one is set);
no inline script runs. Framing is allowed only for MTurk's worker and sandbox worker
sites and the configured origins. The answer form may be posted only to MTurk (or a
configured or loopback origin: the local simulator), and may land on any of MTurk's own
sites: MTurk answers the form at ``turkSubmitTo`` (www.mturk.com) with a redirect to its
worker site, and a browser applies ``form-action`` to every hop of that redirect.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from workbench.errors import ValidationError

MTURK_FRAME_ANCESTORS = ("https://worker.mturk.com", "https://workersandbox.mturk.com")
# turkSubmitTo is https://www.mturk.com in production and https://workersandbox.mturk.com in the sandbox (AWS MTurk
# API reference, "ExternalQuestion").
MTURK_SUBMIT_ORIGINS = ("https://www.mturk.com", "https://workersandbox.mturk.com")
# Where the posted form may go next: MTurk's own sites, production and sandbox.
MTURK_FORM_ORIGINS = ("https://www.mturk.com", "https://worker.mturk.com", "https://workersandbox.mturk.com")


_HOST = re.compile(r"^([a-z0-9-]+(\.[a-z0-9-]+)*\.?|[0-9a-f:.]+)$")


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, else None.

    Built from the parsed host and port, never copied from the URL: the origin goes into a CSP header, where a
    user-info part or a host with ``;`` in it would add directives of its own.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not _HOST.match(host) or parts.username is not None:
        return None
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port is not None else "")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# scheme://host[:port] with an optional "*." (frame-ancestors only) and an optional trailing slash.
_ORIGIN_SETTING = re.compile(r"^https?://(\*\.)?([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:(\d{1,5}))?/?$")


def origin_setting(name: str, value: str, *, wildcard: bool = False) -> str:
    """A configured origin (``https://host[:port]``; ``https://*.host`` too if ``wildcard``), lowercased; else a
    ValueError naming the setting and the form it takes. The value goes into the CSP header, where a malformed
    source would silently refuse every frame or form."""
    text = value.strip().lower() if isinstance(value, str) else ""
    match = _ORIGIN_SETTING.match(text)
    if match is None or (match.group(1) and not wildcard) or int(match.group(5) or 1) > 65535:
        example = "https://annotate.example.org" + (" or https://*.example.org" if wildcard else "")
        raise ValueError(f"WorkbenchApp.{name}: {value!r} is not an origin; give each as {example} (scheme and "
                         f"host, no path), e.g. --WorkbenchApp.{name}=https://annotate.example.org")
    return text.rstrip("/")


def check_submit_to(turk_submit_to: str, extra: list[str] | tuple[str, ...] = ()) -> str:
    """The origin of a valid turkSubmitTo; ValidationError for anything else."""
    found = origin(turk_submit_to)
    allowed = {o.rstrip("/").lower() for o in (*MTURK_SUBMIT_ORIGINS, *extra)}
    if found is None or urlsplit(turk_submit_to).path.strip("/") or urlsplit(turk_submit_to).query:
        raise ValidationError("turkSubmitTo", "must be an origin such as https://www.mturk.com")
    if found not in allowed and not _loopback(urlsplit(found).hostname or ""):
        raise ValidationError("turkSubmitTo", "is not an MTurk address (nor a configured one)")
    return found


def mturk_form_origins(turk_submit_to: str, configured: list[str] | tuple[str, ...] = ()) -> tuple[str, ...]:
    """Where an MTurk worker page's answer form may go: the page's own turkSubmitTo, MTurk's sites, the configured."""
    return tuple(dict.fromkeys((turk_submit_to, *MTURK_FORM_ORIGINS, *configured)))


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
