"""The worker pages' CSP: which origins may frame a page and where its answer form may go, and the settings' form."""

from __future__ import annotations

import pytest

from server_ext import csp


def test_mturk_may_frame_the_page_and_its_form_may_reach_mturk_s_sites():
    # turkSubmitTo is https://www.mturk.com in production, https://workersandbox.mturk.com in the sandbox, and the
    # worker site is https://worker.mturk.com (AWS MTurk API reference, "ExternalQuestion"; MTurk answers the form
    # at www.mturk.com with a redirect to its worker site, which form-action must allow too).
    policy = csp.worker_policy(form_origins=csp.mturk_form_origins("https://www.mturk.com"))
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["frame-ancestors"].split() == ["https://worker.mturk.com", "https://workersandbox.mturk.com"]
    assert set(directives["form-action"].split()) == {"'self'", "https://www.mturk.com", "https://worker.mturk.com",
                                                      "https://workersandbox.mturk.com"}
    configured = csp.mturk_form_origins("http://127.0.0.1:8443", ["https://panel.example.org"])
    assert configured[0] == "http://127.0.0.1:8443" and "https://panel.example.org" in configured


@pytest.mark.parametrize("value, wildcard, expected", [
    ("https://annotate.example.org", False, "https://annotate.example.org"),
    ("HTTPS://Annotate.Example.org/", False, "https://annotate.example.org"),
    ("http://127.0.0.1:8443", False, "http://127.0.0.1:8443"),
    ("https://[::1]:8443", False, "https://[::1]:8443"),
    ("https://*.example.org", True, "https://*.example.org"),
])
def test_origin_settings_taken(value, wildcard, expected):
    assert csp.origin_setting("frame_ancestors", value, wildcard=wildcard) == expected


@pytest.mark.parametrize("value, wildcard", [
    ('["https://x.example"]', True), ("https://x.example/path", True), ("x.example", True), ("ftp://x.example", True),
    ("https://x.example?q=1", True), ("https://user@x.example", True), ("https://x.example:99999", True),
    ("https://*", True), ("https://*.example.org", False), ("https://a b", True), ("'self'", True), ("", True),
])
def test_origin_settings_refused(value, wildcard):
    with pytest.raises(ValueError, match="is not an origin"):
        csp.origin_setting("frame_ancestors", value, wildcard=wildcard)
