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

from ..edition import text
from .prices import HOURS_PER_MONTH, STORAGE, TokenPrice, gpu_price, hourly_price, states_cloud, token_price

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
    "KEYWORDS_100M",
    "cost_per_million_tokens",
]

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


def token_cost(workload: Workload, model: str | TokenPrice = "gpt-4o-mini") -> TokenCost:
    price = model if isinstance(model, TokenPrice) else token_price(model)
    dollars = workload.items * (workload.tokens_in * price.input + workload.tokens_out * price.output) / 1e6
    return TokenCost(text("cloud.row_tokens", model=price.model), dollars)


def cost_per_million_tokens(price_per_hour: float, tokens_per_s: float) -> float:
    """What a pod's output costs per 1M tokens when it generates all the time at this speed."""
    if tokens_per_s <= 0:
        raise ValueError(text("cloud.err_positive", name="tokens_per_s", value=tokens_per_s))
    return price_per_hour / (tokens_per_s * 3600) * 1e6


def compare(workload: Workload, plans: list[PodPlan], api_models: list[str]) -> pandas.DataFrame:
    """One row per option: hours, compute, storage, total and cost per 1000 items, cheapest first."""
    import pandas as pd

    rows: list[tuple[str, float | None, float, float, float]] = []
    for plan in plans:
        pod = pod_cost(workload, plan)
        rows.append((pod.label, pod.hours, pod.compute, pod.storage, pod.total))
    for model in api_models:
        api = token_cost(workload, model)
        rows.append((api.label, None, api.total, 0.0, api.total))
    table = pd.DataFrame(rows, columns=[COL_OPTION, COL_HOURS, COL_COMPUTE, COL_STORAGE, COL_TOTAL])
    table[COL_PER_ITEM] = table[COL_TOTAL] / workload.items * 1000
    return table.sort_values(COL_TOTAL, ignore_index=True)


# The source lesson's case as first priced: 100 million products, one per request (60 tokens in,
# 15 out), one RTX 4090 speed. Per-GPU speeds and the packed prompt of lesson 05 are in
# cloud.projection.keywords_workload(gpu), which the widget's preset and lesson 04 use.
KEYWORDS_100M = Workload(
    items=100_000_000, tokens_in=60, tokens_out=15, tokens_per_s=100.0, prompt_tokens_per_s=3000.0, concurrency=8
)
