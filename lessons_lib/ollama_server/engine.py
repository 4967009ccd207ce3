"""llama-cpp-python behind the server: load, keep alive, unload, generate, embed.

Options are read in `options`, prompts built in `prompts`, streamed text cut and split in `text`.
A model is checked against this machine's free memory before it is loaded, so an oversized
request gets Ollama's "model requires more system memory" error instead of an OOM kill.
Requests to one model take turns (one lock per loaded model), as with OLLAMA_NUM_PARALLEL=1.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import hardware, memory
from ..llama import gguf_file
from .options import LoadParams, parse_keep_alive
from .prompts import chat_formatter, fit_context
from .protocol import ApiError
from .store import LAYER_MODEL, ModelEntry
from .text import Piece, StopFilter, ThinkSplitter

log = logging.getLogger("lessons_lib.ollama_server")


@dataclass
class LoadedModel:
    name: str
    entry_digest: str
    model_digest: str
    info: gguf_file.GGUFInfo
    params: LoadParams
    estimate: memory.MemoryEstimate
    llm: Any  # llama_cpp.Llama
    on_gpu: bool
    expires_at: float | None = None  # None: kept loaded until asked otherwise
    lock: threading.Lock = field(default_factory=threading.Lock)
    formatter: Any = None

    @property
    def size(self) -> int:
        return self.estimate.total


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
    """Loaded models and the work done with them."""

    def __init__(
        self,
        default_keep_alive: float | None = None,
        machine: Callable[[], hardware.Machine] = hardware.detect,
    ):
        if default_keep_alive is None:
            default_keep_alive = parse_keep_alive(os.environ.get("OLLAMA_KEEP_ALIVE") or "5m", 300.0)
        self.default_keep_alive = default_keep_alive
        self._machine = machine
        self._models: dict[tuple[str, bool], LoadedModel] = {}
        self._slots: dict[tuple[str, bool], threading.Lock] = {}
        self._registry_lock = threading.Lock()
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name="keep-alive", daemon=True)
        self._reaper.start()

    # -- lifecycle -----------------------------------------------------------------------------
    def close(self) -> None:
        self._stop.set()
        for key in list(self._models):
            self._unload(key)

    def _reap(self) -> None:
        while not self._stop.wait(0.5):
            now = time.time()
            for key, lm in list(self._models.items()):
                if lm.expires_at is not None and lm.expires_at <= now and lm.lock.acquire(blocking=False):
                    try:
                        if lm.expires_at is not None and lm.expires_at <= time.time():
                            self._unload(key)
                    finally:
                        lm.lock.release()

    def _unload(self, key: tuple[str, bool]) -> None:
        lm = self._models.pop(key, None)
        if lm is not None:
            log.info("unloading %s", lm.name)
            with contextlib.suppress(Exception):
                lm.llm.close()

    def loaded(self) -> list[LoadedModel]:
        """Loaded models, longest remaining keep-alive first (as /api/ps orders them)."""
        return sorted(
            self._models.values(), key=lambda m: float("inf") if m.expires_at is None else m.expires_at, reverse=True
        )

    def unload(self, entry: ModelEntry) -> None:
        for key in [k for k in self._models if k[0] == entry.digest]:
            slot = self._slot(key)
            with slot:
                self._unload(key)

    def _slot(self, key: tuple[str, bool]) -> threading.Lock:
        with self._registry_lock:
            return self._slots.setdefault(key, threading.Lock())

    # -- loading --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def use(
        self, entry: ModelEntry, name: str, opts: dict[str, Any], keep_alive: float | None, embedding: bool = False
    ) -> Iterator[tuple[LoadedModel, int]]:
        """Hold `entry` loaded with `opts` for one request; yields (model, load_duration_ns).

        Requests for the same model wait here in turn. Afterwards keep_alive decides when the
        model is unloaded (0: now, None: never).
        """
        key = (entry.digest, embedding)
        slot = self._slot(key)
        with slot:
            params = LoadParams.from_options(opts, embedding=embedding)
            lm = self._models.get(key)
            load_ns = 0
            if lm is None or lm.params != params:
                if lm is not None:
                    self._unload(key)
                started = time.perf_counter_ns()
                lm = self._load(entry, name, params)
                load_ns = time.perf_counter_ns() - started
                self._models[key] = lm
            with lm.lock:
                lm.expires_at = None  # busy: the reaper must not take it away
                try:
                    yield lm, load_ns
                finally:
                    if keep_alive == 0:
                        self._unload(key)
                    else:
                        lm.expires_at = None if keep_alive is None else time.time() + keep_alive

    def check_memory(self, info: gguf_file.GGUFInfo, params: LoadParams) -> tuple[memory.MemoryEstimate, bool]:
        """Refuse a model this machine cannot hold, before llama.cpp tries to allocate it."""
        import llama_cpp

        shape = memory.ModelShape.from_gguf_metadata(info.metadata)
        estimate = memory.estimate(info.size, shape, n_ctx=params.n_ctx, n_batch=params.n_batch)
        machine = self._machine()
        gpu_free = max((g.memory_free for g in machine.gpus), default=0)
        on_gpu = bool(llama_cpp.llama_supports_gpu_offload()) and params.n_gpu_layers != 0 and gpu_free > 0
        if on_gpu and estimate.fits(gpu_free):
            return estimate, True
        available = machine.memory_for_models + (gpu_free if on_gpu else 0)
        if not estimate.fits(available):
            raise ApiError(500, memory.insufficient_memory_message(estimate.total_with_headroom, available))
        return estimate, False

    def _load(self, entry: ModelEntry, name: str, params: LoadParams) -> LoadedModel:
        import llama_cpp

        path = entry.model_path
        if path is None or not path.exists():
            raise ApiError(404, f'model "{name}" not found, try pulling it first')
        info = gguf_file.read(path)
        estimate, on_gpu = self.check_memory(info, params)
        log.info("loading %s (n_ctx=%d, threads=%d)", name, params.n_ctx, params.n_threads)
        kwargs: dict[str, Any] = dict(
            model_path=str(path),
            n_ctx=params.n_ctx,
            n_batch=params.n_batch,
            n_ubatch=params.n_batch,
            n_gpu_layers=params.n_gpu_layers if on_gpu else 0,
            main_gpu=params.main_gpu,
            use_mmap=params.use_mmap,
            n_threads=params.n_threads,
            n_threads_batch=max(params.n_threads, hardware.generation_threads()),
            last_n_tokens_size=params.last_n_tokens_size,
            verbose=False,
        )
        if params.embedding:
            kwargs.update(embedding=True, n_ubatch=params.n_ctx, n_batch=params.n_ctx)
            if f"{info.architecture}.pooling_type" not in info.metadata:
                # Completion models have no pooling of their own; Ollama returns one vector per input.
                kwargs["pooling_type"] = llama_cpp.LLAMA_POOLING_TYPE_MEAN
        try:
            llm = llama_cpp.Llama(**kwargs)
        except (ValueError, RuntimeError) as exc:
            raise ApiError(500, f"llama runner process has terminated: {exc}") from exc
        formatter = chat_formatter(info)
        model_layer = entry.layer(LAYER_MODEL)
        assert model_layer is not None  # model_path above came from this layer
        return LoadedModel(
            name=name,
            entry_digest=entry.digest,
            model_digest=model_layer["digest"],
            info=info,
            params=params,
            estimate=estimate,
            llm=llm,
            on_gpu=on_gpu,
            formatter=formatter,
        )

    # -- generation ------------------------------------------------------------------------------
    def stream(
        self,
        lm: LoadedModel,
        prompt_tokens: list[int],
        opts: dict[str, Any],
        *,
        grammar: Any = None,
        think: bool = False,
        starts_inside_think: bool = False,
        cancel: threading.Event | None = None,
        load_ns: int = 0,
    ) -> Iterator[Piece | Done]:
        """Generate from prompt tokens: Pieces of text as they come, then one Done."""
        import llama_cpp

        llm = lm.llm
        started = time.perf_counter_ns()
        prompt_tokens = fit_context(prompt_tokens, lm.params.n_ctx, opts["num_keep"])
        seed = opts["seed"] if opts["seed"] >= 0 else random.getrandbits(31)
        llm.set_seed(seed)
        limit = opts["num_predict"]
        max_new = lm.params.n_ctx - len(prompt_tokens)
        if limit is not None and limit >= 0:
            max_new = min(max_new, limit)
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        stops = StopFilter(opts["stop"])
        thinker = ThinkSplitter(think, starts_inside_think)
        completion: list[int] = []
        done_reason = "length"
        first_ns = None
        vocab = llm._model.vocab
        self._keep_answers_reproducible(llm, prompt_tokens)

        generator = llm.generate(
            prompt_tokens,
            top_k=opts["top_k"],
            top_p=opts["top_p"],
            min_p=opts["min_p"],
            typical_p=opts["typical_p"],
            temp=opts["temperature"],
            repeat_penalty=opts["repeat_penalty"],
            frequency_penalty=opts["frequency_penalty"],
            presence_penalty=opts["presence_penalty"],
            grammar=grammar,
        )
        try:
            if max_new <= 0:
                done_reason = "length"
            else:
                for token in generator:
                    if first_ns is None:
                        first_ns = time.perf_counter_ns()
                    if cancel is not None and cancel.is_set():
                        done_reason = "cancel"
                        break
                    if llama_cpp.llama_vocab_is_eog(vocab, token):
                        done_reason = "stop"
                        break
                    completion.append(token)
                    text = stops.feed(decoder.decode(llm.detokenize([token])))
                    if text:
                        piece = thinker.feed(text)
                        if piece.content or piece.thinking:
                            yield piece
                    if stops.hit:
                        done_reason = "stop"
                        break
                    if len(completion) >= max_new:
                        break
        finally:
            generator.close()
        tail = decoder.decode(b"", final=True)
        tail = stops.feed(tail) if tail else ""
        if not stops.hit:
            tail += stops.flush()
        for piece in (thinker.feed(tail) if tail else Piece(), thinker.flush()):
            if piece.content or piece.thinking:
                yield piece
        end = time.perf_counter_ns()
        first_ns = first_ns or end
        yield Done(
            done_reason=done_reason,
            prompt_eval_count=len(prompt_tokens),
            prompt_eval_duration=max(first_ns - started, 1),
            eval_count=len(completion),
            eval_duration=max(end - first_ns, 1),
            load_duration=load_ns,
            context=prompt_tokens + completion,
        )

    @staticmethod
    def _keep_answers_reproducible(llm: Any, prompt_tokens: list[int]) -> None:
        """Reuse the KV cache of a shared prefix, but re-evaluate at least the last two prompt tokens.

        llama.cpp's logits for a prompt whose last token is decoded alone differ in the last bits
        from a batched decode, which flips near-ties: the same request with the same seed would
        answer differently the second time. With two or more tokens re-evaluated they match.
        """
        common = 0
        for cached, wanted in zip(llm.input_ids[: llm.n_tokens], prompt_tokens):
            if cached != wanted:
                break
            common += 1
        if common > len(prompt_tokens) - 2:
            llm.n_tokens = max(0, len(prompt_tokens) - 2)

    def embed(self, lm: LoadedModel, inputs: list[str], truncate: bool) -> tuple[list[list[float]], int]:
        """Vectors (not yet normalised) and the number of prompt tokens."""
        count = 0
        vectors = []
        for text in inputs:
            tokens = lm.llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)
            if len(tokens) > lm.params.n_ctx and not truncate:
                raise ApiError(400, "the input length exceeds the context length")
            count += min(len(tokens), lm.params.n_ctx)
            vector = lm.llm.embed(text, normalize=False, truncate=True)
            if vector and isinstance(vector[0], list):  # per-token output: pool it
                vector = [sum(col) / len(vector) for col in zip(*vector)]
            vectors.append([float(x) for x in vector])
        return vectors, count
