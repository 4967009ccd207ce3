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
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..names import InvalidName
from .protocol import ApiError
from .service import OllamaService
from .wire import FLUSH, collect, read_json


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
        raise _BadRequest("json: cannot unmarshal response_format into Go value of type openai.ResponseFormat")
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
        raise _BadRequest("json: cannot unmarshal content into a string or an array of content parts")
    return content or ""


def _usage(final: dict[str, Any]) -> dict[str, int]:
    prompt, completion = final.get("prompt_eval_count", 0), final.get("eval_count", 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _finish(final: dict[str, Any], tool_calls: bool = False) -> str:
    if final.get("done_reason") == "length":
        return "length"
    return "tool_calls" if tool_calls else "stop"


def _sse(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


class _BadRequest(ValueError):
    """The body does not decode into OpenAI's request type (Ollama's middleware answers 400)."""


def _native(body: dict[str, Any], chat: bool) -> tuple[str, dict[str, Any]]:
    """An OpenAI request as the native one, checking the types Go's decoder would check."""
    model = body.get("model") or ""
    if not isinstance(model, str):
        raise _BadRequest("json: cannot unmarshal model of type string")
    try:
        options, fmt = _options(body), _format(body)
        stop = options.get("stop")
        if stop is not None and not (isinstance(stop, list) and all(isinstance(x, str) for x in stop)):
            raise _BadRequest("json: cannot unmarshal stop into a string or an array of strings")
        if chat:
            messages = body.get("messages")
            if not messages:
                raise _BadRequest("[] is too short - 'messages'")
            if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
                raise _BadRequest("json: cannot unmarshal messages into Go value of type []openai.Message")
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
                raise _BadRequest("json: cannot unmarshal prompt into a string or an array of strings")
            native = {"model": model, "options": options, "prompt": prompt or "", "raw": False}
            logprobs = body.get("logprobs")  # an int here: how many alternatives (Ollama: > 0 turns them on)
            if logprobs is not None and (isinstance(logprobs, bool) or not isinstance(logprobs, int)):
                raise _BadRequest(
                    "json: cannot unmarshal logprobs into Go struct field CompletionRequest.logprobs of type int"
                )
            if logprobs is not None and logprobs > 0:
                native.update(logprobs=True, top_logprobs=logprobs)
    except (AttributeError, TypeError) as exc:
        raise _BadRequest(f"invalid request: {exc}") from exc
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
    raise _BadRequest(
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
                raise _BadRequest("json: cannot unmarshal tool_calls into Go value of type []openai.ToolCall")
            arguments = function.get("arguments") or "{}"
            try:
                parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
            except ValueError as exc:
                raise _BadRequest(f"invalid tool call arguments: {exc}") from exc
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


async def _first(items: AsyncIterator[dict[str, Any]]) -> dict[str, Any]:
    return await items.__anext__()


def add_openai_routes(app: FastAPI, service: OllamaService) -> None:
    async def completion(request: Request, chat: bool) -> Response:
        try:
            body = await read_json(request)
        except ApiError as exc:
            return openai_error(exc.status, exc.message)
        created = int(time.time())
        ident = f"{'chatcmpl' if chat else 'cmpl'}-{random.randint(0, 998)}"
        try:
            model, native = _native(body, chat)
        except _BadRequest as exc:
            return openai_error(400, str(exc))
        items = service.chat(native) if chat else service.generate(native)
        try:
            first = await _first(items)
        except ApiError as exc:
            return openai_error(exc.status, exc.message)

        def text_of(chunk: dict[str, Any]) -> str:
            return chunk["message"].get("content", "") if chat else chunk.get("response", "")

        def reasoning_of(chunk: dict[str, Any]) -> str:
            return chunk["message"].get("thinking", "") if chat else ""

        envelope = {"id": ident, "created": created, "model": model, "system_fingerprint": "fp_ollama"}
        if not body.get("stream"):
            try:
                collected = await collect(first, items)
            except ApiError as exc:
                return openai_error(exc.status, exc.message)
            final = collected[-1]
            text = "".join(text_of(c) for c in collected)
            logprobs = [lp for c in collected for lp in c.get("logprobs", ())]
            if chat:
                message: dict[str, Any] = {"role": "assistant", "content": text}
                reasoning = "".join(reasoning_of(c) for c in collected)
                if reasoning:
                    message["reasoning"] = reasoning
                calls = [call for c in collected for call in c["message"].get("tool_calls", ())]
                if calls:
                    message["tool_calls"] = tool_calls_out(calls)
                choice = {"index": 0, "message": message, "finish_reason": _finish(final, bool(calls))}
            else:
                choice = {"text": text, "index": 0, "finish_reason": _finish(final)}
            if logprobs:
                choice["logprobs"] = {"content": logprobs}
            elif not chat:
                choice["logprobs"] = None
            return JSONResponse(
                {
                    **envelope,
                    "object": "chat.completion" if chat else "text_completion",
                    "choices": [choice],
                    "usage": _usage(final),
                }
            )

        stream_options = body.get("stream_options")
        include_usage = isinstance(stream_options, dict) and bool(stream_options.get("include_usage"))
        kind = "chat.completion.chunk" if chat else "text_completion"

        async def events() -> AsyncIterator[bytes]:
            first_delta = True
            any_calls = False
            out: list[bytes] = []  # SSE events of one batch, written together

            def event(chunk: dict[str, Any]) -> bytes:
                nonlocal first_delta, any_calls
                if chat:
                    delta: dict[str, Any] = {"content": text_of(chunk)}
                    if reasoning_of(chunk):
                        delta["reasoning"] = reasoning_of(chunk)
                    if chunk["message"].get("tool_calls"):
                        delta["tool_calls"] = tool_calls_out(chunk["message"]["tool_calls"])
                        any_calls = True
                    if first_delta:
                        delta = {"role": "assistant", **delta}
                        first_delta = False
                    choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": None}
                else:
                    choice = {"text": text_of(chunk), "index": 0, "finish_reason": None}
                if chunk.get("logprobs"):
                    choice["logprobs"] = {"content": chunk["logprobs"]}
                return _sse({**envelope, "object": kind, "choices": [choice]})

            async def all_items() -> AsyncIterator[Any]:
                yield first
                async for item in items:
                    yield item

            try:
                final: dict[str, Any] = {}
                async for item in all_items():
                    if item is FLUSH:
                        yield b"".join(out)
                        out = []
                    elif item.get("done"):
                        final = item
                    else:
                        out.append(event(item))
                if chat:
                    end_choice = {
                        "index": 0,
                        "delta": {"role": "assistant", "content": ""} if first_delta else {},
                        "finish_reason": _finish(final, any_calls),
                    }
                else:
                    end_choice = {"text": "", "index": 0, "finish_reason": _finish(final)}
                out.append(_sse({**envelope, "object": kind, "choices": [end_choice]}))
                if include_usage:
                    out.append(_sse({**envelope, "object": kind, "choices": [], "usage": _usage(final)}))
            except ApiError as exc:
                out.append(_sse({"error": {"message": exc.message, "type": "api_error", "param": None, "code": None}}))
            except Exception as exc:  # mid-stream: the error event, then [DONE], never a broken stream
                message = str(exc) or type(exc).__name__
                out.append(_sse({"error": {"message": message, "type": "api_error", "param": None, "code": None}}))
            out.append(b"data: [DONE]\n\n")
            yield b"".join(out)

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        return await completion(request, chat=True)

    @app.post("/v1/completions")
    async def completions(request: Request) -> Response:
        return await completion(request, chat=False)

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
