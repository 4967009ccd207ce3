"""The sandbox driven by the real runpod SDK, for every call the course makes."""

from __future__ import annotations

import time

import ollama
import pytest
import requests
import runpod
from conftest import MODEL, QUICK
from runpod.error import AuthenticationError, QueryError

from lessons_lib.cloud import pod_ollama, pods, sizing
from lessons_lib.cloud.sandbox.state import ERR_NO_CAPACITY, ERR_NO_GPUS_ON_RESUME

GPU = "NVIDIA GeForce RTX 4090"


def _create(name: str = "llmwb-test", **kwargs):
    return runpod.create_pod(
        name,
        "ollama/ollama:latest",
        kwargs.pop("gpu", GPU),
        cloud_type="COMMUNITY",
        ports="11434/http",
        env={"OLLAMA_HOST": "0.0.0.0"},
        container_disk_in_gb=20,
        **kwargs,
    )


def _wait_ports(pod_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pod = runpod.get_pod(pod_id)
        if pod["runtime"] and pod["runtime"]["ports"]:
            return pod
        time.sleep(0.05)
    raise AssertionError("the pod never got its ports")


def test_sdk_reads_base_url_and_key_from_the_sandbox(runpod_sandbox):
    gpus = runpod.get_gpus()
    ids = {g["id"] for g in gpus}
    assert GPU in ids and "NVIDIA H100 80GB HBM3" in ids
    assert set(gpus[0]) == {"id", "displayName", "memoryInGb"}  # the shape get_gpus asks for


def test_get_gpu_prices_and_unknown_id(runpod_sandbox):
    gpu = runpod.get_gpu(GPU)
    assert gpu["communityPrice"] == 0.60 and gpu["securePrice"] == 0.69
    assert gpu["lowestPrice"]["uninterruptablePrice"] == 0.60
    assert runpod.get_gpu("NVIDIA H200")["securePrice"] is None  # no sourced price: null, as the API can
    with pytest.raises(ValueError, match="No GPU found"):
        runpod.get_gpu("NVIDIA GeForce GTX 285")


def test_community_is_never_dearer_than_secure(runpod_sandbox):
    """RunPod's community cloud is the cheaper one. The third-party A100/H100 figures of an unstated
    cloud sit above the secure price, so the sandbox offers those GPUs in the secure cloud only."""
    for gpu_id in (g["id"] for g in runpod.get_gpus()):
        gpu = runpod.get_gpu(gpu_id)
        if gpu["communityPrice"] and gpu["securePrice"]:
            assert gpu["communityPrice"] <= gpu["securePrice"], gpu_id
    h100 = runpod.get_gpu("NVIDIA H100 80GB HBM3")
    assert h100["communityPrice"] is None and not h100["communityCloud"] and h100["securePrice"] == 2.69
    with pytest.raises(QueryError, match="no longer any instances available"):
        _create(gpu="NVIDIA H100 80GB HBM3")  # _create asks for the community cloud
    assert runpod.get_pods() == []


def test_pod_lifecycle_states_proxy_and_billing(runpod_sandbox):
    created = _create()
    assert set(created) >= {"id", "imageName", "env", "machineId", "machine"}
    assert created["env"] == ["OLLAMA_HOST=0.0.0.0"]
    first = runpod.get_pod(created["id"])
    assert first["desiredStatus"] == "RUNNING" and first["runtime"] is None  # still "pulling the image"

    pod = _wait_ports(created["id"])
    port = pod["runtime"]["ports"][0]
    assert (port["privatePort"], port["type"], port["isIpPublic"]) == (11434, "http", False)
    assert pod["costPerHr"] == 0.60 and pod["name"] == "llmwb-test"
    assert [p["id"] for p in runpod.get_pods()] == [created["id"]]

    client = ollama.Client(host=pod_ollama.proxy_url(created["id"]))
    assert MODEL in [m.model for m in client.list().models]
    reply = client.chat(MODEL, [{"role": "user", "content": "Say hi."}], options=QUICK)
    assert reply.message.content and reply.eval_count > 0  # a real model answered through the proxy

    assert runpod.stop_pod(created["id"]) == {"id": created["id"], "desiredStatus": "EXITED"}
    stopped = runpod.get_pod(created["id"])
    assert stopped["runtime"] is None and stopped["uptimeSeconds"] == 0
    assert requests.get(pod_ollama.proxy_url(created["id"]) + "/api/tags", timeout=5).status_code == 502

    resumed = runpod.resume_pod(created["id"], 1)
    assert resumed["desiredStatus"] == "RUNNING"
    _wait_ports(created["id"])

    spent_before = runpod_sandbox.spent()
    assert spent_before > 0  # the clock runs 600x: seconds of test are minutes on the bill
    assert runpod.terminate_pod(created["id"]) is None
    assert runpod.get_pod(created["id"]) is None and runpod.get_pods() == []
    assert not runpod_sandbox.cloud.servers()
    time.sleep(0.2)
    assert runpod_sandbox.spent() == pytest.approx(spent_before, rel=0.05)  # nothing accrues after terminate


def test_errors_have_the_real_shapes(runpod_sandbox):
    runpod_sandbox.faults.no_capacity = {GPU}
    with pytest.raises(QueryError, match="no longer any instances available"):
        _create()
    assert runpod.get_pods() == []

    runpod_sandbox.faults.no_capacity = set()
    pod = _create()
    runpod.stop_pod(pod["id"])
    runpod_sandbox.faults.resume_no_gpus = True
    with pytest.raises(QueryError, match="not enough free GPUs"):
        runpod.resume_pod(pod["id"], 1)
    runpod.terminate_pod(pod["id"])

    with pytest.raises(QueryError, match="Syntax Error"):
        runpod.api.graphql.run_graphql_query('query { pod(input: {podId: "x" }) { id ')
    with pytest.raises(QueryError, match="Cannot query field"):
        runpod.api.graphql.run_graphql_query("query { myself { creditCard } }")
    with pytest.raises(QueryError, match="Pod not found"):
        runpod.stop_pod("doesnotexist00")

    # Aimed at get_pods' own query (runpod/api/queries/pods.py: "query myPods"), so that another request
    # reaching the sandbox first cannot take the fault (seen once in a full CI run).
    runpod_sandbox.faults.html_500_match = "myPods"
    runpod_sandbox.faults.html_500_next = True
    with pytest.raises(requests.exceptions.JSONDecodeError):
        runpod.get_pods()

    saved = runpod.api_key
    try:
        runpod.api_key = "rp_wrong_key"
        with pytest.raises(AuthenticationError, match="Unauthorized"):
            runpod.get_pods()
        runpod.api_key = None
        with pytest.raises(AuthenticationError, match="No API key"):
            runpod.get_pods()
    finally:
        runpod.api_key = saved


def test_error_body_matches_runpod(runpod_sandbox):
    runpod_sandbox.faults.no_capacity = {"*"}
    query = (
        'mutation { podFindAndDeployOnDemand(input: {name: "x", imageName: "i", cloudType: SECURE, '
        f'gpuTypeId: "{GPU}", dataCenterId: null}}) {{ id }} }}'
    )
    answer = requests.post(
        runpod_sandbox.url + "/graphql",
        json={"query": query},
        timeout=10,
        headers={"Authorization": f"Bearer {runpod_sandbox.api_key.reveal()}"},
    ).json()
    assert answer["data"] == {"podFindAndDeployOnDemand": None}
    assert answer["errors"][0]["message"] == ERR_NO_CAPACITY
    assert answer["errors"][0]["path"] == ["podFindAndDeployOnDemand"]
    assert answer["errors"][0]["extensions"] == {"code": "RUNPOD"}
    assert ERR_NO_GPUS_ON_RESUME.startswith("There are not enough free GPUs")


@pytest.mark.slow  # starts its own server process
def test_sandbox_stop_restores_the_sdk_settings(models_dir, monkeypatch):
    from lessons_lib.cloud.sandbox import BASE_URL_ENV, Sandbox

    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    monkeypatch.setattr(runpod, "api_key", None)
    with Sandbox(models_dir, time_scale=600, boot_seconds=3) as sandbox:
        _create()
        assert runpod.api_key == sandbox.api_key.reveal()
    assert BASE_URL_ENV not in __import__("os").environ and runpod.api_key is None
    assert not sandbox.cloud.servers() and sandbox.cloud.live_pods() == []


@pytest.mark.slow  # starts its own server process
def test_pull_through_the_proxy_streams_progress(models_dir, tmp_path):
    """A pod pulls from a local registry mirror (a workshop without internet), through the proxy.
    The pod has its own store, so the shared test store gains no model."""
    from lessons_lib.cloud.sandbox import Sandbox
    from lessons_lib.ollama_server.mirror import RegistryMirror
    from lessons_lib.ollama_server.store import Store, ensure_bundled_model

    assert ensure_bundled_model(Store(models_dir)) is not None  # what the mirror serves
    with RegistryMirror(models_dir) as mirror, Sandbox(tmp_path / "pod-store", time_scale=600, boot_seconds=3):
        pod = pods.deploy(sizing.PodSpec(), say=lambda _: None)
        pods.wait_ready(pod.id, poll=0.05, progress=False)
        client = pod_ollama.client_for(pod.id)
        name = f"{mirror.host}/library/{MODEL}"
        assert pod_ollama.pull_model(client, name, progress=False, insecure=True) == "success"
        assert name in [m.model for m in client.list().models]
        assert pod_ollama.pull_model(client, name, progress=False).endswith("nothing to pull.")
        pods.terminate(pod.id, say=lambda _: None)


def test_workshop_command_names_a_busy_port_and_a_room_address(tmp_path, capsys):
    import socket

    from lessons_lib.cloud.sandbox import Sandbox
    from lessons_lib.cloud.sandbox.__main__ import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port), "--models", str(tmp_path)]) == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    room = Sandbox(tmp_path, host="0.0.0.0", port=8765, activate=False, public_host="10.0.0.5")
    assert room.url == "http://10.0.0.5:8765" and room.proxy_template.startswith("http://10.0.0.5:8765/proxy/")
