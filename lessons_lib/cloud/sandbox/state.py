"""The emulated cloud: GPU types, pods and their lifecycle, a billing clock, injectable faults.

Each running pod is a real embedded Ollama server (a child process). Time runs on a simulated
clock `time_scale` times faster than the wall clock, so an hour of billing can pass in a minute
of a workshop (or a second of a test); boot delays are counted on the same clock.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..prices import GPU_PRICES, HOURS_PER_MONTH, STORAGE

# --- messages the real API sends (as the runpod SDK receives them in `errors`) ----------------
ERR_NO_CAPACITY = (
    "There are no longer any instances available with the requested specifications. Please refresh and try again."
)
ERR_NO_GPUS_ON_RESUME = "There are not enough free GPUs on the host machine to start this pod."
ERR_SOMETHING = "Something went wrong. Please try again later or contact support."
ERR_POD_NOT_FOUND = "Pod not found"  # what podStop/podResume/podTerminate say for an unknown id
ERR_CPU_PODS = "CPU pods are not emulated by the course sandbox; give a gpu_type_id."
ERR_NEEDS_IMAGE = "Either imageName or templateId is required."
ERR_ALREADY_RUNNING = "Pod is already running."

# GPU types as RunPod's docs list them (references/gpu-types.mdx, generated 2026-02-12).
GPU_TYPES: tuple[tuple[str, str, int], ...] = (
    ("NVIDIA H100 80GB HBM3", "H100 SXM", 80),
    ("NVIDIA H100 PCIe", "H100 PCIe", 80),
    ("NVIDIA H100 NVL", "H100 NVL", 94),
    ("NVIDIA H200", "H200 SXM", 141),
    ("NVIDIA A100 80GB PCIe", "A100 PCIe", 80),
    ("NVIDIA A100-SXM4-80GB", "A100 SXM", 80),
    ("NVIDIA L40S", "L40S", 48),
    ("NVIDIA L40", "L40", 48),
    ("NVIDIA A40", "A40", 48),
    ("NVIDIA RTX A6000", "RTX A6000", 48),
    ("NVIDIA RTX 6000 Ada Generation", "RTX 6000 Ada", 48),
    ("NVIDIA GeForce RTX 4090", "RTX 4090", 24),
    ("NVIDIA GeForce RTX 5090", "RTX 5090", 32),
    ("NVIDIA GeForce RTX 3090", "RTX 3090", 24),
    ("NVIDIA RTX A5000", "RTX A5000", 24),
    ("NVIDIA L4", "L4", 24),
    ("NVIDIA RTX A4000", "RTX A4000", 16),
    ("NVIDIA RTX 2000 Ada Generation", "RTX 2000 Ada", 16),
    ("NVIDIA B200", "B200", 180),
)
POD_ID_CHARS = string.ascii_lowercase + string.digits


class RunPodError(Exception):
    """An error the API reports: in GraphQL's `errors` (the SDK turns it into runpod.error.QueryError),
    or as REST v2's ErrorResponse with this HTTP `status`."""

    def __init__(self, message: str, status: int = 500):
        super().__init__(message)
        self.status = status


# REST v2's lifecycle (PodStatus) and the actions each status allows, from the podAction operation's text.
# (Its createPod example shows a PROVISIONING pod with ["start", "terminate"]; the text, followed here, says
# PROVISIONING and STARTING allow stop and terminate.)
V2_ACTIONS: dict[str, tuple[str, ...]] = {
    "PROVISIONING": ("stop", "terminate"),
    "STARTING": ("stop", "terminate"),
    "RUNNING": ("stop", "restart", "terminate"),
    "EXITED": ("start", "terminate"),
    "ERROR": ("start", "terminate"),
}
PROVISION_SHARE = 0.3  # the first 30 % of a boot is PROVISIONING (a machine is found), the rest STARTING


class SimClock:
    """Seconds since the sandbox started, running `scale` times faster than the wall clock."""

    def __init__(self, scale: float = 1.0):
        if scale <= 0:
            raise ValueError("time_scale must be positive")
        self.scale = float(scale)
        self._start = time.monotonic()
        self._epoch = datetime.now(timezone.utc)

    def now(self) -> float:
        return (time.monotonic() - self._start) * self.scale

    def datetime(self) -> datetime:
        return self._epoch + timedelta(seconds=self.now())


@dataclass
class Faults:
    """Switches for tests and workshops. One-shot faults are consumed by the call they hit."""

    no_capacity: set[str] = field(default_factory=set)  # gpuTypeIds ("*" = all) with no machines
    no_capacity_clouds: set[str] = field(default_factory=set)  # "COMMUNITY" / "SECURE" sold out
    resume_no_gpus: bool = False  # podResume fails: the host's GPUs were rented out
    never_ready: bool = False  # the container never starts: runtime stays null
    fail_next: dict[str, str] = field(default_factory=dict)  # root field -> error message, once
    orphan_on_create: bool = False  # the pod is created but the API answers with an error (once)
    html_500_next: bool = False  # the next request gets an HTML 500 page (a Cloudflare hiccup)
    html_500_match: str = ""  # ...only a request whose query (or REST path) contains this text
    crash_on_start: bool = False  # the container exits at once: REST v2 reports ERROR


@dataclass
class Pod:
    id: str
    name: str
    image: str
    gpu_type_id: str
    gpu_display: str
    gpu_count: int
    cloud: str
    cost_per_hr: float
    container_disk_gb: int
    volume_gb: float
    volume_mount_path: str
    ports: str
    env: list[str]
    docker_args: str
    machine_id: str
    host_id: str
    memory_gb: float
    vcpus: float
    status: str = "RUNNING"  # desiredStatus: RUNNING | EXITED | TERMINATED
    started_at: float = 0.0  # sim time of the last create/resume
    changed_at: datetime | None = None
    compute_paid: float = 0.0  # dollars for finished running periods
    storage_paid: float = 0.0
    stopped_at: float | None = None
    ready: bool = False  # the container runs and its ports are mapped
    public_ports: dict[int, int] = field(default_factory=dict)
    server: Any = None  # EmbeddedServer while running
    generation: int = 0  # bumps on each start, so a late boot thread of an old run gives up
    failed: bool = False  # the container crashed on start (REST v2: ERROR)
    created_at: datetime | None = None
    log: list[tuple[datetime, str, str]] = field(default_factory=list)  # (time, source, line): getPodLogs

    def running_seconds(self, now: float) -> float:
        return max(0.0, now - self.started_at) if self.status == "RUNNING" else 0.0

    def running_storage(self, seconds: float) -> float:
        """Dollars for container disk and volume over `seconds` of running."""
        return (
            (self.container_disk_gb * STORAGE["container_running"] + self.volume_gb * STORAGE["volume_running"])
            * seconds
            / 3600
            / HOURS_PER_MONTH
        )

    def stopped_storage(self, seconds: float) -> float:
        """Dollars for the volume over `seconds` stopped (the container disk is gone)."""
        return self.volume_gb * STORAGE["volume_stopped"] * seconds / 3600 / HOURS_PER_MONTH

    def cost_so_far(self, now: float) -> float:
        """Compute plus storage, as RunPod bills it (per second)."""
        running = self.running_seconds(now)
        storage = self.storage_paid
        if self.status == "RUNNING":
            storage += self.running_storage(running)
        elif self.status == "EXITED" and self.stopped_at is not None:
            storage += self.stopped_storage(now - self.stopped_at)
        return self.compute_paid + self.cost_per_hr * running / 3600 + storage


def _price_row(gpu_id: str):
    return next((row for row in GPU_PRICES if row.gpu_id == gpu_id), None)


def offered_prices(gpu_id: str) -> tuple[float | None, float | None, float | None, float | None]:
    """$/h the sandbox offers a GPU at: community, secure, community spot, secure spot (None: not offered)."""
    row = _price_row(gpu_id)
    if row is None:
        return None, None, None, None
    community, community_spot = row.community, row.community_spot
    if community and row.secure and community > row.secure:
        # RunPod's community cloud is the cheaper one (runpod.io/pricing). A figure above the secure
        # price is a third party's on-demand price of an unstated cloud (prices.CLOUD_NOT_STATED),
        # not a community price: the sandbox offers that GPU in the secure cloud only.
        community = community_spot = None
    return community, row.secure, community_spot, row.secure_spot


def gpu_type(gpu_id: str, display: str, memory: int, gpu_count: int, faults: Faults) -> dict[str, Any]:
    """A gpuTypes entry: prices from the course's sourced table, null where no source gave one."""
    community, secure, community_spot, secure_spot = offered_prices(gpu_id)
    sold_out = "*" in faults.no_capacity or gpu_id in faults.no_capacity
    offered = [p for p in (community, secure) if p]
    return {
        "id": gpu_id,
        "displayName": display,
        "manufacturer": "Nvidia",
        "memoryInGb": memory,
        "cudaCores": 0,
        "maxGpuCount": 8,
        "secureCloud": bool(secure),
        "communityCloud": bool(community),
        "securePrice": secure,
        "communityPrice": community,
        "secureSpotPrice": secure_spot,
        "communitySpotPrice": community_spot,
        "oneWeekPrice": None,
        "oneMonthPrice": None,
        "threeMonthPrice": None,
        "sixMonthPrice": None,
        "lowestPrice": {
            "minimumBidPrice": min([p for p in (community_spot, secure_spot) if p], default=None),
            "uninterruptablePrice": min(offered) * gpu_count if offered else None,
            "minVcpu": 8,
            "minMemory": 30,
            "compliance": [],
            "stockStatus": None if sold_out or not offered else "High",
            "maxUnreservedGpuCount": 0 if sold_out else 8,
            "availableGpuCounts": [] if sold_out or not offered else [1, 2, 4, 8],
        },
    }


class Cloud:
    """All pods of the sandbox, behind one lock; the GraphQL resolvers call these methods."""

    def __init__(self, models: Path, clock: SimClock, boot_seconds: float = 20.0, faults: Faults | None = None):
        self.models = models
        self.clock = clock
        self.boot_seconds = boot_seconds
        self.faults = faults or Faults()
        self.pods: dict[str, Pod] = {}
        self.terminated: list[Pod] = []
        self.lock = threading.RLock()
        self.boots: list[threading.Thread] = []
        self.user_id = "user_" + secrets.token_hex(6)
        self.graphql_pods = True  # False: GraphQL's pod operations are refused (RunPod after their retirement)
        self.graphql_refused: list[str] = []  # the GraphQL pod operations refused so far

    # --- faults -------------------------------------------------------------------------------
    def take_fault(self, root_field: str) -> None:
        message = self.faults.fail_next.pop(root_field, None)
        if message:
            raise RunPodError(message)

    # --- queries ------------------------------------------------------------------------------
    def gpu_types(self, gpu_id: str | None = None, gpu_count: int = 1) -> list[dict[str, Any]]:
        return [gpu_type(i, d, m, gpu_count, self.faults) for i, d, m in GPU_TYPES if gpu_id in (None, i)]

    def live_pods(self) -> list[Pod]:
        with self.lock:
            return [p for p in self.pods.values() if p.status != "TERMINATED"]

    def get(self, pod_id: str) -> Pod | None:
        with self.lock:
            return self.pods.get(pod_id)

    def pod_view(self, pod: Pod) -> dict[str, Any]:
        now = self.clock.now()
        runtime = None
        if pod.status == "RUNNING" and pod.ready:
            runtime = {
                "uptimeInSeconds": int(pod.running_seconds(now)),
                "ports": [
                    {
                        "ip": self.ip(pod),
                        "isIpPublic": False,
                        "privatePort": private,
                        "publicPort": public,
                        "type": kind,
                    }
                    for private, public, kind in self._port_list(pod)
                ],
            }
        changed = pod.changed_at or self.clock.datetime()
        return {
            "id": pod.id,
            "name": pod.name,
            "imageName": pod.image,
            "env": pod.env,
            "machineId": pod.machine_id,
            "machine": {"podHostId": pod.host_id, "gpuDisplayName": pod.gpu_display},
            "desiredStatus": pod.status,
            "containerDiskInGb": pod.container_disk_gb,
            "costPerHr": round(pod.cost_per_hr, 4),
            "dockerArgs": pod.docker_args,
            "dockerId": None,
            "gpuCount": pod.gpu_count,
            "lastStatusChange": ("Rented by User: " if pod.status == "RUNNING" else "Exited by User: ")
            + changed.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)"),
            "memoryInGb": pod.memory_gb,
            "podType": "RESERVED",
            "port": None,
            "ports": pod.ports,
            "uptimeSeconds": int(pod.running_seconds(now)),
            "vcpuCount": pod.vcpus,
            "volumeInGb": pod.volume_gb,
            "volumeMountPath": pod.volume_mount_path,
            "runtime": runtime,
        }

    def v2_status(self, pod: Pod) -> str:
        """REST v2's PodStatus of a pod: GraphQL's desiredStatus, with the boot's phases and a crash told apart."""
        if pod.status in ("EXITED", "TERMINATED"):
            return pod.status
        if pod.failed:
            return "ERROR"
        if pod.ready:
            return "RUNNING"
        booting = self.clock.now() - pod.started_at
        return "PROVISIONING" if booting < self.boot_seconds * PROVISION_SHARE else "STARTING"

    def act(self, pod_id: str, action: str) -> Pod | None:
        """podAction: start | stop | restart | terminate, where the pod's status allows it (else 409)."""
        with self.lock:
            pod = self._require(pod_id)
            status = self.v2_status(pod)
            if action not in V2_ACTIONS.get(status, ()):
                raise RunPodError(f"action '{action}' is not valid for a pod in status {status}", 409)
            if action == "terminate":
                self.terminate(pod_id)
                return None
            if action == "stop":
                return self.stop(pod_id)
            if action == "start" and status == "EXITED":
                return self.resume(pod_id, pod.gpu_count)
            self._halt(pod)  # restart a RUNNING container, or start an ERROR one again, in place
            self._start(pod)
            return pod

    def ip(self, pod: Pod) -> str:
        return f"100.65.0.{int(pod.host_id[-2:], 36) % 250 + 2}"

    def port_list(self, pod: Pod) -> list[tuple[int, int, str]]:
        return self._port_list(pod)

    def _log(self, pod: Pod, source: str, line: str) -> None:
        pod.log.append((self.clock.datetime(), source, line))
        del pod.log[:-5000]

    def _port_list(self, pod: Pod) -> list[tuple[int, int, str]]:
        result = []
        for entry in filter(None, pod.ports.split(",")):
            number, _, kind = entry.partition("/")
            private = int(number)
            public = pod.public_ports.setdefault(private, 10000 + secrets.randbelow(50000))
            result.append((private, public, kind or "http"))
        return result

    # --- mutations ----------------------------------------------------------------------------
    def deploy(self, spec: dict[str, Any]) -> Pod:
        if not spec.get("imageName") and not spec.get("templateId"):
            raise RunPodError(ERR_NEEDS_IMAGE, 400)
        gpu_id = spec.get("gpuTypeId")
        known = {i: (d, m) for i, d, m in GPU_TYPES}
        if gpu_id not in known:
            raise RunPodError(ERR_NO_CAPACITY, 400)
        count = int(spec.get("gpuCount") or 1)
        cloud = str(spec.get("cloudType") or "ALL")
        community, secure, _, _ = offered_prices(gpu_id)
        offers = {"COMMUNITY": community, "SECURE": secure}
        choices = [
            (p, c) for c, p in offers.items() if p and cloud in ("ALL", c) and c not in self.faults.no_capacity_clouds
        ]
        if not choices or "*" in self.faults.no_capacity or gpu_id in self.faults.no_capacity:
            raise RunPodError(ERR_NO_CAPACITY, 400)
        price, chosen_cloud = min(choices)
        pod = Pod(
            id="".join(secrets.choice(POD_ID_CHARS) for _ in range(14)),
            name=str(spec.get("name") or ""),
            image=str(spec.get("imageName") or ""),
            gpu_type_id=gpu_id,
            gpu_display=known[gpu_id][0],
            gpu_count=count,
            cloud=chosen_cloud,
            cost_per_hr=price * count,
            container_disk_gb=int(spec.get("containerDiskInGb") or 0),
            volume_gb=float(spec.get("volumeInGb") or 0),
            volume_mount_path=str(spec.get("volumeMountPath") or "/runpod-volume"),
            ports=str(spec.get("ports") or ""),
            env=[f"{e['key']}={e.get('value') or ''}" for e in spec.get("env") or []],
            docker_args=str(spec.get("dockerArgs") or ""),
            machine_id=secrets.token_hex(6),
            host_id=secrets.token_hex(8),
            memory_gb=31.0 * count,
            vcpus=8.0 * count,
            created_at=self.clock.datetime(),
        )
        with self.lock:
            self.pods[pod.id] = pod
            self._start(pod)
        if self.faults.orphan_on_create:
            self.faults.orphan_on_create = False
            raise RunPodError(ERR_SOMETHING)
        return pod

    def _require(self, pod_id: str) -> Pod:
        pod = self.pods.get(pod_id)
        if pod is None or pod.status == "TERMINATED":
            raise RunPodError(ERR_POD_NOT_FOUND, 404)
        return pod

    def stop(self, pod_id: str) -> Pod:
        with self.lock:
            pod = self._require(pod_id)
            if pod.status == "RUNNING":
                self._halt(pod)
                pod.status, pod.stopped_at = "EXITED", self.clock.now()
                pod.changed_at = self.clock.datetime()
                self._log(pod, "system", "Stopped by user")
            return pod

    def resume(self, pod_id: str, gpu_count: int) -> Pod:
        with self.lock:
            pod = self._require(pod_id)
            if pod.status == "RUNNING":
                raise RunPodError(ERR_ALREADY_RUNNING, 409)
            if self.faults.resume_no_gpus:
                raise RunPodError(ERR_NO_GPUS_ON_RESUME, 400)
            self._settle_storage(pod)
            pod.cost_per_hr = pod.cost_per_hr / pod.gpu_count * gpu_count
            pod.gpu_count = gpu_count
            self._start(pod)
            return pod

    def terminate(self, pod_id: str) -> None:
        with self.lock:
            pod = self._require(pod_id)
            if pod.status == "RUNNING":
                self._halt(pod)
            else:
                self._settle_storage(pod)
            pod.status = "TERMINATED"
            pod.changed_at = self.clock.datetime()
            del self.pods[pod.id]
            self.terminated.append(pod)

    def terminate_all(self) -> None:
        """Terminate every pod and wait for boots in flight, so no server starts after this returns."""
        for pod in self.live_pods():
            self.terminate(pod.id)
        for boot in list(self.boots):
            boot.join(timeout=30)

    # --- lifecycle ----------------------------------------------------------------------------
    def _start(self, pod: Pod) -> None:
        pod.status, pod.ready, pod.stopped_at, pod.failed = "RUNNING", False, None, False
        self._log(pod, "system", f"Pulling image {pod.image}")
        pod.started_at = self.clock.now()
        pod.changed_at = self.clock.datetime()
        pod.generation += 1
        boot = threading.Thread(
            target=self._boot, args=(pod, pod.generation), daemon=True, name=f"sandbox-boot-{pod.id}"
        )
        self.boots = [t for t in self.boots if t.is_alive()] + [boot]
        boot.start()

    def _boot(self, pod: Pod, generation: int) -> None:
        """Pull the image (a wait on the sim clock), start Ollama, then map the ports."""
        from ...ollama_server import EmbeddedServer

        deadline = pod.started_at + self.boot_seconds
        while self.clock.now() < deadline or self.faults.never_ready:
            if pod.generation != generation or pod.status != "RUNNING":
                return
            time.sleep(0.05)
        if self.faults.crash_on_start:
            with self.lock:
                if pod.generation == generation and pod.status == "RUNNING":
                    pod.failed = True
                    self._log(pod, "container", "Error: the container exited with code 1")
            return
        # A pod gets no copy of the account key (RunPod gives pods only a pod-scoped one). It runs one
        # request at a time, as the real Ollama image does by default (OLLAMA_NUM_PARALLEL=1).
        env = {"OLLAMA_KEEP_ALIVE": "5m", "RUNPOD_API_KEY": "", "OLLAMA_NUM_PARALLEL": "1"}
        server = EmbeddedServer(models=self.models, env=env)
        try:
            server.start()
        except Exception:  # a container that crashes on start: REST v2 says ERROR
            server.stop()
            with self.lock:
                pod.failed = pod.generation == generation and pod.status == "RUNNING"
            return
        with self.lock:
            if pod.generation != generation or pod.status != "RUNNING":
                server.stop()
                return
            pod.server, pod.ready = server, True
            self._log(pod, "container", "Listening on [::]:11434 (Ollama API)")

    def _halt(self, pod: Pod) -> None:
        """End a running period: stop the container and book its cost."""
        now = self.clock.now()
        running = pod.running_seconds(now)
        pod.compute_paid += pod.cost_per_hr * running / 3600
        pod.storage_paid += pod.running_storage(running)
        pod.generation += 1
        pod.ready = False
        server, pod.server = pod.server, None
        if server is not None:
            server.stop()

    def _settle_storage(self, pod: Pod) -> None:
        if pod.stopped_at is not None:
            now = self.clock.now()
            pod.storage_paid += pod.stopped_storage(now - pod.stopped_at)
            pod.stopped_at = None

    # --- accounting ---------------------------------------------------------------------------
    def spent(self) -> float:
        now = self.clock.now()
        with self.lock:
            return sum(p.cost_so_far(now) for p in [*self.pods.values(), *self.terminated])

    def servers(self) -> list[Any]:
        with self.lock:
            return [p.server for p in self.pods.values() if p.server is not None and p.server.running]


def default_models() -> Path:
    from ...ollama_server.store import default_models_dir

    return default_models_dir()
