"""Ollama's request options and keep-alive, read the way Ollama reads them, with Ollama's defaults.

Defaults are Ollama's `api.DefaultOptions`
(https://github.com/ollama/ollama/blob/main/api/types.go), not llama-cpp-python's. `LoadParams`
is the part of the options that needs a reload of the model when it changes.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Any

from .. import hardware
from .protocol import ApiError

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


def default_context_length() -> int:
    # Ollama: OLLAMA_CONTEXT_LENGTH, else 4096 below 24 GiB of VRAM (always the case on CPU).
    return int(os.environ.get("OLLAMA_CONTEXT_LENGTH") or 4096)


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
                    raise ApiError(500, f'option "{key}" must be of type float32')
                value = float(value)
            elif key in INT_OPTIONS:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ApiError(500, f'option "{key}" must be of type integer')
                value = int(value)
            elif key in BOOL_OPTIONS:
                if not isinstance(value, bool):
                    raise ApiError(500, f'option "{key}" must be of type boolean')
            elif key == "stop":
                if isinstance(value, str):  # lenient: Ollama wants an array
                    value = [value]
                if not isinstance(value, (list, tuple)):
                    raise ApiError(500, 'option "stop" must be of type array')
                if not all(isinstance(s, str) for s in value):
                    raise ApiError(500, 'option "stop" must be of an array of strings')
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
    def from_options(cls, opts: dict[str, Any], embedding: bool = False) -> LoadParams:
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
