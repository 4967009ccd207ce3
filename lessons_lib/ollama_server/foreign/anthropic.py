"""/v1/messages: the Anthropic Messages API in front of /api/chat, as Ollama 0.33 serves it.

Ollama translates the request (anthropic/anthropic.go FromMessagesRequest), runs its chat handler
and translates the answer back: one message object, or the SSE events message_start,
content_block_start/delta/stop (thinking, text, tool_use), message_delta and message_stop
(StreamConverter). Errors use Anthropic's envelope {"type": "error", "error": {type, message}}.
A `think` the model cannot honour is relaxed to off here (Ollama's "relax_thinking"), so clients
such as Claude Code work with any model.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

from ..service import OllamaService
from ..wire import merge_chat
from .exchange import BadRequest, Exchange, serve, sse

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


def anthropic_error(status: int, message: str) -> JSONResponse:
    body = {
        "type": "error",
        "error": {"type": _ERROR_TYPES.get(status, "api_error"), "message": message},
        "request_id": "req_" + secrets.token_hex(12),
    }
    return JSONResponse(body, status_code=status)


def _blocks(content: Any) -> list[dict[str, Any]]:
    """MessageParam.UnmarshalJSON: a string is one text block; otherwise an array of blocks."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if content is None:
        return []
    if not isinstance(content, list) or not all(isinstance(b, dict) for b in content):
        raise BadRequest("json: cannot unmarshal content into Go struct field MessageParam.messages.content")
    return content


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(str(b.get("text", "")) for b in value if isinstance(b, dict) and b.get("type") == "text")
    return ""


def _convert_message(message: dict[str, Any]) -> list[dict[str, Any]]:
    """convertMessage: text blocks joined, tool_use as tool calls, tool_result as tool messages."""
    role = str(message.get("role") or "").lower()
    text, calls, thinking, results = "", [], "", []
    for block in _blocks(message.get("content")):
        kind = block.get("type")
        if kind == "text":
            text += str(block.get("text") or "")
        elif kind == "image":
            source = block.get("source")
            if not isinstance(source, dict):
                raise BadRequest("invalid image source")
            if source.get("type") != "base64":
                raise BadRequest(f"invalid image source type: {source.get('type')}. Only base64 images are supported.")
        elif kind == "tool_use":
            if not block.get("id"):
                raise BadRequest("tool_use block missing required 'id' field")
            if not block.get("name"):
                raise BadRequest("tool_use block missing required 'name' field")
            args = block.get("input") if isinstance(block.get("input"), dict) else {}
            calls.append({"id": block["id"], "function": {"name": block["name"], "arguments": args}})
        elif kind == "tool_result":
            results.append(
                {"role": "tool", "content": _text(block.get("content")), "tool_call_id": block.get("tool_use_id")}
            )
        elif kind == "thinking":
            thinking = str(block.get("thinking") or "")
    out = results if role == "user" else []
    if text or calls or thinking:
        native: dict[str, Any] = {"role": role, "content": text}
        if calls:
            native["tool_calls"] = calls
        if thinking:
            native["thinking"] = thinking
        out.append(native)
    return out if role == "user" else out + results


def native_request(body: dict[str, Any]) -> dict[str, Any]:
    """A MessagesRequest as an /api/chat body (FromMessagesRequest), with the middleware's checks."""
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise BadRequest("json: cannot unmarshal number into Go struct field MessagesRequest.model of type string")
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int)):
        raise BadRequest(
            "json: cannot unmarshal max_tokens into Go struct field MessagesRequest.max_tokens of type int"
        )
    messages = body.get("messages")
    if messages is not None and (not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages)):
        raise BadRequest("json: cannot unmarshal messages into Go struct field MessagesRequest.messages")
    if not model:
        raise BadRequest("model is required")
    if not max_tokens or max_tokens <= 0:
        raise BadRequest("max_tokens is required and must be positive")
    if not messages:
        raise BadRequest("messages is required")
    native_messages = []
    system = _text(body.get("system"))
    if system:
        native_messages.append({"role": "system", "content": system})
    for message in messages:
        native_messages.extend(_convert_message(message))
    options: dict[str, Any] = {"num_predict": max_tokens}
    for key, kind in (("temperature", float), ("top_p", float), ("top_k", int)):
        value = body.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
                raise BadRequest(f"json: cannot unmarshal {key} into Go struct field MessagesRequest.{key}")
            options[key] = value
    stops = body.get("stop_sequences")
    if stops is not None and (not isinstance(stops, list) or not all(isinstance(x, str) for x in stops)):
        raise BadRequest(
            "json: cannot unmarshal stop_sequences into Go struct field MessagesRequest.stop_sequences of type []string"
        )
    if stops:
        options["stop"] = stops
    if body.get("tools") is not None and not isinstance(body["tools"], list):
        raise BadRequest(
            "json: cannot unmarshal tools into Go struct field MessagesRequest.tools of type []anthropic.Tool"
        )
    tools = []
    for tool in body.get("tools") or []:
        if not isinstance(tool, dict) or not isinstance(tool.get("name", ""), str):
            raise BadRequest("json: cannot unmarshal tools into Go struct field MessagesRequest.tools")
        schema = tool.get("input_schema")
        if schema is not None and not isinstance(schema, dict):
            raise BadRequest(f"invalid input_schema for tool {json.dumps(tool.get('name', ''))}")
        function = {
            "name": tool.get("name", ""),
            "description": tool.get("description", ""),
            "parameters": schema or {},
        }
        tools.append({"type": "function", "function": function})
    native: dict[str, Any] = {
        "model": model,
        "messages": native_messages,
        "options": options,
        "stream": bool(body.get("stream")),
        "tools": tools,
    }
    thinking, config = body.get("thinking"), body.get("output_config")
    effort = str(config.get("effort") or "").strip().lower() if isinstance(config, dict) else ""
    effort = "high" if effort == "xhigh" else effort
    if isinstance(thinking, dict) and thinking.get("type") in ("enabled", "disabled"):
        native["think"] = thinking["type"] == "enabled"
    elif effort in ("high", "medium", "low", "max"):
        native["think"] = effort
    return native


def _stop_reason(reason: str | None, tool_calls: bool) -> str | None:
    if tool_calls:
        return "tool_use"
    return {"stop": "end_turn", "length": "max_tokens"}.get(reason or "", "stop_sequence" if reason else None)


def message_object(ident: str, model: str, answer: dict[str, Any]) -> dict[str, Any]:
    """ToMessagesResponse: thinking, text and tool_use blocks, stop reason and usage."""
    message = answer["message"]
    content: list[dict[str, Any]] = []
    if message.get("thinking"):
        content.append({"type": "thinking", "thinking": message["thinking"]})
    if message.get("content"):
        content.append({"type": "text", "text": message["content"]})
    for call in message.get("tool_calls", ()):
        function = call["function"]
        content.append({"type": "tool_use", "id": call["id"], "name": function["name"], "input": function["arguments"]})
    return {
        "id": ident,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": _stop_reason(answer.get("done_reason"), bool(message.get("tool_calls"))),
        "stop_sequence": None,
        "usage": {"input_tokens": answer.get("prompt_eval_count", 0), "output_tokens": answer.get("eval_count", 0)},
    }


def _event(name: str, data: dict[str, Any]) -> bytes:
    return sse(data, event=name)


class StreamConverter:
    """Ollama's anthropic.StreamConverter: native chat chunks in, Anthropic SSE events out."""

    def __init__(self, ident: str, model: str, estimated_input_tokens: int):
        self.ident, self.model, self.estimate = ident, model, estimated_input_tokens
        self.first, self.index = True, 0
        self.thinking_started = self.thinking_done = self.text_started = False
        self.tools_sent = 0

    def _stop_block(self) -> bytes:
        return _event("content_block_stop", {"type": "content_block_stop", "index": self.index})

    def _start(self, block: dict[str, Any]) -> bytes:
        return _event(
            "content_block_start", {"type": "content_block_start", "index": self.index, "content_block": block}
        )

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return _event("content_block_delta", {"type": "content_block_delta", "index": self.index, "delta": delta})

    def process(self, chunk: dict[str, Any]) -> list[bytes]:
        out = []
        message = chunk.get("message") or {}
        if self.first:
            self.first = False
            start: dict[str, Any] = {
                "id": self.ident,
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [],
            }
            start["usage"] = {"input_tokens": chunk.get("prompt_eval_count") or self.estimate, "output_tokens": 0}
            out.append(_event("message_start", {"type": "message_start", "message": start}))
        if message.get("thinking") and not self.thinking_done:
            if self.text_started:
                out.append(self._stop_block())
                self.index, self.text_started = self.index + 1, False
            if not self.thinking_started:
                self.thinking_started = True
                out.append(self._start({"type": "thinking", "thinking": ""}))
            out.append(self._delta({"type": "thinking_delta", "thinking": message["thinking"]}))
        if message.get("content"):
            if self.thinking_started and not self.thinking_done:
                self.thinking_done = True
                out.append(self._stop_block())
                self.index += 1
            if not self.text_started:
                self.text_started = True
                out.append(self._start({"type": "text", "text": ""}))
            out.append(self._delta({"type": "text_delta", "text": message["content"]}))
        for call in message.get("tool_calls", ()):
            if (self.thinking_started and not self.thinking_done) or self.text_started:
                self.thinking_done = self.thinking_done or self.thinking_started
                out.append(self._stop_block())
                self.index, self.text_started = self.index + 1, False
            function = call["function"]
            out.append(self._start({"type": "tool_use", "id": call["id"], "name": function["name"], "input": {}}))
            arguments = json.dumps(function["arguments"], separators=(",", ":"), ensure_ascii=False)
            out.append(self._delta({"type": "input_json_delta", "partial_json": arguments}))
            out.append(self._stop_block())
            self.index += 1
            self.tools_sent += 1
        if chunk.get("done"):
            if self.text_started or (self.thinking_started and not self.thinking_done):
                out.append(self._stop_block())
            usage = {"input_tokens": chunk.get("prompt_eval_count", 0), "output_tokens": chunk.get("eval_count", 0)}
            delta = {"stop_reason": _stop_reason(chunk.get("done_reason"), self.tools_sent > 0)}
            out.append(_event("message_delta", {"type": "message_delta", "delta": delta, "usage": usage}))
            out.append(_event("message_stop", {"type": "message_stop"}))
        return out

    def failed(self, message: str) -> bytes:
        """Mid-stream: Anthropic's error event ends the stream."""
        return _event("error", {"type": "error", "error": {"type": "api_error", "message": message}})


def _estimate_tokens(body: dict[str, Any]) -> int:
    """EstimateInputTokens: characters of system, roles, contents and tools over 4 (at least 1)."""
    size = len(json.dumps(body.get("system"))) if body.get("system") else 0
    for message in body.get("messages") or ():
        size += len(str(message.get("role", ""))) + len(json.dumps(message.get("content")))
    return max(size // 4, 1)


class Messages(Exchange):
    """One /v1/messages request: Ollama's anthropic middleware over /api/chat."""

    stream_headers = {"Cache-Control": "no-cache"}

    def __init__(self, body: dict[str, Any]):
        self.body, self.native = body, native_request(body)
        self.ident, self.model, self.stream = (
            "msg_" + secrets.token_hex(12),
            self.native["model"],
            self.native["stream"],
        )

    def start(self, service: OllamaService) -> AsyncIterator[Any]:
        return service.chat(self.native, relax_thinking=True)

    def whole(self, chunks: list[dict[str, Any]]) -> dict[str, Any]:
        return message_object(self.ident, self.model, merge_chat(chunks))

    def converter(self) -> StreamConverter:
        return StreamConverter(self.ident, self.model, _estimate_tokens(self.body))


def add_anthropic_routes(app: FastAPI, service: OllamaService) -> None:
    @app.post("/v1/messages")
    async def messages(request: Request) -> Response:
        return await serve(request, service, Messages, anthropic_error)
