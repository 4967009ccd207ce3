"""Ollama's wire format, shared by the native routes and /v1: JSON bodies in, NDJSON or JSON out.

Bodies are read as Ollama's Go decoder reads them (`gojson`: 400 for empty or malformed JSON or
bytes that are not UTF-8, in Go's words, as for a field of the wrong type); errors go out as {"error": message}; a stream is NDJSON, written
in batches (everything before a FLUSH marker in one socket write).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from . import gojson
from .protocol import NDJSON, ApiError, go_json_type

log = logging.getLogger("lessons_lib.ollama_server")

# Marks the end of a batch of chunks: everything before it goes out in one socket write.
FLUSH = object()


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, media_type="application/json; charset=utf-8")


def now_rfc3339() -> str:
    ns = time.time_ns()
    stamp = datetime.fromtimestamp(ns // 1_000_000_000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ns % 1_000_000_000:09d}Z"


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, as Go's encoder writes it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


async def read_json(request: Request) -> dict[str, Any]:
    """The body as Ollama's Go decoder takes it (`gojson`): 400 in Go's words for anything else.
    Every route reads its body here, the foreign APIs too (they wrap the message in their own shape)."""
    try:
        body = gojson.decode(await request.body())
    except gojson.EmptyBody:
        raise ApiError(400, "missing request body") from None
    except gojson.GoJSONError as exc:
        raise ApiError(400, str(exc)) from None
    if body is None:  # `null` into a Go struct leaves it empty
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, f"json: cannot unmarshal {go_json_type(body)} into Go value of type api.Request")
    return body


def string_field(body: dict[str, Any], key: str) -> str:
    """A string field ("" when absent), refused in Go's words when it is another type."""
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(400, f"json: cannot unmarshal {go_json_type(value)} into Go struct field .{key} of type string")
    return value


async def collect(first: Any, items: AsyncIterator[Any]) -> list[Any]:
    """Every chunk of a non-streamed answer (FLUSH markers dropped); ApiError passes through."""
    collected = [first]
    async for item in items:
        if item is not FLUSH:
            collected.append(item)
    return collected


async def batched_stream(
    first: Any, items: AsyncIterator[Any], encode: Callable[[Any], list[bytes]], failed: Callable[[str], bytes]
) -> AsyncIterator[bytes]:
    """Chunks encoded as they come, one socket write per FLUSH. An error after the first chunk ends
    the stream with the API's own error record, `failed(message)`: the status is already sent.
    Shared by the NDJSON routes and the named-event SSE routes (Anthropic, Responses)."""
    out = encode(first)
    try:
        async for item in items:
            if item is FLUSH:
                yield b"".join(out)
                out = []
            else:
                out.extend(encode(item))
    except ApiError as exc:
        out.append(failed(exc.message))
    except Exception as exc:
        log.exception("generation failed")
        out.append(failed(str(exc) or type(exc).__name__))
    if out:
        yield b"".join(out)


def streaming(body: dict[str, Any]) -> bool:
    """Does the native request ask for a stream? (Ollama streams unless told `"stream": false`.)"""
    return body.get("stream") is not False


async def respond(
    body: dict[str, Any], items: AsyncIterator[Any], merge: Callable[[list[dict[str, Any]]], dict[str, Any]]
) -> Response:
    """Stream as NDJSON (the default) or answer once; errors before the first item keep their status."""
    try:
        first = await items.__anext__()
    except ApiError as exc:
        return error_response(exc.status, exc.message)
    except StopAsyncIteration:
        return error_response(500, "no response from model")
    except Exception as exc:  # never a bare 500: Ollama's JSON error
        log.exception("generation failed")
        return error_response(500, str(exc) or type(exc).__name__)
    if not streaming(body):
        try:
            collected = await collect(first, items)
        except ApiError as exc:
            return error_response(exc.status, exc.message)
        except Exception as exc:
            log.exception("generation failed")
            return error_response(500, str(exc) or type(exc).__name__)
        return JSONResponse(merge(collected))

    # Mid-stream the status is already 200: one {"error"} line ends the stream, as Ollama does.
    lines = batched_stream(first, items, lambda item: [dumps(item) + b"\n"], lambda msg: dumps({"error": msg}) + b"\n")
    return StreamingResponse(lines, media_type=NDJSON)


def _merge_logprobs(final: dict[str, Any], chunks: list[dict[str, Any]]) -> None:
    logprobs = [lp for c in chunks for lp in c.get("logprobs", ())]
    if logprobs:
        final["logprobs"] = logprobs


def merge_chat(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """One answer from a chat stream, as Ollama's writeChatResponse builds it: texts joined,
    tool calls and logprobs gathered."""
    final = dict(chunks[-1])
    content = "".join(c["message"].get("content", "") for c in chunks)
    thinking = "".join(c["message"].get("thinking", "") for c in chunks)
    calls = [call for c in chunks for call in c["message"].get("tool_calls", ())]
    final["message"] = {
        "role": "assistant",
        "content": content,
        **({"thinking": thinking} if thinking else {}),
        **({"tool_calls": calls} if calls else {}),
    }
    _merge_logprobs(final, chunks)
    return final


def merge_generate(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    final = dict(chunks[-1])
    final["response"] = "".join(c.get("response", "") for c in chunks)
    thinking = "".join(c.get("thinking", "") for c in chunks)
    if thinking:
        final["thinking"] = thinking
    _merge_logprobs(final, chunks)
    return final


def merge_progress(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    return chunks[-1]
