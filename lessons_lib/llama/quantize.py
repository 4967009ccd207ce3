"""Quantize a GGUF file with llama.cpp's own quantizer (llama-cpp-python's `llama_model_quantize`).

llama.cpp reports what it does only through its log: one line per tensor ("[  3/272] name ...")
and a warning for every tensor whose rows do not split into the target's blocks ("ncols 576 not
divisible by 256 ... -> falling back to q5_0"). While a quantization runs we route that log to
Python, which gives a progress callback per tensor and the list of fallbacks. The output is
written to a temporary file next to the destination and renamed into place only when llama.cpp
succeeded, so a failed or interrupted run never leaves a half-written model behind.
"""

from __future__ import annotations

import ctypes
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import llama_cpp

from ..edition import text
from . import gguf_file
from .log import LogCapture, capture_llama_log

__all__ = [
    "KINDS",
    "NEEDS_IMATRIX",
    "Fallback",
    "QuantizeReport",
    "QuantizeError",
    "UnknownQuantization",
    "normalize_kind",
    "quantize",
]

# --- user-facing strings (kept together so a Polish edition can translate them) -------------

# Names a learner may type, mapped to llama.cpp's LLAMA_FTYPE_* ids (include/llama.h).
KINDS: dict[str, int] = {
    "F32": llama_cpp.LLAMA_FTYPE_ALL_F32,
    "F16": llama_cpp.LLAMA_FTYPE_MOSTLY_F16,
    "BF16": llama_cpp.LLAMA_FTYPE_MOSTLY_BF16,
    "Q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0,
    "Q6_K": llama_cpp.LLAMA_FTYPE_MOSTLY_Q6_K,
    "Q5_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_K_M,
    "Q5_K_S": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_K_S,
    "Q5_1": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_1,
    "Q5_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_0,
    "Q4_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M,
    "Q4_K_S": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_S,
    "Q4_1": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_1,
    "Q4_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0,
    "IQ4_NL": llama_cpp.LLAMA_FTYPE_MOSTLY_IQ4_NL,
    "IQ4_XS": llama_cpp.LLAMA_FTYPE_MOSTLY_IQ4_XS,
    "Q3_K_L": llama_cpp.LLAMA_FTYPE_MOSTLY_Q3_K_L,
    "Q3_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q3_K_M,
    "Q3_K_S": llama_cpp.LLAMA_FTYPE_MOSTLY_Q3_K_S,
    "IQ3_M": llama_cpp.LLAMA_FTYPE_MOSTLY_IQ3_M,
    "IQ3_S": llama_cpp.LLAMA_FTYPE_MOSTLY_IQ3_S,
    "Q2_K": llama_cpp.LLAMA_FTYPE_MOSTLY_Q2_K,
}
# llama-quantize's aliases: the bare k-quant name means its _M mix.
ALIASES = {"Q3_K": "Q3_K_M", "Q4_K": "Q4_K_M", "Q5_K": "Q5_K_M"}
# Types whose tensors llama.cpp refuses to make without an importance matrix.
NEEDS_IMATRIX = frozenset({"IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ3_XXS", "IQ3_XS", "Q2_K_S"})

_TENSOR_LINE = re.compile(r"\[\s*(\d+)/\s*(\d+)\]\s+(\S+)\s+-")
_FALLBACK = re.compile(
    r"warning:\s+(\S+)\s+-\s+ncols\s+(\d+)\s+not divisible by\s+(\d+)\s+\(required for type\s+(\S+)\)"
    r".*?-> falling back to\s+(\S+)",
    re.S,
)
_FAILED = re.compile(r"failed to quantize:\s*(.+)")


class UnknownQuantization(ValueError):
    """The requested quantization type does not exist or cannot be made here."""


class QuantizeError(RuntimeError):
    """llama.cpp refused or failed; the message carries its reason."""


@dataclass(frozen=True)
class Fallback:
    """A tensor that could not take the type the recipe wanted (its rows do not split into blocks)."""

    tensor: str
    ncols: int
    block: int
    wanted: str
    used: str


@dataclass(frozen=True)
class QuantizeReport:
    source: Path
    destination: Path
    kind: str
    source_type: str  # the source file's type, e.g. "F16" or "Q4_1"
    source_size: int
    size: int  # bytes of the written file
    n_params: int
    tensor_bytes: int
    n_tensors: int
    tensor_types: dict[str, int]  # ggml type -> number of tensors in the output
    fallbacks: tuple[Fallback, ...]
    seconds: float
    log: str = field(repr=False, default="")

    @property
    def bits_per_weight(self) -> float:
        """Tensor bits per parameter, as llama.cpp prints it ("quant size = ... (4.89 BPW)")."""
        return 8 * self.tensor_bytes / self.n_params if self.n_params else 0.0

    @property
    def fallback_summary(self) -> str:
        """ "90/272" style: how many tensors fell back, of how many."""
        return f"{len(self.fallbacks)}/{self.n_tensors}"

    def as_row(self) -> dict[str, object]:
        types = ", ".join(f"{n}x{t}" for t, n in sorted(self.tensor_types.items(), key=lambda kv: -kv[1]))
        return {
            "kind": self.kind,
            "size (MB)": round(self.size / 1e6, 1),
            "bits/weight": round(self.bits_per_weight, 3),
            "fallbacks": self.fallback_summary,
            "tensor types": types,
            "seconds": round(self.seconds, 1),
        }


def normalize_kind(kind: str) -> str:
    """ "q4_k_m" -> "Q4_K_M"; raises UnknownQuantization with the list of choices."""
    if not isinstance(kind, str):
        raise UnknownQuantization(text("models.err_unknown_kind", kind=kind, known=", ".join(KINDS)))
    key = kind.strip().upper()
    key = ALIASES.get(key, key)
    if key in NEEDS_IMATRIX:
        raise UnknownQuantization(text("models.err_needs_imatrix", kind=key))
    if key not in KINDS:
        raise UnknownQuantization(text("models.err_unknown_kind", kind=kind, known=", ".join(KINDS)))
    return key


class _Progress:
    """Turns llama.cpp's "[  3/272] name" lines into progress(done, total, name) calls."""

    def __init__(self, progress: Callable[[int, int, str], None] | None):
        self.progress = progress
        self.pending: tuple[int, int, str] | None = None

    def on_text(self, text: str) -> None:
        match = _TENSOR_LINE.search(text)
        if match and self.progress is not None:
            index, total, name = int(match[1]), int(match[2]), match[3]
            # The line announces tensor `index`; the ones before it are done.
            self.progress(index - 1, total, self.pending[2] if self.pending else name)
            self.pending = (index, total, name)

    def finish(self) -> None:
        if self.pending is not None and self.progress is not None:
            self.progress(self.pending[1], self.pending[1], self.pending[2])


def _run_llama_quantize(
    source: Path, temp: Path, ftype: int, nthread: int, allow_requantize: bool, progress: _Progress
) -> tuple[int, LogCapture]:
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = nthread
    params.allow_requantize = allow_requantize
    with capture_llama_log(progress.on_text) as log:
        rc = llama_cpp.llama_model_quantize(str(source).encode(), str(temp).encode(), ctypes.byref(params))
    return rc, log


def quantize(
    source: Path | str,
    destination: Path | str,
    kind: str,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    allow_requantize: bool = False,
    nthread: int | None = None,
) -> QuantizeReport:
    """Write `source` quantized to `kind` at `destination` (atomically) and report what happened.

    progress(done_tensors, total_tensors, tensor_name) is called as llama.cpp works through the
    tensors. A quantized source is refused unless allow_requantize=True.
    """
    name = normalize_kind(kind)
    source, destination = Path(source), Path(destination)
    if not source.is_file():
        raise FileNotFoundError(text("models.err_no_source", path=source))
    if destination.exists() and destination.resolve() == source.resolve():
        raise ValueError(text("models.err_same_file", path=source))
    info = gguf_file.read(source)  # ValueError for a file that is not GGUF

    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = destination.with_name(f".{destination.name}.{os.getpid()}.{threading.get_ident()}.partial")
    tracker = _Progress(progress)
    started = time.perf_counter()
    try:
        rc, capture = _run_llama_quantize(
            source, temp, KINDS[name], nthread or os.cpu_count() or 1, allow_requantize, tracker
        )
        if capture.error is not None:  # the progress callback raised (e.g. KeyboardInterrupt)
            raise capture.error
        if rc != 0 or not temp.is_file():
            raise QuantizeError(_failure_message(capture.text, source, name))
        tracker.finish()
        os.replace(temp, destination)
    finally:
        temp.unlink(missing_ok=True)
    seconds = time.perf_counter() - started

    out = gguf_file.read(destination)
    return QuantizeReport(
        source=source,
        destination=destination,
        kind=name,
        source_type=info.file_type,
        source_size=info.size,
        size=out.size,
        n_params=sum(t.n_elements for t in out.tensors),
        tensor_bytes=sum(t.n_bytes for t in out.tensors),
        n_tensors=len(out.tensors),
        tensor_types=dict(Counter(t.type for t in out.tensors)),
        fallbacks=parse_fallbacks(capture.text),
        seconds=seconds,
        log=capture.text,
    )


def parse_fallbacks(log: str) -> tuple[Fallback, ...]:
    """The "ncols N not divisible by B ... -> falling back to T" warnings of a quantize log."""
    return tuple(
        Fallback(tensor=m[1], ncols=int(m[2]), block=int(m[3]), wanted=m[4].upper(), used=m[5].upper())
        for m in _FALLBACK.finditer(log)
    )


def _failure_message(log: str, source: Path, kind: str) -> str:
    match = _FAILED.search(log)
    reason = match[1].strip() if match else text("models.err_unknown_reason")
    requantize = re.search(r"requantizing from type (\S+) is disabled", reason)
    if requantize:
        return text("models.err_requantize", name=source.name, type=requantize[1].upper())
    return text("models.err_failed", name=source.name, kind=kind, reason=reason)
