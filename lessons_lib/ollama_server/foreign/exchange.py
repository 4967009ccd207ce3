"""What the foreign APIs share: the bad-request error, the SSE writer and the one way a request is served.

`serve` runs one request of any of them: the body is decoded (`wire.read_json`, Go's decoder) and
translated by the API's `Exchange` (a `BadRequest` is its 400), the native call runs, and the answer
goes back whole or as the API's server-sent events through its `StreamConverter`. Errors before the
first byte keep their status in the API's envelope; one after it ends the stream with the API's
error event (`StreamConverter.failed`), as Ollama's middlewares do.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..protocol import ApiError
from ..service import OllamaService
from ..wire import batched_stream, collect, read_json

SSE_DONE = b"data: [DONE]\n\n"  # OpenAI's last event


class BadRequest(ValueError):
    """The body does not decode into the API's request type (Ollama's middleware answers 400)."""


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event: `data: {json}` (OpenAI), or with its name first, `event: X` (Anthropic, Responses:
    middleware/anthropic.go writeSSE, middleware/openai.go)."""
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return (f"event: {event}\n" if event else "").encode() + f"data: {payload}\n\n".encode()


class StreamConverter(Protocol):
    """Native chunks in, the API's events out (Ollama's StreamConverter of each middleware)."""

    def process(self, chunk: dict[str, Any]) -> list[bytes]: ...

    def failed(self, message: str) -> bytes: ...


class Exchange(ABC):
    """One request of a foreign API: made from the decoded body (BadRequest where Go's decoder or the
    middleware would refuse it), started on the service, answered whole or as a stream."""

    stream_headers: dict[str, str] = {}
    stream: bool

    @abstractmethod
    def start(self, service: OllamaService) -> AsyncIterator[Any]:
        """The native call's chunks (FLUSH markers between batches)."""

    @abstractmethod
    def whole(self, chunks: list[dict[str, Any]]) -> dict[str, Any]:
        """The answer when no stream was asked for."""

    @abstractmethod
    def converter(self) -> StreamConverter:
        """A stream converter for this request."""


ErrorResponse = Callable[[int, str], Response]


async def serve(
    request: Request, service: OllamaService, make: Callable[[dict[str, Any]], Exchange], error: ErrorResponse
) -> Response:
    """One request of a foreign API, answered the same way for each (see the module's docstring)."""
    try:
        exchange = make(await read_json(request))
        items = exchange.start(service)
        first = await items.__anext__()
        if not exchange.stream:
            return JSONResponse(exchange.whole(await collect(first, items)))
    except BadRequest as exc:
        return error(400, str(exc))
    except ApiError as exc:
        return error(exc.status, exc.message)
    except StopAsyncIteration:
        return error(500, "no response from model")
    converter = exchange.converter()
    events = batched_stream(first, items, converter.process, converter.failed)
    return StreamingResponse(events, media_type="text/event-stream", headers=exchange.stream_headers)
