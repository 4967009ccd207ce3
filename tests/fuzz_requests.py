"""Hypothesis strategies for every route of the embedded server, from Ollama's request types.

Field names and types follow Ollama's api/types.go (GenerateRequest, ChatRequest, EmbedRequest,
ShowRequest, CopyRequest, DeleteRequest, CreateRequest, PullRequest) and the OpenAI routes'
bodies; values reach into the corners clients really send: num_ctx 0 or 1, keep_alive 0,
empty inputs, wrong types, NaN, huge numbers, broken schemas. `check` decides whether a
response is one Ollama could give: an error is always JSON {"error": ...}, and a 5xx is only
one of Ollama's own (option type errors, out of memory, server busy).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

MODEL = "smollm2:135m"

# 5xx answers Ollama itself gives (server/routes.go handleScheduleError, api/types.go FromMap).
OLLAMA_5XX = re.compile(
    r'option "[a-z_]+" must be of (type|an array of)|'
    r"model requires more system memory|"
    r"server busy, please try again\.  maximum pending requests exceeded"
)

PROGRESS_ROUTES = ("/api/create", "/api/pull", "/api/push")

anything = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
small_text = st.text(max_size=40) | st.sampled_from(["", " ", "hi", "<|im_end|>", "<think>", "\x00", "🐢" * 5])
_names = st.sampled_from(
    [MODEL] * 8 + ["smollm2", "SmolLM2:135M", "", "nope:1", "../../x", "a" * 300, "fuzz-copy:1", "fuzz-copy:2"]
)
model_name = st.one_of(_names, _names, _names, st.text(max_size=12))  # mostly a model that exists
num = st.sampled_from([0, 1, -1, 2, 4, 8, 64, 10**7, -(10**7), 2**31, 0.5]) | st.integers(-3, 300) | st.floats()
option_values = {
    "num_ctx": st.sampled_from([None, 0, 1, 2, 4, 64, 256, 10**7, -5]),
    "num_predict": st.sampled_from([0, 1, 2, 3, 5, 8, 16, -1, -2, None]),
    "num_batch": st.sampled_from([0, 1, 7, 512, 10**6, -3]),
    "num_thread": st.sampled_from([0, 1, 2, 10**6, -4]),
    "num_gpu": st.sampled_from([0, -1, 99, 10**6]),
    "main_gpu": st.sampled_from([0, -1, 7]),
    "num_keep": num,
    "seed": num,
    "top_k": num,
    "top_p": num,
    "min_p": num,
    "typical_p": num,
    "temperature": num,
    "repeat_penalty": num,
    "repeat_last_n": num,
    "presence_penalty": num,
    "frequency_penalty": num,
    "use_mmap": st.booleans() | st.none(),
    "stop": st.lists(small_text, max_size=3) | small_text | st.integers(),
    "mirostat": num,
    "unknown_option": anything,
}
_options = st.fixed_dictionaries({}, optional={k: v for k, v in option_values.items()})
options = st.one_of(_options, _options, _options, anything)
keep_alive: st.SearchStrategy[Any] = st.sampled_from(
    [None, 0, "0", "0s", "5m", "1h", -1, "-1", "-1m", 0.5, "abc", True, [], "1e3s", 10**12]
)
fmt: st.SearchStrategy[Any] = st.sampled_from(
    [
        None,
        "",
        "json",
        "yaml",
        3,
        {},
        {"type": "object"},
        {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
        {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        {"$ref": "#/definitions/nowhere"},
        {"type": "string", "pattern": "[a-z]{2,3}"},
        {"type": "integer", "minimum": 5, "maximum": 3},
        {"enum": []},
        {"anyOf": []},
    ]
)
think = st.sampled_from([None, True, False, "low", "medium", "high", "max", "huge", 1])
message = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "system", "assistant", "tool", "", "robot"])},
    optional={
        "content": small_text | st.none() | st.integers(),
        "images": st.lists(st.text(max_size=8), max_size=1),
        "tool_calls": st.lists(anything, max_size=1),
        "thinking": small_text,
    },
)
messages = st.lists(message, max_size=4) | anything
logprobs = st.booleans() | st.none() | st.sampled_from(["yes", 1])
top_logprobs = st.sampled_from([None, 0, 1, 5, 20, 21, -1, 2.5, "3", True])
tool = st.fixed_dictionaries(
    {"type": st.just("function")},
    optional={
        "function": st.fixed_dictionaries(
            {"name": st.sampled_from(["get_weather", "", "f"])},
            optional={"description": small_text, "parameters": st.just({"type": "object"}) | anything},
        )
    },
)
tools: st.SearchStrategy[Any] = st.just([]) | st.lists(tool, max_size=2) | st.lists(anything, max_size=1)
effort = st.sampled_from([None, "", "none", "minimal", "low", "medium", "high", "xhigh", "max", "huge", 3])


def body(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(required, optional=optional)


generate = body(
    {"model": model_name},
    {
        "prompt": small_text | st.integers(),
        "suffix": small_text,
        "system": small_text,
        "template": small_text,
        "context": st.lists(st.integers(-5, 60000), max_size=6) | anything,
        "stream": st.booleans() | st.none(),
        "raw": st.booleans(),
        "format": fmt,
        "keep_alive": keep_alive,
        "options": options,
        "think": think,
        "images": st.lists(st.text(max_size=8), max_size=1),
        "truncate": st.booleans(),
        "shift": st.booleans(),
        "logprobs": logprobs,
        "top_logprobs": top_logprobs | num,
    },
)
chat = body(
    {"model": model_name, "messages": messages},
    {
        "stream": st.booleans() | st.none(),
        "format": fmt,
        "keep_alive": keep_alive,
        "options": options,
        "think": think,
        "tools": tools,
        "truncate": st.booleans(),
        "logprobs": logprobs,
        "top_logprobs": top_logprobs,
    },
)
embed = body(
    {"model": model_name},
    {
        "input": st.sampled_from(["", [""], [], ["", "a"], "hamburger", ["x" * 3000]]) | anything | small_text,
        "truncate": st.booleans() | anything,
        "dimensions": num,
        "keep_alive": keep_alive,
        "options": options,
    },
)
embeddings = body(
    {"model": model_name}, {"prompt": small_text | anything, "keep_alive": keep_alive, "options": options}
)
show = body({}, {"model": model_name, "name": model_name, "verbose": st.booleans() | anything})
copy = body(
    {},
    {
        "source": model_name,
        "destination": st.sampled_from(["fuzz-copy:1", "fuzz-copy:2", "", "../x"]) | st.text(max_size=10),
    },
)
delete = body({}, {"model": st.sampled_from(["fuzz-copy:1", "fuzz-copy:2", "", "nope", "../x"]) | st.text(max_size=8)})
create = body(
    {},
    {
        "model": st.sampled_from(["fuzz-made:1", "", "../x"]),
        "from": model_name,
        "system": small_text,
        "parameters": options,
        "template": small_text,
        "stream": st.booleans(),
        "quantize": st.sampled_from([None, "q8_0", "q4_K_M", "bogus"]),
        "files": anything,
    },
)
pull = body(
    {},
    {
        "model": st.sampled_from(["127.0.0.1:9/library/x:1", "", "../x"]),
        "insecure": st.just(True),
        "stream": st.booleans(),
    },
)
openai_chat = body(
    {"model": model_name, "messages": messages},
    {
        "max_tokens": st.sampled_from([0, 1, 3, 8, -1, None]),
        "stream": st.booleans(),
        "temperature": num,
        "top_p": num,
        "seed": num,
        "stop": st.lists(small_text, max_size=2) | small_text | anything,
        "response_format": st.sampled_from([None, {"type": "json_object"}, {"type": "text"}, {"type": "bogus"}, 3]),
        "n": st.sampled_from([1, 2]),
        "frequency_penalty": num,
        "presence_penalty": num,
        "logprobs": logprobs,
        "top_logprobs": top_logprobs,
        "reasoning_effort": effort,
        "tools": tools,
    },
)
openai_completion = body(
    {"model": model_name},
    {
        "prompt": small_text | anything,
        "max_tokens": st.sampled_from([0, 1, 3, 8, None]),
        "stream": st.booleans(),
        "temperature": num,
        "suffix": small_text,
        "echo": st.booleans(),
        "logprobs": st.sampled_from([None, 0, 1, 5, -1, True, "2"]),
    },
)
# /v1/messages (anthropic.MessagesRequest) and /v1/responses (openai.ResponsesRequest)
content_block = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "image", "tool_use", "tool_result", "thinking", "bogus"])},
    optional={
        "text": small_text,
        "id": st.sampled_from(["", "toolu_1"]),
        "name": st.sampled_from(["", "get_weather"]),
        "input": anything,
        "tool_use_id": small_text,
        "content": small_text | anything,
        "thinking": small_text,
        "source": anything,
    },
)
anthropic_message = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "", "system"])},
    optional={"content": small_text | st.lists(content_block, max_size=3) | anything},
)
anthropic_messages = body(
    {"model": model_name},
    {
        "max_tokens": st.sampled_from([0, 1, 3, 8, -1, None, "8"]),
        "messages": st.lists(anthropic_message, max_size=3) | anything,
        "system": small_text | st.lists(content_block, max_size=2) | anything,
        "stream": st.booleans(),
        "temperature": num,
        "top_k": num,
        "stop_sequences": st.lists(small_text, max_size=2) | anything,
        "tools": st.lists(
            st.fixed_dictionaries({"name": st.sampled_from(["get_weather", ""])}, optional={"input_schema": anything}),
            max_size=2,
        )
        | anything,
        "thinking": st.sampled_from([None, {"type": "enabled", "budget_tokens": 1024}, {"type": "disabled"}, "on"]),
        "output_config": st.sampled_from([None, {"effort": "low"}, {"effort": "xhigh"}, {"effort": 3}]),
    },
)
response_item = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "function_call", "function_call_output", "reasoning", "bogus"])},
    optional={
        "role": st.sampled_from(["user", "assistant", "system", "developer"]),
        "content": small_text
        | st.lists(
            st.fixed_dictionaries({"type": st.sampled_from(["input_text", "x"])}, optional={"text": small_text}),
            max_size=2,
        )
        | anything,
        "call_id": small_text,
        "name": st.sampled_from(["get_weather", ""]),
        "arguments": st.sampled_from(["{}", '{"city": "Paris"}', "{", ""]) | anything,
        "output": small_text | anything,
    },
)
openai_responses = body(
    {"model": model_name},
    {
        "input": small_text | st.lists(response_item, max_size=3) | anything,
        "instructions": small_text,
        "max_output_tokens": st.sampled_from([None, 0, 1, 3, 8, -1]),
        "stream": st.booleans() | st.none(),
        "temperature": num,
        "top_p": num,
        "reasoning": st.sampled_from([None, {"effort": "low"}, {"effort": "none"}, {"effort": "bogus"}, {}, 3]),
        "tools": st.lists(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["function", "web_search", "x"])}, optional={"name": small_text}
            ),
            max_size=2,
        )
        | anything,
        "text": st.sampled_from(
            [None, {"format": {"type": "text"}}, {"format": {"type": "json_schema", "schema": {"type": "object"}}}, 3]
        ),
    },
)
openai_embeddings = body(
    {"model": model_name},
    {
        "input": embed.map(lambda b: b.get("input", "")) | anything,
        "dimensions": num,
        "encoding_format": st.sampled_from(["float", "base64"]),
    },
)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Any = None  # a dict becomes JSON; bytes are sent as they are
    # A streaming client that reads this many lines and then hangs up (None: reads everything).
    read_lines: int | None = None


raw_bodies = st.sampled_from(
    [
        b"",
        b"{",
        b"null",
        b"[]",
        b"42",
        b'"x"',
        b"{}",
        b'{"model": 1}',
        b"\xff\xfe",
        b"\xa1",  # not UTF-8, no BOM: Go's "invalid character" (Python's json would raise UnicodeDecodeError)
        b"\x00{}",
        b'{"model": 1,}',
        b'{"model": "smollm2:135m"} trailing bytes',  # Go's decoder reads the first value only
        b'{"model": "\xff\xfe", "prompt": "\xa1"}',  # invalid UTF-8 inside strings becomes U+FFFD
        b'{"model": "smollm2:135m", "prompt": "hi", "options": {"num_ctx": NaN}}',
    ]
)
# Bytes that are not JSON text at all, or only nearly: every route must answer Go's 400, never a 500.
raw_bytes = st.binary(max_size=32) | st.text(alphabet='{}[]":,0123456789.eE-tfrulnax\\ \xa1\x00', max_size=24).map(
    lambda text: text.encode("latin-1")
)
json_routes = [
    ("POST", "/api/generate", generate),
    ("POST", "/api/chat", chat),
    ("POST", "/api/embed", embed),
    ("POST", "/api/embeddings", embeddings),
    ("POST", "/api/show", show),
    ("POST", "/api/copy", copy),
    ("DELETE", "/api/delete", delete),
    ("POST", "/api/create", create),
    ("POST", "/api/pull", pull),
    ("POST", "/v1/chat/completions", openai_chat),
    ("POST", "/v1/completions", openai_completion),
    ("POST", "/v1/embeddings", openai_embeddings),
    ("POST", "/v1/responses", openai_responses),
    ("POST", "/v1/messages", anthropic_messages),
]
bare_routes = [
    ("GET", "/"),
    ("HEAD", "/"),
    ("GET", "/api/version"),
    ("GET", "/api/tags"),
    ("GET", "/api/ps"),
    ("GET", "/v1/models"),
    ("GET", "/metrics"),
    ("GET", "/v1/models/smollm2:135m"),
    ("HEAD", "/api/blobs/sha256:" + "0" * 64),
    ("HEAD", "/api/blobs/nonsense"),
]


def _json_call(route: tuple[str, str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Call]:
    method, path, strategy = route
    return st.builds(Call, st.just(method), st.just(path), strategy, st.sampled_from([None, None, None, 0, 1, 2]))


calls = st.one_of(
    st.one_of([_json_call(r) for r in json_routes]),
    st.one_of([_json_call(r) for r in json_routes[:3]]),  # the generation routes twice as often
    st.builds(
        lambda route, raw: Call(route[0], route[1], raw),
        st.sampled_from([(m, p) for m, p, _ in json_routes]),
        raw_bodies | raw_bytes,
    ),
    st.sampled_from([Call(m, p) for m, p in bare_routes]),
    st.builds(Call, st.just("POST"), st.just("/api/blobs/sha256:" + "1" * 64), st.binary(max_size=64)),
)
concurrent_calls = st.lists(calls, min_size=1, max_size=4)


@dataclass
class Outcome:
    call: Call
    status: int
    body: bytes
    content_type: str
    error: str | None = None  # a transport error (connection reset: the server died?)


def check(outcome: Outcome) -> str | None:
    """None if the answer is one Ollama could give, else what is wrong with it."""
    if outcome.error is not None:
        return f"transport error: {outcome.error}"
    status, data = outcome.status, outcome.body
    if outcome.call.read_lines is not None and status == 200:
        return None  # we hung up on purpose; what came before is checked by the lines themselves
    if status >= 400:
        if outcome.call.method == "HEAD":
            return None if status in (400, 404) else f"HEAD answered {status}"
        try:
            payload = json.loads(data)
        except ValueError:
            return f"{status} with a body that is not JSON: {data[:80]!r}"
        message = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(message, dict):  # the OpenAI routes' envelope
            message = message.get("message")
        if not isinstance(message, str):
            return f"{status} without an error message: {data[:80]!r}"
        # Create, pull and push run in a goroutine whose failure waitForStream answers with a 500
        # when the client asked for no stream (server/routes.go): any message is Ollama's own there.
        if status == 500 and outcome.call.path in PROGRESS_ROUTES:
            return None
        if status >= 500 and not (status in (500, 503) and OLLAMA_5XX.search(message)):
            return f"{status} that Ollama would not give: {message[:160]}"
        return None
    if status not in (200, 201):
        return f"unexpected status {status}"
    if outcome.call.method == "HEAD" or not data:
        return None
    if "ndjson" in outcome.content_type:
        for line in data.splitlines():
            obj = json.loads(line)
            if "error" not in obj:
                continue
            if not isinstance(obj["error"], str):
                return f"bad error line {line[:80]!r}"
            # create and pull report their failures in the stream; generation only Ollama's own
            if outcome.call.path in ("/api/generate", "/api/chat") and not OLLAMA_5XX.search(obj["error"]):
                return f"generation stream ended with an error Ollama would not give: {obj['error'][:160]}"
    return None
