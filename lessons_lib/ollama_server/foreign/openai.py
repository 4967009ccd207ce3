"""The OpenAI-compatible /v1 layer: translate the request, call the native API, translate back.

Ollama does the same (a middleware in front of its native handlers), so both answer alike:
OpenAI's defaults (temperature and top_p 1.0), its error envelope and SSE with `data: [DONE]`.
"""

from __future__ import annotations

import base64
import json
import random
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

from ...names import InvalidName
from ..protocol import ApiError
from ..service import OllamaService
from ..wire import read_json
from .exchange import SSE_DONE, BadRequest, Exchange, serve, sse


def openai_error(status: int, message: str) -> JSONResponse:
    kind = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": None}}, status_code=status)


def _options(body: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {
        "temperature": body.get("temperature", 1.0) if body.get("temperature") is not None else 1.0,
        "top_p": body.get("top_p", 1.0) if body.get("top_p") is not None else 1.0,
    }
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    if max_tokens is not None:
        options["num_predict"] = max_tokens
    for key in ("seed", "frequency_penalty", "presence_penalty"):
        if body.get(key) is not None:
            options[key] = body[key]
    stop = body.get("stop")
    if stop:
        options["stop"] = [stop] if isinstance(stop, str) else stop
    return options


def _format(body: dict[str, Any]) -> Any:
    fmt = body.get("response_format") or {}
    if not isinstance(fmt, dict):
        raise BadRequest("json: cannot unmarshal response_format into Go value of type openai.ResponseFormat")
    if fmt.get("type") == "json_object":
        return "json"
    if fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema")
    return None


def _content(content: Any) -> str:
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    if content is not None and not isinstance(content, str):
        raise BadRequest("json: cannot unmarshal content into a string or an array of content parts")
    return content or ""


def _usage(final: dict[str, Any]) -> dict[str, int]:
    prompt, completion = final.get("prompt_eval_count", 0), final.get("eval_count", 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _finish(final: dict[str, Any], tool_calls: bool = False) -> str:
    if final.get("done_reason") == "length":
        return "length"
    return "tool_calls" if tool_calls else "stop"


def _native(body: dict[str, Any], chat: bool) -> tuple[str, dict[str, Any]]:
    """An OpenAI request as the native one, checking the types Go's decoder would check."""
    model = body.get("model") or ""
    if not isinstance(model, str):
        raise BadRequest("json: cannot unmarshal model of type string")
    try:
        options, fmt = _options(body), _format(body)
        stop = options.get("stop")
        if stop is not None and not (isinstance(stop, list) and all(isinstance(x, str) for x in stop)):
            raise BadRequest("json: cannot unmarshal stop into a string or an array of strings")
        if chat:
            messages = body.get("messages")
            if not messages:
                raise BadRequest("[] is too short - 'messages'")
            if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
                raise BadRequest("json: cannot unmarshal messages into Go value of type []openai.Message")
            native: dict[str, Any] = {
                "model": model,
                "options": options,
                "format": fmt,
                "messages": [_message(m) for m in messages],
                "logprobs": body.get("logprobs"),
                "top_logprobs": body.get("top_logprobs"),
                "tools": body.get("tools"),
            }
            reasoning = body.get("reasoning")
            effort = reasoning.get("effort") if isinstance(reasoning, dict) else body.get("reasoning_effort")
            think = think_from_effort(effort)
            if think is not None:
                native["think"] = think
        else:
            prompt = body.get("prompt")
            if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
                prompt = "".join(prompt)
            if prompt is not None and not isinstance(prompt, str):
                raise BadRequest("json: cannot unmarshal prompt into a string or an array of strings")
            native = {"model": model, "options": options, "prompt": prompt or "", "raw": False}
            logprobs = body.get("logprobs")  # an int here: how many alternatives (Ollama: > 0 turns them on)
            if logprobs is not None and (isinstance(logprobs, bool) or not isinstance(logprobs, int)):
                raise BadRequest(
                    "json: cannot unmarshal logprobs into Go struct field CompletionRequest.logprobs of type int"
                )
            if logprobs is not None and logprobs > 0:
                native.update(logprobs=True, top_logprobs=logprobs)
    except (AttributeError, TypeError) as exc:
        raise BadRequest(f"invalid request: {exc}") from exc
    native["stream"] = bool(body.get("stream"))  # OpenAI's default is a whole answer
    return model, native


def think_from_effort(effort: Any) -> bool | str | None:
    """OpenAI's reasoning effort as Ollama's think (openai/openai.go thinkFromReasoningEffort)."""
    if effort in (None, ""):
        return None
    if effort == "none":
        return False
    if effort == "minimal":
        return "low"
    if effort in ("low", "medium", "high", "max"):
        return str(effort)
    if effort in ("xhigh", "ultra"):
        return "max"
    raise BadRequest(
        f"invalid reasoning value: {json.dumps(effort)} "
        '(must be "minimal", "low", "medium", "high", "xhigh", "ultra", "max", or "none")'
    )


def _message(m: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI message as a native one: text content, tool calls with their arguments as objects."""
    native: dict[str, Any] = {"role": m.get("role"), "content": _content(m.get("content"))}
    if m.get("tool_call_id"):
        native["tool_call_id"] = m["tool_call_id"]
    calls = m.get("tool_calls")
    if isinstance(calls, list):
        native["tool_calls"] = []
        for call in calls:
            function = call.get("function") if isinstance(call, dict) else None
            if not isinstance(function, dict):
                raise BadRequest("json: cannot unmarshal tool_calls into Go value of type []openai.ToolCall")
            arguments = function.get("arguments") or "{}"
            try:
                parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
            except ValueError as exc:
                raise BadRequest(f"invalid tool call arguments: {exc}") from exc
            native["tool_calls"].append(
                {"id": call.get("id"), "function": {"name": function.get("name"), "arguments": parsed}}
            )
    return native


def tool_calls_out(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Native tool calls in OpenAI's shape: arguments as a JSON string (openai.ToToolCalls)."""
    return [
        {
            "id": c.get("id", ""),
            "index": c["function"].get("index", i),
            "type": "function",
            "function": {
                "name": c["function"]["name"],
                "arguments": json.dumps(c["function"]["arguments"], separators=(",", ":"), ensure_ascii=False),
            },
        }
        for i, c in enumerate(calls)
    ]


class Completion(Exchange):
    """/v1/chat/completions (`chat`) or /v1/completions: Ollama's openai middleware over /api/chat or /api/generate."""

    def __init__(self, body: dict[str, Any], chat: bool):
        self.model, self.native = _native(body, chat)
        self.chat, self.stream = chat, bool(body.get("stream"))
        ident = f"{'chatcmpl' if chat else 'cmpl'}-{random.randint(0, 998)}"
        self.envelope = {
            "id": ident,
            "created": int(time.time()),
            "model": self.model,
            "system_fingerprint": "fp_ollama",
        }
        stream_options = body.get("stream_options")
        self.include_usage = isinstance(stream_options, dict) and bool(stream_options.get("include_usage"))

    def start(self, service: OllamaService) -> AsyncIterator[Any]:
        return service.chat(self.native) if self.chat else service.generate(self.native)

    def text_of(self, chunk: dict[str, Any]) -> str:
        return chunk["message"].get("content", "") if self.chat else chunk.get("response", "")

    def reasoning_of(self, chunk: dict[str, Any]) -> str:
        return chunk["message"].get("thinking", "") if self.chat else ""

    def whole(self, chunks: list[dict[str, Any]]) -> dict[str, Any]:
        final = chunks[-1]
        text = "".join(self.text_of(c) for c in chunks)
        logprobs = [lp for c in chunks for lp in c.get("logprobs", ())]
        if self.chat:
            message: dict[str, Any] = {"role": "assistant", "content": text}
            reasoning = "".join(self.reasoning_of(c) for c in chunks)
            if reasoning:
                message["reasoning"] = reasoning
            calls = [call for c in chunks for call in c["message"].get("tool_calls", ())]
            if calls:
                message["tool_calls"] = tool_calls_out(calls)
            choice = {"index": 0, "message": message, "finish_reason": _finish(final, bool(calls))}
        else:
            choice = {"text": text, "index": 0, "finish_reason": _finish(final)}
        if logprobs:
            choice["logprobs"] = {"content": logprobs}
        elif not self.chat:
            choice["logprobs"] = None
        kind = "chat.completion" if self.chat else "text_completion"
        return {**self.envelope, "object": kind, "choices": [choice], "usage": _usage(final)}

    def converter(self) -> CompletionStream:
        return CompletionStream(self)


class CompletionStream:
    """Ollama's openai ChatWriter / CompleteWriter: native chunks in, `data: {chunk}` events out, `data: [DONE]` last."""

    def __init__(self, completion: Completion):
        self.completion = completion
        self.kind = "chat.completion.chunk" if completion.chat else "text_completion"
        self.first_delta, self.any_calls = True, False

    def _event(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        return sse({**self.completion.envelope, "object": self.kind, "choices": choices, **extra})

    def process(self, chunk: dict[str, Any]) -> list[bytes]:
        if chunk.get("done"):
            return self._end(chunk)
        c = self.completion
        if c.chat:
            delta: dict[str, Any] = {"content": c.text_of(chunk)}
            if c.reasoning_of(chunk):
                delta["reasoning"] = c.reasoning_of(chunk)
            if chunk["message"].get("tool_calls"):
                delta["tool_calls"] = tool_calls_out(chunk["message"]["tool_calls"])
                self.any_calls = True
            if self.first_delta:
                delta = {"role": "assistant", **delta}
                self.first_delta = False
            choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": None}
        else:
            choice = {"text": c.text_of(chunk), "index": 0, "finish_reason": None}
        if chunk.get("logprobs"):
            choice["logprobs"] = {"content": chunk["logprobs"]}
        return [self._event([choice])]

    def _end(self, final: dict[str, Any]) -> list[bytes]:
        if self.completion.chat:
            end_choice = {
                "index": 0,
                "delta": {"role": "assistant", "content": ""} if self.first_delta else {},
                "finish_reason": _finish(final, self.any_calls),
            }
        else:
            end_choice = {"text": "", "index": 0, "finish_reason": _finish(final)}
        out = [self._event([end_choice])]
        if self.completion.include_usage:
            out.append(self._event([], usage=_usage(final)))
        return [*out, SSE_DONE]

    def failed(self, message: str) -> bytes:
        """Mid-stream: the error event, then [DONE], never a broken stream."""
        return sse({"error": {"message": message, "type": "api_error", "param": None, "code": None}}) + SSE_DONE


def add_openai_routes(app: FastAPI, service: OllamaService) -> None:
    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        return await serve(request, service, lambda body: Completion(body, chat=True), openai_error)

    @app.post("/v1/completions")
    async def completions(request: Request) -> Response:
        return await serve(request, service, lambda body: Completion(body, chat=False), openai_error)

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> Response:
        try:
            body = await read_json(request)
            encoding = body.get("encoding_format") or "float"
            if encoding not in ("float", "base64"):
                raise ApiError(400, f"invalid encoding format: {encoding}")
            raw = body.get("input")
            if raw is None or raw == "" or raw == []:
                raise ApiError(400, "invalid input")
            result = await service.embed(
                {"model": body.get("model") or "", "input": raw, "dimensions": body.get("dimensions")}
            )
        except ApiError as exc:
            return openai_error(exc.status, exc.message)
        data = []
        for i, vector in enumerate(result["embeddings"]):
            value: Any = vector
            if encoding == "base64":
                value = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "embedding": value, "index": i})
        tokens = result.get("prompt_eval_count", 0)
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": body.get("model"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    def model_object(entry: Any) -> dict[str, Any]:
        return {
            "id": entry.name.display,
            "object": "model",
            "created": int(entry.modified),
            "owned_by": entry.name.namespace,
        }

    @app.get("/v1/models")
    async def models() -> Response:
        return JSONResponse({"object": "list", "data": [model_object(e) for e in service.store.list()]})

    @app.get("/v1/models/{model:path}")
    async def model(model: str) -> Response:
        try:
            entry = service.store.find(model)
        except InvalidName:
            entry = None
        if entry is None:
            return openai_error(404, f"model '{model}' not found")
        return JSONResponse(model_object(entry))
