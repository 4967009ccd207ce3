"""Ollama's request options and keep-alive, read the way Ollama reads them, with Ollama's defaults.

The options themselves (names, types, defaults, bounds) are `lessons_lib.ollama_options`; here they
are merged (defaults, Modelfile, request) and checked as a request's. `LoadParams` is the part of
the options that needs a reload of the model when it changes, capped by the model's training context.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any

from .. import hardware
from ..ollama_options import IGNORED_OPTIONS, KINDS, OptionTypeError, at_least, defaults, typed
from .protocol import ApiError

log = logging.getLogger("lessons_lib.ollama_server")

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_keep_alive(value: Any, default: float | None) -> float | None:
    """Seconds to keep a model loaded; None means forever (a negative value), 0 unloads now.

    Accepts what Ollama accepts: a number of seconds or a Go duration string ("5m", "1h30m").
    """
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ApiError(400, f"invalid keep_alive value: {value!r}")
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
                raise ApiError(400, f'time: {reason} "{value}"')
            seconds *= sign
    else:
        raise ApiError(400, f"invalid keep_alive value: {value!r}")
    return None if seconds < 0 else seconds


def env_keep_alive() -> float | None:
    """OLLAMA_KEEP_ALIVE as Ollama's envconfig.KeepAlive reads it: a Go duration or whole seconds
    ("-1" is forever), anything else the 5-minute default (github.com/ollama/ollama envconfig/config.go)."""
    value = (os.environ.get("OLLAMA_KEEP_ALIVE") or "").strip()
    if re.fullmatch(r"[+-]?\d+", value):
        seconds = float(int(value))
        return None if seconds < 0 else seconds
    try:
        return parse_keep_alive(value, 300.0)
    except ApiError:
        return 300.0


def merge_options(*layers: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults, then the model's Modelfile parameters, then the request's options."""
    merged = defaults()
    for layer in layers:
        for key, value in (layer or {}).items():
            if value is None or key in IGNORED_OPTIONS:  # Go's FromMap skips nulls and keys it no longer has
                continue
            if key not in KINDS:
                log.warning("invalid option provided: %s", key)
                continue
            try:
                merged[key] = typed(key, value)
            except OptionTypeError as exc:  # Ollama answers these with a 500
                raise ApiError(500, str(exc)) from None
    return merged


# More threads than this cannot help, and a huge num_thread would make ggml start that many.
MAX_THREADS = 4 * (os.cpu_count() or 1)


def default_num_parallel() -> int:
    """Slots per loaded model from OLLAMA_NUM_PARALLEL; 0 (unset) means automatic: 4 where they fit, else 1.

    Ollama's default is 1 since v0.10. The course's is 4 because a workshop room, the compare
    widget and the batch lesson send requests together, and on a CPU each extra slot costs only
    its KV cache (SmolLM2-135M: about 90 MiB per 4096-token slot).
    """
    try:
        value = int(os.environ.get("OLLAMA_NUM_PARALLEL") or 0)
    except ValueError:
        value = 0
    return max(1, min(value, 64)) if value > 0 else 0


def default_max_queue() -> int:
    """Requests that may wait for a slot (OLLAMA_MAX_QUEUE, Ollama's default 512); more get 503."""
    try:
        return max(1, int(os.environ.get("OLLAMA_MAX_QUEUE") or 512))
    except ValueError:
        return 512


@dataclass(frozen=True)
class LoadParams:
    """What needs a reload when it changes (Ollama reloads the runner in the same cases)."""

    n_ctx: int
    n_batch: int
    n_gpu_layers: int
    main_gpu: int
    use_mmap: bool
    n_threads: int
    last_n_tokens_size: int = field(compare=False)  # a sampler setting now: no reload
    embedding: bool = False

    @classmethod
    def from_options(cls, opts: dict[str, Any], embedding: bool = False, n_ctx_train: int = 0) -> LoadParams:
        """The load-time part of merged options, each raised to its minimum, and the context capped at the
        model's training context (`n_ctx_train`, from its GGUF header; 0: unknown) as Ollama caps it."""
        threads = opts["num_thread"] if opts["num_thread"] > 0 else hardware.generation_threads()
        n_ctx = at_least("num_ctx", opts["num_ctx"])
        if n_ctx_train > 0:  # llm.NewLlamaServer
            n_ctx = min(n_ctx, n_ctx_train)
        return cls(
            n_ctx=n_ctx,
            n_batch=min(at_least("num_batch", opts["num_batch"]), n_ctx),
            n_gpu_layers=opts["num_gpu"],
            main_gpu=at_least("main_gpu", opts["main_gpu"]),
            use_mmap=True if opts["use_mmap"] is None else bool(opts["use_mmap"]),
            n_threads=max(1, min(threads, MAX_THREADS)),
            last_n_tokens_size=opts["repeat_last_n"] if opts["repeat_last_n"] >= 0 else n_ctx,
            embedding=embedding,
        )
