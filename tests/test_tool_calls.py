"""Tool calls in a model's output become `tool_calls`, as Ollama's tools.Parser makes them.

The parser is checked on text in the formats chat templates define (Hermes' <tool_call> tags,
bare JSON, Mistral's [TOOL_CALLS]), streamed in pieces as a model sends it. End to end, the
bundled SmolLM2 gets a chat template that supports tools (tests/data/tools_template.jinja, in the
bare-JSON style of Llama 3.2's template): a 135M model does not decide to call a tool by itself,
so `format` holds its answer to the call's JSON schema, and the real model's output is parsed
into tool_calls through the ollama, openai and anthropic clients.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anthropic
import ollama
import openai
import pytest

from lessons_lib.bundled import bundled_gguf_path
from lessons_lib.ollama_server import EmbeddedServer
from lessons_lib.ollama_server.tools import ToolParser, template_tag

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
CALL_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "enum": ["get_weather"]},
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
    "required": ["name", "parameters"],
}
TEMPLATE = Path(__file__).parent / "data" / "tools_template.jinja"
QWEN_STYLE = """{%- for message in messages %}{%- if message.role == "assistant" and not message.tool_calls %}\
{{- '<|im_start|>' + message.role + '\\n' + message.content }}{%- elif message.role == "assistant" %}\
{%- for tool_call in message.tool_calls %}{{- '\\n<tool_call>\\n{"name": "' }}{{- tool_call.name }}\
{%- endfor %}{%- endif %}{%- endfor %}"""


def feed(parser: ToolParser, pieces: list[str]) -> tuple[list[dict], str]:
    calls, content = [], ""
    for piece in pieces:
        got, text = parser.add(piece)
        calls += got
        content += text
    return calls, content + parser.content()


def test_tags_come_from_the_template():
    assert template_tag(QWEN_STYLE) == "<tool_call>"
    assert template_tag("{% if message.tool_calls %}[TOOL_CALLS] {{ message.tool_calls | tojson }}{% endif %}") == (
        "[TOOL_CALLS]"
    )
    assert template_tag(TEMPLATE.read_text()) == "{"
    assert template_tag("{{ messages }}") == "{"


def test_hermes_tool_call_streamed_in_pieces():
    text = 'Let me check. <tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
    pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
    calls, content = feed(ToolParser("<tool_call>", [WEATHER, TIME]), pieces)
    assert content == "Let me check. "
    assert len(calls) == 1 and calls[0]["function"] == {
        "index": 0,
        "name": "get_weather",
        "arguments": {"city": "Paris"},
    }
    assert calls[0]["id"].startswith("call_") and len(calls[0]["id"]) == 13


def test_two_calls_string_arguments_and_names_that_share_a_prefix():
    tools = [TIME, {"type": "function", "function": {"name": "get_time_zone"}}]
    text = (
        '<tool_call>{"name": "get_time_zone", "arguments": "{\\"city\\": \\"Oslo\\"}"}</tool_call>'
        '<tool_call>{"name": "get_time", "arguments": {}}</tool_call>'
    )
    calls, content = feed(ToolParser("<tool_call>", tools), [text])
    assert [c["function"]["name"] for c in calls] == ["get_time_zone", "get_time"]
    assert calls[0]["function"]["arguments"] == {"city": "Oslo"} and [c["function"]["index"] for c in calls] == [0, 1]


def test_bare_json_calls_only_when_the_answer_starts_with_json():
    call = '{"name": "get_weather", "parameters": {"city": "Rome"}}'
    calls, content = feed(ToolParser("{", [WEATHER]), [call[:10], call[10:]])
    assert content == "" and calls[0]["function"]["arguments"] == {"city": "Rome"}
    calls, content = feed(ToolParser("{", [WEATHER]), ["The answer is ", call])
    assert calls == [] and content == "The answer is " + call  # prose first: plain content
    calls, content = feed(ToolParser("{", [WEATHER]), ['{"temperature": 21}'])
    assert calls == [] and content == '{"temperature": 21}'  # JSON that names no tool stays content


@pytest.fixture(scope="module")
def tools_server(tmp_path_factory):
    """A server with `smollm2-tools:135m`: the bundled GGUF with a chat template that supports tools."""
    folder = tmp_path_factory.mktemp("tools-model")
    gguf = folder / "smollm2-tools.gguf"
    script = [sys.executable, "-m", "gguf.scripts.gguf_new_metadata", "--chat-template-file", str(TEMPLATE)]
    subprocess.run([*script, str(bundled_gguf_path()), str(gguf)], check=True, capture_output=True)
    with EmbeddedServer(models=folder / "models", env={"OLLAMA_CONTEXT_LENGTH": "1024"}) as server:
        client = ollama.Client(host=server.url, timeout=600)
        client.create(model="smollm2-tools:135m", files={gguf.name: client.create_blob(gguf)})
        yield server
    gguf.unlink()


ASK = [{"role": "user", "content": "What is the weather in Paris?"}]
QUICK = {"temperature": 0, "num_predict": 40}


def test_a_real_model_answer_becomes_tool_calls(tools_server):
    client = ollama.Client(host=tools_server.url, timeout=600)
    assert {"tools", "thinking"} <= set(client.show("smollm2-tools:135m").capabilities or [])
    answer = client.chat("smollm2-tools:135m", ASK, tools=[WEATHER], format=CALL_SCHEMA, think=False, options=QUICK)
    calls = answer.message.tool_calls
    assert answer.message.content == "" and calls and calls[0].function.name == "get_weather"
    assert set(calls[0].function.arguments) == {"city"}
    streamed = [
        call
        for part in client.chat(
            "smollm2-tools:135m", ASK, tools=[WEATHER], format=CALL_SCHEMA, think="low", options=QUICK, stream=True
        )
        for call in part.message.tool_calls or []
    ]
    assert [c.function.arguments for c in streamed] == [calls[0].function.arguments]
    # the same model, asked without tools, answers in prose
    assert client.chat("smollm2-tools:135m", ASK, think=False, options={**QUICK, "num_predict": 5}).message.content


def test_tool_calls_through_openai_and_anthropic(tools_server):
    oai = openai.OpenAI(base_url=tools_server.url + "/v1", api_key="ollama", max_retries=0, timeout=600)
    chat = oai.chat.completions.create(
        model="smollm2-tools:135m",
        messages=ASK,
        tools=[WEATHER],  # type: ignore[list-item]
        temperature=0,
        max_tokens=40,
        response_format={"type": "json_schema", "json_schema": {"name": "call", "schema": CALL_SCHEMA}},
        reasoning_effort="none",
    )
    choice = chat.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather" and '"city"' in call.function.arguments
    claude = anthropic.Anthropic(base_url=tools_server.url, api_key="ollama", max_retries=0, timeout=600)
    tool = {"name": "get_weather", "description": "Get the weather", "input_schema": WEATHER["function"]["parameters"]}
    message = claude.messages.create(
        model="smollm2-tools:135m",
        max_tokens=40,
        messages=ASK,  # type: ignore[arg-type]
        tools=[tool],  # type: ignore[list-item]
        thinking={"type": "disabled"},
        extra_body={"temperature": 0},
    )
    # /v1/messages has no format: what the model says freely is text, or a tool_use block if it calls
    assert message.stop_reason in ("end_turn", "max_tokens", "tool_use") and message.content
    assert all(block.type in ("text", "tool_use") for block in message.content)
