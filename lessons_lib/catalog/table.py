"""The lesson-00 table: every catalog variant with its download size, memory estimate and a verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..hardware import Machine
from ..memory import estimate
from ..units import human_bytes
from .data import CATALOG

if TYPE_CHECKING:
    import pandas

# --- user-facing strings (kept together so a Polish edition can translate them) -------------
COL_MODEL = "Model"
COL_NAME = "Ollama name"
COL_QUANT = "Quant"
COL_PARAMS = "Params"
COL_DOWNLOAD = "Download"
COL_CTX = "num_ctx"
COL_WEIGHTS = "Weights (GiB)"
COL_KV = "KV cache (GiB)"
COL_COMPUTE = "Compute (GiB)"
COL_TOTAL = "Total (GiB)"
COL_NEEDS = "With headroom (GiB)"
COL_VERDICT = "Verdict"
VERDICT_LABELS = {"GPU": "GPU", "CPU+GPU": "CPU+GPU", "CPU": "CPU", "no": "too big"}

_GIB = 2**30


def _params_label(params_b: float) -> str:
    # Ollama's parameter_size style: "8.0B", "135M"
    return f"{params_b:.1f}B" if params_b >= 1 else f"{params_b * 1000:.0f}M"


def fit_table(machine: Machine, n_ctx: int = 4096) -> pandas.DataFrame:
    """One row per catalog model and variant: sizes, memory estimate and a verdict for `machine`."""
    import pandas as pd  # imported here: the rest of the module works without pandas

    rows = []
    for model in CATALOG:
        ctx = min(n_ctx, model.context_max)
        for v in model.variants:
            est = estimate(v.size_bytes, model.shape, n_ctx=ctx)
            verdict = est.verdict(machine, quant=v.quant)
            rows.append(
                {
                    COL_MODEL: model.display_name,
                    COL_NAME: v.ollama_name,
                    COL_QUANT: v.quant,
                    COL_PARAMS: _params_label(model.params_b),
                    COL_DOWNLOAD: human_bytes(v.size_bytes),
                    COL_CTX: ctx,
                    COL_WEIGHTS: round(est.weights / _GIB, 2),
                    COL_KV: round(est.kv_cache / _GIB, 2),
                    COL_COMPUTE: round(est.compute / _GIB, 2),
                    COL_TOTAL: round(est.total / _GIB, 2),
                    COL_NEEDS: round(est.total_with_headroom / _GIB, 2),
                    COL_VERDICT: VERDICT_LABELS[verdict.where],
                }
            )
    return pd.DataFrame(rows)
