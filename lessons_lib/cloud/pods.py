"""An Ollama pod's life on RunPod through REST API v2: deploy, wait, stop, resume, terminate.

What to rent is `sizing`; talking to the pod's Ollama is `pod_ollama`; the HTTP calls are `rest`
(api.runpod.io/v2, or the sandbox when RUNPOD_API_BASE_URL points there). Pod names start with
COURSE_PREFIX so `course_pods()` and `cleanup()` can find what this course started, even after a crash.

A v2 pod goes PROVISIONING (a machine is found) -> STARTING (the container starts) -> RUNNING (healthy);
`stop` makes it EXITED, a container that cannot start is ERROR, and `actions` lists what may be done
next. RUNNING is not yet "ready": the pod's Ollama must also answer through the proxy (`wait_ready`).
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
from . import prices, rest
from .pod_ollama import OLLAMA_PORT, ollama_answers, proxy_url
from .sizing import PodSpec

__all__ = [
    "COURSE_PREFIX",
    "PodInfo",
    "PodNotReady",
    "CapacityError",
    "unique_name",
    "create_body",
    "deploy",
    "stock",
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
# REST v2's PodStatus, in the course's lower case; "terminated" is also what a pod the API no longer knows is.
STATES = ("provisioning", "starting", "running", "exited", "error", "terminated")
ENDED = ("exited", "error", "terminated")  # no container runs: waiting for readiness is over


class CapacityError(RuntimeError):
    """RunPod had no machine for the request (the most common deploy error)."""


class PodNotReady(TimeoutError):
    """The pod did not get its ports, or Ollama did not answer, in time."""


def is_capacity_error(exc: BaseException) -> bool:
    """createPod's 400: the body was valid but could not be placed. RunPod's docs: 400 is "no capacity" or a
    cross-field rule; capacity has no code of its own, so the next candidate is tried and the last detail told."""
    return isinstance(exc, rest.ApiError) and exc.operation == "createPod" and exc.status == 400


def _display(gpu_id: str) -> str:
    known = {row.gpu_id: row.display_name for row in prices.GPU_PRICES}
    return known.get(gpu_id, gpu_id)


@dataclass(frozen=True)
class PodInfo:
    """A pod as REST v2 reports it, with the runtime details flattened."""

    id: str
    name: str
    state: str  # one of STATES
    gpu: str
    gpu_count: int
    cost_per_hr: float
    uptime_s: int
    ports_ready: bool
    volume_gb: float
    container_disk_gb: int
    actions: tuple[str, ...] = ()
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def label(self) -> str:
        return text(f"pod.state_{self.state}") if self.state in STATES else self.state

    @classmethod
    def from_api(cls, pod: dict[str, Any] | None, pod_id: str = "") -> PodInfo:
        if pod is None:  # a terminated pod is gone from the API (getPod answers 404)
            return cls(pod_id, "", "terminated", "", 0, 0.0, 0, False, 0, 0)
        runtime = pod.get("runtime") or {}
        state = str(pod.get("status") or "").lower()
        ports = runtime.get("ports") or []
        ready = state == "running" and any(p.get("private") == OLLAMA_PORT and p.get("type") == "http" for p in ports)
        gpu = pod.get("gpu") or {}
        persistent = (pod.get("mounts") or {}).get("persistent") or {}
        return cls(
            pod["id"],
            pod.get("name") or "",
            state,
            _display(str(gpu.get("id") or "")),
            int(gpu.get("count") or 0),
            float(pod.get("cost") or 0),
            int(runtime.get("uptime") or 0),
            ready,
            float(persistent.get("size") or 0),
            int(pod.get("disk") or 0),
            tuple(pod.get("actions") or ()),
            pod,
        )


def unique_name(label: str = "ollama") -> str:
    """llmwb-<label>-<UTC time>-<random>: findable by prefix, never reused (so a retry cannot
    mistake an older pod for the one it just asked for)."""
    clean = re.sub(r"[^a-z0-9-]+", "-", label.lower()).strip("-") or "pod"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{COURSE_PREFIX}{clean}-{stamp}-{secrets.token_hex(2)}"


def create_body(spec: PodSpec, name: str, gpu: str, cloud: str) -> dict[str, Any]:
    """createPod's body for this spec, in REST v2's own field names (CreatePodRequest)."""
    body: dict[str, Any] = {
        "name": name,
        "image": spec.image,
        "gpu": {"id": gpu, "count": spec.gpu_count},
        "cloud": cloud,
        "disk": spec.container_disk_gb,
        "ports": [p.strip() for p in spec.ports.split(",") if p.strip()],
        "env": dict(spec.env),
    }
    if spec.volume_gb:
        body["mounts"] = {"persistent": {"size": spec.volume_gb, "path": spec.volume_mount_path}}
    return body


def stock(spec: PodSpec, say: Callable[[str], None] = print) -> str:
    """Pod stock of the spec's GPU in its cloud, as RunPod's catalog reports it now (REST v2 getGpuType with
    include=AVAILABILITY&product=POD): NONE, LOW, MEDIUM or HIGH. Read it before renting; it is not a
    reservation (a create can still meet no capacity). "ALL" is read for the community cloud, tried first."""
    gpu_id, cloud = _candidates(spec, allow_fallback=False)[0]
    row = rest.get_gpu_type(gpu_id, cloud=cloud, count=spec.gpu_count)
    level = str(row.get("availability") or "NONE")
    price = float((row.get("price") or {}).get(cloud.lower()) or 0)
    name, where = row.get("name") or gpu_id, cloud.lower()
    if level == "NONE":
        say(text("pod.err_stock", gpu=name, cloud=where))
    else:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        say(text("pod.stock", gpu=name, cloud=where, availability=level, price=price, date=stamp))
    return level


def _find_named(name: str) -> list[dict[str, Any]]:
    return [p for p in rest.list_pods() if p.get("name") == name]


def _candidates(spec: PodSpec, allow_fallback: bool) -> list[tuple[str, str]]:
    """(GPU id, cloud) pairs in order. v2 places one GPU type in one cloud and never falls back by itself,
    so the course's "ALL" is community first (the cheaper cloud), then secure."""
    options = [(spec.gpu_type_id, spec.cloud_type)] + (list(spec.fallbacks) if allow_fallback else [])
    found: list[tuple[str, str]] = []
    for gpu, cloud in options:
        gpu_id = prices.gpu_price(gpu).gpu_id if gpu in {r.display_name for r in prices.GPU_PRICES} else gpu
        for one in ("COMMUNITY", "SECURE") if cloud.upper() == "ALL" else (cloud.upper(),):
            if (gpu_id, one) not in found:
                found.append((gpu_id, one))
    return found


def deploy(
    spec: PodSpec, name: str | None = None, *, allow_fallback: bool = False, say: Callable[[str], None] = print
) -> PodInfo:
    """Create the pod; on a capacity error try spec.fallbacks (if allowed). Never leaves an orphan:
    after any error it looks the pod up by its unique name and terminates what it finds."""
    name = name or unique_name()
    tried = []
    last = ""
    for gpu_id, cloud in _candidates(spec, allow_fallback):
        say(text("pod.try", gpu=gpu_id, cloud=cloud.lower()))
        created = None
        try:
            created = rest.create_pod(create_body(spec, name, gpu_id, cloud))
            info = get(created["id"])  # an error (or Ctrl+C) here must not leave the new pod billing
        except BaseException as exc:
            _end_orphans(name, (created or {}).get("id"), say)
            if is_capacity_error(exc):
                say(text("pod.no_capacity", gpu=gpu_id, cloud=cloud.lower()))
                tried.append(f"{gpu_id} ({cloud.lower()})")
                last = exc.detail  # type: ignore[attr-defined]  # an ApiError, checked above
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
    raise CapacityError(text("pod.err_capacity_all", tried=", ".join(tried), detail=last))


def _end_orphans(name: str, pod_id: str | None, say: Callable[[str], None]) -> None:
    """After a failed deploy: terminate the pod it created (by id if known, else by its unique name).
    Never raises, so the original error is the one the learner sees."""
    ids = {pod_id} if pod_id else set()
    ids.update(p["id"] for p in _safe_find(name))
    for orphan in sorted(ids):
        try:
            rest.delete_pod(orphan)
            say(text("pod.orphan", id=orphan))
        except Exception:  # the API is down: say what to do instead of hiding the first error
            say(text("pod.orphan_left", id=orphan))


def _safe_find(name: str) -> list[dict[str, Any]]:
    try:
        return _find_named(name)
    except Exception:  # the API may be down; the caller's guard and cleanup() are the backstop
        return []


def get(pod_id: str) -> PodInfo:
    return PodInfo.from_api(rest.get_pod(pod_id), pod_id)


def wait_ready(pod_id: str, timeout: float = 900, poll: float = 5.0, progress: bool = True) -> str:
    """Wait for runtime ports, then for Ollama answering through the proxy; return the proxy URL.

    "Running" in the console is not "ready": the image is still being pulled. Raises PodNotReady
    (the caller, or PodSession, then ends the pod)."""
    from ..progress import tqdm

    start = time.monotonic()
    url = proxy_url(pod_id)
    bar = tqdm(total=2, desc=text("pod.wait_runtime"), disable=not progress)
    phase = text("pod.wait_runtime")
    try:
        while time.monotonic() - start < timeout:
            info = get(pod_id)
            if info.state in ENDED:
                raise PodNotReady(
                    text("pod.err_not_ready", id=pod_id, timeout=time.monotonic() - start, phase=info.label)
                )
            if not info.ports_ready and bar.n == 0 and info.label != phase:
                phase = info.label  # provisioning, then starting: v2 says which
                bar.set_description(phase)
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
    rest.pod_action(pod_id, "stop")
    info = get(pod_id)
    if info.volume_gb:
        per_month = info.volume_gb * prices.STORAGE["volume_stopped"]
        say(text("pod.stopped", id=pod_id, volume=info.volume_gb, per_month=per_month))
    else:
        say(text("pod.stopped_no_volume", id=pod_id))
    return info


def resume(pod_id: str) -> PodInfo:
    """Start a stopped pod again on its host (can fail when the host's GPUs were rented out meanwhile).
    v2's `start` takes no GPU count: a pod resumes with the GPUs it was created with."""
    rest.pod_action(pod_id, "start")
    return get(pod_id)


def terminate(pod_id: str, say: Callable[[str], None] = print) -> None:
    rest.delete_pod(pod_id)
    say(text("pod.terminated", id=pod_id))


def course_pods(include_stopped: bool = True) -> list[PodInfo]:
    """This account's pods whose names start with the course prefix."""
    pods = [PodInfo.from_api(p) for p in rest.list_pods() if (p.get("name") or "").startswith(COURSE_PREFIX)]
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
