"""Agents: the local agent is deterministic; the OpenAI-compatible one against a local server that speaks the API."""

from __future__ import annotations

import json
import logging

import pytest

from workbench.collab import agents, sessions
from workbench.collab.paradigms import word_guessing

from .fake_openai import FakeOpenAI
from .wsclient import Client, join


def test_the_local_agent_is_deterministic_and_plays_legal_moves():
    state = word_guessing.new_state({}, seed=5)
    one = agents.LocalAgent(paradigm="word_guessing", role="hinter", seed=9)
    two = agents.LocalAgent(paradigm="word_guessing", role="hinter", seed=9)
    first, second = one.observe(state, []), two.observe(state, [])
    assert (first.act, first.say) == (second.act, second.say)
    word_guessing.apply(state, "hinter", first.act)  # legal
    guesser = agents.LocalAgent(paradigm="word_guessing", role="guesser", seed=9)
    assert guesser.observe(state, []).act is None  # not its turn
    chatty = guesser.observe(state, [{"kind": "human", "role": "hinter", "text": "hi", "seq": 1}])
    assert chatty.say in agents.LocalAgent.REPLIES and chatty.prompt_tokens > 0


def test_openai_backend_sends_the_prompt_and_reads_action_usage_and_latency(monkeypatch, caplog):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-123")
    state = word_guessing.new_state({}, seed=5)
    reply = lambda body: 'Sure! {"say": "Try this one.", "act": {"kind": "hint", "word": "clue"}}'  # noqa: E731
    with FakeOpenAI(reply) as api:
        monkeypatch.setenv("OPENAI_BASE_URL", api.url)
        agent = agents.make("openai", paradigm="word_guessing", role="hinter", model="tiny-model", persona="Be kind.")
        with caplog.at_level(logging.DEBUG):
            turn = agent.observe(state, [{"role": "guesser", "text": "ready?", "kind": "human"}])
    assert turn.error is None and turn.act == {"kind": "hint", "word": "clue"} and turn.say == "Try this one."
    assert (turn.prompt_tokens, turn.completion_tokens) == (42, 7) and turn.latency_ms > 0
    sent = api.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["body"]["model"] == "tiny-model"
    assert sent["body"]["messages"][0]["content"].startswith("Be kind.") and "ready?" in sent["body"]["messages"][1]["content"]
    assert api.headers[0]["Authorization"] == "Bearer sk-test-secret-123"
    record = json.dumps(turn.call_record())
    assert "sk-test-secret-123" not in record + caplog.text + repr(agent)


@pytest.mark.parametrize("mode, error", [("error", "http 500"), ("garbage", "KeyError"), ("slow", "timeout")])
def test_openai_failures_become_turns_with_errors(monkeypatch, mode, error):
    with FakeOpenAI() as api:
        api.mode = mode
        agent = agents.OpenAIChatAgent(paradigm="word_guessing", role="hinter", model="m", base_url=api.url,
                                       api_key="k", timeout=0.5)
        turn = agent.observe(word_guessing.new_state({}, seed=1), [])
    assert turn.error.startswith(error) and turn.act is None


async def test_a_failing_agent_is_logged_and_the_session_goes_on(collab_store, jp_fetch, jp_http_port, jp_base_url,
                                                                monkeypatch):
    with FakeOpenAI() as api:
        api.mode = "error"
        monkeypatch.setenv("OPENAI_BASE_URL", api.url)
        with collab_store.transaction() as s:
            sessions.create_study(s, "llm", {"paradigm": "word_guessing",
                                             "agent": {"backend": "openai", "model": "m", "timeout_s": 2}})
        seat = await join(jp_fetch, "llm", "W1", "A1")
        me = await Client.open(jp_http_port, jp_base_url, seat["session"], seat["token"])
        await me.until(lambda f: f["type"] == "notice")
        await me.send({"type": "chat", "text": "are you there?", "client_id": "q"})
        assert (await me.until(lambda f: f.get("client_id") == "q"))["text"] == "are you there?"
        api.mode = "ok"
        api.reply = lambda body: json.dumps({"say": "Sorry, here I am.", "act": {"kind": "hint", "word": "clue"}})
        state = await me.until(lambda f: f["type"] == "state")
        assert state["state"]["hints"] == ["clue"] and state["status"] == "active"
        me.close()
    import asyncio
    await asyncio.sleep(0.2)
    from workbench import events
    with collab_store.session() as s:
        calls = [e.payload for e in events.query(s, type="collab.agent_call")]
        assert any(c["error"] and c["error"].startswith("http 500") for c in calls)
        assert any(c["error"] is None and c["prompt_tokens"] == 42 for c in calls)
        agent = [p for p in sessions.get(s, seat["session"]).participants if p.kind == "agent"][0]
        assert agent.backend == "openai" and agent.model == "m" and "hinter" in agent.prompts["system"]
