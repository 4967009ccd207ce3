"""The cost model: a workload -> hours of GPU -> dollars for a pod, versus paying an API per token.

Pod time = start (image pull and boot) + model pull + generation + idle time. Generation time
comes from measured speeds: prompt tokens at the prompt (prefill) speed and answer tokens at the
generation speed, divided among `concurrency` parallel streams (an optimistic assumption: on a
real GPU each stream slows down a little as more run). Storage is billed per GB-month while the
pod runs and, for the volume, after it stops, until it is terminated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..edition import current, text
from .prices import (
    BATCH_API_DISCOUNT,
    HOURS_PER_MONTH,
    STORAGE,
    TokenPrice,
    gpu_price,
    hourly_price,
    states_cloud,
    token_price,
)

if TYPE_CHECKING:
    import pandas

__all__ = [
    "Workload",
    "PodPlan",
    "PodCost",
    "TokenCost",
    "pod_cost",
    "token_cost",
    "compare",
    "verdict",
    "TOKENS_IN_PER_KEYWORD",
    "TOKENS_OUT_PER_KEYWORD",
    "cost_per_million_tokens",
]

# The one tokens-per-keyword figure of the 100-million-keyword job, shared by lesson 04's cost table, lesson 05's
# projection and the widget's preset (cloud.projection uses it): lesson 05's prompt at K=10 keywords a request,
# counted with the bundled stand-in model's tokenizer: the shared system prompt plus the numbered pack, divided by
# 10, and '{"labels": [...]}' divided by 10. Lesson 05 measures it again and prints both.
TOKENS_IN_PER_KEYWORD = 34.0
TOKENS_OUT_PER_KEYWORD = 4.0

# --- learner-facing strings ---------------------------------------------------------------------
COL_OPTION, COL_HOURS, COL_COMPUTE, COL_STORAGE, COL_TOTAL, COL_PER_ITEM = (
    "option",
    "hours",
    "compute $",
    "storage $",
    "total $",
    "$ per 1000 items",
)


@dataclass(frozen=True)
class Workload:
    """What has to be generated. Speeds are tokens/s of one stream, as metrics.speed measures them."""

    items: int
    tokens_in: float  # prompt tokens per item
    tokens_out: float  # answer tokens per item
    tokens_per_s: float  # generation speed of one stream
    prompt_tokens_per_s: float = 0.0  # prefill speed; 0 means "prompt time not counted"
    concurrency: int = 1  # parallel streams on the pod (Ollama's OLLAMA_NUM_PARALLEL)

    def __post_init__(self) -> None:
        for name in ("items", "tokens_per_s", "concurrency"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(text("cloud.err_positive", name=name, value=value))
        for name in ("tokens_in", "tokens_out", "prompt_tokens_per_s"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(text("cloud.err_not_negative", name=name, value=value))

    @property
    def generation_hours(self) -> float:
        seconds = self.items * self.tokens_out / self.tokens_per_s
        if self.prompt_tokens_per_s > 0:
            seconds += self.items * self.tokens_in / self.prompt_tokens_per_s
        return seconds / self.concurrency / 3600


@dataclass(frozen=True)
class PodPlan:
    gpu: str = "RTX 4090"
    cloud: str = "community"
    pricing: str = "on-demand"
    gpu_count: int = 1
    start_minutes: float = 5.0  # image pull and boot until Ollama answers
    model_pull_minutes: float = 3.0
    idle_hours: float = 0.0  # paid time doing nothing (forgotten pod, lunch break)
    container_disk_gb: int = 20
    volume_gb: int = 0
    stopped_days: float = 0.0  # days the stopped pod keeps its volume before termination
    price_per_hour: float | None = None  # overrides the table (live or typed-in price)

    def cloud_shown(self) -> str:
        """The cloud as the price's source gives it: a table price whose source does not say which
        cloud it quotes (deploybase) is labelled so, not passed off as community."""
        if self.price_per_hour is not None or states_cloud(gpu_price(self.gpu), self.cloud):
            return self.cloud
        return text("cloud.cloud_not_stated")

    def hourly(self) -> float:
        if self.price_per_hour is not None:
            return self.price_per_hour * self.gpu_count
        return hourly_price(self.gpu, self.cloud, self.pricing, self.gpu_count)


@dataclass(frozen=True)
class PodCost:
    label: str
    hours: float
    compute: float
    storage: float

    @property
    def total(self) -> float:
        return self.compute + self.storage


@dataclass(frozen=True)
class TokenCost:
    label: str
    total: float


def pod_cost(workload: Workload, plan: PodPlan) -> PodCost:
    """Dollars for running the workload on one pod, including start, pull, idle and storage."""
    for name in ("start_minutes", "model_pull_minutes", "idle_hours", "container_disk_gb", "volume_gb", "stopped_days"):
        value = getattr(plan, name)
        if not isinstance(value, (int, float)) or value < 0:
            raise ValueError(text("cloud.err_not_negative", name=name, value=value))
    if not isinstance(plan.gpu_count, int) or plan.gpu_count < 1:
        raise ValueError(text("cloud.err_positive", name="gpu_count", value=plan.gpu_count))
    hours = workload.generation_hours + (plan.start_minutes + plan.model_pull_minutes) / 60 + plan.idle_hours
    running_storage = (
        (plan.container_disk_gb * STORAGE["container_running"] + plan.volume_gb * STORAGE["volume_running"])
        * hours
        / HOURS_PER_MONTH
    )
    stopped_storage = plan.volume_gb * STORAGE["volume_stopped"] * plan.stopped_days * 24 / HOURS_PER_MONTH
    label = text("cloud.row_pod", gpu=plan.gpu, cloud=plan.cloud_shown(), pricing=plan.pricing)
    return PodCost(label, hours, plan.hourly() * hours, running_storage + stopped_storage)


def token_cost(workload: Workload, model: str | TokenPrice = "gpt-4o-mini", batch_api: bool = False) -> TokenCost:
    """Dollars for the workload at an API's per-token prices; `batch_api`: through OpenAI's Batch API, at
    half price (prices.BATCH_API_DISCOUNT), answers within 24 hours."""
    price = model if isinstance(model, TokenPrice) else token_price(model)
    dollars = workload.items * (workload.tokens_in * price.input + workload.tokens_out * price.output) / 1e6
    if batch_api:
        return TokenCost(text("cloud.row_tokens_batch", model=price.model), dollars * BATCH_API_DISCOUNT)
    return TokenCost(text("cloud.row_tokens", model=price.model), dollars)


def cost_per_million_tokens(price_per_hour: float, tokens_per_s: float) -> float:
    """What a pod's output costs per 1M tokens when it generates all the time at this speed."""
    if tokens_per_s <= 0:
        raise ValueError(text("cloud.err_positive", name="tokens_per_s", value=tokens_per_s))
    return price_per_hour / (tokens_per_s * 3600) * 1e6


def compare(
    workload: Workload, plans: list[PodPlan], api_models: list[str], batch_api: bool = False
) -> pandas.DataFrame:
    """One row per option: hours, compute, storage, total and cost per 1000 items, cheapest first.
    `batch_api` adds each API model once more at OpenAI's Batch API price."""
    import pandas as pd

    rows: list[tuple[str, float | None, float, float, float]] = []
    for plan in plans:
        pod = pod_cost(workload, plan)
        rows.append((pod.label, pod.hours, pod.compute, pod.storage, pod.total))
    for model in api_models:
        for batched in (False, True) if batch_api else (False,):
            api = token_cost(workload, model, batch_api=batched)
            rows.append((api.label, None, api.total, 0.0, api.total))
    table = pd.DataFrame(rows, columns=[COL_OPTION, COL_HOURS, COL_COMPUTE, COL_STORAGE, COL_TOTAL])
    table[COL_PER_ITEM] = table[COL_TOTAL] / workload.items * 1000
    return table.sort_values(COL_TOTAL, ignore_index=True)


def verdict(table: pandas.DataFrame, close: float = 0.15) -> str:
    """The cheapest pod against the cheapest API row of a `compare` or `projection` table, in words that
    follow the numbers: which is cheaper and by how much, or that they are too close to call (within
    `close`, a fraction of the dearer one) given sample prices and a speed model."""
    total = COL_TOTAL if COL_TOTAL in table else "$ total"
    is_api = table[COL_HOURS].isna() if COL_HOURS in table else table["GPU"].isna()
    pods, apis = table[~is_api].sort_values(total), table[is_api].sort_values(total)
    if pods.empty or apis.empty:
        raise ValueError(text("cloud.err_verdict"))
    pod, api = pods.iloc[0], apis.iloc[0]
    cheap, dear = sorted((float(pod[total]), float(api[total])))
    if dear - cheap <= close * dear:
        key = "cloud.verdict_close"
    else:
        key = "cloud.verdict_pod" if pod[total] < api[total] else "cloud.verdict_api"
    polish = current() == "pl"
    said = text(
        key,
        pod=f"{pod['GPU']} ({pod[COL_OPTION]})" if "GPU" in table else pod[COL_OPTION],
        api=api[COL_OPTION],
        pod_total=_dollars(float(pod[total]), polish),
        api_total=_dollars(float(api[total]), polish),
        ratio=_number(dear / cheap, 1, polish) + "×" if cheap > 0 else "∞",
        pct=_number(close * 100, 0, polish) + (" %" if polish else "%"),
    )
    return f"{said}\n{text('cloud.verdict_quality')}"


def _number(value: float, digits: int, polish: bool) -> str:
    """1,234.5 in English; 1 234,5 in Polish (a non-breaking space between thousands)."""
    shown = f"{value:,.{digits}f}"
    return shown.replace(",", "\u00a0").replace(".", ",") if polish else shown


def _dollars(value: float, polish: bool) -> str:
    return f"{_number(value, 0, polish)} $" if polish else f"${_number(value, 0, polish)}"
