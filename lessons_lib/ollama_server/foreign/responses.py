"""/v1/responses: OpenAI's Responses API in front of /api/chat, stateless, as Ollama 0.33 serves it.

Ollama translates the request (openai/responses.go FromResponsesRequest: `instructions` as the
system message, `input` a string or message / function_call / function_call_output items,
`reasoning.effort` as think, `text.format` json_schema as format) and answers one response object
or the stream of response.* events (ResponsesStreamConverter). Nothing is stored: there is no
previous_response_id, and `store` is always false.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from ..service import OllamaService
from ..wire import merge_chat
from .exchange import BadRequest, Exchange, serve, sse
from .openai import openai_error, think_from_effort, tool_calls_out


def _content_text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise BadRequest(f"{where}: content must be a string or array")
    text = ""
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("input_text", "output_text"):
            text += str(part.get("text") or "")
        elif kind == "input_file":
            raise BadRequest("file inputs are not currently supported")
        elif kind != "input_image":
            raise BadRequest(f"{where}: content[{i}]: unknown content type: {kind}")
    return text


def native_request(body: dict[str, Any]) -> dict[str, Any]:
    """A ResponsesRequest as an /api/chat body."""
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise BadRequest("json: cannot unmarshal number into Go struct field ResponsesRequest.model of type string")
    messages: list[dict[str, Any]] = []
    instructions = body.get("instructions")
    if instructions:
        messages.append({"role": "system", "content": str(instructions)})
    raw = body.get("input")
    if isinstance(raw, str):
        if raw:
            messages.append({"role": "user", "content": raw})
    elif isinstance(raw, list):
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                raise BadRequest(f"input[{i}]: input item must be an object")
            kind = item.get("type") or ("message" if "role" in item else None)
            if kind is None:
                raise BadRequest(f"input[{i}]: input item missing required 'type' field")
            if kind == "message":
                messages.append(
                    {"role": item.get("role"), "content": _content_text(item.get("content"), f"input[{i}]")}
                )
            elif kind == "function_call":
                arguments = item.get("arguments")
                if arguments is not None and not isinstance(arguments, str):
                    raise BadRequest(
                        f"input[{i}]: json: cannot unmarshal arguments into Go struct field of type string"
                    )
                try:
                    args = json.loads(arguments or "{}")
                except ValueError as exc:
                    raise BadRequest(f"failed to parse function call arguments: {exc}") from exc
                call = {"id": item.get("call_id"), "function": {"name": item.get("name"), "arguments": args}}
                if messages and messages[-1]["role"] == "assistant" and "tool_calls" in messages[-1]:
                    messages[-1]["tool_calls"].append(call)
                else:
                    messages.append({"role": "assistant", "content": "", "tool_calls": [call]})
            elif kind == "function_call_output":
                output = item.get("output")
                text = output if isinstance(output, str) else _content_text(output, f"input[{i}]")
                messages.append({"role": "tool", "content": text, "tool_call_id": item.get("call_id")})
            elif kind != "reasoning":
                raise BadRequest(f"input[{i}]: unknown input item type: {json.dumps(kind)}")
    elif raw is not None:
        raise BadRequest("input must be a string or array")
    for key in ("temperature", "top_p", "max_output_tokens"):
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise BadRequest(f"json: cannot unmarshal {key} into Go struct field ResponsesRequest.{key}")
    if body.get("tools") is not None and not isinstance(body["tools"], list):
        raise BadRequest("json: cannot unmarshal tools into Go struct field ResponsesRequest.tools")
    options: dict[str, Any] = {"temperature": 1.0 if body.get("temperature") is None else body["temperature"]}
    if body.get("top_p") is not None:
        options["top_p"] = body["top_p"]
    if body.get("max_output_tokens") is not None:
        options["num_predict"] = body["max_output_tokens"]
    reasoning = body.get("reasoning")
    think = think_from_effort(reasoning.get("effort") if isinstance(reasoning, dict) else None)
    tools = []
    for tool in body.get("tools") or []:
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            raise BadRequest("only function tools are supported")
        function = {
            "name": tool.get("name"),
            "description": tool.get("description") or "",
            "parameters": tool.get("parameters") or {},
        }
        tools.append({"type": "function", "function": function})
    text_field = body.get("text")
    fmt = text_field.get("format") if isinstance(text_field, dict) else None
    native: dict[str, Any] = {"model": model or "", "messages": messages, "options": options, "tools": tools}
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema" and fmt.get("schema") is not None:
        native["format"] = fmt["schema"]
    if think is not None:
        native["think"] = think
    return native


def _message_item(item_id: str, text: str, status: str = "completed") -> dict[str, Any]:
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": [part]}


def _usage(answer: dict[str, Any]) -> dict[str, Any]:
    prompt, completion = answer.get("prompt_eval_count", 0), answer.get("eval_count", 0)
    return {
        "input_tokens": prompt,
        "output_tokens": completion,
        "total_tokens": prompt + completion,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    }


def response_object(
    body: dict[str, Any], ident: str, status: str, output: list[Any], usage: dict[str, Any] | None
) -> dict[str, Any]:
    """The response object every answer and event carries (ToResponse / buildResponseObject)."""
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, dict) and isinstance(text.get("format"), dict) else {"type": "text"}
    reasoning = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    temperature, top_p = body.get("temperature"), body.get("top_p")
    return {
        "id": ident,
        "object": "response",
        "created_at": int(time.time()),
        "completed_at": int(time.time()) if status == "completed" else None,
        "status": status,
        "incomplete_details": None,
        "model": body.get("model"),
        "previous_response_id": None,
        "instructions": body.get("instructions") or None,
        "output": output,
        "error": None,
        "tools": body.get("tools") or [],
        "tool_choice": "auto",
        "truncation": body.get("truncation") or "disabled",
        "parallel_tool_calls": True,
        "text": {"format": fmt},
        "top_p": 1.0 if top_p is None else top_p,
        "presence_penalty": 0,
        "frequency_penalty": 0,
        "top_logprobs": 0,
        "temperature": 1.0 if temperature is None else temperature,
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")} if reasoning else None,
        "usage": usage,
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": None,
        "store": False,
        "background": bool(body.get("background")),
        "service_tier": "default",
        "metadata": {},
        "safety_identifier": None,
        "prompt_cache_key": None,
    }


def _output(ident: str, item_id: str, answer: dict[str, Any]) -> list[Any]:
    message = answer["message"]
    output: list[Any] = []
    if message.get("thinking"):
        summary = [{"type": "summary_text", "text": message["thinking"]}]
        output.append(
            {"id": f"rs_{ident}", "type": "reasoning", "summary": summary, "encrypted_content": message["thinking"]}
        )
    calls = tool_calls_out(message.get("tool_calls") or [])
    for i, call in enumerate(calls):
        function = call["function"]
        output.append(
            {
                "id": f"fc_{ident}_{i}",
                "type": "function_call",
                "status": "completed",
                "call_id": call["id"],
                "name": function["name"],
                "arguments": function["arguments"],
            }
        )
    if not calls:
        output.append(_message_item(item_id, message.get("content", "")))
    return output


class StreamConverter:
    """Ollama's ResponsesStreamConverter: native chat chunks in, response.* events out."""

    def __init__(self, body: dict[str, Any], ident: str, item_id: str):
        self.body, self.ident, self.item_id = body, ident, item_id
        self.seq = self.index = 0
        self.first, self.text_started, self.calls_sent = True, False, False
        self.text = self.thinking = ""
        self.reasoning_id: str | None = None
        self.done_items: list[Any] = []

    def _event(self, kind: str, data: dict[str, Any]) -> bytes:
        data = {"type": kind, "sequence_number": self.seq, **data}
        self.seq += 1
        return sse(data, event=kind)

    def _finish_reasoning(self) -> list[bytes]:
        if self.reasoning_id is None:
            return []
        summary = [{"type": "summary_text", "text": self.thinking}]
        item = {"id": self.reasoning_id, "type": "reasoning", "summary": summary, "encrypted_content": self.thinking}
        self.done_items.append(item)
        rid, index, text = self.reasoning_id, self.index, self.thinking
        self.reasoning_id, self.thinking, self.index = None, "", self.index + 1
        return [
            self._event(
                "response.reasoning_summary_text.done",
                {"item_id": rid, "output_index": index, "summary_index": 0, "text": text},
            ),
            self._event("response.output_item.done", {"output_index": index, "item": item}),
        ]

    def process(self, chunk: dict[str, Any]) -> list[bytes]:
        out: list[bytes] = []
        message = chunk.get("message") or {}
        if self.first:
            self.first = False
            for kind in ("response.created", "response.in_progress"):
                out.append(
                    self._event(kind, {"response": response_object(self.body, self.ident, "in_progress", [], None)})
                )
        if message.get("thinking"):
            if self.reasoning_id is None:
                self.reasoning_id = f"rs_{random.randint(0, 999998)}"
                item = {"id": self.reasoning_id, "type": "reasoning", "summary": []}
                out.append(self._event("response.output_item.added", {"output_index": self.index, "item": item}))
            self.thinking += message["thinking"]
            delta = {"item_id": self.reasoning_id, "output_index": self.index, "summary_index": 0}
            out.append(self._event("response.reasoning_summary_text.delta", {**delta, "delta": message["thinking"]}))
        if message.get("tool_calls"):
            out.extend(self._finish_reasoning())
            for i, call in enumerate(tool_calls_out(message["tool_calls"])):
                fid, index, function = f"fc_{random.randint(0, 999998)}_{i}", self.index + i, call["function"]
                item = {"id": fid, "type": "function_call", "status": "completed", "call_id": call["id"]}
                item.update(name=function["name"], arguments=function["arguments"])
                self.done_items.append(item)
                added = {**item, "status": "in_progress", "arguments": ""}
                out.append(self._event("response.output_item.added", {"output_index": index, "item": added}))
                ref = {"item_id": fid, "output_index": index}
                out.append(
                    self._event("response.function_call_arguments.delta", {**ref, "delta": function["arguments"]})
                )
                out.append(
                    self._event("response.function_call_arguments.done", {**ref, "arguments": function["arguments"]})
                )
                out.append(self._event("response.output_item.done", {"output_index": index, "item": item}))
            self.index += len(message["tool_calls"])
            self.calls_sent = True
        elif not self.calls_sent and message.get("content"):
            out.extend(self._finish_reasoning())
            ref = {"item_id": self.item_id, "output_index": self.index, "content_index": 0}
            if not self.text_started:
                self.text_started = True
                item = {**_message_item(self.item_id, ""), "status": "in_progress", "content": []}
                out.append(self._event("response.output_item.added", {"output_index": self.index, "item": item}))
                part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
                out.append(self._event("response.content_part.added", {**ref, "part": part}))
            self.text += message["content"]
            out.append(self._event("response.output_text.delta", {**ref, "delta": message["content"], "logprobs": []}))
        if chunk.get("done"):
            out.extend(self._finish_reasoning())
            output = list(self.done_items)
            if not self.calls_sent and self.text_started:
                ref = {"item_id": self.item_id, "output_index": self.index, "content_index": 0}
                part = {"type": "output_text", "text": self.text, "annotations": [], "logprobs": []}
                out.append(self._event("response.output_text.done", {**ref, "text": self.text, "logprobs": []}))
                out.append(self._event("response.content_part.done", {**ref, "part": part}))
                item = _message_item(self.item_id, self.text)
                out.append(self._event("response.output_item.done", {"output_index": self.index, "item": item}))
                output.append(item)
            final = response_object(self.body, self.ident, "completed", output, _usage(chunk))
            out.append(self._event("response.completed", {"response": final}))
        return out

    def failed(self, message: str) -> bytes:
        """Mid-stream: a response.failed event ends the stream."""
        response = response_object(self.body, self.ident, "failed", [], None)
        response["error"] = {"code": "server_error", "message": message}
        return self._event("response.failed", {"response": response})


class Responses(Exchange):
    """One /v1/responses request: Ollama's responses middleware over /api/chat, nothing stored."""

    stream_headers = {"Cache-Control": "no-cache"}

    def __init__(self, body: dict[str, Any]):
        self.body, self.native, self.stream = body, native_request(body), body.get("stream") is True
        self.native["stream"] = self.stream
        self.ident, self.item_id = f"resp_{random.randint(0, 999998)}", f"msg_{random.randint(0, 999998)}"

    def start(self, service: OllamaService) -> AsyncIterator[Any]:
        return service.chat(self.native)

    def whole(self, chunks: list[dict[str, Any]]) -> dict[str, Any]:
        answer = merge_chat(chunks)
        output = _output(self.ident, self.item_id, answer)
        return response_object(self.body, self.ident, "completed", output, _usage(answer))

    def converter(self) -> StreamConverter:
        return StreamConverter(self.body, self.ident, self.item_id)


def add_responses_routes(app: FastAPI, service: OllamaService) -> None:
    @app.post("/v1/responses")
    async def responses(request: Request) -> Response:
        return await serve(request, service, Responses, openai_error)
