"""Quantization lab: make variants of a GGUF model and measure size, speed and quality.

from lessons_lib.quant import quantize
report = quantize(src, dst, "Q4_K_M", progress=lambda done, total, name: ...)
"""

from ..llama.quantize import (
    KINDS,
    Fallback,
    QuantizeError,
    QuantizeReport,
    UnknownQuantization,
    normalize_kind,
    quantize,
)

__all__ = [
    "KINDS",
    "Fallback",
    "QuantizeError",
    "QuantizeReport",
    "UnknownQuantization",
    "normalize_kind",
    "quantize",
]
