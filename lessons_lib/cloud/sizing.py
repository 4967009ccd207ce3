"""What to rent for a model: the pod spec, the cheapest GPU that holds the model, disk sized to it.

Sizes come from the course catalog (download bytes) and `memory.estimate` (weights, KV cache,
compute buffer and headroom at a context length); prices from `prices`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..catalog.lookup import resolve
from ..edition import text
from ..memory import estimate
from ..units import gib
from . import prices
from .pod_ollama import OLLAMA_PORT

IMAGE = "ollama/ollama:latest"
BASE_DISK_GB = 10  # the ollama/ollama image and its runtime (about 3.5 GB) with room to spare
MIN_VOLUME_GB = 10  # REST v2's PersistentMount: "Upstream enforces a 10 GB floor"

# --- learner-facing strings ---------------------------------------------------------------------


@dataclass(frozen=True)
class PodSpec:
    """What to rent. `fallbacks` are (gpu, cloud) pairs tried in order when the first has no capacity."""

    gpu_type_id: str = "NVIDIA GeForce RTX 4090"
    cloud_type: str = "COMMUNITY"
    gpu_count: int = 1
    image: str = IMAGE
    container_disk_gb: int = 20
    volume_gb: int = 0  # > 0 keeps pulled models across stop/resume (and bills while stopped)
    # RunPod mounts volumes at /workspace by convention; OLLAMA_MODELS points Ollama's model folder there (its
    # image's default is /root/.ollama/models), so pulled models survive stop and resume.
    volume_mount_path: str = "/workspace"
    ports: str = f"{OLLAMA_PORT}/http"
    env: dict[str, str] = field(
        default_factory=lambda: {"OLLAMA_HOST": "0.0.0.0", "OLLAMA_MODELS": "/workspace/ollama/models"}
    )
    fallbacks: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:  # fail here, with the fix, not deep inside the SDK after a request
        if self.cloud_type not in ("COMMUNITY", "SECURE", "ALL"):
            raise ValueError(text("cloud.err_cloud_type", value=self.cloud_type))
        if not isinstance(self.gpu_count, int) or self.gpu_count < 1:
            raise ValueError(text("cloud.err_gpu_count", value=self.gpu_count))
        if not isinstance(self.volume_gb, int) or not (self.volume_gb == 0 or self.volume_gb >= MIN_VOLUME_GB):
            raise ValueError(text("cloud.err_volume", value=self.volume_gb, least=MIN_VOLUME_GB))

    def hourly_estimate(self) -> float:
        """The price-table estimate for this spec: what the learner agrees to before deploying."""
        cloud = "secure" if self.cloud_type == "SECURE" else "community"
        row = prices.gpu_price(self.gpu_type_id)
        try:
            return row.price(cloud) * self.gpu_count
        except ValueError:
            other = "secure" if cloud == "community" else "community"
            if self.cloud_type == "ALL":
                return row.price(other) * self.gpu_count
            raise


def _model_needs(model: str, n_ctx: int) -> tuple[int, int]:
    """(download bytes, memory with headroom) from the catalog and the memory estimate."""
    found = resolve(model)
    if found is None:
        raise KeyError(text("cloud.err_unknown_model", model=model))
    entry, variant = found
    need = estimate(variant.size_bytes, entry.shape, n_ctx=n_ctx).total_with_headroom
    return variant.size_bytes, need


@dataclass(frozen=True)
class GpuChoice:
    """One GPU in one cloud at its table price: what `gpu_for_model` picks."""

    row: prices.GpuPrice
    cloud: str  # "community" or "secure"
    price_per_hour: float

    @property
    def gpu_id(self) -> str:
        return self.row.gpu_id

    @property
    def display_name(self) -> str:
        return self.row.display_name

    @property
    def memory_gb(self) -> int:
        return self.row.memory_gb

    @property
    def cloud_stated(self) -> bool:
        """Whether the price's source says which cloud it quotes (prices.states_cloud)."""
        return prices.states_cloud(self.row, self.cloud)

    @property
    def cloud_shown(self) -> str:
        return self.cloud if self.cloud_stated else prices.CLOUD_NOT_STATED

    @property
    def source(self) -> str:
        return prices._source_of(self.row, self.cloud)


def fitting_gpus(
    model: str,
    n_ctx: int = 4096,
    clouds: Iterable[str] = ("community", "secure"),
    table: tuple[prices.GpuPrice, ...] = prices.GPU_PRICES,
) -> list[GpuChoice]:
    """Every (GPU, cloud) price in the table whose GPU holds the model with its KV cache and headroom,
    cheapest first."""
    _, need = _model_needs(model, n_ctx)
    found = [
        GpuChoice(row, cloud, float(getattr(row, cloud)))
        for row in table
        for cloud in clouds
        if row.memory_gb * 2**30 * 0.95 >= need and getattr(row, cloud)
    ]
    if not found:
        raise ValueError(text("cloud.err_no_gpu_fits", need=gib(need)))
    return sorted(found, key=lambda choice: (choice.price_per_hour, not choice.cloud_stated))


def gpu_for_model(
    model: str,
    n_ctx: int = 4096,
    cloud: str | None = None,
    table: tuple[prices.GpuPrice, ...] = prices.GPU_PRICES,
) -> GpuChoice:
    """The cheapest GPU whose memory holds the model, over both clouds (or only `cloud`).

    Prices whose source does not say which cloud it quotes (prices.states_cloud) are a last resort:
    they count only when no price with a stated cloud fits, since you cannot rent "a cloud not stated"."""
    clouds = ("community", "secure") if cloud is None else (cloud,)
    found = fitting_gpus(model, n_ctx, clouds, table)
    return next((choice for choice in found if choice.cloud_stated), found[0])


def spec_for_model(
    model: str,
    gpu: str | None = None,
    cloud_type: str | None = None,
    keep_models: bool = False,
    n_ctx: int = 4096,
    fallbacks: Iterable[tuple[str, str]] = (),
) -> PodSpec:
    """Disk (and volume, to keep models across stop) sized from the model's download size. Without `gpu`
    and `cloud_type`, the GPU and cloud are `gpu_for_model`'s pick over both clouds."""
    size, _ = _model_needs(model, n_ctx)
    if gpu:
        gpu_id, cloud_type = prices.gpu_price(gpu).gpu_id, str(cloud_type or "COMMUNITY").upper()
    elif cloud_type is None:
        choice = gpu_for_model(model, n_ctx)
        gpu_id, cloud_type = choice.gpu_id, choice.cloud.upper()
    else:
        cloud_type = str(cloud_type).upper()
        cloud = None if cloud_type == "ALL" else "secure" if cloud_type == "SECURE" else "community"
        gpu_id = gpu_for_model(model, n_ctx, cloud).gpu_id
    model_gb = math.ceil(size / 1e9 * 1.2)  # 20% room: Ollama writes a partial file while pulling
    if keep_models:
        return PodSpec(
            gpu_id,
            cloud_type,
            container_disk_gb=BASE_DISK_GB,
            volume_gb=max(model_gb, MIN_VOLUME_GB),
            fallbacks=tuple(fallbacks),
        )
    return PodSpec(gpu_id, cloud_type, container_disk_gb=max(20, BASE_DISK_GB + model_gb), fallbacks=tuple(fallbacks))
