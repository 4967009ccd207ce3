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
    if fmt.get("type") == "json_object":
        return "json"
    if fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema")
    return None


def _content(content: Any) -> str:
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return content or ""


def _usage(final: dict[str, Any]) -> dict[str, int]:
    prompt, completion = final.get("prompt_eval_count", 0), final.get("eval_count", 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _finish(final: dict[str, Any]) -> str:
    return "length" if final.get("done_reason") == "length" else "stop"


def _sse(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


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
        model = body.get("model") or ""
        if chat:
            messages = body.get("messages")
            if not messages:
                return openai_error(400, "[] is too short - 'messages'")
            native = {
                "model": model,
                "options": _options(body),
                "format": _format(body),
                "messages": [{"role": m.get("role"), "content": _content(m.get("content"))} for m in messages],
            }
            if body.get("reasoning_effort"):
                native["think"] = body["reasoning_effort"]
            items = service.chat(native)
        else:
            prompt = body.get("prompt")
            if isinstance(prompt, list):
                prompt = "".join(prompt)
            native = {"model": model, "options": _options(body), "prompt": prompt or "", "raw": False}
            items = service.generate(native)
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
            if chat:
                message: dict[str, Any] = {"role": "assistant", "content": text}
                reasoning = "".join(reasoning_of(c) for c in collected)
                if reasoning:
                    message["reasoning"] = reasoning
                choice = {"index": 0, "message": message, "finish_reason": _finish(final)}
            else:
                choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": _finish(final)}
            return JSONResponse(
                {
                    **envelope,
                    "object": "chat.completion" if chat else "text_completion",
                    "choices": [choice],
                    "usage": _usage(final),
                }
            )

        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        kind = "chat.completion.chunk" if chat else "text_completion"

        async def events() -> AsyncIterator[bytes]:
            first_delta = True
            out: list[bytes] = []  # SSE events of one batch, written together

            def event(chunk: dict[str, Any]) -> bytes:
                nonlocal first_delta
                if chat:
                    delta: dict[str, Any] = {"content": text_of(chunk)}
                    if reasoning_of(chunk):
                        delta["reasoning"] = reasoning_of(chunk)
                    if first_delta:
                        delta = {"role": "assistant", **delta}
                        first_delta = False
                    choice = {"index": 0, "delta": delta, "finish_reason": None}
                else:
                    choice = {"text": text_of(chunk), "index": 0, "finish_reason": None}
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
                        "finish_reason": _finish(final),
                    }
                else:
                    end_choice = {"text": "", "index": 0, "finish_reason": _finish(final)}
                out.append(_sse({**envelope, "object": kind, "choices": [end_choice]}))
                if include_usage:
                    out.append(_sse({**envelope, "object": kind, "choices": [], "usage": _usage(final)}))
            except ApiError as exc:
                out.append(_sse({"error": {"message": exc.message, "type": "api_error", "param": None, "code": None}}))
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
