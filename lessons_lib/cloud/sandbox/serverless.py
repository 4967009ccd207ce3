"""RunPod Serverless in the sandbox: templates, endpoints, a job queue, and workers that scale.

Each worker is a real embedded server (a child process) running the template's MODEL_NAME, as
worker-vllm runs one model per worker (runpod-workers/worker-vllm). Per endpoint:
- jobs go IN_QUEUE -> IN_PROGRESS -> COMPLETED / FAILED (or CANCELLED, TIMED_OUT);
- workers scale between workersMin and workersMax with the queue, boot for `boot_seconds` on the
  simulated clock, and stop after `idleTimeout` seconds without work (unless below workersMin);
- each worker is billed per second from its start to its stop at the endpoint's flex price;
- a worker killed mid-job fails that job with the worker's error, as the service reports it.
Rate limits (reference/serving-and-scale.md section 5): /run 1000 requests per 10 s, OpenAI
route 2000 per 10 s and 400 at once; beyond them the routes answer 429.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..prices import serverless_price
from .state import RunPodError, SimClock

__all__ = ["Serverless", "ServerlessEndpoint", "Job", "Worker", "Limits"]

ERR_NO_TEMPLATE = "Template not found"
ERR_NO_ENDPOINT = "Endpoint not found"
ERR_WORKER_DIED = "Worker exited unexpectedly while running the job (exit code -9)."
ERR_BAD_INPUT = "The worker's handler could not read the input: it expects messages, prompt or openai_route."
DEFAULT_MODEL = "smollm2:135m"
ID_CHARS = string.ascii_lowercase + string.digits


def _id(n: int = 14) -> str:
    return "".join(secrets.choice(ID_CHARS) for _ in range(n))


@dataclass
class Limits:
    run_per_10s: int = 1000
    openai_per_10s: int = 2000
    openai_concurrent: int = 400


@dataclass
class Template:
    id: str
    name: str
    image: str
    env: dict[str, str]
    is_serverless: bool
    container_disk_gb: int = 10
    docker_args: str = ""

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "imageName": self.image,
            "dockerArgs": self.docker_args,
            "containerDiskInGb": self.container_disk_gb,
            "volumeInGb": 0,
            "volumeMountPath": None,
            "ports": "",
            "env": [{"key": k, "value": v} for k, v in self.env.items()],
            "isServerless": self.is_serverless,
        }


@dataclass
class Job:
    id: str
    input: Any
    created: float
    status: str = "IN_QUEUE"
    started: float | None = None
    finished: float | None = None
    output: Any = None
    error: str | None = None
    worker_id: str | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def view(self) -> dict[str, Any]:
        view: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.started is not None:
            view["delayTime"] = int((self.started - self.created) * 1000)
        if self.finished is not None and self.started is not None:
            view["executionTime"] = int((self.finished - self.started) * 1000)
        if self.worker_id:
            view["workerId"] = self.worker_id
        if self.status == "COMPLETED":
            view["output"] = self.output
        if self.error:
            view["error"] = self.error
        return view


@dataclass
class Worker:
    id: str
    started: float  # sim time
    state: str = "initializing"  # initializing | idle | running | stopped
    server: Any = None
    busy: int = 0
    idle_since: float = 0.0
    stopped: float | None = None

    def billed_seconds(self, now: float) -> float:
        return (self.stopped if self.stopped is not None else now) - self.started


class ServerlessEndpoint:
    def __init__(self, owner: Serverless, spec: dict[str, Any], template: Template):
        self.owner = owner
        self.id = _id()
        self.name = str(spec.get("name") or "")
        self.template = template
        self.gpu_ids = str(spec.get("gpuIds") or "AMPERE_16")
        self.workers_min = int(spec.get("workersMin") or 0)
        workers_max, idle_timeout = spec.get("workersMax"), spec.get("idleTimeout")
        self.workers_max = max(self.workers_min, int(workers_max) if workers_max is not None else 3)
        self.idle_timeout = float(idle_timeout) if idle_timeout is not None else 5.0
        self.scaler_type = str(spec.get("scalerType") or "QUEUE_DELAY")
        self.scaler_value = int(spec.get("scalerValue") or 4)
        self.gpu_count = int(spec.get("gpuCount") or 1)
        self.price_per_s = (serverless_price(self.gpu_ids).flex_per_s or 0.0) * self.gpu_count
        self.model = template.env.get("MODEL_NAME") or DEFAULT_MODEL
        self.concurrency = max(1, int(template.env.get("MAX_CONCURRENCY", "1")))
        self.jobs: dict[str, Job] = {}
        self.queue: deque[Job] = deque()
        self.workers: dict[str, Worker] = {}
        self.openai_in_flight = 0  # OpenAI-route requests waiting for a worker (the scaler counts them)
        self.openai_active = 0  # OpenAI-route requests being served (the concurrency limit counts them)
        self.calls: dict[str, deque[float]] = {"run": deque(), "openai": deque()}
        self.counts = {"completed": 0, "failed": 0, "retried": 0}
        self.retired: list[Worker] = []

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "templateId": self.template.id,
            "gpuIds": self.gpu_ids,
            "networkVolumeId": None,
            "locations": None,
            "idleTimeout": int(self.idle_timeout),
            "scalerType": self.scaler_type,
            "scalerValue": self.scaler_value,
            "workersMin": self.workers_min,
            "workersMax": self.workers_max,
            "allowedCudaVersions": None,
            "gpuCount": self.gpu_count,
            "flashBootType": None,
            "aiKey": None,
            "type": "QB",
            "userId": self.owner.user_id,
            "version": 0,
            "workersStandby": 0,
            "env": [{"key": k, "value": v} for k, v in self.template.env.items()],
            "createdAt": None,
            "networkVolume": None,
        }

    def health(self) -> dict[str, Any]:
        live = [w for w in self.workers.values() if w.state != "stopped"]
        return {
            "jobs": {
                "completed": self.counts["completed"],
                "failed": self.counts["failed"],
                "inProgress": sum(j.status == "IN_PROGRESS" for j in self.jobs.values()),
                "inQueue": len(self.queue),
                "retried": self.counts["retried"],
            },
            "workers": {
                "idle": sum(w.state == "idle" for w in live),
                "initializing": sum(w.state == "initializing" for w in live),
                "ready": sum(w.state in ("idle", "running") for w in live),
                "running": sum(w.state == "running" for w in live),
                "throttled": 0,
                "unhealthy": 0,
            },
        }

    def allow(self, route: str, per_10s: int) -> bool:
        """Sliding 10-second window of wall-clock time: a limit is what the client feels, not the bill."""
        now, calls = time.monotonic(), self.calls[route]
        while calls and calls[0] <= now - 10:
            calls.popleft()
        if len(calls) >= per_10s:
            return False
        calls.append(now)
        return True

    def cost(self, now: float) -> float:
        return sum(w.billed_seconds(now) for w in [*self.workers.values(), *self.retired]) * self.price_per_s


class Serverless:
    """All endpoints of one sandbox; a background thread scales workers and hands out jobs."""

    def __init__(self, models: Path, clock: SimClock, boot_seconds: float = 10.0, user_id: str = ""):
        self.models, self.clock, self.boot_seconds = models, clock, boot_seconds
        self.user_id = user_id
        self.limits = Limits()
        self.templates: dict[str, Template] = {}
        self.endpoints: dict[str, ServerlessEndpoint] = {}
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.http = httpx.Client(timeout=httpx.Timeout(600.0, connect=5.0))

    # --- GraphQL side ------------------------------------------------------------------------------
    def save_template(self, spec: dict[str, Any]) -> dict[str, Any]:
        env = {str(e["key"]): str(e.get("value") or "") for e in spec.get("env") or []}
        template = Template(
            _id(10),
            str(spec.get("name") or ""),
            str(spec.get("imageName") or ""),
            env,
            bool(spec.get("isServerless")),
            int(spec.get("containerDiskInGb") or 10),
            str(spec.get("dockerArgs") or ""),
        )
        with self.lock:
            self.templates[template.id] = template
        return template.view()

    def save_endpoint(self, spec: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            template = self.templates.get(str(spec.get("templateId") or ""))
            if template is None:
                raise RunPodError(ERR_NO_TEMPLATE)
            endpoint = ServerlessEndpoint(self, spec, template)
            self.endpoints[endpoint.id] = endpoint
            self._ensure_thread()
            self.changed.notify_all()
        return endpoint.view()

    def views(self) -> list[dict[str, Any]]:
        with self.lock:
            return [e.view() for e in self.endpoints.values()]

    def get(self, endpoint_id: str) -> ServerlessEndpoint | None:
        with self.lock:
            return self.endpoints.get(endpoint_id)

    # --- the queue API -----------------------------------------------------------------------------
    def submit(self, endpoint: ServerlessEndpoint, job_input: Any) -> Job:
        with self.lock:
            job = Job(f"{_id(8)}-{_id(4)}-{_id(4)}-{_id(4)}-{_id(12)}-u1", job_input, self.clock.now())
            endpoint.jobs[job.id] = job
            endpoint.queue.append(job)
            self.changed.notify_all()
            return job

    def cancel(self, endpoint: ServerlessEndpoint, job: Job) -> None:
        with self.lock:
            if job.status in ("IN_QUEUE", "IN_PROGRESS"):
                if job in endpoint.queue:
                    endpoint.queue.remove(job)
                self._finish(endpoint, job, "CANCELLED")

    def kill_worker(self, endpoint_id: str, worker_id: str | None = None) -> str:
        """Fault injection: kill -9 a worker (the busiest one by default)."""
        with self.lock:
            endpoint = self.endpoints[endpoint_id]
            live = [w for w in endpoint.workers.values() if w.server is not None]
            worker = endpoint.workers[worker_id] if worker_id else max(live, key=lambda w: w.busy)
            server = worker.server
        if server is not None and server.process is not None:
            server.process.kill()
        return worker.id

    # --- workers and scheduling --------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, daemon=True, name="sandbox-serverless")
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self.lock:
                for endpoint in list(self.endpoints.values()):
                    self._scale(endpoint)
                    self._dispatch(endpoint)
                self.changed.wait(timeout=0.05)

    def _scale(self, endpoint: ServerlessEndpoint) -> None:
        now = self.clock.now()
        live = [w for w in endpoint.workers.values() if w.state != "stopped"]
        busy = sum(w.busy for w in live) + endpoint.openai_in_flight
        wanted = -(-(len(endpoint.queue) + busy) // endpoint.concurrency)
        wanted = max(endpoint.workers_min, min(endpoint.workers_max, wanted))
        for _ in range(wanted - len(live)):
            worker = Worker(_id(14), now)
            endpoint.workers[worker.id] = worker
            thread = threading.Thread(
                target=self._boot, args=(endpoint, worker), daemon=True, name=f"sandbox-worker-{worker.id}"
            )
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()
        for worker in live:
            dead = worker.server is not None and not worker.server.running
            idle_long = (
                worker.state == "idle"
                and now - worker.idle_since >= endpoint.idle_timeout
                and len([w for w in endpoint.workers.values() if w.state != "stopped"]) > endpoint.workers_min
            )
            if dead or idle_long:
                self._retire(endpoint, worker)

    def _boot(self, endpoint: ServerlessEndpoint, worker: Worker) -> None:
        from ...ollama_server import EmbeddedServer

        deadline = worker.started + self.boot_seconds
        while self.clock.now() < deadline:
            if worker.state == "stopped" or self._stop.is_set():
                return
            time.sleep(0.02)
        server = EmbeddedServer(models=self.models, env={"RUNPOD_API_KEY": "", "OLLAMA_KEEP_ALIVE": "24h"})
        try:
            server.start()
        except Exception:
            server.stop()
            with self.lock:
                self._retire(endpoint, worker)
            return
        with self.lock:
            if worker.state == "stopped":
                server.stop()
                return
            worker.server, worker.state, worker.idle_since = server, "idle", self.clock.now()
            self.changed.notify_all()

    def _retire(self, endpoint: ServerlessEndpoint, worker: Worker) -> None:
        worker.state, worker.stopped = "stopped", self.clock.now()
        server, worker.server = worker.server, None
        endpoint.workers.pop(worker.id, None)
        endpoint.retired.append(worker)
        if server is not None:
            threading.Thread(target=server.stop, daemon=True).start()

    def _dispatch(self, endpoint: ServerlessEndpoint) -> None:
        while endpoint.queue:
            ready = [
                w
                for w in endpoint.workers.values()
                if w.state in ("idle", "running") and w.busy < endpoint.concurrency and w.server is not None
            ]
            if not ready:
                return
            worker = min(ready, key=lambda w: w.busy)
            job = endpoint.queue.popleft()
            job.status, job.started, job.worker_id = "IN_PROGRESS", self.clock.now(), worker.id
            worker.busy, worker.state = worker.busy + 1, "running"
            thread = threading.Thread(target=self._execute, args=(endpoint, worker, job), daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _execute(self, endpoint: ServerlessEndpoint, worker: Worker, job: Job) -> None:
        from .serverless_handler import handle

        status, output, error = "COMPLETED", None, None
        try:
            output = handle(self.http, worker.server.url, endpoint.model, job.input)
        except ValueError:
            status, error = "FAILED", ERR_BAD_INPUT
        except (httpx.HTTPError, AttributeError):
            status, error = "FAILED", ERR_WORKER_DIED
        with self.lock:
            self.release(worker)
            if job.status == "IN_PROGRESS":
                job.output = output
                job.error = error
                self._finish(endpoint, job, status)

    def release(self, worker: Worker) -> None:
        worker.busy -= 1
        if worker.busy == 0 and worker.state == "running":
            worker.state, worker.idle_since = "idle", self.clock.now()
        self.changed.notify_all()

    def _finish(self, endpoint: ServerlessEndpoint, job: Job, status: str) -> None:
        job.status, job.finished = status, self.clock.now()
        if status == "COMPLETED":
            endpoint.counts["completed"] += 1
        elif status == "FAILED":
            endpoint.counts["failed"] += 1
        job.done.set()

    def acquire_worker(self, endpoint: ServerlessEndpoint, timeout: float = 120.0) -> Worker | None:
        """A ready worker for an OpenAI-route request (scaling one up if needed), marked busy."""
        deadline = time.monotonic() + timeout
        with self.lock:
            endpoint.openai_in_flight += 1
            self._ensure_thread()
            self.changed.notify_all()
            try:
                while time.monotonic() < deadline:
                    ready = [
                        w for w in endpoint.workers.values() if w.state in ("idle", "running") and w.server is not None
                    ]
                    if ready:
                        worker = min(ready, key=lambda w: w.busy)
                        worker.busy, worker.state = worker.busy + 1, "running"
                        return worker
                    self.changed.wait(timeout=0.05)
                return None
            finally:
                endpoint.openai_in_flight -= 1

    # --- accounting and shutdown -------------------------------------------------------------------
    def spent(self) -> float:
        now = self.clock.now()
        with self.lock:
            return sum(e.cost(now) for e in self.endpoints.values())

    def servers(self) -> list[Any]:
        with self.lock:
            return [
                w.server
                for e in self.endpoints.values()
                for w in e.workers.values()
                if w.server is not None and w.server.running
            ]

    def stop(self) -> None:
        """Stop every worker (no server outlives the sandbox)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.lock:
            for endpoint in self.endpoints.values():
                for job in list(endpoint.queue):
                    self._finish(endpoint, job, "CANCELLED")
                endpoint.queue.clear()
                for worker in list(endpoint.workers.values()):
                    worker.state, worker.stopped = "stopped", self.clock.now()
                    server, worker.server = worker.server, None
                    endpoint.workers.pop(worker.id, None)
                    endpoint.retired.append(worker)
                    if server is not None:
                        server.stop()
        for thread in list(self._threads):
            thread.join(timeout=30)
        self.http.close()
