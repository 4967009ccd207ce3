"""RunPod's REST API v2 (`https://api.runpod.io/v2`): the pod and GPU-catalog calls the course makes.

RunPod's pod APIs changed generation: REST v2 is the one that stays (REST v1 answers 410, GraphQL is
announced to retire in early 2027), while the `runpod` SDK 1.12 still creates and lists pods through
GraphQL. So pods go through this module (httpx, RunPod's own field names and error shapes) and the SDK
keeps Serverless (`runpod.Endpoint`), whose job API did not change.

Operations used (operationId, from docs.runpod.io/api-reference-v2/; the course keeps the published
schema of each in tests/data/runpod_v2_openapi.json and tests the sandbox against it):
`listPods` GET /v2/pods, `createPod` POST /v2/pods, `getPod` GET /v2/pods/{id},
`podAction` POST /v2/pods/{id}/action, `deletePod` DELETE /v2/pods/{id},
`getPodLogs` GET /v2/pods/{id}/logs (Server-Sent Events), `listGpuTypes` GET /v2/catalog/gpus,
`getGpuType` GET /v2/catalog/gpus/{id}.

The base URL is RUNPOD_API_BASE_URL (the setting the sandbox sets), else https://api.runpod.io. The key
is the one `keys.use_key` gave (`runpod.api_key`), sent as `Authorization: Bearer ...`; it never
appears in a URL, an error text or a `curl` line (which reads $RUNPOD_API_KEY).
"""

from __future__ import annotations

import json
import os
import shlex
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from ..edition import text
from .keys import ENV_KEY

__all__ = [
    "ApiError",
    "BASE_URL_ENV",
    "REAL_API",
    "base_url",
    "curl",
    "list_pods",
    "create_pod",
    "get_pod",
    "pod_action",
    "delete_pod",
    "pod_logs",
    "list_gpu_types",
    "get_gpu_type",
]

BASE_URL_ENV = "RUNPOD_API_BASE_URL"
REAL_API = "https://api.runpod.io"
TIMEOUT_S = 30.0
RATE_LIMIT_TRIES = 3  # a 429 is waited out (Retry-After) this many times before it is raised
MOST_WAIT_S = 30.0


class ApiError(RuntimeError):
    """An error answer of REST v2: RFC 9457-style `{title, status, detail, errors?}` (ErrorResponse)."""

    def __init__(self, operation: str, status: int, title: str, detail: str, errors: list[str] | None = None):
        self.operation, self.status, self.title, self.detail = operation, status, title, detail
        self.errors = list(errors or [])
        self.response: httpx.Response | None = None  # the answer itself, where there was one
        super().__init__(str(self))

    def __str__(self) -> str:
        more = f" [{'; '.join(self.errors)}]" if self.errors else ""
        hint = f" ({text('pod.err_key_hint')})" if self.status == 401 else ""
        return f"{self.operation}: {self.status} {self.title}: {self.detail}{more}{hint}"

    @classmethod
    def from_response(cls, operation: str, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:  # an HTML page from a proxy in front of the API (a Cloudflare 5xx)
            body = None
        if isinstance(body, dict) and "detail" in body:
            errors = body.get("errors") if isinstance(body.get("errors"), list) else None
            error = cls(
                operation,
                int(body.get("status") or response.status_code),
                str(body.get("title") or response.reason_phrase),
                str(body["detail"]),
                [str(e) for e in errors or []],
            )
        else:
            error = cls(operation, response.status_code, response.reason_phrase, text("pod.err_not_json"))
        error.response = response
        return error


def base_url() -> str:
    return (os.environ.get(BASE_URL_ENV) or REAL_API).rstrip("/")


def _key() -> str:
    import runpod

    key = runpod.api_key or os.environ.get(ENV_KEY, "")
    if not key:
        raise ApiError("auth", 401, "Unauthorized", text("pod.err_no_key"))
    return key


def _call(
    operation: str,
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> httpx.Response:
    """One request; a 429 is retried after Retry-After, any other error answer raises ApiError."""
    headers = {"Authorization": f"Bearer {_key()}", "Accept": "application/json"}
    for attempt in range(RATE_LIMIT_TRIES + 1):
        response = httpx.request(
            method, base_url() + path, json=body, params=params, headers=headers, timeout=TIMEOUT_S
        )
        if response.status_code == 429 and attempt < RATE_LIMIT_TRIES:
            wait = response.headers.get("Retry-After", "5")
            time.sleep(min(float(wait) if wait.isdigit() else 5.0, MOST_WAIT_S))
            continue
        if response.is_success:
            return response
        raise ApiError.from_response(operation, response)
    raise AssertionError("unreachable")  # the loop returns or raises


# --- pods ---------------------------------------------------------------------------------------


def list_pods() -> list[dict[str, Any]]:
    """listPods: every pod of the account (cluster members excluded, as by default)."""
    return list(_call("listPods", "GET", "/v2/pods").json()["pods"])


def create_pod(body: dict[str, Any]) -> dict[str, Any]:
    """createPod: 201 with the pod, in PROVISIONING; a 400 is a rule broken or no capacity."""
    return dict(_call("createPod", "POST", "/v2/pods", body=body).json())


def get_pod(pod_id: str) -> dict[str, Any] | None:
    """getPod; None when the API no longer knows the pod (404: it was terminated)."""
    try:
        return dict(_call("getPod", "GET", f"/v2/pods/{pod_id}").json())
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise


def pod_action(pod_id: str, action: str) -> dict[str, Any] | None:
    """podAction: start | stop | restart (200, the pod) | terminate (204, None)."""
    response = _call("podAction", "POST", f"/v2/pods/{pod_id}/action", body={"action": action})
    return dict(response.json()) if response.status_code == 200 and response.content else None


def delete_pod(pod_id: str) -> None:
    """deletePod: terminate for good (204)."""
    _call("deletePod", "DELETE", f"/v2/pods/{pod_id}")


def pod_logs(pod_id: str, tail: int = 50) -> list[dict[str, Any]]:
    """getPodLogs: the last `tail` log events the stream holds, as {source, line, ts} (the stream is
    read until the server closes it or pauses: a running pod's stream stays open for new lines)."""
    events: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {_key()}", "Accept": "text/event-stream"}
    url = f"{base_url()}/v2/pods/{pod_id}/logs"
    try:
        with httpx.stream("GET", url, params={"tail": tail}, headers=headers, timeout=httpx.Timeout(10, read=3)) as r:
            if not r.is_success:
                r.read()
                raise ApiError.from_response("getPodLogs", r)
            for data in _sse_data(r.iter_lines()):
                events.append(data)
    except httpx.ReadTimeout:
        pass  # no new line for a while: what came so far is the answer
    return events


def _sse_data(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        if line.startswith("data:"):
            try:
                yield json.loads(line[5:].strip())
            except ValueError:
                continue


# --- the GPU catalog ----------------------------------------------------------------------------


def _catalog_params(availability: bool, cloud: str | None, count: int) -> dict[str, Any]:
    if not availability:
        return {}
    params: dict[str, Any] = {"include": "AVAILABILITY", "product": "POD", "count": count}
    if cloud:
        params["cloud"] = cloud.upper()
    return params


def list_gpu_types(availability: bool = True, cloud: str | None = None, count: int = 1) -> list[dict[str, Any]]:
    """listGpuTypes: every GPU type with its per-GPU prices and, with `availability`, pod stock
    (`include=AVAILABILITY&product=POD`; `cloud` SECURE or COMMUNITY, the API's default is SECURE)."""
    params = _catalog_params(availability, cloud, count)
    return list(_call("listGpuTypes", "GET", "/v2/catalog/gpus", params=params).json()["gpus"])


def get_gpu_type(gpu_id: str, availability: bool = True, cloud: str | None = None, count: int = 1) -> dict[str, Any]:
    """getGpuType: one GPU type, as in list_gpu_types."""
    params = _catalog_params(availability, cloud, count)
    return dict(_call("getGpuType", "GET", f"/v2/catalog/gpus/{quote(gpu_id, safe='')}", params=params).json())


# --- the same call, for a terminal --------------------------------------------------------------


def curl(method: str, path: str, body: dict[str, Any] | None = None, params: dict[str, Any] | None = None) -> str:
    """A `curl` line a learner can paste: the key comes from $RUNPOD_API_KEY in their shell, never from here."""
    url = base_url() + path
    if params:
        url += "?" + str(httpx.QueryParams(params))
    parts = ["curl", "-sS"]
    if method != "GET":
        parts += ["-X", method]
    parts += [shlex.quote(url), "-H", '"Authorization: Bearer $RUNPOD_API_KEY"']
    if body is not None:
        parts += ["-H", "'Content-Type: application/json'", "-d", shlex.quote(json.dumps(body))]
    return " ".join(parts)
