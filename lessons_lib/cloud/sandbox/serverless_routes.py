"""The sandbox's Serverless HTTP side: RunPod's queue API and the OpenAI route, under /v2/{endpoint_id}.

Shapes follow runpod/docs serverless/endpoints/send-requests.mdx and operations.mdx, and what the
runpod SDK's Endpoint / AsyncioEndpoint read (`id`, `status`, `output`). The GraphQL side
(`saveTemplate`, `saveEndpoint`, `myself { endpoints }`, what runpod.create_template,
create_endpoint and get_endpoints send) is wired by `wire_graphql`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from .serverless import Serverless

__all__ = ["add_serverless_routes", "wire_graphql", "SDL_SERVERLESS"]

ERR_429 = "Too many requests: the endpoint's rate limit ({limit}) was reached. Slow down and retry."
ERR_NOT_FOUND = "endpoint {id} not found"
ERR_NO_JOB = "job {id} not found"
ERR_NO_WORKER = "No worker became ready in time"
RUNSYNC_WAIT_S = 90.0  # /runsync holds the request this long, then answers with the job's status

SDL_SERVERLESS = """
input SaveTemplateInput {
  id: String name: String imageName: String dockerArgs: String containerDiskInGb: Int volumeInGb: Int
  volumeMountPath: String ports: String env: [EnvironmentVariableInput] isServerless: Boolean startSsh: Boolean
  isPublic: Boolean readme: String containerRegistryAuthId: String
}
input EndpointInput {
  id: String name: String templateId: String gpuIds: String networkVolumeId: String locations: String
  idleTimeout: Int scalerType: String scalerValue: Int workersMin: Int workersMax: Int allowedCudaVersions: String
  gpuCount: Int flashBootType: String
}
type EnvKV { key: String value: String }
type PodTemplate {
  id: String name: String imageName: String dockerArgs: String containerDiskInGb: Int volumeInGb: Int
  volumeMountPath: String ports: String env: [EnvKV] isServerless: Boolean
}
type EndpointNetworkVolume { id: String dataCenterId: String }
type Endpoint {
  id: String name: String templateId: String gpuIds: String networkVolumeId: String locations: String
  idleTimeout: Int scalerType: String scalerValue: Int workersMin: Int workersMax: Int allowedCudaVersions: String
  gpuCount: Int flashBootType: String aiKey: String type: String userId: String version: Int workersStandby: Int
  env: [EnvKV] createdAt: String networkVolume: EndpointNetworkVolume
}
extend type User { endpoints: [Endpoint] }
extend type Mutation {
  saveTemplate(input: SaveTemplateInput): PodTemplate
  saveEndpoint(input: EndpointInput): Endpoint
}
"""


def wire_graphql(schema: Any, serverless: Serverless, guard: Callable) -> None:
    mutation = schema.mutation_type.fields
    mutation["saveTemplate"].resolve = guard("saveTemplate", serverless.save_template)
    mutation["saveEndpoint"].resolve = guard("saveEndpoint", serverless.save_endpoint)
    user = schema.get_type("User").fields
    user["endpoints"].resolve = lambda _root, _info: serverless.views()


def add_serverless_routes(app: FastAPI, serverless: Serverless, authorized: Callable[[Request], bool]) -> None:
    proxy = httpx.AsyncClient(timeout=httpx.Timeout(600.0, connect=5.0))

    def check(request: Request, endpoint_id: str):
        if not authorized(request):
            return None, JSONResponse({"error": "Unauthorized"}, status_code=401)
        endpoint = serverless.get(endpoint_id)
        if endpoint is None:
            return None, JSONResponse({"error": ERR_NOT_FOUND.format(id=endpoint_id)}, status_code=404)
        return endpoint, None

    async def body_of(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    async def submit(endpoint_id: str, request: Request):
        """The checks /run and /runsync share: key, endpoint, rate limit, an `input` field."""
        endpoint, error = check(request, endpoint_id)
        if error:
            return None, error
        if not endpoint.allow("run", serverless.limits.run_per_10s):
            limit = f"{serverless.limits.run_per_10s}/10s"
            return None, JSONResponse({"error": ERR_429.format(limit=limit)}, status_code=429)
        body = await body_of(request)
        if "input" not in body:
            return None, JSONResponse({"error": "The request body must have an input field."}, status_code=400)
        return serverless.submit(endpoint, body["input"]), None

    @app.post("/v2/{endpoint_id}/run")
    async def run(endpoint_id: str, request: Request) -> Response:
        job, error = await submit(endpoint_id, request)
        return error or JSONResponse({"id": job.id, "status": job.status})

    @app.post("/v2/{endpoint_id}/runsync")
    async def runsync(endpoint_id: str, request: Request) -> Response:
        job, error = await submit(endpoint_id, request)
        if error:
            return error
        await run_in_threadpool(job.done.wait, RUNSYNC_WAIT_S)
        return JSONResponse(job.view())

    def find_job(endpoint_id: str, job_id: str, request: Request):
        endpoint, error = check(request, endpoint_id)
        if error:
            return None, None, error
        job = endpoint.jobs.get(job_id)
        if job is None:
            return None, None, JSONResponse({"error": ERR_NO_JOB.format(id=job_id)}, status_code=404)
        return endpoint, job, None

    @app.get("/v2/{endpoint_id}/status/{job_id}")
    @app.post("/v2/{endpoint_id}/status/{job_id}")
    async def status(endpoint_id: str, job_id: str, request: Request) -> Response:
        _endpoint, job, error = find_job(endpoint_id, job_id, request)
        return error or JSONResponse(job.view())

    @app.post("/v2/{endpoint_id}/cancel/{job_id}")
    async def cancel(endpoint_id: str, job_id: str, request: Request) -> Response:
        endpoint, job, error = find_job(endpoint_id, job_id, request)
        if error:
            return error
        serverless.cancel(endpoint, job)
        return JSONResponse({"id": job.id, "status": job.status})

    @app.get("/v2/{endpoint_id}/health")
    async def health(endpoint_id: str, request: Request) -> Response:
        endpoint, error = check(request, endpoint_id)
        if error:
            return error
        return JSONResponse(endpoint.health())

    @app.post("/v2/{endpoint_id}/purge-queue")
    async def purge(endpoint_id: str, request: Request) -> Response:
        endpoint, error = check(request, endpoint_id)
        if error:
            return error
        jobs = list(endpoint.queue)
        for job in jobs:
            serverless.cancel(endpoint, job)
        return JSONResponse({"removed": len(jobs), "status": "completed"})

    @app.api_route("/v2/{endpoint_id}/openai/v1/{path:path}", methods=["GET", "POST"])
    async def openai_route(endpoint_id: str, path: str, request: Request) -> Response:
        endpoint, error = check(request, endpoint_id)
        if error:
            return error
        limits = serverless.limits
        if endpoint.openai_active >= limits.openai_concurrent or not endpoint.allow("openai", limits.openai_per_10s):
            return JSONResponse(
                {
                    "error": {
                        "message": ERR_429.format(
                            limit=f"{limits.openai_per_10s}/10s, {limits.openai_concurrent} at once"
                        ),
                        "type": "rate_limit_error",
                    }
                },
                status_code=429,
            )
        if path == "models" and request.method == "GET":
            return JSONResponse(
                {"object": "list", "data": [{"id": endpoint.model, "object": "model", "owned_by": "runpod-sandbox"}]}
            )
        endpoint.openai_active += 1  # counted for the concurrency limit until the answer is sent
        worker = await asyncio.to_thread(serverless.acquire_worker, endpoint)
        if worker is None:
            endpoint.openai_active -= 1
            return JSONResponse({"error": {"message": ERR_NO_WORKER, "type": "api_error"}}, status_code=503)
        content = await request.body()
        upstream = proxy.build_request(
            request.method,
            f"{worker.server.url}/v1/{path}",
            content=content,
            headers={"content-type": request.headers.get("content-type", "")},
        )

        async def done() -> None:
            endpoint.openai_active -= 1
            with serverless.lock:
                serverless.release(worker)

        try:
            answer = await proxy.send(upstream, stream=True)
        except httpx.HTTPError:
            await done()
            return JSONResponse({"error": {"message": "worker unavailable", "type": "api_error"}}, status_code=502)

        async def finish() -> None:
            await answer.aclose()
            await done()

        headers = {k: v for k, v in answer.headers.items() if k.lower() == "content-type"}
        return StreamingResponse(
            answer.aiter_raw(), status_code=answer.status_code, headers=headers, background=BackgroundTask(finish)
        )
