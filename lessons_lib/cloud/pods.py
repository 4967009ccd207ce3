"""An Ollama pod's life on RunPod through the official SDK: deploy, wait, stop, resume, terminate.

What to rent is `sizing`; talking to the pod's Ollama is `pod_ollama`.

Everything goes through `runpod` (which talks to api.runpod.io, or to the sandbox when
RUNPOD_API_BASE_URL points there). Pod names start with COURSE_PREFIX so `course_pods()` and
`cleanup()` can find what this course started, even after a crash.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..edition import text
from . import prices
from .pod_ollama import OLLAMA_PORT, ollama_answers, proxy_url
from .sizing import PodSpec

__all__ = [
    "COURSE_PREFIX",
    "PodInfo",
    "PodNotReady",
    "CapacityError",
    "unique_name",
    "deploy",
    "get",
    "wait_ready",
    "stop",
    "resume",
    "terminate",
    "course_pods",
    "cleanup",
    "is_capacity_error",
]

COURSE_PREFIX = "llmwb-"
STATES = ("starting", "running", "exited", "terminated")  # the course's names for RunPod's pod states


class CapacityError(RuntimeError):
    """RunPod had no machine for the request (the most common deploy error)."""


class PodNotReady(TimeoutError):
    """The pod did not get its ports, or Ollama did not answer, in time."""


def is_capacity_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "no longer any instances available" in text or "not enough free gpus" in text


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
        return text(f"pod.state_{self.state}") if self.state in STATES else self.state

    @classmethod
    def from_api(cls, pod: dict[str, Any] | None, pod_id: str = "") -> PodInfo:
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
        say(text("pod.try", gpu=gpu_id, cloud=cloud.lower()))
        created = None
        try:
            created = _create(spec, name, gpu_id, cloud)
            info = get(created["id"])  # an error (or Ctrl+C) here must not leave the new pod billing
        except BaseException as exc:
            _end_orphans(name, (created or {}).get("id"), say)
            if isinstance(exc, Exception) and is_capacity_error(exc):
                say(text("pod.no_capacity", gpu=gpu_id, cloud=cloud.lower()))
                tried.append(f"{gpu_id} ({cloud.lower()})")
                continue
            raise
        say(
            text(
                "pod.deployed",
                name=name,
                id=info.id,
                gpu=info.gpu or gpu_id,
                count=info.gpu_count,
                cloud=cloud.lower(),
                cost=info.cost_per_hr,
            )
        )
        return info
    raise CapacityError(text("pod.err_capacity_all", tried=", ".join(tried)))


def _end_orphans(name: str, pod_id: str | None, say: Callable[[str], None]) -> None:
    """After a failed deploy: terminate the pod it created (by id if known, else by its unique name).
    Never raises, so the original error is the one the learner sees."""
    import runpod

    ids = {pod_id} if pod_id else set()
    ids.update(p["id"] for p in _safe_find(name))
    for orphan in sorted(ids):
        try:
            runpod.terminate_pod(orphan)
            say(text("pod.orphan", id=orphan))
        except Exception:  # the API is down: say what to do instead of hiding the first error
            say(text("pod.orphan_left", id=orphan))


def _safe_find(name: str) -> list[dict[str, Any]]:
    try:
        return _find_named(name)
    except Exception:  # the API may be down; the caller's guard and cleanup() are the backstop
        return []


def get(pod_id: str) -> PodInfo:
    import runpod

    return PodInfo.from_api(runpod.get_pod(pod_id), pod_id)


def wait_ready(pod_id: str, timeout: float = 900, poll: float = 5.0, progress: bool = True) -> str:
    """Wait for runtime ports, then for Ollama answering through the proxy; return the proxy URL.

    "Running" in the console is not "ready": the image is still being pulled. Raises PodNotReady
    (the caller, or PodSession, then ends the pod)."""
    from tqdm.auto import tqdm

    start = time.monotonic()
    url = proxy_url(pod_id)
    bar = tqdm(total=2, desc=text("pod.wait_runtime"), disable=not progress)
    phase = text("pod.wait_runtime")
    try:
        while time.monotonic() - start < timeout:
            info = get(pod_id)
            if info.state in ("exited", "terminated"):
                raise PodNotReady(
                    text("pod.err_not_ready", id=pod_id, timeout=time.monotonic() - start, phase=info.label)
                )
            if info.ports_ready:
                if bar.n == 0:
                    bar.update(1)
                    phase = text("pod.wait_api")
                    bar.set_description(phase)
                if ollama_answers(url):
                    bar.update(1)
                    bar.refresh()  # tqdm skips redraws closer than mininterval: save the bar at 100%
                    return url
            time.sleep(poll)
    finally:
        bar.close()
    raise PodNotReady(text("pod.err_not_ready", id=pod_id, timeout=timeout, phase=phase))


def stop(pod_id: str, say: Callable[[str], None] = print) -> PodInfo:
    import runpod

    runpod.stop_pod(pod_id)
    info = get(pod_id)
    if info.volume_gb:
        per_month = info.volume_gb * prices.STORAGE["volume_stopped"]
        say(text("pod.stopped", id=pod_id, volume=info.volume_gb, per_month=per_month))
    else:
        say(text("pod.stopped_no_volume", id=pod_id))
    return info


def resume(pod_id: str, gpu_count: int = 1) -> PodInfo:
    """Start a stopped pod again on its host (can fail with "not enough free GPUs": the host is full)."""
    import runpod

    runpod.resume_pod(pod_id, gpu_count)
    return get(pod_id)


def terminate(pod_id: str, say: Callable[[str], None] = print) -> None:
    import runpod

    runpod.terminate_pod(pod_id)
    say(text("pod.terminated", id=pod_id))


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
