"""llama-cpp-python behind the server: load, keep alive, unload, generate, chat, embed.

Options map the way Ollama maps them, with Ollama's defaults (not llama-cpp-python's).
A model is checked against this machine's free memory before it is loaded, so an oversized
request gets Ollama's "model requires more system memory" error instead of an OOM kill.
Requests to one model take turns (one lock per loaded model), as with OLLAMA_NUM_PARALLEL=1.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import logging
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .. import gguf_file, hardware, memory
from .store import ModelEntry

log = logging.getLogger("lessons_lib.ollama_server")

# Ollama's api.DefaultOptions (api/types.go); llama-cpp-python's own defaults differ.
DEFAULT_OPTIONS: dict[str, Any] = {
    "num_keep": 4,
    "seed": -1,
    "num_predict": -1,
    "top_k": 40,
    "top_p": 0.9,
    "min_p": 0.0,
    "typical_p": 1.0,
    "repeat_last_n": 64,
    "temperature": 0.8,
    "repeat_penalty": 1.0,
    "presence_penalty": 0.0,
    "frequency_penalty": 0.0,
    "stop": [],
    "num_batch": 512,
    "num_gpu": -1,
    "main_gpu": 0,
    "use_mmap": None,
    "num_thread": 0,
}
FLOAT_OPTIONS = {
    "top_p",
    "min_p",
    "typical_p",
    "temperature",
    "repeat_penalty",
    "presence_penalty",
    "frequency_penalty",
}
INT_OPTIONS = {
    "num_keep",
    "seed",
    "num_predict",
    "top_k",
    "repeat_last_n",
    "num_batch",
    "num_gpu",
    "main_gpu",
    "num_thread",
    "num_ctx",
}
BOOL_OPTIONS = {"use_mmap"}
# Accepted and ignored, as Ollama does since it dropped them (May 2025).
IGNORED_OPTIONS = {
    "numa",
    "low_vram",
    "f16_kv",
    "logits_all",
    "vocab_only",
    "use_mlock",
    "embedding_only",
    "tfs_z",
    "mirostat",
    "mirostat_tau",
    "mirostat_eta",
    "penalize_newline",
    "draft_num_predict",
}

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


class EngineError(Exception):
    """An error the server turns into Ollama's {"error": ...} with this status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def default_context_length() -> int:
    # Ollama: OLLAMA_CONTEXT_LENGTH, else 4096 below 24 GiB of VRAM (always the case on CPU).
    return int(os.environ.get("OLLAMA_CONTEXT_LENGTH") or 4096)


_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_keep_alive(value: Any, default: float) -> float | None:
    """Seconds to keep a model loaded; None means forever (a negative value), 0 unloads now.

    Accepts what Ollama accepts: a number of seconds or a Go duration string ("5m", "1h30m").
    """
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise EngineError(400, f"invalid keep_alive value: {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        sign = -1.0 if text.startswith("-") else 1.0
        body = text.lstrip("+-")
        if body == "0":
            seconds = 0.0
        else:
            pos, seconds = 0, 0.0
            for match in _DURATION.finditer(body):
                if match.start() != pos:
                    break
                seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
                pos = match.end()
            if pos != len(body) or not body:
                reason = "missing unit in duration" if body.replace(".", "").isdigit() else "invalid duration"
                raise EngineError(400, f'time: {reason} "{value}"')
            seconds *= sign
    else:
        raise EngineError(400, f"invalid keep_alive value: {value!r}")
    return None if seconds < 0 else seconds


def merge_options(*layers: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults, then the model's Modelfile parameters, then the request's options."""
    merged = dict(DEFAULT_OPTIONS)
    merged["num_ctx"] = default_context_length()
    for layer in layers:
        for key, value in (layer or {}).items():
            if value is None or key in IGNORED_OPTIONS:  # Go's FromMap skips nulls and keys it no longer has
                continue
            if key in FLOAT_OPTIONS:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise EngineError(500, f'option "{key}" must be of type float32')
                value = float(value)
            elif key in INT_OPTIONS:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise EngineError(500, f'option "{key}" must be of type integer')
                value = int(value)
            elif key in BOOL_OPTIONS:
                if not isinstance(value, bool):
                    raise EngineError(500, f'option "{key}" must be of type boolean')
            elif key == "stop":
                if isinstance(value, str):  # lenient: Ollama wants an array
                    value = [value]
                if not isinstance(value, (list, tuple)):
                    raise EngineError(500, 'option "stop" must be of type array')
                if not all(isinstance(s, str) for s in value):
                    raise EngineError(500, 'option "stop" must be of an array of strings')
                value = list(value)
            elif key not in DEFAULT_OPTIONS:
                log.warning("invalid option provided: %s", key)
                continue
            merged[key] = value
    return merged


@dataclass(frozen=True)
class LoadParams:
    """What needs a reload when it changes (Ollama reloads the runner in the same cases)."""

    n_ctx: int
    n_batch: int
    n_gpu_layers: int
    main_gpu: int
    use_mmap: bool
    n_threads: int
    last_n_tokens_size: int
    embedding: bool = False

    @classmethod
    def from_options(cls, opts: dict[str, Any], embedding: bool = False) -> "LoadParams":
        threads = opts["num_thread"] if opts["num_thread"] > 0 else hardware.generation_threads()
        return cls(
            n_ctx=max(opts["num_ctx"], 1),
            n_batch=max(min(opts["num_batch"], opts["num_ctx"]), 1),
            n_gpu_layers=opts["num_gpu"],
            main_gpu=opts["main_gpu"],
            use_mmap=True if opts["use_mmap"] is None else bool(opts["use_mmap"]),
            n_threads=threads,
            last_n_tokens_size=opts["repeat_last_n"] if opts["repeat_last_n"] >= 0 else opts["num_ctx"],
            embedding=embedding,
        )


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


@dataclass
class Piece:
    """Text produced by the model: visible `content` and, for thinking models, `thinking`."""

    content: str = ""
    thinking: str = ""


def capabilities(info: gguf_file.GGUFInfo) -> list[str]:
    template = info.chat_template or ""
    caps = ["completion"]
    if "tools" in template:
        caps.append("tools")
    if THINK_OPEN in template or THINK_CLOSE in template:
        caps.append("thinking")
    return caps


class _StopFilter:
    """Holds back text that might be the start of a stop string; cuts at a full match."""

    def __init__(self, stops: list[str]):
        self.stops = [s for s in stops if s]
        self.pending = ""
        self.hit = False

    def feed(self, text: str) -> str:
        if not self.stops:
            return text
        self.pending += text
        for stop in self.stops:
            idx = self.pending.find(stop)
            if idx >= 0:
                self.hit = True
                out, self.pending = self.pending[:idx], ""
                return out
        keep = 0
        for stop in self.stops:
            for n in range(min(len(stop) - 1, len(self.pending)), 0, -1):
                if self.pending.endswith(stop[:n]):
                    keep = max(keep, n)
                    break
        out = self.pending[: len(self.pending) - keep]
        self.pending = self.pending[len(self.pending) - keep :]
        return out

    def flush(self) -> str:
        out, self.pending = self.pending, ""
        return out


class _ThinkSplitter:
    """Splits a thinking model's output into `thinking` and visible `content`.

    Follows Ollama's thinking.Parser: one <think>...</think> block at the start of the answer,
    whitespace right after either tag dropped (even when it arrives in a later chunk), partial
    tags held back until they are decided, and everything after the block plain content.
    """

    _LOOKING, _EAT_AFTER_OPEN, _THINKING, _EAT_AFTER_CLOSE, _DONE = range(5)

    def __init__(self, enabled: bool, starts_inside: bool):
        self.enabled = enabled
        self.state = self._EAT_AFTER_OPEN if starts_inside else self._LOOKING
        self.buffer = ""

    def feed(self, text: str) -> Piece:
        if not self.enabled:
            return Piece(content=text)
        self.buffer += text
        piece = Piece()
        while True:
            if self.state == self._LOOKING:
                trimmed = self.buffer.lstrip()
                if trimmed.startswith(THINK_OPEN):
                    self.buffer, self.state = trimmed[len(THINK_OPEN) :], self._EAT_AFTER_OPEN
                elif not trimmed or THINK_OPEN.startswith(trimmed):
                    break  # only whitespace or part of the tag so far: wait
                else:
                    self.state = self._DONE  # no thinking; the content keeps its whitespace
            elif self.state in (self._EAT_AFTER_OPEN, self._EAT_AFTER_CLOSE):
                self.buffer = self.buffer.lstrip()
                if not self.buffer:
                    break
                self.state = self._THINKING if self.state == self._EAT_AFTER_OPEN else self._DONE
            elif self.state == self._THINKING:
                idx = self.buffer.find(THINK_CLOSE)
                if idx >= 0:
                    piece.thinking += self.buffer[:idx]
                    self.buffer, self.state = self.buffer[idx + len(THINK_CLOSE) :], self._EAT_AFTER_CLOSE
                    continue
                partial = next(
                    (n for n in range(len(THINK_CLOSE) - 1, 0, -1) if self.buffer.endswith(THINK_CLOSE[:n])), 0
                )
                cut = len(self.buffer) - partial
                piece.thinking += self.buffer[:cut]
                self.buffer = self.buffer[cut:]
                break
            else:
                piece.content += self.buffer
                self.buffer = ""
                break
        return piece

    def flush(self) -> Piece:
        """At the end of the answer: whatever was held back waiting for a tag."""
        held, self.buffer = self.buffer, ""
        if not self.enabled or not held:
            return Piece()
        return Piece(thinking=held) if self.state in (self._THINKING, self._EAT_AFTER_OPEN) else Piece(content=held)


def chat_formatter(info: gguf_file.GGUFInfo) -> Any:
    """The model's own Jinja chat template as llama-cpp-python renders it; None without one."""
    if not info.chat_template:
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    vocab = info.metadata.get("tokenizer.ggml.tokens") or []

    def token(key: str) -> str:
        i = info.metadata.get(key)
        return vocab[i] if isinstance(i, int) and 0 <= i < len(vocab) else ""

    return Jinja2ChatFormatter(
        info.chat_template,
        eos_token=token("tokenizer.ggml.eos_token_id"),
        bos_token=token("tokenizer.ggml.bos_token_id"),
    )


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
            raise EngineError(500, memory.insufficient_memory_message(estimate.total_with_headroom, available))
        return estimate, False

    def _load(self, entry: ModelEntry, name: str, params: LoadParams) -> LoadedModel:
        import llama_cpp

        path = entry.model_path
        if path is None or not path.exists():
            raise EngineError(404, f'model "{name}" not found, try pulling it first')
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
            raise EngineError(500, f"llama runner process has terminated: {exc}") from exc
        formatter = chat_formatter(info)
        return LoadedModel(
            name=name,
            entry_digest=entry.digest,
            model_digest=entry.layer("application/vnd.ollama.image.model")["digest"],
            info=info,
            params=params,
            estimate=estimate,
            llm=llm,
            on_gpu=on_gpu,
            formatter=formatter,
        )

    # -- prompts --------------------------------------------------------------------------------
    def chat_prompt(
        self, lm: LoadedModel, messages: list[dict[str, Any]], tools: list[Any] | None = None, think: bool | None = None
    ) -> list[int]:
        """Messages -> prompt tokens, through the model's own chat template."""
        clean = [{k: v for k, v in m.items() if v is not None} for m in messages]
        for m in clean:
            m.setdefault("content", "")
        if lm.formatter is not None:
            extra: dict[str, Any] = {}
            if think is not None:
                extra["enable_thinking"] = bool(think)
            try:
                text = lm.formatter(messages=clean, tools=tools or None, **extra).prompt
            except Exception as exc:  # a template error is the model's problem, not the learner's
                raise EngineError(500, f"chat template failed: {exc}") from exc
        else:
            # No template in the GGUF: plain turns, so a base model still gets something sensible.
            text = "".join(f"{m['role']}: {m['content']}\n" for m in clean) + "assistant:"
        return lm.llm.tokenize(text.encode("utf-8"), add_bos=lm.formatter is None, special=True)

    def raw_prompt(self, lm: LoadedModel, prompt: str) -> list[int]:
        return lm.llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)

    def fit_context(self, lm: LoadedModel, tokens: list[int], opts: dict[str, Any]) -> list[int]:
        """Ollama's truncate: keep the first num_keep tokens and the end, silently (it only logs)."""
        n_ctx = lm.params.n_ctx
        if len(tokens) < n_ctx:
            return tokens
        keep = max(0, min(opts["num_keep"], n_ctx // 2))
        room = n_ctx - keep - max(1, n_ctx // 8)  # leave space to answer
        log.warning("truncating input prompt: limit=%d prompt=%d keep=%d", n_ctx, len(tokens), keep)
        return tokens[:keep] + tokens[len(tokens) - room :]

    def grammar(self, fmt: Any) -> Any:
        """Ollama's `format`: "json" or a JSON schema -> a llama.cpp grammar."""
        if fmt in (None, "", "null"):
            return None
        from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar

        if fmt == "json":
            return LlamaGrammar.from_string(JSON_GBNF, verbose=False)
        if isinstance(fmt, dict):
            try:
                return LlamaGrammar.from_json_schema(json.dumps(fmt), verbose=False)
            except Exception as exc:
                raise EngineError(400, f"invalid format: {exc}") from exc
        raise EngineError(400, f'invalid format: {json.dumps(fmt)}; expected "json" or a valid JSON Schema object')

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
        prompt_tokens = self.fit_context(lm, prompt_tokens, opts)
        seed = opts["seed"] if opts["seed"] >= 0 else random.getrandbits(31)
        llm.set_seed(seed)
        limit = opts["num_predict"]
        max_new = lm.params.n_ctx - len(prompt_tokens)
        if limit is not None and limit >= 0:
            max_new = min(max_new, limit)
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        stops = _StopFilter(opts["stop"])
        thinker = _ThinkSplitter(think, starts_inside_think)
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
                raise EngineError(400, "the input length exceeds the context length")
            count += min(len(tokens), lm.params.n_ctx)
            vector = lm.llm.embed(text, normalize=False, truncate=True)
            if vector and isinstance(vector[0], list):  # per-token output: pool it
                vector = [sum(col) / len(vector) for col in zip(*vector)]
            vectors.append([float(x) for x in vector])
        return vectors, count
