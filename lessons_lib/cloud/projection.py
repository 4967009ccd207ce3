"""The 100-million-keyword job, priced per GPU type: hours and dollars on 1 and N pods, on Serverless, per token.

Speed comes from `speed` (each GPU's own bandwidth and FLOPS, batched decoding); prices from
`prices` (dated, sourced). Tokens per keyword are the course's one figure, `costs.TOKENS_IN_PER_KEYWORD`
and `costs.TOKENS_OUT_PER_KEYWORD`, so lesson 04's cost table, lesson 05's projection and the widget's
preset price the same job. The per-token side is every cheap API row at the standard price and through
OpenAI's Batch API (half price, answers within 24 hours), since this job can wait.
"""

from __future__ import annotations

import math
from typing import Any

from ..edition import text
from . import costs, prices, speed

__all__ = [
    "keywords_workload",
    "projection",
    "quiet_font_log",
    "KEYWORDS",
    "KEYWORDS_100M",
    "TOKENS_IN",
    "TOKENS_OUT",
    "WEEK_HOURS",
    "API_MODELS",
    "plot",
]

KEYWORDS = 100_000_000
TOKENS_IN = costs.TOKENS_IN_PER_KEYWORD  # the shared figure (see costs): one for lessons 04 and 05
TOKENS_OUT = costs.TOKENS_OUT_PER_KEYWORD
WEEK_HOURS = 7 * 24
# The cheapest per-token rows of prices.TOKEN_PRICES, and the one the source lesson compared with.
API_MODELS = ("gpt-5-nano", "gpt-4.1-nano", "gpt-4o-mini")
COLS = ("option", "GPU", "tok/s", "$/h", "hours on 1", "$ total", "pods for 7 days", "hours on those pods")
ROW_POD = "pod {cloud} {pricing}"
ROW_POD_UNSTATED = "pod {pricing}, cloud not stated"  # the price's source does not say (prices.states_cloud)
ROW_SERVERLESS = "serverless flex"
ROW_API = "API {model}"
ROW_API_BATCH = "API {model}, Batch API"


def keywords_workload(
    gpu: str,
    items: int = KEYWORDS,
    tokens_in: float = TOKENS_IN,
    tokens_out: float = TOKENS_OUT,
    batch: int = 8,
    model: speed.ModelSize = speed.LLAMA_8B_Q4,
) -> costs.Workload:
    """The job as a cost-model workload on this GPU: its batched decode speed, its prefill speed."""
    return costs.Workload(
        items=items,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        tokens_per_s=speed.batched_tokens_per_s(gpu, batch, model),
        prompt_tokens_per_s=speed.prefill_tokens_per_s(gpu, model),
        concurrency=1,
    )


def projection(
    items: int = KEYWORDS,
    tokens_in: float = TOKENS_IN,
    tokens_out: float = TOKENS_OUT,
    batch: int = 8,
    model: speed.ModelSize = speed.LLAMA_8B_Q4,
    deadline_hours: float = WEEK_HOURS,
    api_models: tuple[str, ...] = API_MODELS,
    batch_api: bool = True,
):
    """One row per GPU and cloud, per Serverless pool, and per API model (standard and, with `batch_api`,
    through OpenAI's Batch API); cheapest first. On-demand prices only: the table has no spot prices."""
    import pandas as pd

    rows: list[tuple[Any, ...]] = []
    for spec in speed.GPU_SPECS:
        work = keywords_workload(spec.name, items, tokens_in, tokens_out, batch, model)
        try:
            row = prices.gpu_price(spec.name)
        except KeyError:
            row = None
        for cloud in ("community", "secure"):
            price = getattr(row, cloud, None) if row else None
            if not price or row is None:
                continue
            one = costs.pod_cost(work, costs.PodPlan(spec.name, cloud))
            pods = max(1, math.ceil(one.hours / deadline_hours))
            share = costs.Workload(**{**work.__dict__, "items": max(1, items // pods)})
            each = costs.pod_cost(share, costs.PodPlan(spec.name, cloud))
            rows.append(
                (
                    (ROW_POD if prices.states_cloud(row, cloud) else ROW_POD_UNSTATED).format(
                        cloud=cloud, pricing="on-demand"
                    ),
                    spec.name,
                    work.tokens_per_s,
                    price,
                    one.hours,
                    each.total * pods,
                    pods,
                    each.hours,
                )
            )
        pool = prices.SERVERLESS_POOL_OF_GPU.get(spec.name)
        flex = prices.serverless_price(pool).flex_per_s if pool else None
        if flex:
            hours = work.generation_hours
            workers = max(1, math.ceil(hours / deadline_hours))
            rows.append(
                (
                    ROW_SERVERLESS,
                    spec.name,
                    work.tokens_per_s,
                    flex * 3600,
                    hours,
                    hours * flex * 3600,
                    workers,
                    hours / workers,
                )
            )
    job = costs.Workload(items=items, tokens_in=tokens_in, tokens_out=tokens_out, tokens_per_s=1.0)
    for name in api_models:
        for batched in (False, True) if batch_api else (False,):
            cost = costs.token_cost(job, name, batch_api=batched)
            label = (ROW_API_BATCH if batched else ROW_API).format(model=name)
            rows.append((label, None, None, None, None, cost.total, None, None))
    return pd.DataFrame(rows, columns=COLS).sort_values("$ total", ignore_index=True)


# The job as lesson 04's cost table and the widget's preset price it: an RTX 4090's own speed, the shared tokens.
KEYWORDS_100M = keywords_workload("RTX 4090")


def quiet_font_log() -> None:
    """A first import of pyplot may build the font cache and log that on stderr, with a timestamp: noise in a lesson."""
    import logging

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


def plot(table):
    """A bar per GPU (its cheapest way to pay) and a dashed line per API row: the projection at a glance."""
    quiet_font_log()
    import matplotlib.pyplot as plt  # noqa: F401  (pandas plots with it)

    best = table.dropna(subset=["GPU"]).drop_duplicates("GPU")
    ax = best.plot.barh(x="GPU", y="$ total", legend=False, figsize=(7, 3.5))
    for _, row in table[table.GPU.isna()].iterrows():
        ax.axvline(row["$ total"], linestyle="--", color="grey")
        ax.text(row["$ total"], 0, " " + row["option"], rotation=90, va="bottom", fontsize=8)
    ax.set_xlabel(text("cloud.projection_xlabel"))
    return ax
