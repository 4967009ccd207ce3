"""Will it fit? Pick a catalog model, a quantization and a context length; see the memory it needs
against this machine's RAM and GPU, with a verdict.

All the arithmetic is `lessons_lib.memory.estimate` and `MemoryEstimate.verdict`; the model
shapes and download sizes come from `lessons_lib.catalog`, the machine from `hardware.detect`.
A quantization the catalog has no published download for is sized from llama.cpp's own bits
per weight for that type (`quant.published.weights_from_bits`), and labelled as such.
"""

from __future__ import annotations

import html

import ipywidgets as w
import pandas as pd

from .. import catalog
from ..hardware import Machine, detect
from ..memory import MemoryEstimate, estimate
from ..quant.published import FILE_BITS_PER_WEIGHT, weights_from_bits
from ..units import gib

__all__ = ["WillItFit", "QUANTS", "CONTEXTS"]

# --- learner-facing strings (kept together so a Polish edition can translate them) ------------
LABELS = {"model": "Model", "quant": "Quantization", "ctx": "Context (tokens)", "kv": "KV cache type"}
ROW_WEIGHTS = "Weights"
ROW_KV = "KV cache"
ROW_COMPUTE = "Compute buffer"
ROW_HEADROOM = "Headroom (runtime, OS)"
ROW_TOTAL = "Total needed"
ROW_RAM = "This machine: RAM + swap available"
ROW_GPU = "This machine: {gpu} free"
COL_BYTES = "bytes"
COL_SIZE = "size"
SOURCE_PUBLISHED = "weights: the published download of {name}"
SOURCE_ESTIMATED = (
    "weights: estimated, {params:.2f}B parameters x {bpw:.2f} bits (llama.cpp's {quant} file of Llama 3.1 8B); "
    "no published {quant} download of this model in the course catalog"
)
VERDICT_OK = "✅ {message}"
VERDICT_NO = "❌ {message}"
KV_NOTE = "A quantized KV cache needs flash attention; it is switched on for this estimate."
ERROR = "Cannot estimate: {error}"
ERR_MODEL = "no model {model!r} in the course catalog; choose a key or an Ollama name: {known}"
ERR_CHOICE = "{what} must be one of: {known}; got {value!r}"
ERR_CTX = "the context must be a whole number of tokens above 0, got {value!r}"

QUANTS = tuple(FILE_BITS_PER_WEIGHT)
CONTEXTS = (2048, 4096, 8192, 16384, 32768, 65536, 131072)
KV_TYPES = ("f16", "q8_0", "q4_0")


class WillItFit:
    """`WillItFit().show()`; `.estimate` and `.table` hold the last result."""

    def __init__(
        self,
        machine: Machine | None = None,
        model: str = "llama3.1-8b",
        quant: str = "Q4_K_M",
        n_ctx: int = 4096,
        kv_type: str = "f16",
    ):
        self.machine = machine if machine is not None else detect()
        model, quant, n_ctx, kv_type = _checked(model, quant, n_ctx, kv_type)
        style = {"description_width": "initial"}
        self.model = w.Dropdown(
            options=[(m.display_name, m.key) for m in catalog.CATALOG],
            value=model,
            description=LABELS["model"],
            style=style,
        )
        self.quant = w.Dropdown(options=QUANTS, value=quant, description=LABELS["quant"], style=style)
        self.ctx = w.Dropdown(options=sorted({*CONTEXTS, n_ctx}), value=n_ctx, description=LABELS["ctx"], style=style)
        self.kv = w.Dropdown(options=KV_TYPES, value=kv_type, description=LABELS["kv"], style=style)
        self.output = w.HTML()
        self.estimate: MemoryEstimate | None = None
        self.table: pd.DataFrame | None = None
        self.verdict_text = ""
        for control in (self.model, self.quant, self.ctx, self.kv):
            control.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox([w.HBox([self.model, self.quant]), w.HBox([self.ctx, self.kv]), self.output])
        self.update()

    def _weights(self, model: catalog.CatalogModel, quant: str) -> tuple[int, str]:
        try:
            v = model.variant(quant)
        except KeyError:  # no published download of this type
            return weights_from_bits(model.params_b * 1e9, quant), SOURCE_ESTIMATED.format(
                params=model.params_b, bpw=FILE_BITS_PER_WEIGHT[quant], quant=quant
            )
        return v.size_bytes, SOURCE_PUBLISHED.format(name=v.ollama_name)

    def update(self) -> None:
        model = catalog.find(self.model.value)
        assert model is not None  # the dropdown offers catalog keys only
        quant, kv = self.quant.value, self.kv.value
        n_ctx = min(int(self.ctx.value), model.context_max)
        weights, source = self._weights(model, quant)
        flash = kv != "f16"
        try:
            est = estimate(weights, model.shape, n_ctx=n_ctx, kv_type=kv, flash_attn=flash)
        except ValueError as exc:
            self.output.value = html.escape(ERROR.format(error=exc))
            return
        verdict = est.verdict(self.machine)
        rows = [
            (ROW_WEIGHTS, est.weights),
            (ROW_KV, est.kv_cache),
            (ROW_COMPUTE, est.compute),
            (ROW_HEADROOM, est.headroom),
            (ROW_TOTAL, est.total_with_headroom),
            (ROW_RAM, self.machine.memory_for_models),
        ]
        rows += [(ROW_GPU.format(gpu=g.name), g.memory_free) for g in self.machine.gpus]
        self.table = pd.DataFrame([{"": name, COL_SIZE: gib(b), COL_BYTES: b} for name, b in rows]).set_index("")
        self.estimate = est
        self.verdict_text = (VERDICT_OK if verdict.fits else VERDICT_NO).format(message=verdict.message)
        notes = [source, f"n_ctx = {n_ctx:,} ({model.display_name} supports up to {model.context_max:,})"]
        if flash:
            notes.append(KV_NOTE)
        self.output.value = (
            self.table[[COL_SIZE]].to_html()
            + f"<p><b>{html.escape(self.verdict_text)}</b></p>"
            + "".join(f"<p><small>{html.escape(n)}</small></p>" for n in notes)
        )

    def show(self) -> w.VBox:
        return self.widget


def _checked(model: str, quant: str, n_ctx: int, kv_type: str) -> tuple[str, str, int, str]:
    """The constructor's arguments as the dropdowns hold them, or a ValueError that lists the choices."""
    found = catalog.find(model) if isinstance(model, str) else None
    if found is None:
        raise ValueError(ERR_MODEL.format(model=model, known=", ".join(m.key for m in catalog.CATALOG)))
    quant_key = quant.strip().upper() if isinstance(quant, str) else quant
    if quant_key not in QUANTS:
        raise ValueError(ERR_CHOICE.format(what=LABELS["quant"], known=", ".join(QUANTS), value=quant))
    kv_key = kv_type.strip().lower() if isinstance(kv_type, str) else kv_type
    if kv_key not in KV_TYPES:
        raise ValueError(ERR_CHOICE.format(what=LABELS["kv"], known=", ".join(KV_TYPES), value=kv_type))
    if isinstance(n_ctx, bool) or not isinstance(n_ctx, int) or n_ctx <= 0:
        raise ValueError(ERR_CTX.format(value=n_ctx))
    return found.key, quant_key, n_ctx, kv_key
