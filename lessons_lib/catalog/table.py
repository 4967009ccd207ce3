"""The lesson-00 table: every catalog variant with its download size, memory estimate and a verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..edition import text
from ..hardware import Machine
from ..memory import estimate
from ..units import human_bytes
from .data import CATALOG

if TYPE_CHECKING:
    import pandas

# --- user-facing strings (kept together so a Polish edition can translate them) -------------
_GIB = 2**30


def _params_label(params_b: float) -> str:
    # Ollama's parameter_size style: "8.0B", "135M"
    return f"{params_b:.1f}B" if params_b >= 1 else f"{params_b * 1000:.0f}M"


def fit_table(machine: Machine, n_ctx: int = 4096) -> pandas.DataFrame:
    """One row per catalog model and variant: sizes, memory estimate and a verdict for `machine`."""
    import pandas as pd  # imported here: the rest of the module works without pandas

    def t(key: str) -> str:
        return text(f"catalog.{key}")

    rows = []
    for model in CATALOG:
        ctx = min(n_ctx, model.context_max)
        for v in model.variants:
            est = estimate(v.size_bytes, model.shape, n_ctx=ctx)
            verdict = est.verdict(machine, quant=v.quant)
            rows.append(
                {
                    t("col_model"): model.display_name,
                    t("col_name"): v.ollama_name,
                    t("col_quant"): v.quant,
                    t("col_params"): _params_label(model.params_b),
                    t("col_download"): human_bytes(v.size_bytes),
                    t("col_ctx"): ctx,
                    t("col_weights"): round(est.weights / _GIB, 2),
                    t("col_kv"): round(est.kv_cache / _GIB, 2),
                    t("col_compute"): round(est.compute / _GIB, 2),
                    t("col_total"): round(est.total / _GIB, 2),
                    t("col_needs"): round(est.total_with_headroom / _GIB, 2),
                    t("col_verdict"): t(f"verdict_{verdict.where}"),
                }
            )
    return pd.DataFrame(rows)
