"""The token buckets (``server_ext.ratelimit``) and their two users: worker submissions (per IP address and per
worker, see also ``test_worker.test_rate_limits``) and the frames of one collaboration socket."""

from __future__ import annotations

import pytest

from server_ext.handlers import collab
from server_ext.ratelimit import TokenBuckets, retry_after
from tests.collab.wsclient import Client, join
from workbench.collab import sessions


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_its_rate():
    clock = Clock()
    buckets = TokenBuckets(2.0, 3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)  # empty: one token comes back in 1/rate seconds
    assert buckets.take("b") == 0.0  # each key has its own bucket
    clock.now += 0.5
    assert buckets.take("a") == 0.0
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now += 60  # a long pause refills the burst, no more
    assert [buckets.take("a") for _ in range(4)][-1] > 0


def test_a_refused_request_takes_no_token():
    clock = Clock()
    buckets = TokenBuckets(1.0, 1, clock=clock)
    assert buckets.take("a") == 0.0
    clock.now += 0.5
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.take("a") == 0.0


def test_no_rate_no_limit_and_the_oldest_keys_are_forgotten():
    assert not TokenBuckets(0, 1).enabled
    assert all(TokenBuckets(0, 1).take("a") == 0.0 for _ in range(100))
    clock = Clock()
    buckets = TokenBuckets(0.001, 1, max_keys=2, clock=clock)
    assert buckets.take("a") == buckets.take("b") == 0.0
    assert buckets.take("c") == 0.0  # "a" is forgotten: it starts again with a full bucket
    assert buckets.take("a") == 0.0 and buckets.take("c") > 0


def test_retry_after_is_whole_seconds_at_least_one():
    assert [retry_after(w) for w in (0.0, 0.2, 1.0, 1.01, 29.5)] == ["1", "1", "1", "2", "30"]


@pytest.fixture
def few_frames(monkeypatch):
    """A socket may send three frames (the hello among them), then one every 1000 seconds."""
    monkeypatch.setattr(collab, "BURST", 3)
    monkeypatch.setattr(collab, "RATE", 0.001)


async def test_a_socket_past_its_frames_gets_an_error_and_stays(few_frames, wb_store, jp_fetch, jp_http_port,
                                                                jp_base_url):
    with wb_store.transaction() as s:
        sessions.create_study(s, "duo", {"paradigm": "word_guessing"})
    seat = await join(jp_fetch, "duo", "W1", "A1")
    me = await Client.open(jp_http_port, jp_base_url, seat["session"], seat["token"])  # frame 1: hello
    await me.until(lambda f: f["type"] == "welcome")
    for n in (2, 3):
        await me.send({"type": "ping", "client_id": f"p{n}"})
        assert (await me.until(lambda f: f["type"] == "pong"))["client_id"] == f"p{n}"
    await me.send({"type": "ping", "client_id": "p4"})
    error = await me.until(lambda f: f["type"] in ("error", "pong"))
    assert error["type"] == "error" and error["field"] == "frame" and "too many frames" in error["reason"]
    # A second socket has a bucket of its own, and the first is still open.
    other = await Client.open(jp_http_port, jp_base_url, seat["session"], seat["token"])
    await other.send({"type": "ping", "client_id": "q"})
    assert (await other.until(lambda f: f["type"] == "pong"))["client_id"] == "q"
    assert me.conn.close_code is None
    me.close()
    other.close()
