"""The sandbox's REST API v2 for pods and the GPU catalog: RunPod's paths, bodies, states and errors.

Served: listPods, createPod, getPod, deletePod, podAction, getPodLogs, listGpuTypes, getGpuType (the
operations lessons_lib.cloud.rest calls). Errors are ErrorResponse (`{title, status, detail, errors?}`,
application/problem+json) with the status RunPod's docs give: 401 without a valid key, 404 for an
unknown pod, 409 for an action the pod's status does not allow, 422 with every contract violation named
(an unknown field included), 400 for a valid body that cannot be placed (no capacity) or breaks a
cross-field rule. A pod is PROVISIONING, then STARTING, then RUNNING once its Ollama answers; `stop`
makes it EXITED, a container that crashes on start is ERROR; `actions` lists what each status allows.
The catalog's stock is simulated: `Faults.no_capacity` (and `no_capacity_clouds`) make a GPU NONE, and
the same faults make createPod fail with the capacity error, so the lesson meets the real answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from .rest_validate import action_errors, create_pod_errors
from .state import ERR_CPU_PODS, GPU_TYPES, V2_ACTIONS, Cloud, Pod, RunPodError, offered_prices

__all__ = ["add_rest_v2_routes", "pod_view", "gpu_view"]

TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Entity"}
PROBLEM = "application/problem+json"
DATA_CENTER = {"id": "SANDBOX-1", "name": "Course sandbox (this machine)"}
MAX_GPUS = 8


def problem(status: int, detail: str, errors: list[str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"title": TITLES.get(status, "Internal Server Error"), "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def pod_view(cloud: Cloud, pod: Pod) -> dict[str, Any]:
    """A pod as REST v2's Pod schema has it."""
    status = cloud.v2_status(pod)
    running = status == "RUNNING"
    env = dict(item.partition("=")[::2] for item in pod.env)
    view: dict[str, Any] = {
        "id": pod.id,
        "name": pod.name,
        "image": pod.image,
        "args": pod.docker_args,
        "disk": max(pod.container_disk_gb, 1),
        "ports": [p for p in pod.ports.split(",") if p],
        "env": env,
        "registry": None,
        "status": status,
        "actions": list(V2_ACTIONS.get(status, ())),
        "mounts": {"persistent": {"size": int(pod.volume_gb), "path": pod.volume_mount_path}} if pod.volume_gb else {},
        "gpu": {"id": pod.gpu_type_id, "count": pod.gpu_count},
        "cloud": pod.cloud,
        "dataCenterId": DATA_CENTER["id"],
        "cudaVersion": None,  # "unknown": the sandbox's pods run on whatever this machine has
        "ssh": {"proxy": None, "direct": None},  # pods are made without startSsh
        "template": None,
        "cost": round(pod.cost_per_hr, 4) if pod.status == "RUNNING" else 0.0,
        "locked": False,
        "globalNetworking": {"enabled": False},
        "runtime": None,
        "createdAt": _iso(pod.created_at),
        "startedAt": _iso(pod.changed_at) if status in ("STARTING", "RUNNING") else None,
    }
    if running:
        ip = cloud.ip(pod)
        view["runtime"] = {
            "uptime": int(pod.running_seconds(cloud.clock.now())),
            "ports": [{"private": a, "public": b, "type": kind, "ip": ip} for a, b, kind in cloud.port_list(pod)],
        }
    return view


def _level(gpu_id: str, cloud_name: str, count: int, cloud: Cloud) -> str:
    community, secure, _, _ = offered_prices(gpu_id)
    price = secure if cloud_name == "SECURE" else community
    faults = cloud.faults
    sold_out = "*" in faults.no_capacity or gpu_id in faults.no_capacity or cloud_name in faults.no_capacity_clouds
    return "NONE" if sold_out or not price or count > MAX_GPUS else "HIGH"


def gpu_view(cloud: Cloud, gpu_id: str, name: str, memory: int, params: dict[str, Any] | None) -> dict[str, Any]:
    """A GPU type as REST v2's GpuType schema has it; with `params` (include=AVAILABILITY), its pod stock."""
    community, secure, _, _ = offered_prices(gpu_id)
    view: dict[str, Any] = {
        "id": gpu_id,
        "name": name,
        "pool": None,  # the sandbox's Serverless does not group GPUs in pools
        "manufacturer": "NVIDIA",
        "memory": memory,
        "secure": bool(secure),
        "community": bool(community),
        "price": {"secure": secure or 0.0, "community": community or 0.0},
        "maxCount": {"secure": MAX_GPUS if secure else 0, "community": MAX_GPUS if community else 0},
    }
    if params is not None:
        level = _level(gpu_id, params["cloud"], params["count"], cloud)
        view["availability"] = level
        if level != "NONE":
            view["dataCenters"] = [{**DATA_CENTER, "availability": level}]
    return view


def _catalog_params(request: Request) -> dict[str, Any] | None | JSONResponse:
    """include / product / count / cloud, checked as listGpuTypes documents them (400 when they do not go together)."""
    query = request.query_params
    include, product = query.get("include"), query.get("product")
    if include is None:
        for name in ("product", "count", "cloud"):
            if name in query:
                return problem(400, f"{name} is valid only with include=AVAILABILITY")
        return None
    if include != "AVAILABILITY":
        return problem(400, f"include: unsupported value '{include}'; supported: AVAILABILITY")
    if not product:
        return problem(400, "include=AVAILABILITY requires product (POD, CLUSTER or SERVERLESS)")
    cloud = query.get("cloud", "SECURE")
    count = query.get("count", "1")
    if cloud not in ("SECURE", "COMMUNITY") or not count.isdigit() or int(count) < 1:
        return problem(400, "cloud must be SECURE or COMMUNITY and count a whole number from 1")
    return {"cloud": cloud, "count": int(count)}


def _spec_from(body: dict[str, Any]) -> dict[str, Any]:
    """A createPod body in the terms Cloud.deploy takes (GraphQL's, which it serves too)."""
    persistent = (body.get("mounts") or {}).get("persistent") or {}
    return {
        "name": body["name"],
        "imageName": body.get("image"),
        "gpuTypeId": body["gpu"]["id"],
        "gpuCount": body["gpu"].get("count", 1),
        "cloudType": body.get("cloud", "SECURE"),
        "containerDiskInGb": body.get("disk", 50),
        "volumeInGb": persistent.get("size", 0),
        "volumeMountPath": persistent.get("path", "/workspace"),
        "ports": ",".join(body.get("ports") or []),
        "env": [{"key": k, "value": v} for k, v in (body.get("env") or {}).items()],
        "dockerArgs": body.get("args", ""),
    }


def add_rest_v2_routes(app: FastAPI, cloud: Cloud, authorized: Callable[[Request], bool]) -> None:
    """Mount /v2/pods and /v2/catalog/gpus (before the Serverless /v2/{endpoint_id} routes)."""

    def call(operation: str, request: Request, work: Callable[[], Response]) -> Response:
        faults = cloud.faults
        if faults.html_500_next and faults.html_500_match and faults.html_500_match in request.url.path:
            faults.html_500_next = False
            return HTMLResponse("<html><body>500 Internal Server Error</body></html>", status_code=500)
        if not authorized(request):
            given = request.headers.get("authorization", "")
            return problem(401, "invalid bearer token" if given else "missing bearer token")
        try:
            cloud.take_fault(operation)
            return work()
        except RunPodError as exc:
            return problem(exc.status, str(exc))

    async def json_body(request: Request) -> Any:
        raw = await request.body()
        try:
            return json.loads(raw or b"null")
        except ValueError:
            return ValueError

    @app.get("/v2/pods")
    async def list_pods(request: Request) -> Response:
        def work() -> Response:
            return JSONResponse({"pods": [pod_view(cloud, p) for p in cloud.live_pods()]})

        return await run_in_threadpool(call, "listPods", request, work)

    @app.post("/v2/pods")
    async def create_pod(request: Request) -> Response:
        body = await json_body(request)

        def work() -> Response:
            if body is ValueError:
                return problem(400, "request body is not valid JSON")
            errors = create_pod_errors(body)
            if errors:
                return problem(422, "Request validation failed.", errors)
            if ("gpu" in body) == ("cpu" in body):
                return problem(400, "exactly one of gpu or cpu must be set")
            if "cpu" in body:
                return problem(400, ERR_CPU_PODS)
            if "templateId" in body:
                return problem(404, f"template {body['templateId']} not found")
            if body["gpu"].get("count", 1) > MAX_GPUS:
                return problem(400, f"gpu.count: at most {MAX_GPUS} GPUs fit one machine")
            pod = cloud.deploy(_spec_from(body))
            return JSONResponse(pod_view(cloud, pod), status_code=201)

        return await run_in_threadpool(call, "createPod", request, work)

    def one(pod_id: str) -> Pod:
        pod = cloud.get(pod_id)
        if pod is None or pod.status == "TERMINATED":
            raise RunPodError("pod not found", 404)
        return pod

    @app.get("/v2/pods/{pod_id}")
    async def get_pod(pod_id: str, request: Request) -> Response:
        return await run_in_threadpool(call, "getPod", request, lambda: JSONResponse(pod_view(cloud, one(pod_id))))

    @app.delete("/v2/pods/{pod_id}")
    async def delete_pod(pod_id: str, request: Request) -> Response:
        def work() -> Response:
            one(pod_id)
            cloud.terminate(pod_id)
            return Response(status_code=204)

        return await run_in_threadpool(call, "deletePod", request, work)

    @app.post("/v2/pods/{pod_id}/action")
    async def pod_action(pod_id: str, request: Request) -> Response:
        body = await json_body(request)

        def work() -> Response:
            one(pod_id)
            errors = action_errors(None if body is ValueError else body)
            if errors:
                return problem(422, "Request validation failed.", errors)
            pod = cloud.act(pod_id, body["action"])
            return Response(status_code=204) if pod is None else JSONResponse(pod_view(cloud, pod))

        return await run_in_threadpool(call, "podAction", request, work)

    @app.get("/v2/pods/{pod_id}/logs")
    async def pod_logs(pod_id: str, request: Request) -> Response:
        def work() -> Response:
            pod = one(pod_id)
            tail = request.query_params.get("tail", "100")
            source = request.query_params.get("source")
            if not tail.isdigit() or int(tail) > 5000 or source not in (None, "container", "system"):
                return problem(400, "tail must be 0 to 5000 and source container or system")
            lines = [entry for entry in list(pod.log) if source in (None, entry[1])][-int(tail) or len(pod.log) :]
            if tail == "0":
                lines = []
            events = "".join(
                f"id: {_iso(ts)}/{n:012d}\ndata: " + json.dumps({"ts": _iso(ts), "source": src, "line": line}) + "\n\n"
                for n, (ts, src, line) in enumerate(lines, 1)
            )
            # RunPod keeps the stream open for new lines; the sandbox sends the backfill and closes it.
            return StreamingResponse(
                iter([events]), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
            )

        return await run_in_threadpool(call, "getPodLogs", request, work)

    @app.get("/v2/catalog/gpus")
    async def list_gpus(request: Request) -> Response:
        def work() -> Response:
            params = _catalog_params(request)
            if isinstance(params, JSONResponse):
                return params
            return JSONResponse({"gpus": [gpu_view(cloud, i, d, m, params) for i, d, m in GPU_TYPES]})

        return await run_in_threadpool(call, "listGpuTypes", request, work)

    @app.get("/v2/catalog/gpus/{gpu_id}")
    async def get_gpu(gpu_id: str, request: Request) -> Response:
        def work() -> Response:
            params = _catalog_params(request)
            if isinstance(params, JSONResponse):
                return params
            found = [gpu_view(cloud, i, d, m, params) for i, d, m in GPU_TYPES if i == gpu_id]
            return JSONResponse(found[0]) if found else problem(404, f"GPU type {gpu_id} not found")

        return await run_in_threadpool(call, "getGpuType", request, work)
