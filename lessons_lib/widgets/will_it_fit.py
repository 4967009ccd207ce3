"""Will it fit? Pick a catalog model, a quantization and a context length; see the memory it needs
against this machine's RAM and GPU, with a verdict.

All the arithmetic is `lessons_lib.memory.estimate` and `MemoryEstimate.verdict`; the model
shapes and download sizes come from `lessons_lib.catalog`, the machine from `hardware.detect`.
A quantization the catalog has no published download for is sized from llama.cpp's own bits
per weight for that type (`quant.published.weights_from_bits`), and labelled as such.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import pandas as pd

from .. import catalog
from ..edition import resolve, text
from ..hardware import Machine, detect
from ..memory import MemoryEstimate, estimate
from ..quant.published import FILE_BITS_PER_WEIGHT, weights_from_bits
from ..units import gib

__all__ = ["WillItFit", "QUANTS", "CONTEXTS"]

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
        lang: str | None = None,
    ):
        self.lang = resolve(lang)  # the edition it speaks: the current one unless given
        t = self._t
        self.machine = machine if machine is not None else detect()
        model, quant, n_ctx, kv_type = _checked(model, quant, n_ctx, kv_type, self.lang)
        style = {"description_width": "initial"}
        self.model = w.Dropdown(
            options=[(m.display_name, m.key) for m in catalog.CATALOG],
            value=model,
            description=t("model"),
            style=style,
        )
        self.quant = w.Dropdown(options=QUANTS, value=quant, description=t("quant"), style=style)
        self.ctx = w.Dropdown(options=sorted({*CONTEXTS, n_ctx}), value=n_ctx, description=t("ctx"), style=style)
        self.kv = w.Dropdown(options=KV_TYPES, value=kv_type, description=t("kv"), style=style)
        self.output = w.HTML()
        self.estimate: MemoryEstimate | None = None
        self.table: pd.DataFrame | None = None
        self.verdict_text = ""
        for control in (self.model, self.quant, self.ctx, self.kv):
            control.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox([w.HBox([self.model, self.quant]), w.HBox([self.ctx, self.kv]), self.output])
        self.update()

    def _t(self, key: str, **fields: Any) -> str:
        return text(f"will_it_fit.{key}", lang=self.lang, **fields)

    def _weights(self, model: catalog.CatalogModel, quant: str) -> tuple[int, str]:
        try:
            v = model.variant(quant)
        except KeyError:  # no published download of this type
            return weights_from_bits(model.params_b * 1e9, quant), self._t(
                "source_estimated", params=model.params_b, bpw=FILE_BITS_PER_WEIGHT[quant], quant=quant
            )
        return v.size_bytes, self._t("source_published", name=v.ollama_name)

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
            self.output.value = html.escape(self._t("error", error=exc))
            return
        verdict = est.verdict(self.machine)
        rows = [
            (self._t("row_weights"), est.weights),
            (self._t("row_kv"), est.kv_cache),
            (self._t("row_compute"), est.compute),
            (self._t("row_headroom"), est.headroom),
            (self._t("row_total"), est.total_with_headroom),
            (self._t("row_ram"), self.machine.memory_for_models),
        ]
        rows += [(self._t("row_gpu", gpu=g.name), g.memory_free) for g in self.machine.gpus]
        size, in_bytes = self._t("col_size"), self._t("col_bytes")
        self.table = pd.DataFrame([{"": name, size: gib(b), in_bytes: b} for name, b in rows]).set_index("")
        self.estimate = est
        self.verdict_text = self._t("verdict_ok" if verdict.fits else "verdict_no", message=verdict.message)
        notes = [source, self._t("context_note", n_ctx=n_ctx, model=model.display_name, context_max=model.context_max)]
        if flash:
            notes.append(self._t("kv_note"))
        self.output.value = (
            self.table[[size]].to_html()
            + f"<p><b>{html.escape(self.verdict_text)}</b></p>"
            + "".join(f"<p><small>{html.escape(n)}</small></p>" for n in notes)
        )

    def show(self) -> w.VBox:
        return self.widget


def _checked(model: str, quant: str, n_ctx: int, kv_type: str, lang: str) -> tuple[str, str, int, str]:
    """The constructor's arguments as the dropdowns hold them, or a ValueError that lists the choices."""

    def t(key: str, **fields: Any) -> str:
        return text(f"will_it_fit.{key}", lang=lang, **fields)

    found = catalog.find(model) if isinstance(model, str) else None
    if found is None:
        raise ValueError(t("err_model", model=model, known=", ".join(m.key for m in catalog.CATALOG)))
    quant_key = quant.strip().upper() if isinstance(quant, str) else quant
    if quant_key not in QUANTS:
        raise ValueError(t("err_choice", what=t("quant"), known=", ".join(QUANTS), value=quant))
    kv_key = kv_type.strip().lower() if isinstance(kv_type, str) else kv_type
    if kv_key not in KV_TYPES:
        raise ValueError(t("err_choice", what=t("kv"), known=", ".join(KV_TYPES), value=kv_type))
    if isinstance(n_ctx, bool) or not isinstance(n_ctx, int) or n_ctx <= 0:
        raise ValueError(t("err_ctx", value=n_ctx))
    return found.key, quant_key, n_ctx, kv_key
