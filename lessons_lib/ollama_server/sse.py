"""Server-sent events with a named type (`event: X` then `data: {json}`), as Ollama's Anthropic and
Responses middlewares write them (middleware/anthropic.go writeSSE, middleware/openai.go)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from .protocol import ApiError
from .wire import FLUSH


def named_event(event: str, data: Any) -> bytes:
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"event: {event}\ndata: {payload}\n\n".encode()


async def converted_stream(
    first: Any, items: AsyncIterator[Any], process: Callable[[Any], list[bytes]], failed: Callable[[str], bytes]
) -> AsyncIterator[bytes]:
    """Native chat chunks through a stream converter, one socket write per FLUSH; an error after the
    first event ends the stream with the API's own error event (`failed(message)`)."""
    out = process(first)
    try:
        async for item in items:
            if item is FLUSH:
                yield b"".join(out)
                out = []
            else:
                out.extend(process(item))
    except Exception as exc:
        out.append(failed(exc.message if isinstance(exc, ApiError) else str(exc) or type(exc).__name__))
    yield b"".join(out)
