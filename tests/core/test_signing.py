import os
import stat

import pytest

from workbench import config
from workbench.study import signing


def test_sign_verify_round_trip():
    link = signing.sign("asset:1", expires_in=60)
    signing.verify("asset:1", link["exp"], link["sig"])


@pytest.mark.parametrize("message, exp_shift, sig, reason", [
    ("asset:2", 0, None, "does not match"),
    ("asset:1", 0, "0" * 64, "does not match"),
    ("asset:1", -120, None, "expired"),
])
def test_verify_refuses(message, exp_shift, sig, reason):
    link = signing.sign("asset:1", expires_in=60, now=1_000_000 + exp_shift)
    with pytest.raises(signing.SignatureError) as info:
        signing.verify(message, link["exp"], sig or link["sig"], now=1_000_000)
    assert info.value.reason == reason
    assert info.value.status == 403


def test_missing_and_malformed():
    with pytest.raises(signing.SignatureError, match="not signed"):
        signing.verify("x", None, "abc")
    with pytest.raises(signing.SignatureError, match="malformed"):
        signing.verify("x", "12a", "abc")


def test_generated_secret_is_kept_private(monkeypatch):
    monkeypatch.delenv(signing.SECRET_ENV, raising=False)
    first = signing.secret()
    path = config.home() / "secret"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert signing.secret() == first and len(first) == 64


def test_environment_secret_wins(monkeypatch):
    monkeypatch.setenv(signing.SECRET_ENV, "from-env")
    link = signing.sign("m")
    monkeypatch.setenv(signing.SECRET_ENV, "other")
    with pytest.raises(signing.SignatureError):
        signing.verify("m", link["exp"], link["sig"])
    assert not (config.home() / "secret").exists()
