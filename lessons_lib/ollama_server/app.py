"""Routes and wire format of the embedded Ollama-compatible server.

Everything a client sees is shaped here: NDJSON streams, {"error": ...} bodies and their
status codes, nanosecond timings. The work itself is done by `engine` and `store`.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Callable, Iterator

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from .. import gguf_file
from . import security
from .engine import Done, Engine, EngineError, Piece, capabilities, merge_options, parse_keep_alive
from .create import create_model, parse_request
from .registry import pull_model
from .progress import Emit, ProgressError, progress_stream, thread_items
from .store import InvalidDigest, InvalidName, ModelEntry, ModelName, Store, normalize_digest

# The Ollama release whose behaviour this server follows (memory errors, list, show).
OLLAMA_VERSION = "0.12.10"
SERVER_HEADER = "X-Workbook-Server"  # lets lessons tell the embedded server from a real Ollama
NDJSON = "application/x-ndjson"
_READY = object()
# Marks the end of a batch of chunks: everything before it goes out in one socket write.
FLUSH = object()
# Tokens that come faster than this are sent together (each still its own NDJSON line).
# Fewer wake-ups of the client and of the event loop leave the CPU to llama.cpp: on two
# cores, writing every token separately cost about 5 % of the decode speed.
FLUSH_INTERVAL_S = 0.03


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, media_type="application/json; charset=utf-8")


def now_rfc3339() -> str:
    ns = time.time_ns()
    stamp = datetime.fromtimestamp(ns // 1_000_000_000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ns % 1_000_000_000:09d}Z"


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


async def read_json(request: Request) -> dict[str, Any]:
    """The body as Ollama's Go decoder would take it: 400 for empty or malformed JSON."""
    raw = await request.body()
    if not raw.strip():
        raise ApiError(400, "missing request body")
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"invalid character in request body: {exc.msg} at offset {exc.pos}") from exc
    if not isinstance(body, dict):
        raise ApiError(400, f"json: cannot unmarshal {type(body).__name__} into Go value of type api.Request")
    return body


def _string_field(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(400, f"json: cannot unmarshal {type(value).__name__} into Go struct field .{key} of type string")
    return value


def thread_stream(produce: Callable[[threading.Event], Iterator[Any]]) -> AsyncIterator[list[Any]]:
    """Run a blocking generator in a worker thread and hand its items to the event loop in batches.

    If the consumer goes away (client disconnect), `cancel` is set; the worker stops between
    tokens and closes the generator, which releases the model for the next request.
    """

    def run(post: Callable[[Any], None], cancel: threading.Event) -> None:
        gen = produce(cancel)
        batch: list[Any] = []
        last_post, posts = 0.0, 0
        try:
            for item in gen:
                if cancel.is_set():
                    break
                batch.append(item)
                now = time.monotonic()
                # The first two posts (ready, first token) go at once: time to first token is untouched.
                if posts < 2 or now - last_post >= FLUSH_INTERVAL_S:
                    post(batch)
                    batch, last_post, posts = [], now, posts + 1
        finally:  # an error reaches the consumer after what came before it
            gen.close()
            if batch:
                post(batch)

    return thread_items(run, "generate")


class OllamaService:
    """The native API as Python: parsed requests in, response objects (dicts) out."""

    def __init__(self, store: Store, engine: Engine):
        self.store = store
        self.engine = engine

    # -- lookups -------------------------------------------------------------------------------
    def find(self, name: str, *, missing: Callable[[str], ApiError] | None = None) -> ModelEntry:
        try:
            entry = self.store.find(name)
        except InvalidName as exc:
            raise ApiError(400, str(exc)) from exc
        if entry is None or entry.model_path is None:
            raise (missing(name) if missing else ApiError(404, f"model '{name}' not found"))
        return entry

    def _common(self, body: dict[str, Any], entry: ModelEntry) -> tuple[dict[str, Any], float | None]:
        options = body.get("options")
        if options is not None and not isinstance(options, dict):
            raise ApiError(400, "json: cannot unmarshal options into Go struct field of type map[string]interface {}")
        try:
            opts = merge_options(entry.parameters, options)
            keep_alive = parse_keep_alive(body.get("keep_alive"), self.engine.default_keep_alive)
        except EngineError as exc:
            raise ApiError(exc.status, exc.message) from exc
        return opts, keep_alive

    def _think(self, body: dict[str, Any], entry: ModelEntry, name: str) -> tuple[bool, bool | None]:
        """(split thinking out of the output?, value for the template)."""
        think = body.get("think")
        if think is not None and not isinstance(think, bool) and think not in ("low", "medium", "high", "max"):
            raise ApiError(400, f"invalid think value: {json.dumps(think)}")
        info = entry.gguf()
        can_think = info is not None and "thinking" in capabilities(info)
        if think not in (None, False) and not can_think:
            raise ApiError(400, f'"{name}" does not support thinking')
        if not can_think:
            return False, None
        return think is not False, think is not False

    def _format(self, body: dict[str, Any]) -> Any:
        fmt = body.get("format")
        if fmt in (None, "", "json") or isinstance(fmt, dict):
            return fmt
        raise ApiError(400, f'invalid format: {json.dumps(fmt)}; expected "json" or a valid JSON Schema object')

    async def _run(self, produce: Callable[[threading.Event], Iterator[Any]]) -> AsyncIterator[Any]:
        """Items from the worker; engine errors raised before the first item keep their status."""
        async for batch in thread_stream(produce):
            items = [item for item in batch if item is not _READY]
            for item in items:
                yield item
            if items:
                yield FLUSH

    # -- chat / generate -------------------------------------------------------------------------
    def _stats(self, done: Done, started: int) -> dict[str, Any]:
        return {
            "done_reason": done.done_reason,
            "total_duration": time.perf_counter_ns() - started,
            "load_duration": done.load_duration,
            "prompt_eval_count": done.prompt_eval_count,
            "prompt_eval_duration": done.prompt_eval_duration,
            "eval_count": done.eval_count,
            "eval_duration": done.eval_duration,
        }

    def _load_only(self, entry: ModelEntry, name: str, opts: dict[str, Any], keep_alive: float | None) -> str:
        if keep_alive == 0:
            self.engine.unload(entry)
            return "unload"
        with self.engine.use(entry, name, opts, keep_alive):
            pass
        return "load"

    async def chat(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        started = time.perf_counter_ns()
        name = _string_field(body, "model")
        if not name:
            raise ApiError(400, "model is required")
        messages = body.get("messages") or []
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            raise ApiError(
                400, "json: cannot unmarshal messages into Go struct field ChatRequest.messages of type []api.Message"
            )
        entry = self.find(name)
        opts, keep_alive = self._common(body, entry)
        tools = body.get("tools") or []
        info = entry.gguf()
        if tools and (info is None or "tools" not in capabilities(info)):
            raise ApiError(400, f"{entry.name.full} does not support tools")
        split_think, think_value = self._think(body, entry, name)
        fmt = self._format(body)

        if not messages:
            reason = await asyncio.to_thread(self._load_only, entry, name, opts, keep_alive)
            yield {
                "model": name,
                "created_at": now_rfc3339(),
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": reason,
            }
            return

        history = list(entry.messages) + messages
        system = entry.system
        if system and not any(m.get("role") == "system" for m in history):
            history.insert(0, {"role": "system", "content": system})

        def produce(cancel: threading.Event) -> Iterator[Any]:
            try:
                with self.engine.use(entry, name, opts, keep_alive) as (lm, load_ns):
                    tokens = self.engine.chat_prompt(lm, history, tools, think_value)
                    grammar = self.engine.grammar(fmt)
                    yield _READY
                    yield from self.engine.stream(
                        lm,
                        tokens,
                        opts,
                        grammar=grammar,
                        think=split_think,
                        starts_inside_think=False,
                        cancel=cancel,
                        load_ns=load_ns,
                    )
            except EngineError as exc:
                raise ApiError(exc.status, exc.message) from exc

        async for item in self._run(produce):
            if item is FLUSH:
                yield FLUSH
            elif isinstance(item, Piece):
                message = {"role": "assistant", "content": item.content}
                if item.thinking:
                    message["thinking"] = item.thinking
                yield {"model": name, "created_at": now_rfc3339(), "message": message, "done": False}
            elif isinstance(item, Done):
                yield {
                    "model": name,
                    "created_at": now_rfc3339(),
                    "message": {"role": "assistant", "content": ""},
                    "done": True,
                    **self._stats(item, started),
                }

    async def generate(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        started = time.perf_counter_ns()
        name = _string_field(body, "model")
        if not name:
            raise ApiError(404, "model '' not found")
        prompt = _string_field(body, "prompt")
        raw = bool(body.get("raw"))
        if raw and (body.get("template") or body.get("system") or body.get("context")):
            raise ApiError(400, "raw mode does not support template, system, or context")
        entry = self.find(name)
        opts, keep_alive = self._common(body, entry)
        split_think, think_value = self._think(body, entry, name)
        fmt = self._format(body)

        if not prompt:
            reason = await asyncio.to_thread(self._load_only, entry, name, opts, keep_alive)
            yield {"model": name, "created_at": now_rfc3339(), "response": "", "done": True, "done_reason": reason}
            return

        system = body.get("system") or entry.system
        context = body.get("context") or []
        if not isinstance(context, list) or not all(isinstance(t, int) for t in context):
            raise ApiError(
                400, "json: cannot unmarshal context into Go struct field GenerateRequest.context of type []int"
            )

        def produce(cancel: threading.Event) -> Iterator[Any]:
            try:
                with self.engine.use(entry, name, opts, keep_alive) as (lm, load_ns):
                    if raw:
                        tokens = self.engine.raw_prompt(lm, prompt)
                    else:
                        messages = ([{"role": "system", "content": system}] if system else []) + [
                            {"role": "user", "content": prompt}
                        ]
                        tokens = list(context) + self.engine.chat_prompt(lm, messages, None, think_value)
                    grammar = self.engine.grammar(fmt)
                    yield _READY
                    yield from self.engine.stream(
                        lm, tokens, opts, grammar=grammar, think=split_think, cancel=cancel, load_ns=load_ns
                    )
            except EngineError as exc:
                raise ApiError(exc.status, exc.message) from exc

        async for item in self._run(produce):
            if item is FLUSH:
                yield FLUSH
            elif isinstance(item, Piece):
                chunk = {"model": name, "created_at": now_rfc3339(), "response": item.content, "done": False}
                if item.thinking:
                    chunk["thinking"] = item.thinking
                yield chunk
            elif isinstance(item, Done):
                final = {
                    "model": name,
                    "created_at": now_rfc3339(),
                    "response": "",
                    "done": True,
                    **self._stats(item, started),
                }
                if not raw:
                    final["context"] = item.context
                yield final

    # -- embeddings ------------------------------------------------------------------------------
    async def embed(self, body: dict[str, Any], *, legacy: bool = False) -> dict[str, Any]:
        started = time.perf_counter_ns()
        name = _string_field(body, "model")
        if not name:
            raise ApiError(400, "model is required")
        missing = (lambda n: ApiError(404, f'model "{n}" not found, try pulling it first')) if legacy else None
        entry = self.find(name, missing=missing)
        opts, keep_alive = self._common(body, entry)
        if legacy:
            raw_input = body.get("prompt") or ""
            inputs = [raw_input] if raw_input else []
        else:
            raw_input = body.get("input")
            if raw_input is None or raw_input == "":
                inputs = []
            elif isinstance(raw_input, str):
                inputs = [raw_input]
            elif isinstance(raw_input, list) and all(isinstance(s, str) for s in raw_input):
                inputs = raw_input
            else:
                raise ApiError(400, "invalid input type")
        truncate = body.get("truncate", True) is not False
        dimensions = body.get("dimensions")

        def work() -> tuple[list[list[float]], int, int]:
            try:
                with self.engine.use(entry, name, opts, keep_alive, embedding=True) as (lm, load_ns):
                    vectors, count = self.engine.embed(lm, inputs, truncate) if inputs else ([], 0)
                    return vectors, count, load_ns
            except EngineError as exc:
                raise ApiError(exc.status, exc.message) from exc

        vectors, count, load_ns = await asyncio.to_thread(work)
        if legacy:
            return {"embedding": vectors[0] if vectors else []}
        if isinstance(dimensions, int) and dimensions > 0:
            vectors = [v[:dimensions] for v in vectors]
        result: dict[str, Any] = {"model": name, "embeddings": [_l2_normalise(v) for v in vectors]}
        if inputs:
            result.update(
                total_duration=time.perf_counter_ns() - started, load_duration=load_ns, prompt_eval_count=count
            )
        return result

    # -- models -----------------------------------------------------------------------------------
    def tags(self) -> dict[str, Any]:
        models = []
        for entry in self.store.list():
            if entry.model_path is None:
                continue
            models.append(
                {
                    "name": entry.name.display,
                    "model": entry.name.display,
                    "modified_at": entry.modified_at,
                    "size": entry.size,
                    "digest": entry.digest,
                    "details": entry.details(),
                }
            )
        return {"models": models}

    def show(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _string_field(body, "model") or _string_field(body, "name")
        if not name:
            raise ApiError(400, "model is required")
        try:
            display = ModelName.parse(name).display
        except InvalidName as exc:
            raise ApiError(400, str(exc)) from exc
        entry = self.find(name, missing=lambda n: ApiError(404, f"model '{display}' not found"))
        info = entry.gguf()
        verbose = bool(body.get("verbose"))
        params = entry.parameters
        result: dict[str, Any] = {
            "modelfile": modelfile(entry, info),
            "parameters": parameters_text(params),
            "template": entry.template or (info.chat_template if info else "") or "",
            "details": entry.details(),
            "model_info": info.model_info(verbose) if info else {},
            "tensors": [{"name": t.name, "type": t.type, "shape": list(t.shape)} for t in info.tensors] if info else [],
            "capabilities": capabilities(info) if info else [],
            "modified_at": entry.modified_at,
        }
        if entry.system:
            result["system"] = entry.system
        if entry.license:
            result["license"] = entry.license
        if entry.messages:
            result["messages"] = entry.messages
        return result

    def ps(self) -> dict[str, Any]:
        models = []
        by_digest = {e.digest: e for e in self.store.list()}
        for lm in self.engine.loaded():
            entry = by_digest.get(lm.entry_digest)
            if entry is None:
                continue
            expires = lm.expires_at if lm.expires_at is not None else time.time() + 100 * 365 * 86400
            models.append(
                {
                    "name": entry.name.display,
                    "model": entry.name.display,
                    "size": lm.size,
                    "digest": entry.digest,
                    "details": entry.details(),
                    "expires_at": datetime.fromtimestamp(expires).astimezone().isoformat(),
                    "size_vram": lm.size if lm.on_gpu else 0,
                    "context_length": lm.params.n_ctx,
                }
            )
        return {"models": models}

    def copy(self, body: dict[str, Any]) -> None:
        source, destination = _string_field(body, "source"), _string_field(body, "destination")
        for label, value in (("source", source), ("destination", destination)):
            try:
                ModelName.parse(value)
            except InvalidName:
                raise ApiError(400, f'{label} "{value}" is invalid') from None
        entry = self.find(source, missing=lambda n: ApiError(404, f'model "{n}" not found'))
        self.store.copy(entry, ModelName.parse(destination))

    def delete(self, body: dict[str, Any]) -> None:
        name = _string_field(body, "model") or _string_field(body, "name")
        try:
            ModelName.parse(name)
        except InvalidName:
            raise ApiError(400, f'name "{name}" is invalid') from None
        entry = self.find(name)
        self.engine.unload(entry)
        self.store.delete(entry)

    # -- model management: create, pull (long work, streamed as progress lines) -----------------
    def create(self, body: dict[str, Any]) -> AsyncIterator[Any]:
        try:
            request = parse_request(body)
        except ProgressError as exc:
            raise ApiError(exc.status, exc.message) from exc
        return progress_items(lambda emit: create_model(self.store, request, emit))

    def pull(self, body: dict[str, Any]) -> AsyncIterator[Any]:
        name = _string_field(body, "model") or _string_field(body, "name")
        try:
            ModelName.parse(name)
        except InvalidName:
            raise ApiError(400, "invalid model name") from None
        insecure = bool(body.get("insecure"))
        return progress_items(lambda emit: pull_model(self.store, name, insecure, emit))


async def progress_items(work: Callable[[Emit], None]) -> AsyncIterator[Any]:
    """Progress lines, each sent at once (FLUSH), failures as ApiError with their status."""
    try:
        async for item in progress_stream(work):
            yield item
            yield FLUSH
    except ProgressError as exc:
        raise ApiError(exc.status, exc.message) from exc
    except OSError as exc:  # disk full, permissions: say what the system said
        raise ApiError(500, str(exc)) from exc


def merge_progress(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    return chunks[-1]


def _l2_normalise(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else vector


def parameters_text(params: dict[str, Any]) -> str:
    """Modelfile parameters as /api/show prints them: key padded to 30 columns, Go-quoted values."""
    lines = []
    for key, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            shown = json.dumps(item) if isinstance(item, str) else str(item).lower() if isinstance(item, bool) else item
            lines.append(f"{key:<30} {shown}")
    return "\n".join(lines)


def modelfile(entry: ModelEntry, info: gguf_file.GGUFInfo | None) -> str:
    lines = [
        '# Modelfile generated by "ollama show"',
        "# To build a new Modelfile based on this, replace FROM with:",
        f"# FROM {entry.name.display}",
        "",
        f"FROM {entry.model_path}",
    ]
    template = entry.template or (info.chat_template if info else None)
    if template:
        lines.append(f'TEMPLATE """{template}"""')
    if entry.system:
        lines.append(f'SYSTEM """{entry.system}"""')
    for key, value in entry.parameters.items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"PARAMETER {key} {json.dumps(item) if isinstance(item, str) else item}")
    if entry.license:
        lines.append(f'LICENSE """{entry.license}"""')
    return "\n".join(lines) + "\n"


def _streaming(body: dict[str, Any]) -> bool:
    return body.get("stream") is not False


async def respond(
    body: dict[str, Any], items: AsyncIterator[dict[str, Any]], merge: Callable[[list[dict]], dict]
) -> Response:
    """Stream as NDJSON (the default) or answer once; errors before the first item keep their status."""
    try:
        first = await items.__anext__()
    except ApiError as exc:
        return error_response(exc.status, exc.message)
    except StopAsyncIteration:
        return error_response(500, "no response from model")
    if not _streaming(body):
        collected = [first]
        try:
            async for item in items:
                if item is not FLUSH:
                    collected.append(item)
        except ApiError as exc:
            return error_response(exc.status, exc.message)
        return JSONResponse(merge(collected))

    async def lines() -> AsyncIterator[bytes]:
        buffer = [_dumps(first) + b"\n"]
        try:
            async for item in items:
                if item is FLUSH:
                    yield b"".join(buffer)
                    buffer = []
                else:
                    buffer.append(_dumps(item) + b"\n")
        except ApiError as exc:
            buffer.append(_dumps({"error": exc.message}) + b"\n")
        if buffer:
            yield b"".join(buffer)

    return StreamingResponse(lines(), media_type=NDJSON)


def merge_chat(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    final = dict(chunks[-1])
    content = "".join(c["message"].get("content", "") for c in chunks)
    thinking = "".join(c["message"].get("thinking", "") for c in chunks)
    final["message"] = {"role": "assistant", "content": content, **({"thinking": thinking} if thinking else {})}
    return final


def merge_generate(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    final = dict(chunks[-1])
    final["response"] = "".join(c.get("response", "") for c in chunks)
    thinking = "".join(c.get("thinking", "") for c in chunks)
    if thinking:
        final["thinking"] = thinking
    return final


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

    from .openai import add_openai_routes

    add_openai_routes(app, service)
    return security.wrap(app, loopback_only=loopback_only)
