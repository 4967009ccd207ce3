"""/v1/messages through the `anthropic` SDK and /v1/responses through `openai`, as Ollama 0.33 serves
them (middleware/anthropic.go, openai/responses.go): answers, streams, errors."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest
from conftest import MODEL

ASK = [{"role": "user", "content": "What is a hamburger?"}]
GREEDY = {"temperature": 0, "seed": 7}  # the anthropic SDK has no temperature argument any more


@pytest.fixture(scope="module")
def claude(server) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.url, api_key="ollama", max_retries=0, timeout=300)


@pytest.fixture(scope="module")
def oai(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key="ollama", max_retries=0, timeout=300)


def test_messages_answer_and_stream_agree(claude):
    message = claude.messages.create(
        model=MODEL, max_tokens=8, system="Answer briefly.", messages=ASK, extra_body=GREEDY
    )  # type: ignore[arg-type]
    assert message.type == "message" and message.role == "assistant" and message.id.startswith("msg_")
    assert message.stop_reason == "max_tokens" and message.usage.output_tokens == 8
    assert message.usage.input_tokens > 5 and message.content[0].type == "text"
    text = message.content[0].text
    with claude.messages.stream(
        model=MODEL, max_tokens=8, system="Answer briefly.", messages=ASK, extra_body=GREEDY
    ) as stream:  # type: ignore[arg-type]
        streamed = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert streamed == text and final.content[0].text == text
    assert final.stop_reason == "max_tokens" and final.usage.output_tokens == 8


def test_messages_history_blocks_and_thinking_relaxed(claude):
    history = [
        {"role": "user", "content": [{"type": "text", "text": "My name is Ola."}]},
        {"role": "assistant", "content": "Hello Ola!"},
        {"role": "user", "content": "What is my name?"},
    ]
    # thinking on a model without it is switched off here, not refused (Ollama's relax_thinking)
    message = claude.messages.create(
        model=MODEL,
        max_tokens=6,
        messages=history,
        thinking={"type": "enabled", "budget_tokens": 1024},
        extra_body=GREEDY,
    )  # type: ignore[arg-type]
    assert [b.type for b in message.content] == ["text"]


def test_messages_errors_use_anthropics_envelope(claude, server):
    with pytest.raises(anthropic.NotFoundError) as err:
        claude.messages.create(model="nope:1", max_tokens=4, messages=ASK)  # type: ignore[arg-type]
    assert err.value.body["error"] == {"type": "not_found_error", "message": "model 'nope:1' not found"}
    cases = [
        ({"model": MODEL, "messages": ASK}, "max_tokens is required and must be positive"),
        ({"model": MODEL, "max_tokens": 4, "messages": []}, "messages is required"),
        ({"max_tokens": 4, "messages": ASK}, "model is required"),
        (
            {"model": MODEL, "max_tokens": 4, "messages": [{"role": "assistant", "content": [{"type": "tool_use"}]}]},
            "tool_use block missing required 'id' field",
        ),
    ]
    for body, message in cases:
        response = httpx.post(server.url + "/v1/messages", json=body, timeout=60)
        assert response.status_code == 400
        payload = response.json()
        assert payload["type"] == "error" and payload["request_id"].startswith("req_")
        assert payload["error"] == {"type": "invalid_request_error", "message": message}


def test_responses_answer_and_stream_agree(oai):
    response = oai.responses.create(
        model=MODEL, input="What is a hamburger?", instructions="Answer briefly.", max_output_tokens=8, temperature=0
    )
    assert response.object == "response" and response.status == "completed" and response.id.startswith("resp_")
    assert response.store is False and response.previous_response_id is None
    assert response.usage.output_tokens == 8 and response.output[0].type == "message"
    kinds = []
    with oai.responses.stream(
        model=MODEL, input="What is a hamburger?", instructions="Answer briefly.", max_output_tokens=8, temperature=0
    ) as stream:
        for event in stream:
            kinds.append(event.type)
        final = stream.get_final_response()
    assert final.output_text == response.output_text
    assert kinds[:2] == ["response.created", "response.in_progress"] and kinds[-1] == "response.completed"
    assert "response.output_text.delta" in kinds and "response.output_item.done" in kinds


def test_responses_input_items_and_errors(oai, server):
    items = [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "My name is Ola."}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hello Ola!"}]},
        {"role": "user", "content": "What is my name?"},
    ]
    response = oai.responses.create(model=MODEL, input=items, max_output_tokens=4, temperature=0)  # type: ignore[arg-type]
    assert response.output_text
    with pytest.raises(openai.NotFoundError):
        oai.responses.create(model="nope:1", input="x")
    bad = httpx.post(server.url + "/v1/responses", json={"model": MODEL, "input": [{"type": "bogus"}]}, timeout=60)
    assert bad.status_code == 400 and bad.json()["error"]["message"] == 'input[0]: unknown input item type: "bogus"'
    bad = httpx.post(server.url + "/v1/responses", json={"model": MODEL, "input": "x", "reasoning": {"effort": "x"}})
    assert bad.status_code == 400 and "invalid reasoning value" in bad.json()["error"]["message"]
