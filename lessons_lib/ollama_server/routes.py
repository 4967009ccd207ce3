"""The embedded server's routes: Ollama's native API (and, from `foreign`, /v1) on a FastAPI app.

Routes only read the request and shape the answer; `OllamaService` does the work. Unknown paths
and methods get Gin's plain-text answers, which Ollama clients expect.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response

from ..names import InvalidDigest, normalize_digest
from . import security
from .engine import Engine
from .foreign import add_foreign_routes
from .options import LoadParams, merge_options
from .prometheus import prometheus_text
from .protocol import OLLAMA_VERSION, SERVER_HEADER, ApiError
from .service import OllamaService
from .store import Store
from .wire import error_response, merge_chat, merge_generate, merge_progress, read_json, respond

log = logging.getLogger("lessons_lib.ollama_server")


def create_app(store: Store, engine: Engine, *, loopback_only: bool = True) -> Any:
    """The ASGI app; `loopback_only` turns on the Host-header guard (on when listening on loopback)."""
    service = OllamaService(store, engine)
    app = FastAPI(
        title="Local LLM Workbook: embedded Ollama-compatible server", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.service = service

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.message)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        # Whatever went wrong, the client gets Ollama's shape, never a bare text 500.
        log.exception("unexpected error")
        return error_response(500, str(exc) or type(exc).__name__)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> Response:
        # Gin's plain-text answers, which Ollama clients expect.
        if exc.status_code == 405:
            return PlainTextResponse("405 method not allowed", status_code=405)
        return PlainTextResponse("404 page not found", status_code=exc.status_code)

    @app.api_route("/", methods=["GET", "HEAD"])
    async def root() -> Response:
        return PlainTextResponse("Ollama is running")

    @app.api_route("/api/version", methods=["GET", "HEAD"])
    async def version() -> Response:
        return JSONResponse({"version": OLLAMA_VERSION}, headers={SERVER_HEADER: "embedded"})

    @app.api_route("/api/tags", methods=["GET", "HEAD"])
    async def tags() -> Response:
        return JSONResponse(await asyncio.to_thread(service.tags))

    @app.get("/metrics")
    async def metrics() -> Response:
        return PlainTextResponse(prometheus_text(engine.metrics()), media_type="text/plain; version=0.0.4")

    @app.get("/props")
    async def props(request: Request) -> Response:
        return JSONResponse(await asyncio.to_thread(llama_server_props, service, request.query_params.get("model")))

    @app.get("/api/ps")
    async def ps() -> Response:
        return JSONResponse(service.ps())

    @app.post("/api/show")
    async def show(request: Request) -> Response:
        body = await read_json(request)
        return JSONResponse(await asyncio.to_thread(service.show, body))

    @app.post("/api/chat")
    async def chat(request: Request) -> Response:
        body = await read_json(request)
        return await respond(body, service.chat(body), merge_chat)

    @app.post("/api/generate")
    async def generate(request: Request) -> Response:
        body = await read_json(request)
        return await respond(body, service.generate(body), merge_generate)

    @app.post("/api/embed")
    async def embed(request: Request) -> Response:
        body = await read_json(request)
        return JSONResponse(await service.embed(body))

    @app.post("/api/embeddings")
    async def embeddings(request: Request) -> Response:
        body = await read_json(request)
        return JSONResponse(await service.embed(body, legacy=True))

    @app.post("/api/copy")
    async def copy(request: Request) -> Response:
        body = await read_json(request)
        await asyncio.to_thread(service.copy, body)
        return Response(status_code=200)

    @app.delete("/api/delete")
    async def delete(request: Request) -> Response:
        body = await read_json(request)
        await asyncio.to_thread(service.delete, body)
        return Response(status_code=200)

    @app.post("/api/create")
    async def create(request: Request) -> Response:
        body = await read_json(request)
        return await respond(body, service.create(body), merge_progress)

    @app.post("/api/pull")
    async def pull(request: Request) -> Response:
        body = await read_json(request)
        return await respond(body, service.pull(body), merge_progress)

    @app.head("/api/blobs/{digest}")
    async def blob_exists(digest: str) -> Response:
        try:
            present = store.has_blob(normalize_digest(digest))
        except InvalidDigest as exc:
            return error_response(400, str(exc))
        return Response(status_code=200 if present else 404)

    @app.post("/api/blobs/{digest}")
    async def blob_upload(digest: str, request: Request) -> Response:
        try:
            expected = normalize_digest(digest)
        except InvalidDigest as exc:
            return error_response(400, str(exc))
        if store.has_blob(expected):
            return Response(status_code=200)
        writer = store.blob_writer(expected)
        try:
            async for chunk in request.stream():
                writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        try:
            await asyncio.to_thread(writer.commit)
        except ValueError as exc:
            return error_response(400, str(exc))
        return Response(status_code=201)

    add_foreign_routes(app, service)
    return security.wrap(app, loopback_only=loopback_only)


def llama_server_props(service: OllamaService, model: str | None) -> dict[str, Any]:
    """llama-server's GET /props, the part a client sizes its concurrency by: `total_slots`.

    `?model=NAME` (llama-server's router mode) asks about one model: the slots it has if loaded, else
    the slots it would get (OLLAMA_NUM_PARALLEL, or the automatic 4-or-1 that the engine picks from
    memory). Without it: OLLAMA_NUM_PARALLEL, else the first loaded model's, else the automatic 4.
    Real Ollama has no /props (404), so a client falls back to Ollama's own default of 1.
    """
    engine = service.engine
    loaded = engine.loaded()
    if model:
        entry = service.find(model)
        slots = next((lm.n_parallel for lm in loaded if lm.entry_digest == entry.digest), 0)
        info = entry.gguf()
        if not slots and info is not None:
            params = LoadParams.from_options(merge_options(entry.parameters), n_ctx_train=info.context_length or 0)
            slots = engine.check_memory(info, params)[2]
    else:
        slots = engine.num_parallel or (loaded[0].n_parallel if loaded else 4)
    return {"total_slots": slots or 1}
