"""The native API as Python: parsed requests in, response objects (dicts) out.

Each method checks a request the way Ollama does (same statuses, same wording), then hands the
work to the engine (generation, embeddings), the store (models), `create` or `registry`. Long work
runs in worker threads; what they produce reaches the event loop through `progress`.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any

from ..llama.logprobs import to_api
from ..names import InvalidName, ModelName
from . import prompts
from .create import create_model, parse_request
from .engine import Done, Engine
from .fields import (
    Thinking,
    check_format,
    check_message,
    logprobs_request,
    resolve_thinking,
    think_value,
    unmarshal_error,
)
from .models_api import ModelsApi
from .options import merge_options, parse_keep_alive
from .progress import FLUSH_INTERVAL_S, READY, Emit, progress_stream, thread_stream
from .prompts import capabilities
from .protocol import ApiError
from .registry import pull_model
from .store import ModelEntry, Store
from .text import Piece
from .tools import ToolParser, template_tag
from .wire import FLUSH, now_rfc3339, streaming, string_field


def _pace(body: dict[str, Any]) -> float | None:
    """How often a generation's tokens are handed on: a stream's flush interval; an answer sent whole
    is taken whole (None), so no thread wakes for its tokens."""
    return FLUSH_INTERVAL_S if streaming(body) else None


class OllamaService(ModelsApi):
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
        opts = merge_options(entry.parameters, options)
        keep_alive = parse_keep_alive(body.get("keep_alive"), self.engine.default_keep_alive)
        return opts, keep_alive

    def _thinking(self, body: dict[str, Any], entry: ModelEntry, name: str, relax: bool = False) -> Thinking:
        think = think_value(body)
        info = entry.gguf()
        can_think = info is not None and "thinking" in capabilities(info)
        return resolve_thinking(think, can_think, name, relax=relax)

    async def _run(
        self, produce: Callable[[threading.Event], Generator[Any, None, None]], pace_s: float | None
    ) -> AsyncIterator[Any]:
        """Items from the worker; engine errors raised before the first item keep their status."""
        async for batch in thread_stream(produce, pace_s):
            items = [item for item in batch if item is not READY]
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

    async def chat(self, body: dict[str, Any], *, relax_thinking: bool = False) -> AsyncIterator[dict[str, Any]]:
        """`relax_thinking`: the Anthropic route's leniency, `think` on a model without thinking is off."""
        started = time.perf_counter_ns()
        top_logprobs = logprobs_request(body, "ChatRequest")
        name = string_field(body, "model")
        if not name:
            raise ApiError(400, "model is required")
        messages = body.get("messages") or []
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            raise ApiError(
                400, "json: cannot unmarshal messages into Go struct field ChatRequest.messages of type []api.Message"
            )
        messages = [check_message(m) for m in messages]
        entry = self.find(name)
        opts, keep_alive = self._common(body, entry)
        tools = body.get("tools") or []
        if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
            raise ApiError(400, "json: cannot unmarshal tools into Go struct field ChatRequest.tools of type api.Tools")
        info = entry.gguf()
        if tools and (info is None or "tools" not in capabilities(info)):
            raise ApiError(400, f"{entry.name.full} does not support tools")
        thinking = self._thinking(body, entry, name, relax=relax_thinking)
        fmt = check_format(body)
        pace = _pace(body)

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
        parser = ToolParser(template_tag(info.chat_template if info else None), tools) if tools else None

        def produce(cancel: threading.Event) -> Generator[Any, None, None]:
            with self.engine.use(entry, name, opts, keep_alive) as (lm, load_ns):
                tokens = prompts.chat_prompt(lm.model, lm.formatter, history, tools, thinking.template, thinking.level)
                grammar = prompts.grammar(fmt)
                yield READY
                yield from self.engine.stream(
                    lm,
                    tokens,
                    opts,
                    grammar=grammar,
                    think=thinking.split,
                    starts_inside_think=False,
                    cancel=cancel,
                    load_ns=load_ns,
                    logprobs=top_logprobs,
                    pace_s=pace,
                )

        unflushed = False  # a FLUSH only after a chunk: the first item is never a FLUSH
        async for item in self._run(produce, pace):
            if item is FLUSH:
                if unflushed:
                    yield FLUSH
                unflushed = False
            elif isinstance(item, Piece):
                chunk = _chat_chunk(name, item, parser)
                if chunk is not None:
                    unflushed = True
                    yield chunk
            elif isinstance(item, Done):
                final = {
                    "model": name,
                    "created_at": now_rfc3339(),
                    "message": {"role": "assistant", "content": parser.content() if parser else ""},
                    "done": True,
                    **self._stats(item, started),
                }
                yield final

    async def generate(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        started = time.perf_counter_ns()
        top_logprobs = logprobs_request(body, "GenerateRequest")
        name = string_field(body, "model")
        if not name:
            raise ApiError(404, "model '' not found")
        prompt = string_field(body, "prompt")
        raw = bool(body.get("raw"))
        if raw and (body.get("template") or body.get("system") or body.get("context")):
            raise ApiError(400, "raw mode does not support template, system, or context")
        entry = self.find(name)
        opts, keep_alive = self._common(body, entry)
        thinking = self._thinking(body, entry, name)
        fmt = check_format(body)
        pace = _pace(body)

        if not prompt:
            reason = await asyncio.to_thread(self._load_only, entry, name, opts, keep_alive)
            yield {"model": name, "created_at": now_rfc3339(), "response": "", "done": True, "done_reason": reason}
            return

        system = string_field(body, "system") or entry.system
        string_field(body, "template")
        string_field(body, "suffix")
        context = body.get("context") or []
        if not isinstance(context, list) or not all(isinstance(t, int) for t in context):
            raise ApiError(
                400, "json: cannot unmarshal context into Go struct field GenerateRequest.context of type []int"
            )

        def produce(cancel: threading.Event) -> Generator[Any, None, None]:
            with self.engine.use(entry, name, opts, keep_alive) as (lm, load_ns):
                if raw:
                    tokens = prompts.raw_prompt(lm.model, prompt)
                else:
                    messages = ([{"role": "system", "content": system}] if system else []) + [
                        {"role": "user", "content": prompt}
                    ]
                    tokens = list(context) + prompts.chat_prompt(
                        lm.model, lm.formatter, messages, None, thinking.template, thinking.level
                    )
                grammar = prompts.grammar(fmt)
                yield READY
                yield from self.engine.stream(
                    lm,
                    tokens,
                    opts,
                    grammar=grammar,
                    think=thinking.split and not raw,
                    cancel=cancel,
                    load_ns=load_ns,
                    logprobs=top_logprobs,
                    pace_s=pace,
                )

        async for item in self._run(produce, pace):
            if item is FLUSH:
                yield FLUSH
            elif isinstance(item, Piece):
                chunk = {"model": name, "created_at": now_rfc3339(), "response": item.content, "done": False}
                if item.thinking:
                    chunk["thinking"] = item.thinking
                if item.logprobs:
                    chunk["logprobs"] = to_api(item.logprobs)
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
        name = string_field(body, "model")
        if not name:
            raise ApiError(400, "model is required")
        missing = (lambda n: ApiError(404, f'model "{n}" not found, try pulling it first')) if legacy else None
        entry = self.find(name, missing=missing)
        opts, keep_alive = self._common(body, entry)
        if legacy:
            prompt = string_field(body, "prompt")  # api.EmbeddingRequest.Prompt is a string
            inputs = [prompt] if prompt else []
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
        truncate = body.get("truncate")
        if truncate is not None and not isinstance(truncate, bool):
            raise unmarshal_error(truncate, "EmbedRequest", "truncate", "bool")
        dimensions = body.get("dimensions")
        if dimensions is None:
            dimensions = 0
        if isinstance(dimensions, bool) or not isinstance(dimensions, (int, float)) or dimensions != int(dimensions):
            raise unmarshal_error(dimensions, "EmbedRequest", "dimensions", "int")

        def work() -> tuple[list[list[float]], int, int]:
            with self.engine.use(entry, name, opts, keep_alive, embedding=True) as (lm, load_ns):
                vectors, count = self.engine.embed(lm, inputs, truncate is not False) if inputs else ([], 0)
                return vectors, count, load_ns

        vectors, count, load_ns = await asyncio.to_thread(work)
        if legacy:
            return {"embedding": vectors[0] if vectors else []}
        # Ollama (EmbedHandler): normalise; then 0 < dimensions < length cuts the vector and normalises again.
        vectors = [_l2_normalise(v) for v in vectors]
        if 0 < dimensions:
            vectors = [_l2_normalise(v[: int(dimensions)]) if dimensions < len(v) else v for v in vectors]
        result: dict[str, Any] = {"model": name, "embeddings": vectors}
        if inputs:
            result.update(
                total_duration=time.perf_counter_ns() - started, load_duration=load_ns, prompt_eval_count=count
            )
        return result

    # -- model management: create, pull (long work, streamed as progress lines) -----------------
    def create(self, body: dict[str, Any]) -> AsyncIterator[Any]:
        request = parse_request(body)
        return progress_items(lambda emit: create_model(self.store, request, emit))

    def pull(self, body: dict[str, Any]) -> AsyncIterator[Any]:
        name = string_field(body, "model") or string_field(body, "name")
        try:
            ModelName.parse(name)
        except InvalidName:
            raise ApiError(400, "invalid model name") from None
        insecure = bool(body.get("insecure"))
        return progress_items(lambda emit: pull_model(self.store, name, insecure, emit))


async def progress_items(work: Callable[[Emit], None]) -> AsyncIterator[Any]:
    """Progress lines, each sent at once (FLUSH); failures are ApiError with their status."""
    try:
        async for item in progress_stream(work):
            yield item
            yield FLUSH
    except OSError as exc:  # disk full, permissions: say what the system said
        raise ApiError(500, str(exc)) from exc


def _chat_chunk(name: str, piece: Piece, parser: ToolParser | None) -> dict[str, Any] | None:
    """One /api/chat chunk from a Piece; with tools, content goes through the tool parser first and
    tool calls replace it, as Ollama's ChatHandler does (a chunk that only carries logprobs while
    the parser holds its text back is still sent)."""
    message: dict[str, Any] = {"role": "assistant", "content": piece.content}
    if piece.thinking:
        message["thinking"] = piece.thinking
    chunk: dict[str, Any] = {"model": name, "created_at": now_rfc3339(), "message": message, "done": False}
    if piece.logprobs:
        chunk["logprobs"] = to_api(piece.logprobs)
    if parser is not None:
        calls, content = parser.add(piece.content)
        if content:
            message["content"] = content
        elif calls:
            message["content"] = ""
            message["tool_calls"] = calls
        elif not piece.thinking:
            if not piece.logprobs:
                return None
            message["content"] = ""
    elif not (piece.content or piece.thinking or piece.logprobs):
        return None
    return chunk


def _l2_normalise(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else vector
