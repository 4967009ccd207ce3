"""RunPod's REST API v2 in the sandbox, checked against RunPod's published OpenAPI operations.

tests/data/runpod_v2_openapi.json holds the operations the course calls, copied from RunPod's docs
(source and date in its `info`). Every request the course's client sends and every answer the sandbox
gives in these tests is validated against it, so the emulator cannot drift from the real API unnoticed.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from lessons_lib.cloud import pods, rest, sizing
from lessons_lib.cloud.sandbox.rest_v2 import pod_view
from lessons_lib.cloud.sandbox.rest_validate import create_pod_errors
from lessons_lib.cloud.sandbox.state import ERR_NO_CAPACITY, Cloud, SimClock

SCHEMA_FILE = Path(__file__).parent / "data" / "runpod_v2_openapi.json"
SPEC = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
BASE = "urn:runpod-rest-v2"
REGISTRY = Registry().with_resource(BASE, DRAFT202012.create_resource(SPEC))
GPU = "NVIDIA GeForce RTX 4090"
ROUTES = {
    ("GET", "/v2/pods"): "listPods",
    ("POST", "/v2/pods"): "createPod",
    ("GET", "/v2/pods/{id}"): "getPod",
    ("DELETE", "/v2/pods/{id}"): "deletePod",
    ("POST", "/v2/pods/{id}/action"): "podAction",
    ("GET", "/v2/catalog/gpus"): "listGpuTypes",
    ("GET", "/v2/catalog/gpus/{id}"): "getGpuType",
}


def validator(pointer: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{BASE}#{pointer}"}, registry=REGISTRY)


def problems(pointer: str, instance: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(pointer).iter_errors(instance)]


def _resolve(obj: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in obj:
        obj = REGISTRY.resolver(BASE).lookup(obj["$ref"]).contents
    return obj


def _operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    template = path
    for prefix in ("/v2/pods/", "/v2/catalog/gpus/"):
        if path.startswith(prefix):
            rest_of = path[len(prefix) :]
            template = prefix + "{id}" + ("/action" if rest_of.endswith("/action") else "")
    operation = SPEC["paths"][template][method.lower()]
    assert operation["operationId"] == ROUTES[(method, template)]
    return f"/paths/{template.replace('/', '~1')}/{method.lower()}", operation


def check_exchange(method: str, path: str, body: Any, params: dict[str, Any] | None, response: httpx.Response) -> None:
    """The request keeps the operation's contract, and the answer is one the operation documents."""
    pointer, operation = _operation(method, path)
    if body is not None and response.status_code not in (400, 422):  # the bodies sent to be refused are not
        assert problems(f"{pointer}/requestBody/content/application~1json/schema", body) == []
    for ref in operation.get("parameters", []):  # the course's query parameters are all shared components
        parameter = _resolve(ref)
        if params and parameter["in"] == "query" and parameter["name"] in params:
            value = params[parameter["name"]]
            array = _resolve(parameter["schema"]).get("type") == "array"
            instance = str(value).split(",") if array else value
            assert problems(ref["$ref"][1:] + "/schema", instance) == [], parameter["name"]
    status = str(response.status_code)
    answer = _resolve(operation["responses"].get(status) or operation["responses"]["default"])
    if "content" not in answer:
        assert not response.content, f"{status} must have no body"
        return
    (media, content), *_ = answer["content"].items()
    assert response.headers["content-type"].split(";")[0] == media
    assert validator_for(content["schema"]).is_valid(response.json()), list(
        e.message for e in validator_for(content["schema"]).iter_errors(response.json())
    )


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{BASE}{schema['$ref']}"} if "$ref" in schema else schema, registry=REGISTRY)


@pytest.fixture
def recorded(rest_only_sandbox, monkeypatch):
    """Every call lessons_lib.cloud.rest makes, with the sandbox's answer, checked at the end of the test."""
    calls: list[tuple[str, str, Any, Any, httpx.Response]] = []
    real = rest._call

    def recording(operation, method, path, *, body=None, params=None):
        try:
            response = real(operation, method, path, body=body, params=params)
        except rest.ApiError as exc:
            assert exc.response is not None
            calls.append((method, path, body, params, exc.response))
            raise
        calls.append((method, path, body, params, response))
        return response

    monkeypatch.setattr(rest, "_call", recording)
    yield calls
    for method, path, body, params, response in calls:
        check_exchange(method, path, body, params, response)


def _wait_status(pod_id: str, wanted: str, timeout: float = 30) -> dict[str, Any]:
    seen: list[Any] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pod = rest.get_pod(pod_id)
        assert pod is not None
        if not seen or seen[-1] != pod["status"]:
            seen.append(pod["status"])
        if pod["status"] == wanted:
            return {**pod, "seen": seen}
        time.sleep(0.02)
    raise AssertionError(f"never {wanted}: {seen}")


# --- the schema file itself ---------------------------------------------------------------------


def test_the_saved_schema_says_where_it_comes_from_and_holds_every_operation_the_course_uses():
    assert "docs.runpod.io/api-reference-v2" in SPEC["info"]["x-source"] and SPEC["info"]["x-retrieved"]
    found = {o["operationId"] for item in SPEC["paths"].values() for o in item.values() if isinstance(o, dict)}
    assert found == set(ROUTES.values()) | {"getPodLogs"}
    Draft202012Validator.check_schema(SPEC["components"]["schemas"]["Pod"])


# --- the lifecycle, every exchange validated ------------------------------------------------------


def test_pod_lifecycle_states_and_actions_keep_the_published_contract(recorded):
    spec = sizing.PodSpec(GPU, "COMMUNITY", volume_gb=10)
    created = rest.create_pod(pods.create_body(spec, pods.unique_name("v2"), GPU, "COMMUNITY"))
    # At 600x the PROVISIONING phase is a millisecond or two (test_the_boot_phases... sees it on a slow clock).
    assert created["status"] in ("PROVISIONING", "STARTING") and created["actions"] == ["stop", "terminate"]
    assert created["runtime"] is None and created["mounts"]["persistent"]["size"] == 10
    running = _wait_status(created["id"], "RUNNING")
    assert running["seen"][-1] == "RUNNING" and set(running["seen"]) <= {"PROVISIONING", "STARTING", "RUNNING"}
    assert running["actions"] == ["stop", "restart", "terminate"] and running["cost"] == 0.60
    assert any(p["private"] == 11434 and p["type"] == "http" for p in running["runtime"]["ports"])
    assert [p["id"] for p in rest.list_pods()] == [created["id"]]
    stopped = rest.pod_action(created["id"], "stop")
    assert stopped["status"] == "EXITED" and stopped["cost"] == 0.0 and stopped["actions"] == ["start", "terminate"]
    with pytest.raises(rest.ApiError) as refused:
        rest.pod_action(created["id"], "restart")  # not valid while EXITED
    assert refused.value.status == 409 and "EXITED" in refused.value.detail
    started = rest.pod_action(created["id"], "start")
    assert started["status"] in ("PROVISIONING", "STARTING")
    assert rest.pod_action(created["id"], "terminate") is None
    assert rest.get_pod(created["id"]) is None  # 404: gone, as deletePod says
    assert rest.list_pods() == []


def test_the_boot_phases_on_a_slow_clock(models_dir):
    clock = SimClock(1.0)
    cloud = Cloud(models_dir, clock, boot_seconds=100)
    pod = cloud.deploy({"name": "llmwb-slow", "imageName": "ollama/ollama:latest", "gpuTypeId": GPU})
    try:
        assert cloud.v2_status(pod) == "PROVISIONING"
        clock._start -= 50  # half-way through the boot: the container is starting
        assert cloud.v2_status(pod) == "STARTING" and pod_view(cloud, pod)["startedAt"] is not None
        assert pod_view(cloud, pod)["actions"] == ["stop", "terminate"]
        cloud.faults.crash_on_start = True
        clock._start -= 60  # the boot is over, and the container crashed
        deadline = time.monotonic() + 10
        while cloud.v2_status(pod) != "ERROR" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert cloud.v2_status(pod) == "ERROR" and pod_view(cloud, pod)["actions"] == ["start", "terminate"]
        assert problems("/components/schemas/Pod", pod_view(cloud, pod)) == []
    finally:
        cloud.terminate_all()


def test_catalog_prices_and_simulated_stock(recorded, rest_only_sandbox):
    gpus = {g["id"]: g for g in rest.list_gpu_types(availability=False)}
    assert gpus[GPU]["price"] == {"secure": 0.69, "community": 0.60} and "availability" not in gpus[GPU]
    assert rest.get_gpu_type(GPU, cloud="COMMUNITY")["availability"] == "HIGH"
    rest_only_sandbox.faults.no_capacity = {GPU}
    sold_out = rest.get_gpu_type(GPU, cloud="COMMUNITY")
    assert sold_out["availability"] == "NONE" and "dataCenters" not in sold_out
    levels = {g["id"]: g["availability"] for g in rest.list_gpu_types(cloud="COMMUNITY")}
    assert levels[GPU] == "NONE" and levels["NVIDIA GeForce RTX 3090"] == "HIGH"
    said: list[str] = []
    assert pods.stock(sizing.PodSpec(GPU), say=said.append) == "NONE" and "no RTX 4090" in said[0]
    with pytest.raises(rest.ApiError) as capacity:  # the catalog is no reservation: create says the same
        rest.create_pod({"name": "llmwb-x", "image": "ollama/ollama:latest", "gpu": {"id": GPU}, "cloud": "COMMUNITY"})
    assert (capacity.value.status, capacity.value.detail) == (400, ERR_NO_CAPACITY)
    with pytest.raises(rest.ApiError) as unknown:
        rest.get_gpu_type("NVIDIA GeForce GTX 285")
    assert unknown.value.status == 404


def test_errors_are_structured_with_honest_status_codes(recorded, rest_only_sandbox):
    with pytest.raises(rest.ApiError) as unknown_field:
        rest.create_pod({"name": "llmwb-x", "image": "i", "gpu": {"id": GPU, "counts": 1}, "bogus": True})
    assert unknown_field.value.status == 422
    assert unknown_field.value.errors == [
        "$: additional properties 'bogus' not allowed",
        "$.gpu: additional properties 'counts' not allowed",
    ]
    with pytest.raises(rest.ApiError) as both:
        rest.create_pod({"name": "llmwb-x", "image": "i", "gpu": {"id": GPU}, "cpu": {}})
    assert both.value.status == 400 and "exactly one of gpu or cpu" in both.value.detail
    with pytest.raises(rest.ApiError) as missing:
        rest.pod_action("nosuchpod", "stop")
    assert missing.value.status == 404 and missing.value.title == "Not Found"
    rest_only_sandbox.faults.fail_next["listPods"] = "Something went wrong. Please try again later."
    with pytest.raises(rest.ApiError, match="500 Internal Server Error: Something went wrong"):
        rest.list_pods()


def test_a_request_without_the_key_gets_401_in_the_problem_shape(rest_only_sandbox):
    answer = httpx.get(rest_only_sandbox.url + "/v2/pods", headers={"Authorization": "Bearer rp_wrong"})
    check_exchange("GET", "/v2/pods", None, None, answer)
    assert answer.status_code == 401 and answer.json()["detail"] == "invalid bearer token"
    bare = httpx.get(rest_only_sandbox.url + "/v2/pods")
    assert bare.status_code == 401 and bare.json()["detail"] == "missing bearer token"


def test_pod_logs_stream_as_server_sent_events(rest_only_sandbox):
    created = rest.create_pod({"name": "llmwb-logs", "image": "ollama/ollama:latest", "gpu": {"id": GPU}})
    _wait_status(created["id"], "RUNNING")
    events = rest.pod_logs(created["id"])
    assert events[0]["line"] == "Pulling image ollama/ollama:latest" and events[0]["source"] == "system"
    assert any("Listening on" in e["line"] and e["source"] == "container" for e in events)
    assert rest.pod_logs(created["id"], tail=1) == events[-1:]
    rest.delete_pod(created["id"])


def test_the_curl_line_works_and_never_holds_the_key(rest_only_sandbox):
    line = rest.curl(
        "GET", "/v2/catalog/gpus/" + GPU.replace(" ", "%20"), params={"include": "AVAILABILITY", "product": "POD"}
    )
    key = rest_only_sandbox.api_key.reveal()
    assert key not in line and "$RUNPOD_API_KEY" in line
    done = subprocess.run(
        ["sh", "-c", line], env={**os.environ, "RUNPOD_API_KEY": key}, capture_output=True, text=True, timeout=30
    )
    assert json.loads(done.stdout)["availability"] == "HIGH"


# --- the sandbox refuses exactly what the schema refuses ------------------------------------------

FIELDS = ["name", "image", "args", "disk", "env", "ports", "cloud", "gpu", "mounts", "startSsh", "registry", "bogus"]
ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 20),
    st.floats(0.5, 2.0),
    st.sampled_from(["", "x", "SECURE", "COMMUNITY", "ALL", "12.8"]),
    st.lists(st.sampled_from(["11434/http", 5]), max_size=2),
    st.dictionaries(st.sampled_from(["A", "B"]), st.sampled_from(["1", 2]), max_size=2),
)
SIZE = st.integers(8, 12)  # RunPod's floor is 10
GPUS = st.one_of(
    st.fixed_dictionaries({"id": st.just(GPU), "count": st.integers(0, 3)}),
    st.fixed_dictionaries(
        {"id": st.sampled_from([GPU, 3])},
        optional={
            "minCudaVersion": st.sampled_from(["12.8", "12", 12.8]),
            "allowedCudaVersions": st.lists(st.sampled_from(["12.8", "x"]), max_size=2),
            "extra": st.just(1),
        },
    ),
)
MOUNTS = st.one_of(
    st.fixed_dictionaries({"persistent": st.fixed_dictionaries({"size": SIZE, "path": st.just("/w")})}),
    st.fixed_dictionaries({"persistent": st.fixed_dictionaries({"size": SIZE}, optional={"path": ANY, "x": ANY})}),
    st.fixed_dictionaries({"network": st.lists(st.fixed_dictionaries({"volumeId": st.just("v"), "path": ANY}))}),
    st.dictionaries(st.sampled_from(["persistent", "network", "other"]), ANY, max_size=2),
)
TYPED = {"gpu": GPUS, "mounts": MOUNTS}
VALID = {"name": "llmwb-x", "image": "ollama/ollama:latest", "gpu": {"id": GPU}}


def _changes():
    fields = st.sampled_from([*FIELDS, "gpu", "mounts", "gpu", "mounts"])  # the nested ones more often
    one = fields.flatmap(lambda f: st.tuples(st.just(f), TYPED.get(f, ANY) if f in TYPED else ANY))
    return st.lists(one, max_size=2).map(dict)


@settings(max_examples=600, deadline=None)
@given(_changes(), st.sets(st.sampled_from(["name", "image", "gpu"]), max_size=1))
def test_create_validation_agrees_with_the_published_schema(changes, dropped):
    """A valid body with one or two fields changed (or one required field dropped): the sandbox refuses it
    exactly when RunPod's schema does, and names an unknown field."""
    body = {k: v for k, v in {**VALID, **changes}.items() if k not in dropped}
    ours = create_pod_errors(body)
    theirs = problems("/components/schemas/CreatePodRequest", body)
    assert (ours == []) == (theirs == []), (body, ours, theirs)
    for name in set(body) - set(FIELDS[:-1]):
        assert any(f"'{name}'" in e for e in ours), ours


def test_graphql_pod_operations_are_refused_in_the_rest_only_mode(rest_only_sandbox):
    import runpod
    from runpod.error import QueryError

    with pytest.raises(QueryError, match="GraphQL pod operations are retired"):
        runpod.create_pod("llmwb-gql", "ollama/ollama:latest", GPU, cloud_type="COMMUNITY")
    with pytest.raises(QueryError, match="retired"):
        runpod.get_pods()
    assert rest_only_sandbox.cloud.graphql_refused == ["gpuTypes", "myself.pods"]  # create_pod asks get_gpu first
    rest_only_sandbox.cloud.graphql_refused.clear()  # the fixture checks the course itself never called GraphQL
    assert rest.list_pods() == []
