"""Ollama's request options (api.Options and api.Runner): every name, its type, its default and its bounds, once.

The server merges and checks a request's options with them (`ollama_server.options`), the `ollama`
CLI types `/set parameter NAME VALUE` by them (`ollama_cli.interactive`), and the serving engine's
samplers start from their defaults (`llama.sampling`). Defaults are Ollama's `api.DefaultOptions`
(https://github.com/ollama/ollama/blob/main/api/types.go), not llama-cpp-python's.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from typing import Any


def _load(default: Any, minimum: int | None = None) -> Any:
    """An option of api.Runner: changing it reloads the model. `minimum`: smaller values are raised to it."""
    return field(default=default, metadata={"reloads": True, "minimum": minimum})


@dataclass(frozen=True)
class Options:
    """Ollama's options with Ollama's defaults; the field's type is the type a request must send."""

    num_keep: int = 4
    seed: int = -1
    num_predict: int = -1
    top_k: int = 40
    top_p: float = 0.9
    min_p: float = 0.0
    typical_p: float = 1.0
    repeat_last_n: int = 64
    temperature: float = 0.8
    repeat_penalty: float = 1.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    stop: list[str] = field(default_factory=list)
    num_ctx: int = _load(4096, minimum=4)  # Ollama's scheduler raises a context under 4 tokens to 4
    num_batch: int = _load(512, minimum=1)
    num_gpu: int = _load(-1)
    main_gpu: int = _load(0, minimum=0)
    use_mmap: bool | None = _load(None)  # None: llama.cpp decides (mmap where it can)
    num_thread: int = _load(0)  # 0: the threads this machine generates fastest with


# Accepted and ignored, as Ollama does since it dropped them (May 2025).
IGNORED_OPTIONS = frozenset(
    {
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
)
_FIELDS = {f.name: f for f in dataclasses.fields(Options)}
# The Go type of each option as Ollama names it in its errors: int, float32, bool or []string.
KINDS: dict[str, type] = {
    name: {"int": int, "float": float, "bool | None": bool, "list[str]": list}[str(f.type)]
    for name, f in _FIELDS.items()
}
OPTION_NAMES = tuple(_FIELDS)


def default_context_length() -> int:
    """num_ctx when neither the Modelfile nor the request sets it: OLLAMA_CONTEXT_LENGTH, else Ollama's 4096
    (below 24 GiB of VRAM, always the case on a CPU)."""
    return int(os.environ.get("OLLAMA_CONTEXT_LENGTH") or Options.num_ctx)


def defaults() -> dict[str, Any]:
    """Every option at its default, as a new dict (num_ctx as OLLAMA_CONTEXT_LENGTH sets it)."""
    return {**dataclasses.asdict(Options()), "num_ctx": default_context_length()}


def reloads(name: str) -> bool:
    """Does changing this option need the model loaded again (an api.Runner option)?"""
    return bool(_FIELDS[name].metadata.get("reloads"))


def at_least(name: str, value: int) -> int:
    """`value` raised to the option's minimum, where it has one (num_ctx 4, num_batch 1, main_gpu 0)."""
    minimum = _FIELDS[name].metadata.get("minimum")
    return value if minimum is None else max(value, minimum)


class OptionTypeError(ValueError):
    """A value of the wrong type, in the words of Ollama's api.Options.FromMap."""


def typed(name: str, value: Any) -> Any:
    """A request's value for a known option, as Ollama's FromMap takes it (numbers of either kind, a lone
    stop string as a list); OptionTypeError otherwise."""
    kind = KINDS[name]
    if kind is list:
        if isinstance(value, str):  # lenient: Ollama wants an array
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise OptionTypeError(f'option "{name}" must be of type array')
        if not all(isinstance(s, str) for s in value):
            raise OptionTypeError(f'option "{name}" must be of an array of strings')
        return list(value)
    if kind is bool:
        if not isinstance(value, bool):
            raise OptionTypeError(f'option "{name}" must be of type boolean')
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OptionTypeError(f'option "{name}" must be of type {"float32" if kind is float else "integer"}')
    return kind(value)


def parsed(name: str, words: list[str]) -> Any:
    """`/set parameter NAME WORDS...` (the CLI's api.FormatParams): the option's value from text;
    ValueError in Ollama's words for an unknown name or a value that is not of the option's type."""
    if name not in KINDS:
        raise ValueError(f"unknown parameter '{name}'")
    kind = KINDS[name]
    if kind is list:
        return list(words)
    text = words[0] if words else ""
    if kind is bool and text in _GO_BOOLS:  # strconv.ParseBool
        return _GO_BOOLS[text]
    if kind is int and re.fullmatch(r"[+-]?[0-9]+", text):  # strconv.ParseInt(text, 10, 64)
        return int(text)
    if kind is float and "_" not in text:
        try:
            return float(text)  # strconv.ParseFloat: "1e3", "inf" and "NaN" too
        except ValueError:
            pass
    raise ValueError(f"invalid {kind.__name__} value [{' '.join(words)}]")


_GO_BOOLS = {
    word: value
    for value, words in ((True, "1 t T TRUE true True"), (False, "0 f F FALSE false False"))
    for word in words.split()
}
