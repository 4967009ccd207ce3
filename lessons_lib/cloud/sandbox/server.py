"""The sandbox's HTTP side: RunPod's REST API v2 (pods, GPU catalog), its GraphQL endpoint, Serverless,
and the pods' proxy, on 127.0.0.1.

`Sandbox().start()` serves them from a background thread and points the course and the SDK at them: it
sets RUNPOD_API_BASE_URL (lessons_lib.cloud.rest and the SDK's GraphQL read it on every call),
RUNPOD_PROXY_URL_TEMPLATE (how lessons_lib.cloud builds a pod's URL) and `runpod.api_key` (a made-up
sandbox key). `stop()` terminates every pod, stops the server and puts all three back.

GraphQL stays served while the `runpod` SDK uses it. `Sandbox(graphql_pods=False)` is RunPod after
GraphQL's retirement for pods: every GraphQL pod or GPU operation is refused (and counted in
`cloud.graphql_refused`), so a test proves the course's pod path speaks REST v2 only.
"""

from __future__ import annotations

import atexit
import os
import secrets
import socket
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from graphql import graphql_sync
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from ..keys import ApiKey
from ..pod_ollama import OLLAMA_PORT, PROXY_TEMPLATE_ENV
from ..rest import BASE_URL_ENV  # one setting: the course's client and the SDK both read it
from .rest_v2 import add_rest_v2_routes
from .serverless import Serverless
from .serverless_routes import SDL_SERVERLESS, add_serverless_routes, wire_graphql
from .state import ERR_CPU_PODS, Cloud, Faults, RunPodError, SimClock, default_models

if TYPE_CHECKING:
    import uvicorn

__all__ = ["Sandbox", "running_pod_servers", "PROXY_ENV", "BASE_URL_ENV", "ERR_GRAPHQL_RETIRED", "GRAPHQL_POD_FIELDS"]

PROXY_ENV = PROXY_TEMPLATE_ENV  # where pods.proxy_url() looks
MSG_STARTED = (
    "RunPod sandbox on {url}: a local emulator of RunPod's API whose pods are embedded Ollama "
    "servers. No account, no money; 1 s here is {scale:g} s on the bill."
)
HTML_500 = "<html><head><title>500 Internal Server Error</title></head><body>cloudflare</body></html>"
# The sandbox's own words: RunPod has published no text for a retired GraphQL pod operation.
ERR_GRAPHQL_RETIRED = (
    "GraphQL pod operations are retired in this sandbox: use REST API v2 (/v2/pods, /v2/catalog/gpus)."
)
GRAPHQL_POD_FIELDS = frozenset(
    {
        "gpuTypes",
        "pod",
        "myself.pods",
        "podFindAndDeployOnDemand",
        "deployCpuPod",
        "podStop",
        "podResume",
        "podTerminate",
    }
)
PROXY_502 = "<html><body><h1>502 Bad Gateway</h1><p>The pod is not running or its port is not ready.</p></body></html>"

_sandboxes: weakref.WeakSet[Sandbox] = weakref.WeakSet()


def running_pod_servers() -> list[Any]:
    """Embedded servers of every sandbox pod still running in this process (for end-of-run checks)."""
    return [
        server for sandbox in list(_sandboxes) for server in [*sandbox.cloud.servers(), *sandbox.serverless.servers()]
    ]


def _input(info_args: dict[str, Any]) -> dict[str, Any]:
    return dict(info_args.get("input") or {})


def _wire(cloud: Cloud, serverless: Serverless):
    """Attach resolvers to a fresh schema of this sandbox's own."""
    from graphql import GraphQLError, build_schema

    from .schema import SDL

    schema = build_schema(SDL + SDL_SERVERLESS)

    def guard(name, fn):
        def resolve(_root, _info, **args):
            try:
                if not cloud.graphql_pods and name in GRAPHQL_POD_FIELDS:
                    cloud.graphql_refused.append(name)
                    raise RunPodError(ERR_GRAPHQL_RETIRED)
                cloud.take_fault(name)
                return fn(_input(args))
            except RunPodError as exc:
                raise GraphQLError(str(exc), extensions={"code": "RUNPOD"}) from None

        return resolve

    assert schema.query_type is not None and schema.mutation_type is not None  # the SDL defines both
    query, mutation = schema.query_type.fields, schema.mutation_type.fields
    query["gpuTypes"].resolve = guard("gpuTypes", lambda a: cloud.gpu_types(a.get("id")))
    query["pod"].resolve = guard("pod", lambda a: (lambda p: cloud.pod_view(p) if p else None)(cloud.get(a["podId"])))
    query["myself"].resolve = guard(
        "myself",
        lambda a: {
            "id": cloud.user_id,
            "pubKey": "",
            "networkVolumes": [],
            "pods": [cloud.pod_view(p) for p in cloud.live_pods()],
            "currentSpendPerHr": round(sum(p.cost_per_hr for p in cloud.live_pods() if p.status == "RUNNING"), 4),
            "clientBalance": None,
            "spendLimit": 80,
        },
    )
    mutation["podFindAndDeployOnDemand"].resolve = guard(
        "podFindAndDeployOnDemand", lambda a: cloud.pod_view(cloud.deploy(a))
    )

    def cpu(_a):
        raise RunPodError(ERR_CPU_PODS)

    mutation["deployCpuPod"].resolve = guard("deployCpuPod", cpu)
    mutation["podStop"].resolve = guard("podStop", lambda a: cloud.pod_view(cloud.stop(a["podId"])))
    mutation["podResume"].resolve = guard(
        "podResume", lambda a: cloud.pod_view(cloud.resume(a["podId"], int(a.get("gpuCount") or 1)))
    )
    mutation["podTerminate"].resolve = guard("podTerminate", lambda a: cloud.terminate(a["podId"]))
    wire_graphql(schema, serverless, guard)

    def pods_of(root, _info):  # `myself` also lists Serverless endpoints, which stay on GraphQL
        if not cloud.graphql_pods:
            cloud.graphql_refused.append("myself.pods")
            raise GraphQLError(ERR_GRAPHQL_RETIRED, extensions={"code": "RUNPOD"})
        return root.get("pods")

    schema.get_type("User").fields["pods"].resolve = pods_of  # type: ignore[union-attr]
    return schema


def create_app(cloud: Cloud, api_key: ApiKey, serverless: Serverless):
    schema = _wire(cloud, serverless)
    app = FastAPI(title="RunPod sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    proxy_client = httpx.AsyncClient(timeout=httpx.Timeout(100.0, connect=5.0))  # Cloudflare's 100 s

    def authorized(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        given = header[7:] if header.lower().startswith("bearer ") else request.query_params.get("api_key", "")
        return secrets.compare_digest(given.encode(), api_key.reveal().encode())

    def graphql_endpoint(request: Request, body: dict[str, Any]) -> Response:
        if cloud.faults.html_500_next and cloud.faults.html_500_match in str(body.get("query", "")):
            cloud.faults.html_500_next = False
            return HTMLResponse(HTML_500, status_code=500)
        if not authorized(request):
            return JSONResponse({"error": "Unauthorized"}, status_code=401)
        query = body.get("query")
        if not isinstance(query, str):
            return JSONResponse({"errors": [{"message": "Must provide query string."}]}, status_code=400)
        result = graphql_sync(schema, query, variable_values=body.get("variables"))
        payload = result.formatted
        status = 400 if result.errors and result.data is None else 200
        return JSONResponse(payload, status_code=status)

    @app.post("/graphql")
    @app.post("//graphql")  # a base URL with a trailing slash
    async def graphql_route(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"errors": [{"message": "POST body sent invalid JSON."}]}, status_code=400)
        return await run_in_threadpool(graphql_endpoint, request, body if isinstance(body, dict) else {})

    @app.api_route("/proxy/{target}/{path:path}", methods=["GET", "POST", "DELETE", "HEAD", "PUT"])
    @app.api_route("/proxy/{target}", methods=["GET", "HEAD"])
    async def proxy(target: str, request: Request, path: str = "") -> Response:
        pod_id, _, port = target.rpartition("-")
        pod = cloud.get(pod_id)
        server = pod.server if pod is not None and pod.ready else None
        if (
            pod is None
            or server is None
            or not port.isdigit()
            or int(port) != OLLAMA_PORT
            or f"{port}/http" not in pod.ports
        ):
            return HTMLResponse(PROXY_502, status_code=502)
        upstream = proxy_client.build_request(
            request.method,
            f"{server.url}/{path}",
            params=request.query_params,
            content=await request.body(),
            headers={"content-type": request.headers.get("content-type", "")},
        )
        try:
            answer = await proxy_client.send(upstream, stream=True)
        except httpx.HTTPError:
            return HTMLResponse(PROXY_502, status_code=502)
        headers = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type",)}
        return StreamingResponse(
            answer.aiter_raw(),
            status_code=answer.status_code,
            headers=headers,
            background=BackgroundTask(answer.aclose),
        )

    add_rest_v2_routes(app, cloud, authorized)  # before Serverless's /v2/{endpoint_id}/...
    add_serverless_routes(app, serverless, authorized)

    @app.get("/")
    def home() -> dict[str, Any]:
        return {
            "sandbox": "RunPod API emulator",
            "rest": "/v2/pods, /v2/catalog/gpus",
            "graphql": "/graphql" if cloud.graphql_pods else "/graphql (Serverless only: pod operations retired)",
            "proxy": "/proxy/{podId}-{port}/",
            "pods": len(cloud.live_pods()),
            "time_scale": cloud.clock.scale,
        }

    return app


class Sandbox:
    """The emulator on a free loopback port, started and stopped by the notebook or test that needs it."""

    def __init__(
        self,
        models: str | os.PathLike[str] | None = None,
        *,
        time_scale: float = 60.0,
        boot_seconds: float = 20.0,
        host: str = "127.0.0.1",
        port: int = 0,
        activate: bool = True,
        api_key: str | None = None,
        public_host: str | None = None,
        graphql_pods: bool = True,
    ):
        self.clock = SimClock(time_scale)
        self.faults = Faults()
        self.cloud = Cloud(Path(models) if models else default_models(), self.clock, boot_seconds, self.faults)
        self.cloud.graphql_pods = graphql_pods
        self.serverless = Serverless(self.cloud.models, self.clock, boot_seconds, self.cloud.user_id)
        self.api_key = ApiKey(api_key or "rp_sandbox_" + secrets.token_hex(12))
        self.host, self.port = host, port
        self.public_host = public_host  # the name learners use when it listens on 0.0.0.0 for a room
        self.activate = activate
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._saved: dict[str, Any] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.public_host or self.host}:{self.port}"

    @property
    def proxy_template(self) -> str:
        return self.url + "/proxy/{pod_id}-{port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Sandbox:
        if self.running:
            return self
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.cloud, self.api_key, self.serverless),
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="runpod-sandbox"
        )
        self._thread.start()
        while not server.started and self._thread.is_alive():
            threading.Event().wait(0.02)
        _sandboxes.add(self)
        atexit.register(self.stop)
        if self.activate:
            self._point_sdk_here()
        return self

    def _point_sdk_here(self) -> None:
        import runpod

        self._saved = {
            "env": {k: os.environ.get(k) for k in (BASE_URL_ENV, PROXY_ENV, "NO_PROXY", "no_proxy")},
            "key": runpod.api_key,
            "endpoint_url_base": runpod.endpoint_url_base,
        }
        os.environ[BASE_URL_ENV] = self.url
        os.environ[PROXY_ENV] = self.proxy_template
        for name in ("NO_PROXY", "no_proxy"):  # requests would send 127.0.0.1 to an HTTP proxy otherwise
            os.environ[name] = ",".join(filter(None, [os.environ.get(name), "127.0.0.1", "localhost"]))
        runpod.api_key = self.api_key.reveal()
        runpod.endpoint_url_base = self.url + "/v2"  # Serverless: the SDK reads it when an Endpoint is made

    def _restore(self) -> None:
        if self._saved is None:
            return
        import runpod

        for name, value in self._saved["env"].items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        runpod.api_key = self._saved["key"]
        runpod.endpoint_url_base = self._saved["endpoint_url_base"]
        self._saved = None

    def stop(self) -> None:
        """Terminate every pod (their servers stop), stop the API, and unpoint the SDK."""
        self.cloud.terminate_all()
        self.serverless.stop()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server, self._thread = None, None
        self._restore()
        atexit.unregister(self.stop)

    def spent(self) -> float:
        """Dollars all pods of this sandbox would have cost, so far."""
        return self.cloud.spent() + self.serverless.spent()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Sandbox(url={self.url!r}, time_scale={self.clock.scale:g}, pods={len(self.cloud.live_pods())})"

    def describe(self) -> str:
        return MSG_STARTED.format(url=self.url, scale=self.clock.scale)
