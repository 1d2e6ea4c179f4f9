"""Settings read from the environment: the workers' origin (and its first release's name) and the provider."""

from __future__ import annotations

import pytest

from workbench import config


@pytest.mark.parametrize("base, old, expected", [
    ("https://annotate.example.org/", "https://old.example.org", "https://annotate.example.org"),
    (None, " https://old.example.org/ ", "https://old.example.org"),   # the old name, read only when the new is unset
    (None, None, ""),
])
def test_public_base_url_prefers_the_new_name(monkeypatch, base, old, expected):
    for name, value in (("WORKBENCH_PUBLIC_BASE_URL", base), ("WORKBENCH_PUBLIC_URL", old)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert config.public_base_url() == expected


def test_the_provider_setting_defaults_to_mturk(monkeypatch):
    monkeypatch.delenv("WORKBENCH_PROVIDER", raising=False)
    assert config.provider() == "mturk"
    monkeypatch.setenv("WORKBENCH_PROVIDER", "  Prolific ")
    assert config.provider() == "prolific"
