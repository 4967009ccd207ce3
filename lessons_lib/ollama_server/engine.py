"""llama.cpp behind the server: load, keep alive, unload, generate, embed.

Options are read in `options`, prompts built in `prompts`, thinking split in `text`.
A model is checked against this machine's free memory (weights plus slots x context of KV
cache) before it is loaded, so an oversized request gets Ollama's "model requires more system
memory" error instead of an OOM kill. Requests to one model run together in its slots
(lessons_lib.llama.batch_engine: continuous batching over llama.cpp's batch API).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import hardware, memory
from ..llama import gguf_file
from ..llama.batch_engine import BatchEngine, EngineClosed, Metrics, PromptTooLong, QueueFull
from ..llama.batch_model import ContextShape, ModelLoadError, NativeModel
from ..llama.embedding import EmbeddingContext
from ..llama.logprobs import TokenLogprob
from ..llama.sampling import GrammarError, SamplingParams
from ..llama.slots import Finished, GenerationFailed, Request
from .options import LoadParams, default_max_queue, default_num_parallel, env_keep_alive
from .progress import FLUSH_INTERVAL_S
from .prompts import chat_formatter, fit_context
from .protocol import ApiError
from .store import LAYER_MODEL, ModelEntry
from .text import Piece, ThinkSplitter

log = logging.getLogger("lessons_lib.ollama_server")


@dataclass
class LoadedModel:
    """One model in memory (Ollama's runner): its weights, N generation slots, embeddings on demand."""

    name: str
    entry_digest: str
    model_digest: str
    info: gguf_file.GGUFInfo
    params: LoadParams
    estimate: memory.MemoryEstimate
    model: NativeModel
    batch: BatchEngine
    on_gpu: bool
    n_parallel: int = 1
    expires_at: float | None = None  # None: kept loaded until asked otherwise
    formatter: Any = None
    refs: int = 0  # requests using it right now; it is never unloaded while this is not 0
    embedder: EmbeddingContext | None = None

    @property
    def size(self) -> int:
        return self.estimate.total

    @property
    def n_ctx_train(self) -> int:
        """The context the model was trained with (0: its GGUF header does not say); num_ctx is capped at it."""
        return self.info.context_length or 0

    def embedding_context(self) -> EmbeddingContext:
        if self.embedder is None:
            has_pooling = f"{self.info.architecture}.pooling_type" in self.info.metadata
            self.embedder = EmbeddingContext(self.model, self.params.n_ctx, self.params.n_threads, has_pooling)
        return self.embedder

    def close(self) -> None:
        self.batch.close()
        if self.embedder is not None:
            self.embedder.close()
        self.model.close()


@dataclass
class Done:
    """The final record of a generation: Ollama's counts and nanosecond durations."""

    done_reason: str
    prompt_eval_count: int
    prompt_eval_duration: int
    eval_count: int
    eval_duration: int
    load_duration: int
    total_duration: int = 0
    context: list[int] = field(default_factory=list)


class Engine:
    """Loaded models and the work done with them.

    Each loaded model has a batching engine with N slots (OLLAMA_NUM_PARALLEL): requests to one
    model run together, joining between tokens, and wait in its queue (OLLAMA_MAX_QUEUE) when
    every slot is busy. A model is unloaded or reloaded only when no request uses it: a request
    whose load options differ waits for the others to finish, as Ollama's scheduler waits for a
    runner's reference count to reach zero (server/sched.go).
    """

    def __init__(
        self,
        default_keep_alive: float | None = None,
        machine: Callable[[], hardware.Machine] = hardware.detect,
        num_parallel: int | None = None,
        max_queue: int | None = None,
    ):
        self.default_keep_alive = env_keep_alive() if default_keep_alive is None else default_keep_alive
        self.num_parallel = default_num_parallel() if num_parallel is None else num_parallel  # 0: automatic
        self.max_queue = default_max_queue() if max_queue is None else max_queue
        self._machine = machine
        self._models: dict[str, LoadedModel] = {}
        self._loading: set[str] = set()
        self._cond = threading.Condition()
        self._retired = Metrics()  # counters of engines already unloaded, so /metrics never goes back
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name="keep-alive", daemon=True)
        self._reaper.start()

    # -- lifecycle -----------------------------------------------------------------------------
    def close(self) -> None:
        self._stop.set()
        with self._cond:
            models, self._models = list(self._models.values()), {}
        for lm in models:
            self._close(lm)

    def _close(self, lm: LoadedModel) -> None:
        log.info("unloading %s", lm.name)
        m = lm.batch.metrics()
        r = self._retired
        r.prompt_tokens_total += m.prompt_tokens_total
        r.prompt_tokens_cached_total += m.prompt_tokens_cached_total
        r.prompt_seconds_total += m.prompt_seconds_total
        r.tokens_predicted_total += m.tokens_predicted_total
        r.tokens_predicted_seconds_total += m.tokens_predicted_seconds_total
        r.n_decode_total += m.n_decode_total
        r.n_busy_slots_total += m.n_busy_slots_total
        r.n_tokens_max = max(r.n_tokens_max, m.n_tokens_max)
        with contextlib.suppress(Exception):
            lm.close()

    def _reap(self) -> None:
        while not self._stop.wait(0.5):
            now = time.time()
            with self._cond:
                expired = [
                    k
                    for k, lm in self._models.items()
                    if lm.refs == 0 and lm.expires_at is not None and lm.expires_at <= now
                ]
                gone = [self._models.pop(k) for k in expired]
                if gone:
                    self._cond.notify_all()
            for lm in gone:
                self._close(lm)

    def loaded(self) -> list[LoadedModel]:
        """Loaded models, longest remaining keep-alive first (as /api/ps orders them)."""
        with self._cond:
            models = list(self._models.values())
        return sorted(models, key=lambda m: float("inf") if m.expires_at is None else m.expires_at, reverse=True)

    def unload(self, entry: ModelEntry) -> None:
        """Unload now, or as soon as the requests using it finish (keep_alive 0)."""
        with self._cond:
            lm = self._models.get(entry.digest)
            if lm is None:
                return
            if lm.refs:
                lm.expires_at = 0.0
                return
            del self._models[entry.digest]
            self._cond.notify_all()
        self._close(lm)

    def metrics(self) -> Metrics:
        """llama-server's counters summed over every model loaded so far, gauges over those loaded now."""
        total = Metrics(**vars(self._retired))
        for lm in self.loaded():
            m = lm.batch.metrics()
            for key, value in vars(m).items():
                if key == "n_tokens_max":
                    total.n_tokens_max = max(total.n_tokens_max, value)
                else:
                    setattr(total, key, getattr(total, key) + value)
        return total

    # -- loading --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def use(
        self, entry: ModelEntry, name: str, opts: dict[str, Any], keep_alive: float | None, embedding: bool = False
    ) -> Iterator[tuple[LoadedModel, int]]:
        """Hold `entry` loaded with `opts` for one request; yields (model, load_duration_ns).

        Afterwards keep_alive decides when the model is unloaded (0: now, None: never).
        Embedding requests share the generation model (one entry in /api/ps).
        """
        key = entry.digest
        load_ns = 0
        with self._cond:
            while True:
                lm = self._models.get(key)
                if lm is not None and lm.params == LoadParams.from_options(opts, n_ctx_train=lm.n_ctx_train):
                    break
                if lm is None and key not in self._loading:
                    self._loading.add(key)
                    break
                if lm is not None and lm.refs == 0 and key not in self._loading:
                    del self._models[key]  # different load options: reload, nobody is using it
                    self._loading.add(key)
                    self._close(lm)
                    lm = None
                    break
                self._cond.wait()  # a reload waits for the requests using the loaded model
            if lm is None:
                self._cond.release()
                try:
                    started = time.perf_counter_ns()
                    lm = self._load(entry, name, opts)
                    load_ns = time.perf_counter_ns() - started
                finally:
                    self._cond.acquire()
                    self._loading.discard(key)
                    if lm is not None:
                        self._models[key] = lm
                    self._cond.notify_all()
            lm.refs += 1
            lm.expires_at = None  # busy: the reaper must not take it away
        try:
            yield lm, load_ns
        finally:
            close_now = False
            with self._cond:
                lm.refs -= 1
                if keep_alive == 0 or lm.expires_at == 0.0:
                    lm.expires_at = 0.0
                    close_now = lm.refs == 0 and self._models.get(key) is lm
                    if close_now:
                        del self._models[key]
                elif lm.refs == 0:
                    lm.expires_at = None if keep_alive is None else time.time() + keep_alive
                self._cond.notify_all()
            if close_now:
                self._close(lm)

    def _fit(self, info: gguf_file.GGUFInfo, params: LoadParams, n_parallel: int) -> tuple[memory.MemoryEstimate, bool]:
        """Refuse a model this machine cannot hold, before llama.cpp tries to allocate it.

        The KV cache is counted for every slot: Ollama's estimate grows with parallel x context.
        """
        import llama_cpp

        shape = memory.ModelShape.from_gguf_metadata(info.metadata)
        estimate = memory.estimate(info.size, shape, n_ctx=params.n_ctx * n_parallel, n_batch=params.n_batch)
        machine = self._machine()
        gpu_free = max((g.memory_free for g in machine.gpus), default=0)
        on_gpu = bool(llama_cpp.llama_supports_gpu_offload()) and params.n_gpu_layers != 0 and gpu_free > 0
        if on_gpu and estimate.fits(gpu_free):
            return estimate, True
        available = machine.memory_for_models + (gpu_free if on_gpu else 0)
        if not estimate.fits(available):
            raise ApiError(500, memory.insufficient_memory_message(estimate.total_with_headroom, available))
        return estimate, False

    def check_memory(
        self, info: gguf_file.GGUFInfo, params: LoadParams, n_parallel: int | None = None
    ) -> tuple[memory.MemoryEstimate, bool, int]:
        """(estimate, on_gpu, slots): automatic parallelism is 4 slots, or 1 where 4 do not fit."""
        wanted = n_parallel if n_parallel is not None else self.num_parallel
        if wanted:
            return (*self._fit(info, params, wanted), wanted)
        try:
            return (*self._fit(info, params, 4), 4)
        except ApiError:
            return (*self._fit(info, params, 1), 1)

    def _load(self, entry: ModelEntry, name: str, opts: dict[str, Any]) -> LoadedModel:
        path = entry.model_path
        if path is None or not path.exists():
            raise ApiError(404, f'model "{name}" not found, try pulling it first')
        info = gguf_file.read(path)
        params = LoadParams.from_options(opts, n_ctx_train=info.context_length or 0)
        estimate, on_gpu, n_parallel = self.check_memory(info, params)
        log.info("loading %s (n_ctx=%d x %d slots, threads=%d)", name, params.n_ctx, n_parallel, params.n_threads)
        try:
            model = NativeModel(
                path,
                n_gpu_layers=params.n_gpu_layers if on_gpu else 0,
                main_gpu=params.main_gpu,
                use_mmap=params.use_mmap,
            )
        except ModelLoadError as exc:
            raise ApiError(500, f"llama runner process has terminated: {exc}") from exc
        try:
            shape = ContextShape(
                n_seq=n_parallel,
                n_ctx_seq=params.n_ctx,
                n_batch=params.n_batch,
                n_threads=params.n_threads,
                n_threads_batch=max(params.n_threads, hardware.generation_threads()),
            )
            batch = BatchEngine(model, shape, max_queue=self.max_queue, name=name)
        except ModelLoadError as exc:
            model.close()
            raise ApiError(500, f"llama runner process has terminated: {exc}") from exc
        return LoadedModel(
            name=name,
            entry_digest=entry.digest,
            model_digest=(entry.layer(LAYER_MODEL) or {}).get("digest", ""),
            info=info,
            params=params,
            estimate=estimate,
            model=model,
            batch=batch,
            on_gpu=on_gpu,
            n_parallel=n_parallel,
            formatter=chat_formatter(info),
        )

    # -- generation ------------------------------------------------------------------------------
    def stream(
        self,
        lm: LoadedModel,
        prompt_tokens: list[int],
        opts: dict[str, Any],
        *,
        grammar: str | None = None,
        think: bool = False,
        starts_inside_think: bool = False,
        cancel: threading.Event | None = None,
        load_ns: int = 0,
        logprobs: int | None = None,
        pace_s: float | None = FLUSH_INTERVAL_S,
    ) -> Iterator[Piece | Done]:
        """Generate from prompt tokens in one of the model's slots: Pieces of text, then one Done.

        Pieces are taken from the engine every `pace_s` seconds (None: all at the end, for an
        answer sent whole); the first and the end come at once.

        With `logprobs` (the number of alternatives, 0..20), each Piece carries the TokenLogprobs of
        the tokens it holds; a token whose text is held back (a possible stop string or tag) still
        has its Piece, with no text, as Ollama sends logprobs while a parser buffers.
        """
        prompt_tokens = [t for t in prompt_tokens if lm.model.valid_token(t)] or [max(lm.model.bos, 0)]
        prompt_tokens = fit_context(prompt_tokens, lm.params.n_ctx, opts["num_keep"])
        limit = opts["num_predict"]
        request = Request(
            tokens=prompt_tokens,
            sampling=SamplingParams.from_options(opts, grammar, lm.params.n_ctx),
            max_tokens=limit if limit is not None and limit >= 0 else None,
            stop=tuple(opts["stop"]),
            logprobs=logprobs,
        )
        try:
            gen = lm.batch.submit(request, cancel=cancel)
        except QueueFull as exc:
            raise ApiError(503, str(exc)) from exc
        except GrammarError as exc:
            raise ApiError(400, f"invalid format: {exc}") from exc
        except PromptTooLong as exc:
            raise ApiError(400, str(exc)) from exc
        except EngineClosed as exc:
            raise ApiError(500, str(exc)) from exc
        thinker = ThinkSplitter(think, starts_inside_think)
        finished = None
        pending: list[TokenLogprob] = []
        try:
            # Tokens reach the client in batches anyway: take them from the engine at that pace
            # too, instead of waking this thread (and a core llama.cpp computes on) for every token.
            for event in gen.paced(pace_s):
                if isinstance(event, Finished):
                    finished = event
                    break
                if isinstance(event, TokenLogprob):
                    if pending:  # the previous token's text was held back: its logprob goes alone
                        yield Piece(logprobs=pending)
                    pending = [event]
                    continue
                piece = thinker.feed(event)
                piece.logprobs, pending = pending, []
                if piece.content or piece.thinking or piece.logprobs:
                    yield piece
        except (GenerationFailed, EngineClosed) as exc:
            raise ApiError(500, str(exc)) from exc
        finally:
            if finished is None:  # the consumer went away: free the slot now
                gen.cancel()
        if finished is None:
            raise ApiError(500, "the generation ended without a result")
        tail = thinker.flush()
        tail.logprobs = pending
        if tail.content or tail.thinking or tail.logprobs:
            yield tail
        yield Done(
            done_reason=finished.reason,
            prompt_eval_count=finished.prompt_tokens,
            prompt_eval_duration=finished.prompt_ns,
            eval_count=finished.completion_tokens,
            eval_duration=finished.eval_ns,
            load_duration=load_ns,
            context=prompt_tokens + finished.completion,
        )

    def embed(self, lm: LoadedModel, inputs: list[str], truncate: bool) -> tuple[list[list[float]], int]:
        """Vectors (not yet normalised) and the number of prompt tokens."""
        try:
            ctx = lm.embedding_context()
        except ModelLoadError as exc:
            raise ApiError(500, str(exc)) from exc
        every = [ctx.tokens(text) for text in inputs]
        if not truncate and any(len(tokens) > ctx.n_ctx for tokens in every):
            raise ApiError(400, "the input length exceeds the context length")
        every = [tokens[: ctx.n_ctx] for tokens in every]
        try:
            vectors = ctx.embed_many(every)  # decoded together, as llama-server batches them
        except (RuntimeError, ModelLoadError) as exc:
            raise ApiError(500, str(exc)) from exc
        return vectors, sum(len(tokens) for tokens in every)
