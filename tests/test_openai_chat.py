"""The chat widget and functions on an OpenAI-compatible server (the embedded server's /v1, a real
HTTP server speaking the protocol LM Studio and llama-server speak), through the real openai client."""

from __future__ import annotations

import socket

import pytest
from conftest import MODEL

from lessons_lib import chat
from lessons_lib.openai_chat import OpenAIChatClient, first_answering
from lessons_lib.widgets.chat import ChatWidget
from lessons_lib.widgets.compare import CompareWidget

pytestmark = pytest.mark.slow
WAIT = 120


@pytest.fixture(scope="module")
def v1(server) -> OpenAIChatClient:
    return OpenAIChatClient(server.url + "/v1")


def test_lists_the_servers_models(v1):
    assert MODEL in [m.model for m in v1.list().models]


def test_streams_an_answer_with_measured_speed(v1):
    conversation = chat.Conversation(model=MODEL, system="Answer briefly.")
    pieces: list[str] = []
    result = chat.send(
        v1, conversation, "Name one planet.", {"num_predict": 12, "temperature": 0}, on_token=pieces.append
    )
    assert result.ok, result.error
    assert result.content and "".join(pieces) == result.content
    assert result.speed is not None and 0 < result.speed.generated_tokens <= 12
    assert result.speed.generated_tokens_per_s > 0 and result.ttft_s is not None
    assert result.done_reason in {"stop", "length"}
    assert conversation.history[-1] == {"role": "assistant", "content": result.content}
    assert "tok/s" in chat.stats_line(result)


def test_same_answer_as_ollamas_own_api_at_temperature_zero(v1, client):
    """Greedy decoding through /v1 and /api/chat: one model, one answer."""
    options = {"num_predict": 10, "temperature": 0, "seed": 1}
    messages = [{"role": "user", "content": "What is a hamburger?"}]
    via_v1 = chat.stream_chat(v1, MODEL, messages, options)
    via_api = chat.stream_chat(client, MODEL, messages, options)
    assert via_v1.ok and via_api.ok
    assert via_v1.content == via_api.content


def test_missing_model_gets_the_same_advice_as_with_ollama(v1):
    result = chat.stream_chat(v1, "no-such-model:1b", [{"role": "user", "content": "hi"}])
    assert result.error == chat.text("en", "err_missing", model="no-such-model:1b")


def test_no_server_is_explained_with_its_address():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    url = f"http://127.0.0.1:{port}/v1"
    result = chat.stream_chat(OpenAIChatClient(url, timeout=5), MODEL, [{"role": "user", "content": "hi"}])
    assert result.error is not None and url in result.error and "Cannot reach" in result.error


def test_chat_widget_on_an_openai_server(v1):
    box = ChatWidget(client=v1, model=MODEL, max_tokens=8, temperature=0)
    assert MODEL in box.model.options
    box.prompt.value = "Say hello."
    assert box.send()
    result = box.wait(WAIT)
    assert result is not None and result.ok, result and result.error
    assert result.content.strip() and MODEL in box.transcript.value
    assert "tok/s" in box.stats.value and not box.busy


def test_compare_widget_on_an_openai_server(v1):
    widget = CompareWidget(client=v1, prompt="Name a colour.", max_tokens=6)
    widget.models.value = (MODEL,)
    widget.run()
    widget.wait(WAIT)
    table = widget.dataframe()
    assert list(table["model"]) == [MODEL] and table["answer"].iloc[0]


def test_first_answering_skips_servers_that_are_not_there(server):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    live = server.url + "/v1"
    assert first_answering([dead, live]) == live
    assert first_answering([dead]) is None
