"""The /v1 layer through the official `openai` client and raw SSE: what OpenAI-style code sees."""

from __future__ import annotations

import base64
import json
import re
import struct

import httpx
import openai
import pytest
from conftest import MODEL

# Short and reproducible: the same request gives the same answer streamed or not.
QUICK = {"max_tokens": 12, "seed": 7, "temperature": 0}
HAMBURGER = [{"role": "user", "content": "What is a hamburger?"}]


@pytest.fixture(scope="module")
def oai(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key="ollama", max_retries=0, timeout=120)


def envelope(err: openai.APIStatusError) -> dict:
    return err.response.json()


# -- models -----------------------------------------------------------------------------------------
def test_models_list_shows_the_bundled_model(oai):
    models = {m.id: m for m in oai.models.list().data}
    assert MODEL in models
    entry = models[MODEL]
    assert entry.object == "model" and entry.owned_by == "library"
    assert isinstance(entry.created, int) and entry.created > 1_600_000_000


def test_models_list_raw_shape(server):
    body = httpx.get(server.url + "/v1/models").json()
    assert body["object"] == "list" and isinstance(body["data"], list)
    assert set(body["data"][0]) == {"id", "object", "created", "owned_by"}


def test_models_retrieve(oai):
    model = oai.models.retrieve(MODEL)
    assert model.id == MODEL and model.object == "model" and model.owned_by == "library"
    assert oai.models.retrieve("SmolLM2:135M").id == MODEL  # found case-insensitively, named as stored


def test_unknown_model_retrieve_is_not_found(oai):
    with pytest.raises(openai.NotFoundError) as err:
        oai.models.retrieve("no-such-model")
    assert err.value.status_code == 404
    assert envelope(err.value) == {
        "error": {"message": "model 'no-such-model' not found", "type": "not_found_error", "param": None, "code": None}
    }


# -- chat completions -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def whole(oai):
    return oai.chat.completions.create(model=MODEL, messages=HAMBURGER, **QUICK)


def test_chat_completion_envelope(whole):
    assert whole.object == "chat.completion"
    assert re.fullmatch(r"chatcmpl-\d{1,3}", whole.id)
    assert whole.system_fingerprint == "fp_ollama"
    assert whole.model == MODEL
    assert isinstance(whole.created, int) and whole.created > 1_600_000_000
    assert len(whole.choices) == 1
    choice = whole.choices[0]
    assert choice.index == 0 and choice.message.role == "assistant"
    assert choice.message.content.strip()
    assert choice.finish_reason == "length", "max_tokens ran out"


def test_chat_completion_usage_is_consistent(whole):
    usage = whole.usage
    assert usage.completion_tokens == QUICK["max_tokens"]
    assert usage.prompt_tokens > 10  # the chat template wraps the question
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_same_seed_same_answer(oai, whole):
    again = oai.chat.completions.create(model=MODEL, messages=HAMBURGER, **QUICK)
    assert again.choices[0].message.content == whole.choices[0].message.content


def test_streaming_matches_the_whole_answer(oai, whole):
    chunks = list(
        oai.chat.completions.create(
            model=MODEL, messages=HAMBURGER, stream=True, stream_options={"include_usage": True}, **QUICK
        )
    )
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1 and chunks[0].id.startswith("chatcmpl-")
    assert all(c.system_fingerprint == "fp_ollama" and c.model == MODEL for c in chunks)

    with_choices = [c for c in chunks if c.choices]
    assert with_choices[0].choices[0].delta.role == "assistant"
    assert all(c.choices[0].delta.role is None for c in with_choices[1:]), "only the first delta has the role"
    text = "".join(c.choices[0].delta.content or "" for c in with_choices)
    assert text == whole.choices[0].message.content

    finishing = [c for c in with_choices if c.choices[0].finish_reason is not None]
    assert len(finishing) == 1 and finishing[0] is with_choices[-1]
    assert finishing[0].choices[0].finish_reason == "length"
    assert not finishing[0].choices[0].delta.content

    usage_chunk = chunks[-1]
    assert usage_chunk.choices == [] and usage_chunk.usage is not None
    assert usage_chunk.usage.prompt_tokens == whole.usage.prompt_tokens
    assert usage_chunk.usage.completion_tokens == whole.usage.completion_tokens == QUICK["max_tokens"]
    assert usage_chunk.usage.total_tokens == whole.usage.total_tokens
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_without_include_usage_has_no_usage_chunk(oai):
    chunks = list(
        oai.chat.completions.create(model=MODEL, messages=HAMBURGER, stream=True, **{**QUICK, "max_tokens": 4})
    )
    assert all(c.choices for c in chunks) and all(c.usage is None for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "length"


def test_raw_sse_ends_with_done(server):
    body = {
        "model": MODEL,
        "messages": HAMBURGER,
        "stream": True,
        "stream_options": {"include_usage": True},
        **{**QUICK, "max_tokens": 6},
    }
    response = httpx.post(server.url + "/v1/chat/completions", json=body, timeout=120)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    text = response.text
    assert text.endswith("data: [DONE]\n\n") and text.count("data: [DONE]") == 1
    events = text.split("\n\n")
    assert events[-1] == "" and all(e.startswith("data: ") for e in events[:-1])
    payloads = [json.loads(e[len("data: ") :]) for e in events[:-2]]
    assert payloads[0]["choices"][0]["delta"]["role"] == "assistant"
    assert payloads[-2]["choices"][0]["finish_reason"] == "length"
    assert payloads[-1]["choices"] == [] and payloads[-1]["usage"]["completion_tokens"] == 6


def test_stop_sequence_gives_finish_reason_stop(oai, whole):
    words = whole.choices[0].message.content.split()
    assert len(words) >= 2
    stopped = oai.chat.completions.create(model=MODEL, messages=HAMBURGER, stop=[words[1]], **QUICK)
    assert stopped.choices[0].finish_reason == "stop"
    assert words[1] not in stopped.choices[0].message.content
    assert whole.choices[0].message.content.startswith(stopped.choices[0].message.content)
    as_string = oai.chat.completions.create(model=MODEL, messages=HAMBURGER, stop=words[1], **QUICK)
    assert as_string.choices[0].message.content == stopped.choices[0].message.content


def test_content_parts_and_system_messages_are_accepted(oai):
    reply = oai.chat.completions.create(
        model=MODEL,
        **{**QUICK, "max_tokens": 4},
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": [{"type": "text", "text": "What is a hamburger?"}]},
        ],
    )
    assert reply.choices[0].message.content and reply.usage.prompt_tokens > 10


# -- structured output ---------------------------------------------------------------------------------
def test_response_format_json_object(oai):
    reply = oai.chat.completions.create(
        model=MODEL,
        response_format={"type": "json_object"},
        messages=[{"role": "user", "content": "Describe a cat as a JSON object."}],
        **{**QUICK, "max_tokens": 40},
    )
    content = reply.choices[0].message.content
    assert content.lstrip().startswith("{")
    if reply.choices[0].finish_reason == "stop":
        assert isinstance(json.loads(content), dict)


def test_response_format_json_schema(oai):
    schema = {
        "type": "object",
        "properties": {"category": {"type": "string", "enum": ["food", "tool", "animal"]}},
        "required": ["category"],
    }
    reply = oai.chat.completions.create(
        model=MODEL,
        response_format={"type": "json_schema", "json_schema": {"name": "category", "schema": schema}},
        messages=[{"role": "user", "content": "Categorise the keyword 'hamburger'."}],
        **{**QUICK, "max_tokens": 40},
    )
    assert reply.choices[0].finish_reason == "stop"
    assert json.loads(reply.choices[0].message.content)["category"] in {"food", "tool", "animal"}


# -- legacy completions ---------------------------------------------------------------------------------
def test_completions_endpoint(oai):
    reply = oai.completions.create(model=MODEL, prompt="The capital of France is", **{**QUICK, "max_tokens": 8})
    assert reply.object == "text_completion"
    assert re.fullmatch(r"cmpl-\d{1,3}", reply.id)
    assert reply.system_fingerprint == "fp_ollama" and reply.model == MODEL
    assert reply.choices[0].text and reply.choices[0].index == 0
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == 8
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + 8
    streamed = list(
        oai.completions.create(
            model=MODEL, prompt="The capital of France is", stream=True, **{**QUICK, "max_tokens": 8}
        )
    )
    assert all(c.object == "text_completion" for c in streamed)
    assert "".join(c.choices[0].text for c in streamed) == reply.choices[0].text
    assert streamed[-1].choices[0].finish_reason == "length"


# -- embeddings -----------------------------------------------------------------------------------------
def test_embeddings_float(oai):
    result = oai.embeddings.create(model=MODEL, input=["hamburger", "pizza"], encoding_format="float")
    assert result.object == "list" and result.model == MODEL
    assert [d.index for d in result.data] == [0, 1] and all(d.object == "embedding" for d in result.data)
    assert all(len(d.embedding) == 576 for d in result.data)
    assert abs(sum(x * x for x in result.data[0].embedding) - 1.0) < 1e-3
    assert result.data[0].embedding != result.data[1].embedding
    assert result.usage.prompt_tokens > 0 and result.usage.total_tokens == result.usage.prompt_tokens


def test_embeddings_base64_decode_to_the_float_vector(server, oai):
    floats = httpx.post(
        server.url + "/v1/embeddings",
        timeout=120,
        json={"model": MODEL, "input": "hamburger", "encoding_format": "float"},
    ).json()
    encoded = httpx.post(
        server.url + "/v1/embeddings",
        timeout=120,
        json={"model": MODEL, "input": "hamburger", "encoding_format": "base64"},
    ).json()
    raw = encoded["data"][0]["embedding"]
    assert isinstance(raw, str)
    packed = base64.b64decode(raw)
    assert len(packed) == 4 * 576
    decoded = struct.unpack("<576f", packed)  # little-endian float32, as OpenAI sends it
    expected = floats["data"][0]["embedding"]
    assert max(abs(a - b) for a, b in zip(decoded, expected)) < 1e-6
    # the openai client asks for base64 by default and decodes it itself
    default = oai.embeddings.create(model=MODEL, input="hamburger").data[0].embedding
    assert max(abs(a - b) for a, b in zip(default, expected)) < 1e-6


def test_embeddings_dimensions(oai):
    cut = oai.embeddings.create(model=MODEL, input="hamburger", dimensions=64, encoding_format="float")
    assert len(cut.data[0].embedding) == 64


# -- errors ---------------------------------------------------------------------------------------------
def test_unknown_model_is_not_found_with_openai_envelope(oai):
    with pytest.raises(openai.NotFoundError) as err:
        oai.chat.completions.create(model="nope", messages=HAMBURGER, max_tokens=4)
    assert envelope(err.value) == {
        "error": {"message": "model 'nope' not found", "type": "not_found_error", "param": None, "code": None}
    }
    assert err.value.type == "not_found_error"
    with pytest.raises(openai.NotFoundError):
        oai.completions.create(model="nope", prompt="x", max_tokens=4)
    with pytest.raises(openai.NotFoundError):
        oai.embeddings.create(model="nope", input="x")


def test_empty_messages_is_a_bad_request(oai):
    with pytest.raises(openai.BadRequestError) as err:
        oai.chat.completions.create(model=MODEL, messages=[])
    body = envelope(err.value)
    assert body["error"]["message"] == "[] is too short - 'messages'"
    assert body["error"]["type"] == "invalid_request_error"


def test_bad_encoding_format_is_a_400(server):
    response = httpx.post(
        server.url + "/v1/embeddings", timeout=30, json={"model": MODEL, "input": "x", "encoding_format": "int8"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "int8" in response.json()["error"]["message"]


def test_malformed_bodies_get_the_openai_envelope(server):
    for path in ("/v1/chat/completions", "/v1/completions", "/v1/embeddings"):
        response = httpx.post(server.url + path, content=b"{oops", timeout=30)
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "invalid_request_error"
