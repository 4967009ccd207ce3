"""Ollama 0.33's request features through the official clients: logprobs, think levels, ps, embed.

Each check compares with what Ollama 0.33 answers (server/routes.go, api/types.go,
openai/openai.go): the same fields, statuses and error texts.
"""

from __future__ import annotations

import math

import httpx
import ollama
import openai
import pytest
from conftest import MODEL, QUICK

from lessons_lib.ollama_cli import CLIENT_VERSION
from lessons_lib.ollama_server.protocol import OLLAMA_VERSION

HI = [{"role": "user", "content": "Say hi"}]


def post(server, path: str, body: dict) -> httpx.Response:
    return httpx.post(server.url + path, json=body, timeout=300)


def test_version_is_ollama_033_everywhere(server):
    assert OLLAMA_VERSION.startswith("0.33.")
    assert httpx.get(server.url + "/api/version").json() == {"version": OLLAMA_VERSION}
    assert httpx.head(server.url + "/api/version").status_code == 200
    assert CLIENT_VERSION == OLLAMA_VERSION  # `ollama --version` prints no client-version warning


# -- logprobs ---------------------------------------------------------------------------------------
def check_logprobs(entries, top: int) -> None:
    assert entries, "no logprobs"
    for entry in entries:
        assert entry.logprob <= 0 and math.isfinite(entry.logprob)
        if top:
            alts = entry.top_logprobs
            assert len(alts) == top
            assert [a.logprob for a in alts] == sorted((a.logprob for a in alts), reverse=True)
            # the model's own distribution: nothing outranks the best alternative
            assert alts[0].logprob >= entry.logprob - 1e-9
            assert sum(math.exp(a.logprob) for a in alts) <= 1 + 1e-6
        else:
            assert not entry.top_logprobs


def test_generate_logprobs_match_the_tokens_and_greedy_picks_the_best(client):
    result = client.generate(MODEL, "Say hi", options=QUICK, logprobs=True, top_logprobs=3)
    check_logprobs(result.logprobs, 3)
    assert "".join(e.token for e in result.logprobs) == result.response
    for entry in result.logprobs:  # temperature 0 is greedy: the chosen token is the most likely
        assert entry.token == entry.top_logprobs[0].token
        assert entry.logprob == pytest.approx(entry.top_logprobs[0].logprob)
    # logprobs are computed, not remembered: the same request gives the same values
    again = client.generate(MODEL, "Say hi", options=QUICK, logprobs=True, top_logprobs=3)
    assert [e.logprob for e in again.logprobs] == pytest.approx([e.logprob for e in result.logprobs], abs=1e-4)


def test_chat_logprobs_stream_and_without_top(client):
    entries = []
    for part in client.chat(MODEL, HI, options=QUICK, logprobs=True, stream=True):
        entries.extend(part.logprobs or [])
    check_logprobs(entries, 0)
    plain = client.chat(MODEL, HI, options=QUICK)
    assert not plain.logprobs  # only when asked
    assert "".join(e.token for e in entries) == plain.message.content


def test_logprobs_errors_are_ollamas(server):
    for top in (21, -1):
        response = post(server, "/api/chat", {"model": MODEL, "messages": HI, "logprobs": True, "top_logprobs": top})
        assert response.status_code == 400
        assert response.json() == {"error": "top_logprobs must be between 0 and 20"}
    response = post(server, "/api/generate", {"model": MODEL, "prompt": "x", "logprobs": "yes"})
    assert response.status_code == 400 and "cannot unmarshal string" in response.json()["error"]


def test_openai_logprobs(server):
    oai = openai.OpenAI(base_url=server.url + "/v1", api_key="ollama", max_retries=0, timeout=300)
    chat = oai.chat.completions.create(
        model=MODEL, messages=HI, max_tokens=4, temperature=0, seed=7, logprobs=True, top_logprobs=2
    )
    content = chat.choices[0].logprobs.content
    assert "".join(t.token for t in content) == chat.choices[0].message.content
    assert all(len(t.top_logprobs) == 2 and t.bytes == list(t.token.encode()) for t in content)
    streamed = oai.chat.completions.create(
        model=MODEL, messages=HI, max_tokens=4, temperature=0, seed=7, logprobs=True, stream=True
    )
    tokens = [t.token for chunk in streamed for c in chunk.choices if c.logprobs for t in c.logprobs.content]
    assert tokens == [t.token for t in content]
    completion = oai.completions.create(model=MODEL, prompt="Say hi", max_tokens=3, temperature=0, logprobs=2)
    raw = completion.model_dump()["choices"][0]["logprobs"]
    assert len(raw["content"]) == 3 and all(len(t["top_logprobs"]) == 2 for t in raw["content"])


# -- think ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["low", "medium", "high", True])
def test_think_levels_are_refused_by_a_model_without_thinking(client, level):
    with pytest.raises(ollama.ResponseError) as err:
        client.chat(MODEL, HI, think=level, options=QUICK)
    assert err.value.status_code == 400 and err.value.error == f'"{MODEL}" does not support thinking'


def test_think_values_are_decoded_as_ollama_does(server):
    help_text = '("high", "medium", "low", "max", true, or false)'
    bad = post(server, "/api/generate", {"model": MODEL, "prompt": "x", "think": "huge"})
    assert bad.status_code == 400
    assert bad.json() == {"error": f'invalid think value: "huge" (must be {help_text[1:-1]})'}
    bad = post(server, "/api/chat", {"model": MODEL, "messages": HI, "think": 1})
    assert bad.status_code == 400 and bad.json() == {"error": f"think must be a boolean or string {help_text}"}
    off = post(
        server, "/api/generate", {"model": MODEL, "prompt": "x", "think": False, "stream": False, "options": QUICK}
    )
    assert off.status_code == 200 and "thinking" not in off.json()
    oai = openai.OpenAI(base_url=server.url + "/v1", api_key="ollama", max_retries=0)
    with pytest.raises(openai.BadRequestError) as err:
        oai.chat.completions.create(model=MODEL, messages=HI, reasoning_effort="extreme")  # type: ignore[arg-type]
    assert "invalid reasoning value" in err.value.response.json()["error"]["message"]


# -- ps and embed -----------------------------------------------------------------------------------
def test_ps_reports_the_context_length(client):
    client.generate(MODEL, "", options={"num_ctx": 1024})
    loaded = {m.model: m for m in client.ps().models}
    assert loaded[MODEL].context_length == 1024


def test_embed_dimensions_and_truncate(client, server):
    full = client.embed(MODEL, "hamburger").embeddings[0]
    cut = client.embed(MODEL, "hamburger", dimensions=8).embeddings[0]
    norm = math.sqrt(sum(x * x for x in full[:8]))
    assert cut == pytest.approx([x / norm for x in full[:8]], abs=1e-6)  # cut, then normalised again
    assert len(client.embed(MODEL, "hamburger", dimensions=10_000).embeddings[0]) == len(full)
    assert client.embed(MODEL, "hamburger", dimensions=0).embeddings[0] == pytest.approx(full)
    long_text = "hamburger " * 300
    body = {"model": MODEL, "input": long_text, "options": {"num_ctx": 64}}
    assert post(server, "/api/embed", body).status_code == 200  # truncated silently by default
    refused = post(server, "/api/embed", {**body, "truncate": False})
    assert refused.status_code == 400 and refused.json() == {"error": "the input length exceeds the context length"}
    for key, value, go_type in (("dimensions", "8", "int"), ("dimensions", 2.5, "int"), ("truncate", "no", "bool")):
        bad = post(server, "/api/embed", {"model": MODEL, "input": "x", key: value})
        assert bad.status_code == 400 and bad.json()["error"].endswith(f"EmbedRequest.{key} of type {go_type}")
