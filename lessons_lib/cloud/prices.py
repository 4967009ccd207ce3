"""Prices, each with its source and date: RunPod GPUs (per GPU-hour), storage, and per-token APIs.

These are sample figures from dated public pages (each row names its page and date), not
live quotes: RunPod no longer publishes per-GPU prices in its docs and they change with stock and
region. `live_gpu_prices()` asks the API for today's numbers when a key is present. `None` means
no source gave that number (RunPod prices can also be null or 0 when a cloud does not offer it).

No spot prices: RunPod's API no longer rents spot pods (and SDK 1.12 never could), and the
third-party figures labelled "spot" could not be trusted as spot prices (deploybase's H100 SXM
"spot" $2.69 is RunPod's own secure on-demand price, a 0 % discount). The spot columns stay in
`GpuPrice` for live catalogs that still report them, but the shipped table leaves them empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from ..edition import text

__all__ = [
    "GpuPrice",
    "TokenPrice",
    "GPU_PRICES",
    "TOKEN_PRICES",
    "STORAGE",
    "gpu_price",
    "token_price",
    "hourly_price",
    "live_gpu_prices",
    "live_hourly_price",
    "gpu_table",
    "price_rows",
    "states_cloud",
    "token_table",
    "ServerlessPrice",
    "SERVERLESS_PRICES",
    "serverless_price",
    "BATCH_API_DISCOUNT",
    "SRC_OPENAI_BATCH",
]

# --- learner-facing strings ---------------------------------------------------------------------
COLS_GPU = ("GPU", "gpuTypeId", "VRAM (GB)", "cloud", "pricing", "$/h", "source and date")
CLOUD_NOT_STATED = "not stated by the source (filed as community)"

COLS_TOKEN = (
    "model",
    "input $/1M",
    "cached input $/1M",
    "output $/1M",
    "Batch API input $/1M",
    "Batch API output $/1M",
    "source",
)

SRC_DEPLOYBASE = "deploybase.ai/articles/runpod-gpu-pricing, as of 2026-03 (third party)"
SRC_SKYPILOT_V8 = "skypilot-catalog v8 runpod/vms.csv (RunPod gpuTypes snapshot, undated)"
SRC_SKYPILOT_V7 = "skypilot-catalog v7 runpod/vms.csv (RunPod gpuTypes snapshot, undated)"
SRC_SPHERON = "spheron.network/blog/runpod-h100-pricing-2026, 2026-05-22 (third party)"
SRC_SKYPILOT_CHECK = "SkyPilot RunPod catalog check, 2026-06-24 (third party)"
SRC_STORAGE = "docs.runpod.io pods/pricing, docs commit a900806e, 2026-08-20"
SRC_OPENAI = (
    "platform.openai.com/docs/pricing via openai_responses pricing.ex (2025-06-03) and "
    "deploybase.ai (2026-03), standard tier"
)
SRC_OPENAI_GPT5 = "deploybase.ai/articles/openai-pricing, 2026-03 (third party), standard tier"
# OpenAI's Batch API: a JSONL file of requests, answers within 24 hours, at half the standard per-token price.
SRC_OPENAI_BATCH = (
    "platform.openai.com/docs/guides/batch: 50% off standard input and output prices, results within 24 h"
)
BATCH_API_DISCOUNT = 0.5


@dataclass(frozen=True)
class GpuPrice:
    """USD per GPU-hour. deploybase's on-demand figures are filed as community, but it does not say
    which cloud it quotes: tables show them as CLOUD_NOT_STATED, and for the A100 and H100 they sit above the secure price, so the sandbox
    does not offer them as community prices (sandbox.state.gpu_type)."""

    gpu_id: str  # RunPod's gpuTypeId
    display_name: str
    memory_gb: int
    community: float | None
    secure: float | None
    community_spot: float | None
    secure_spot: float | None
    source: str

    def price(self, cloud: str = "community", pricing: str = "on-demand") -> float:
        if cloud not in ("community", "secure"):
            raise ValueError(text("cloud.err_cloud", cloud=cloud))
        if pricing not in ("on-demand", "spot"):
            raise ValueError(text("cloud.err_pricing", pricing=pricing))
        value = getattr(self, cloud if pricing == "on-demand" else f"{cloud}_spot")
        if not value:
            raise ValueError(
                text("cloud.err_no_price", what=f"{cloud} {pricing}", gpu=self.display_name, source=self.source)
            )
        return float(value)


@dataclass(frozen=True)
class TokenPrice:
    """USD per million tokens."""

    model: str
    input: float
    cached_input: float | None
    output: float
    source: str


GPU_PRICES: tuple[GpuPrice, ...] = (
    GpuPrice("NVIDIA GeForce RTX 3090", "RTX 3090", 24, 0.39, None, None, None, SRC_DEPLOYBASE),
    GpuPrice(
        "NVIDIA GeForce RTX 4090",
        "RTX 4090",
        24,
        0.60,
        0.69,
        None,
        None,
        f"community: {SRC_DEPLOYBASE}; secure: {SRC_SKYPILOT_CHECK}",
    ),
    GpuPrice("NVIDIA A40", "A40", 48, None, 0.40, None, None, SRC_SKYPILOT_V8),
    GpuPrice("NVIDIA L40S", "L40S", 48, 1.40, None, None, None, SRC_DEPLOYBASE),
    GpuPrice(
        "NVIDIA A100 80GB PCIe",
        "A100 PCIe",
        80,
        2.10,
        1.64,
        None,
        None,
        f"community: {SRC_DEPLOYBASE}; secure: {SRC_SKYPILOT_V8}",
    ),
    GpuPrice(
        "NVIDIA A100-SXM4-80GB",
        "A100 SXM",
        80,
        2.45,
        1.89,
        None,
        None,
        f"community: {SRC_DEPLOYBASE}; secure: {SRC_SKYPILOT_V7}",
    ),
    GpuPrice(
        "NVIDIA H100 PCIe",
        "H100 PCIe",
        80,
        3.51,
        2.79,
        None,
        None,
        f"community: {SRC_DEPLOYBASE}; secure: {SRC_SPHERON}",
    ),
    GpuPrice(
        "NVIDIA H100 80GB HBM3",
        "H100 SXM",
        80,
        4.76,
        2.69,
        None,
        None,
        f"community: {SRC_DEPLOYBASE}; secure: {SRC_SPHERON}",
    ),
)


class StoragePrices(TypedDict):
    container_running: float
    volume_running: float
    volume_stopped: float
    source: str


# USD per GB-month (RunPod bills these per second).
STORAGE: StoragePrices = {
    "container_running": 0.10,  # container disk, erased on stop, not billed while stopped
    "volume_running": 0.10,
    "volume_stopped": 0.20,  # a stopped pod's volume costs twice as much
    "source": SRC_STORAGE,
}
HOURS_PER_MONTH = 730  # 365 * 24 / 12, the usual cloud billing month

TOKEN_PRICES: tuple[TokenPrice, ...] = (
    TokenPrice("gpt-4.1-nano", 0.10, 0.025, 0.40, SRC_OPENAI),
    TokenPrice("gpt-4o-mini", 0.15, 0.075, 0.60, SRC_OPENAI),
    TokenPrice("gpt-4.1-mini", 0.40, 0.10, 1.60, SRC_OPENAI),
    TokenPrice("gpt-4.1", 2.00, 0.50, 8.00, SRC_OPENAI),
    TokenPrice("gpt-4o", 2.50, 1.25, 10.00, SRC_OPENAI),
    TokenPrice("gpt-5-nano", 0.05, None, 0.40, SRC_OPENAI_GPT5),
    TokenPrice("gpt-5-mini", 0.25, None, 2.00, SRC_OPENAI_GPT5),
)


def gpu_price(gpu: str, table: tuple[GpuPrice, ...] = GPU_PRICES) -> GpuPrice:
    """The row for a gpuTypeId or display name (any case)."""
    for row in table:
        if gpu.lower() in (row.gpu_id.lower(), row.display_name.lower()):
            return row
    raise KeyError(text("cloud.err_unknown_gpu", gpu=gpu, known=", ".join(r.display_name for r in table)))


def token_price(model: str) -> TokenPrice:
    for row in TOKEN_PRICES:
        if row.model == model.lower():
            return row
    raise KeyError(text("cloud.err_unknown_api_model", model=model, known=", ".join(r.model for r in TOKEN_PRICES)))


def hourly_price(
    gpu: str,
    cloud: str = "community",
    pricing: str = "on-demand",
    gpu_count: int = 1,
    table: tuple[GpuPrice, ...] = GPU_PRICES,
) -> float:
    """USD per hour for `gpu_count` GPUs of this type (RunPod's costPerHr is price x gpuCount)."""
    return gpu_price(gpu, table).price(cloud, pricing) * gpu_count


def _positive(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def _offered(row: dict[str, Any], cloud: str) -> float | None:
    """REST v2 GpuType's per-GPU price in one cloud, None where the GPU is not offered there."""
    return _positive((row.get("price") or {}).get(cloud)) if row.get(cloud) else None


def live_gpu_prices() -> tuple[GpuPrice, ...]:
    """Today's prices from RunPod's GPU catalog (REST v2 listGpuTypes), one request, dated. v2 quotes no
    spot prices (RunPod removed spot pods from its docs on 2026-05-06)."""
    from datetime import date

    from . import rest

    stamp = f"GET /v2/catalog/gpus from {rest.base_url()}, {date.today().isoformat()}"
    return tuple(
        GpuPrice(
            row["id"],
            row.get("name") or row["id"],
            int(row.get("memory") or 0),
            _offered(row, "community"),
            _offered(row, "secure"),
            None,
            None,
            stamp,
        )
        for row in rest.list_gpu_types(availability=False)
    )


def live_hourly_price(gpu_id: str, cloud: str = "community", gpu_count: int = 1) -> float | None:
    """The catalog's on-demand price for `gpu_count` of this GPU (REST v2 getGpuType), or None when it gives none."""
    from . import rest

    value = _offered(rest.get_gpu_type(gpu_id, availability=False), cloud)
    return value * gpu_count if value else None


def _source_of(row: GpuPrice, cloud: str) -> str:
    """The source of one price: rows from two sources say "community: A; secure: B"."""
    for part in row.source.split("; "):
        label, sep, rest = part.partition(": ")
        if sep and label == cloud:
            return rest
    return row.source


def states_cloud(row: GpuPrice, cloud: str) -> bool:
    """Whether the source of this row's `cloud` price says which cloud it quotes (deploybase does not)."""
    return _source_of(row, cloud) != SRC_DEPLOYBASE


def price_rows(table: tuple[GpuPrice, ...] = GPU_PRICES) -> list[tuple[Any, ...]]:
    """One row per price: GPU, id, VRAM, which cloud, on-demand or spot, $/h, and that price's source.

    A source that does not say which cloud it quotes (deploybase) is shown as such, not as community."""
    rows = []
    for r in table:
        for cloud, pricing, value in (
            ("community", "on-demand", r.community),
            ("secure", "on-demand", r.secure),
            ("community", "spot", r.community_spot),
            ("secure", "spot", r.secure_spot),
        ):
            if value:
                shown = cloud if states_cloud(r, cloud) else CLOUD_NOT_STATED
                rows.append((r.display_name, r.gpu_id, r.memory_gb, shown, pricing, value, _source_of(r, cloud)))
    return rows


def gpu_table(table: tuple[GpuPrice, ...] = GPU_PRICES):
    import pandas as pd

    return pd.DataFrame(price_rows(table), columns=COLS_GPU)


def token_table():
    import pandas as pd

    return pd.DataFrame(
        [
            (
                r.model,
                r.input,
                r.cached_input,
                r.output,
                r.input * BATCH_API_DISCOUNT,
                r.output * BATCH_API_DISCOUNT,
                f"{r.source}; Batch API: {SRC_OPENAI_BATCH}",
            )
            for r in TOKEN_PRICES
        ],
        columns=COLS_TOKEN,
    )


# --- RunPod Serverless: flex workers, billed per second while they run (start, work, idle timeout) --------
SRC_SERVERLESS = "runpod/docs snippets/serverless-gpu-pricing-table.mdx (2026), flex workers"


@dataclass(frozen=True)
class ServerlessPrice:
    pool: str  # the gpuIds value create_endpoint takes
    gpus: str
    flex_per_s: float | None  # USD per second per worker
    source: str = SRC_SERVERLESS

    @property
    def per_hour(self) -> float | None:
        return self.flex_per_s * 3600 if self.flex_per_s is not None else None


SERVERLESS_PRICES: tuple[ServerlessPrice, ...] = (
    ServerlessPrice("AMPERE_24", "L4, RTX A5000, RTX 3090", 0.00019),
    ServerlessPrice("ADA_24", "RTX 4090", 0.00031),
    ServerlessPrice("AMPERE_48", "RTX A6000, A40", 0.00034),
    ServerlessPrice("ADA_48_PRO", "L40, L40S, RTX 6000 Ada", 0.00053),
    ServerlessPrice("AMPERE_80", "A100", 0.00076),
    ServerlessPrice("ADA_80_PRO", "H100", 0.00116),
    ServerlessPrice("HOPPER_141", "H200", 0.00155),
    ServerlessPrice("AMPERE_16", "RTX A4000, A4500, RTX 4000", None),  # no price in our sources
)
SERVERLESS_POOL_OF_GPU = {
    "RTX 3090": "AMPERE_24",
    "RTX 4090": "ADA_24",
    "A40": "AMPERE_48",
    "L40S": "ADA_48_PRO",
    "A100 PCIe": "AMPERE_80",
    "A100 SXM": "AMPERE_80",
    "H100 PCIe": "ADA_80_PRO",
    "H100 SXM": "ADA_80_PRO",
    "H200 SXM": "HOPPER_141",
}


def serverless_price(pool_or_gpu: str) -> ServerlessPrice:
    """The flex price of a pool id ("ADA_24") or of a GPU display name ("RTX 4090")."""
    pool = SERVERLESS_POOL_OF_GPU.get(pool_or_gpu, pool_or_gpu).split(",")[0].strip().upper()
    for row in SERVERLESS_PRICES:
        if row.pool == pool:
            return row
    raise KeyError(text("cloud.err_unknown_gpu", gpu=pool_or_gpu, known=", ".join(r.pool for r in SERVERLESS_PRICES)))
