"""An Ollama pod on RunPod through the official SDK: plan, deploy, wait, connect, stop, resume, terminate.

Everything goes through `runpod` (which talks to api.runpod.io, or to the sandbox when
RUNPOD_API_BASE_URL points there). Pod names start with COURSE_PREFIX so `course_pods()` and
`cleanup()` can find what this course started, even after a crash.
"""

from __future__ import annotations

import math
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import prices

__all__ = [
    "COURSE_PREFIX",
    "PodSpec",
    "PodInfo",
    "PodNotReady",
    "CapacityError",
    "unique_name",
    "spec_for_model",
    "gpu_for_model",
    "deploy",
    "get",
    "wait_ready",
    "proxy_url",
    "client_for",
    "pull_model",
    "measure_speed",
    "stop",
    "resume",
    "terminate",
    "course_pods",
    "cleanup",
    "is_capacity_error",
]

COURSE_PREFIX = "llmwb-"
OLLAMA_PORT = 11434
IMAGE = "ollama/ollama:latest"
PROXY_TEMPLATE_ENV = "RUNPOD_PROXY_URL_TEMPLATE"
DEFAULT_PROXY_TEMPLATE = "https://{pod_id}-{port}.proxy.runpod.net"
BASE_DISK_GB = 10  # the ollama/ollama image and its runtime (about 3.5 GB) with room to spare

# --- learner-facing strings ---------------------------------------------------------------------
MSG_TRY = "Trying {gpu} ({cloud} cloud)..."
MSG_NO_CAPACITY = "No {gpu} free in the {cloud} cloud right now."
MSG_DEPLOYED = "Pod {name} ({id}) deployed: {gpu} x{count}, {cloud} cloud, ${cost:.2f}/h."
MSG_ORPHAN = "The API failed after creating pod {id}; it was terminated so it cannot bill."
MSG_ORPHAN_LEFT = (
    "The API failed after creating pod {id} and could not terminate it: it may still bill. "
    "Run cloud.cleanup() when the API answers again, or terminate it in the RunPod console."
)
MSG_WAIT_RUNTIME = "waiting for the container"
MSG_WAIT_API = "waiting for Ollama to answer"
MSG_READY = "Pod {id} ready after {seconds:.0f} s: {url}"
MSG_PRESENT = "{model} is already on the pod; nothing to pull."
MSG_TERMINATED = "Pod {id} terminated: it no longer costs anything."
MSG_STOPPED = (
    "Pod {id} stopped: compute billing ended, but its {volume:g} GB volume still costs "
    "${per_month:.2f}/month until you terminate it."
)
MSG_STOPPED_NO_VOLUME = "Pod {id} stopped: compute billing ended; it has no volume, so nothing bills until resume."
ERR_CAPACITY_ALL = (
    "No capacity for any of: {tried}. Try again later, another GPU type or cloud, or allow "
    "fallbacks (allow_fallback=True)."
)
ERR_NOT_READY = (
    "Pod {id} was not ready after {timeout:.0f} s ({phase}). RunPod is sometimes slow to pull "
    "images; try again, or another GPU type."
)
ERR_UNKNOWN_MODEL = "{model} is not in the course catalog; give disk sizes and a GPU yourself."
ERR_NO_GPU_FITS = "No GPU in the price table has the {need} this model needs."
ERR_CLOUD_TYPE = "cloud_type must be 'COMMUNITY', 'SECURE' or 'ALL', not {value!r}"
ERR_GPU_COUNT = "gpu_count must be a whole number from 1 up, not {value!r}"
STATE_LABELS = {"starting": "starting", "running": "running", "exited": "stopped", "terminated": "terminated"}


class CapacityError(RuntimeError):
    """RunPod had no machine for the request (the most common deploy error)."""


class PodNotReady(TimeoutError):
    """The pod did not get its ports, or Ollama did not answer, in time."""


def is_capacity_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "no longer any instances available" in text or "not enough free gpus" in text


@dataclass(frozen=True)
class PodSpec:
    """What to rent. `fallbacks` are (gpu, cloud) pairs tried in order when the first has no capacity."""

    gpu_type_id: str = "NVIDIA GeForce RTX 4090"
    cloud_type: str = "COMMUNITY"
    gpu_count: int = 1
    image: str = IMAGE
    container_disk_gb: int = 20
    volume_gb: int = 0  # > 0 keeps pulled models across stop/resume (and bills while stopped)
    volume_mount_path: str = "/root/.ollama"  # where ollama/ollama keeps its models
    ports: str = f"{OLLAMA_PORT}/http"
    env: dict[str, str] = field(default_factory=lambda: {"OLLAMA_HOST": "0.0.0.0"})
    fallbacks: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:  # fail here, with the fix, not deep inside the SDK after a request
        if self.cloud_type not in ("COMMUNITY", "SECURE", "ALL"):
            raise ValueError(ERR_CLOUD_TYPE.format(value=self.cloud_type))
        if not isinstance(self.gpu_count, int) or self.gpu_count < 1:
            raise ValueError(ERR_GPU_COUNT.format(value=self.gpu_count))

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


@dataclass(frozen=True)
class PodInfo:
    """A pod as the API reports it, with the runtime details flattened."""

    id: str
    name: str
    state: str  # starting | running | exited | terminated
    gpu: str
    gpu_count: int
    cost_per_hr: float
    uptime_s: int
    ports_ready: bool
    volume_gb: float
    container_disk_gb: int
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    @classmethod
    def from_api(cls, pod: dict[str, Any] | None, pod_id: str = "") -> "PodInfo":
        if pod is None:  # a terminated pod is gone from the API
            return cls(pod_id, "", "terminated", "", 0, 0.0, 0, False, 0, 0)
        runtime = pod.get("runtime") or {}
        ports = runtime.get("ports") or []
        ready = any(p.get("privatePort") == OLLAMA_PORT and p.get("type") == "http" for p in ports)
        status = str(pod.get("desiredStatus") or "").upper()
        state = {"EXITED": "exited", "TERMINATED": "terminated"}.get(status, "running" if ready else "starting")
        uptime = pod.get("uptimeSeconds") or runtime.get("uptimeInSeconds") or 0
        return cls(
            pod["id"],
            pod.get("name") or "",
            state,
            (pod.get("machine") or {}).get("gpuDisplayName") or "",
            int(pod.get("gpuCount") or 0),
            float(pod.get("costPerHr") or 0),
            int(uptime),
            ready,
            float(pod.get("volumeInGb") or 0),
            int(pod.get("containerDiskInGb") or 0),
            pod,
        )


def unique_name(label: str = "ollama") -> str:
    """llmwb-<label>-<UTC time>-<random>: findable by prefix, never reused (so a retry cannot
    mistake an older pod for the one it just asked for)."""
    clean = re.sub(r"[^a-z0-9-]+", "-", label.lower()).strip("-") or "pod"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{COURSE_PREFIX}{clean}-{stamp}-{secrets.token_hex(2)}"


def _model_needs(model: str, n_ctx: int) -> tuple[int, int]:
    """(download bytes, memory with headroom) from the catalog and the memory estimate."""
    from ..catalog import _resolve
    from ..memory import estimate

    found = _resolve(model)
    if found is None:
        raise KeyError(ERR_UNKNOWN_MODEL.format(model=model))
    entry, variant = found
    need = estimate(variant.size_bytes, entry.shape, n_ctx=n_ctx).total_with_headroom
    return variant.size_bytes, need


def gpu_for_model(
    model: str, n_ctx: int = 4096, cloud: str = "community", table: tuple[prices.GpuPrice, ...] = prices.GPU_PRICES
) -> prices.GpuPrice:
    """The cheapest GPU (in this cloud) whose memory holds the model with its KV cache and headroom."""
    from ..units import gib

    _, need = _model_needs(model, n_ctx)
    fitting = [row for row in table if row.memory_gb * 2**30 * 0.95 >= need and getattr(row, cloud)]
    if not fitting:
        raise ValueError(ERR_NO_GPU_FITS.format(need=gib(need)))
    return min(fitting, key=lambda row: getattr(row, cloud))


def spec_for_model(
    model: str,
    gpu: str | None = None,
    cloud_type: str = "COMMUNITY",
    keep_models: bool = False,
    n_ctx: int = 4096,
    fallbacks: Iterable[tuple[str, str]] = (),
) -> PodSpec:
    """Disk (and volume, to keep models across stop) sized from the model's download size."""
    size, _ = _model_needs(model, n_ctx)
    cloud_type = str(cloud_type).upper()
    cloud = "secure" if cloud_type == "SECURE" else "community"
    gpu_id = prices.gpu_price(gpu).gpu_id if gpu else gpu_for_model(model, n_ctx, cloud).gpu_id
    model_gb = math.ceil(size / 1e9 * 1.2)  # 20% room: Ollama writes a partial file while pulling
    if keep_models:
        return PodSpec(
            gpu_id, cloud_type, container_disk_gb=BASE_DISK_GB, volume_gb=max(model_gb, 5), fallbacks=tuple(fallbacks)
        )
    return PodSpec(gpu_id, cloud_type, container_disk_gb=max(20, BASE_DISK_GB + model_gb), fallbacks=tuple(fallbacks))


def _create(spec: PodSpec, name: str, gpu: str, cloud: str) -> dict[str, Any]:
    import runpod

    return runpod.create_pod(
        name,
        spec.image,
        gpu,
        cloud_type=cloud,
        gpu_count=spec.gpu_count,
        volume_in_gb=spec.volume_gb,
        container_disk_in_gb=spec.container_disk_gb,
        ports=spec.ports,
        volume_mount_path=spec.volume_mount_path,
        env=spec.env,
        support_public_ip=True,
        start_ssh=False,
    )


def _find_named(name: str) -> list[dict[str, Any]]:
    import runpod

    return [p for p in runpod.get_pods() or [] if p.get("name") == name]


def deploy(
    spec: PodSpec, name: str | None = None, *, allow_fallback: bool = False, say: Callable[[str], None] = print
) -> PodInfo:
    """Create the pod; on a capacity error try spec.fallbacks (if allowed). Never leaves an orphan:
    after any error it looks the pod up by its unique name and terminates what it finds."""
    name = name or unique_name()
    options = [(spec.gpu_type_id, spec.cloud_type)] + (list(spec.fallbacks) if allow_fallback else [])
    tried = []
    for gpu, cloud in options:
        gpu_id = prices.gpu_price(gpu).gpu_id if gpu in {r.display_name for r in prices.GPU_PRICES} else gpu
        say(MSG_TRY.format(gpu=gpu_id, cloud=cloud.lower()))
        created = None
        try:
            created = _create(spec, name, gpu_id, cloud)
            info = get(created["id"])  # an error (or Ctrl+C) here must not leave the new pod billing
        except BaseException as exc:
            _end_orphans(name, (created or {}).get("id"), say)
            if isinstance(exc, Exception) and is_capacity_error(exc):
                say(MSG_NO_CAPACITY.format(gpu=gpu_id, cloud=cloud.lower()))
                tried.append(f"{gpu_id} ({cloud.lower()})")
                continue
            raise
        say(
            MSG_DEPLOYED.format(
                name=name,
                id=info.id,
                gpu=info.gpu or gpu_id,
                count=info.gpu_count,
                cloud=cloud.lower(),
                cost=info.cost_per_hr,
            )
        )
        return info
    raise CapacityError(ERR_CAPACITY_ALL.format(tried=", ".join(tried)))


def _end_orphans(name: str, pod_id: str | None, say: Callable[[str], None]) -> None:
    """After a failed deploy: terminate the pod it created (by id if known, else by its unique name).
    Never raises, so the original error is the one the learner sees."""
    import runpod

    ids = {pod_id} if pod_id else set()
    ids.update(p["id"] for p in _safe_find(name))
    for orphan in sorted(ids):
        try:
            runpod.terminate_pod(orphan)
            say(MSG_ORPHAN.format(id=orphan))
        except Exception:  # the API is down: say what to do instead of hiding the first error
            say(MSG_ORPHAN_LEFT.format(id=orphan))


def _safe_find(name: str) -> list[dict[str, Any]]:
    try:
        return _find_named(name)
    except Exception:  # the API may be down; the caller's guard and cleanup() are the backstop
        return []


def get(pod_id: str) -> PodInfo:
    import runpod

    return PodInfo.from_api(runpod.get_pod(pod_id), pod_id)


def proxy_url(pod_id: str, port: int = OLLAMA_PORT) -> str:
    """RunPod's HTTP proxy address for a pod's port (or the sandbox's, via RUNPOD_PROXY_URL_TEMPLATE)."""
    template = os.environ.get(PROXY_TEMPLATE_ENV) or DEFAULT_PROXY_TEMPLATE
    return template.format(pod_id=pod_id, port=port)


def _ollama_answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url + "/api/version", timeout=10).status_code == 200
    except httpx.HTTPError:
        return False


def wait_ready(pod_id: str, timeout: float = 900, poll: float = 5.0, progress: bool = True) -> str:
    """Wait for runtime ports, then for Ollama answering through the proxy; return the proxy URL.

    "Running" in the console is not "ready": the image is still being pulled. Raises PodNotReady
    (the caller, or PodSession, then ends the pod)."""
    from tqdm.auto import tqdm

    start = time.monotonic()
    url = proxy_url(pod_id)
    bar = tqdm(total=2, desc=MSG_WAIT_RUNTIME, disable=not progress, leave=False)
    phase = MSG_WAIT_RUNTIME
    try:
        while time.monotonic() - start < timeout:
            info = get(pod_id)
            if info.state in ("exited", "terminated"):
                raise PodNotReady(ERR_NOT_READY.format(id=pod_id, timeout=time.monotonic() - start, phase=info.label))
            if info.ports_ready:
                if bar.n == 0:
                    bar.update(1)
                    phase = MSG_WAIT_API
                    bar.set_description(phase)
                if _ollama_answers(url):
                    bar.update(1)
                    return url
            time.sleep(poll)
    finally:
        bar.close()
    raise PodNotReady(ERR_NOT_READY.format(id=pod_id, timeout=timeout, phase=phase))


def client_for(pod_id: str, timeout: float = 95.0):
    """An ollama.Client for the pod. The timeout stays under Cloudflare's 100 s proxy limit."""
    import ollama

    return ollama.Client(host=proxy_url(pod_id), timeout=timeout)


def pull_model(client: Any, model: str, progress: bool = True, insecure: bool = False) -> str:
    """`ollama pull` on the pod, streamed (one long silent request would hit the proxy's 100 s limit).
    `insecure=True` is for a workshop's plain-HTTP registry mirror, as `ollama pull --insecure`."""
    from tqdm.auto import tqdm

    if any(m.model == model for m in client.list().models):
        return MSG_PRESENT.format(model=model)
    bars: dict[str, Any] = {}
    status = ""
    try:
        for part in client.pull(model, stream=True, insecure=insecure):
            status = part.status or status
            if part.digest and part.total:
                bar = bars.get(part.digest)
                if bar is None:
                    bar = bars[part.digest] = tqdm(
                        total=part.total, unit="B", unit_scale=True, desc=part.digest[7:19], disable=not progress
                    )
                bar.update((part.completed or 0) - bar.n)
    finally:
        for bar in bars.values():
            bar.close()
    return status


def measure_speed(
    client: Any,
    model: str,
    prompt: str = "Explain in two sentences what a GPU is.",
    options: dict[str, Any] | None = None,
):
    """One non-streamed chat; its own counters give the tokens/s (metrics.speed)."""
    from ..metrics import speed

    response = client.chat(model, [{"role": "user", "content": prompt}], options=options or {"num_predict": 64})
    return speed(response), response


def stop(pod_id: str, say: Callable[[str], None] = print) -> PodInfo:
    import runpod

    runpod.stop_pod(pod_id)
    info = get(pod_id)
    if info.volume_gb:
        per_month = info.volume_gb * prices.STORAGE["volume_stopped"]
        say(MSG_STOPPED.format(id=pod_id, volume=info.volume_gb, per_month=per_month))
    else:
        say(MSG_STOPPED_NO_VOLUME.format(id=pod_id))
    return info


def resume(pod_id: str, gpu_count: int = 1) -> PodInfo:
    """Start a stopped pod again on its host (can fail with "not enough free GPUs": the host is full)."""
    import runpod

    runpod.resume_pod(pod_id, gpu_count)
    return get(pod_id)


def terminate(pod_id: str, say: Callable[[str], None] = print) -> None:
    import runpod

    runpod.terminate_pod(pod_id)
    say(MSG_TERMINATED.format(id=pod_id))


def course_pods(include_stopped: bool = True) -> list[PodInfo]:
    """This account's pods whose names start with the course prefix."""
    import runpod

    pods = [PodInfo.from_api(p) for p in runpod.get_pods() or [] if (p.get("name") or "").startswith(COURSE_PREFIX)]
    return [p for p in pods if include_stopped or p.state != "exited"]


def cleanup(stop_only: bool = False, say: Callable[[str], None] = print) -> list[str]:
    """End every course pod left over (running or stopped); returns their ids."""
    ended = []
    for pod in course_pods():
        if stop_only:
            if pod.state != "exited":
                stop(pod.id, say)
                ended.append(pod.id)
        else:
            terminate(pod.id, say)
            ended.append(pod.id)
    return ended
