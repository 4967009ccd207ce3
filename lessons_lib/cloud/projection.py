"""The 100-million-keyword job, priced per GPU type: hours and dollars on 1 and N pods, on Serverless, per token.

Speed comes from `speed` (each GPU's own bandwidth and FLOPS, batched decoding); prices from
`prices` (dated, sourced). Tokens per keyword are what a job measured (lesson 05 measures them
with the real prompt; the defaults are its K=10 figures with the bundled stand-in model's tokenizer).
"""

from __future__ import annotations

import math
from typing import Any

from . import costs, prices, speed

__all__ = ["keywords_workload", "projection", "KEYWORDS", "TOKENS_IN", "TOKENS_OUT", "WEEK_HOURS"]

KEYWORDS = 100_000_000
TOKENS_IN = 34.0  # per keyword at K=10: the shared system prompt plus the numbered pack, divided by 10
TOKENS_OUT = 4.0  # per keyword at K=10: '{"labels": [...]}' divided by 10
WEEK_HOURS = 7 * 24
COLS = ("option", "GPU", "tok/s", "$/h", "hours on 1", "$ total", "pods for 7 days", "hours on those pods")
ROW_POD = "pod {cloud} {pricing}"
ROW_POD_UNSTATED = "pod {pricing}, cloud not stated"  # the price's source does not say (prices.states_cloud)
ROW_SERVERLESS = "serverless flex"
ROW_API = "API {model}"


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
    api_models: tuple[str, ...] = ("gpt-4.1-nano", "gpt-4o-mini"),
):
    """One row per GPU and way of paying, and per API model; cheapest first."""
    import pandas as pd

    rows: list[tuple[Any, ...]] = []
    for spec in speed.GPU_SPECS:
        work = keywords_workload(spec.name, items, tokens_in, tokens_out, batch, model)
        try:
            row = prices.gpu_price(spec.name)
        except KeyError:
            row = None
        for cloud in ("community", "secure"):
            for pricing in ("on-demand", "spot"):
                price = getattr(row, cloud if pricing == "on-demand" else f"{cloud}_spot", None) if row else None
                if not price or row is None:
                    continue
                one = costs.pod_cost(work, costs.PodPlan(spec.name, cloud, pricing))
                pods = max(1, math.ceil(one.hours / deadline_hours))
                share = costs.Workload(**{**work.__dict__, "items": max(1, items // pods)})
                each = costs.pod_cost(share, costs.PodPlan(spec.name, cloud, pricing))
                rows.append(
                    (
                        (ROW_POD if prices.states_cloud(row, cloud) else ROW_POD_UNSTATED).format(
                            cloud=cloud, pricing=pricing
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
    for name in api_models:
        cost = costs.token_cost(
            costs.Workload(items=items, tokens_in=tokens_in, tokens_out=tokens_out, tokens_per_s=1.0), name
        )
        rows.append((ROW_API.format(model=name), None, None, None, None, cost.total, None, None))
    return pd.DataFrame(rows, columns=COLS).sort_values("$ total", ignore_index=True)
