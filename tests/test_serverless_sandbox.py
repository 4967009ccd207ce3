"""RunPod Serverless in the sandbox, driven by the real runpod SDK (Endpoint, AsyncioEndpoint,
create_template, create_endpoint, get_endpoints) and by the openai client on the OpenAI route."""

from __future__ import annotations

import asyncio
import time

import pytest
import requests
import runpod
from conftest import MODEL

from lessons_lib.cloud.sandbox.serverless import ERR_WORKER_DIED

pytestmark = pytest.mark.slow  # each test boots embedded-server workers


def make_endpoint(workers_max: int = 1, idle_timeout: int = 3600) -> str:
    template = runpod.create_template(
        "llmwb-vllm", "runpod/worker-v1-vllm:stable-cuda12.1.0", env={"MODEL_NAME": MODEL}, is_serverless=True
    )
    assert template["isServerless"] is True and template["env"] == [{"key": "MODEL_NAME", "value": MODEL}]
    endpoint = runpod.create_endpoint(
        "llmwb-endpoint",
        template["id"],
        gpu_ids="ADA_24",
        workers_min=0,
        workers_max=workers_max,
        idle_timeout=idle_timeout,
    )
    assert endpoint["workersMax"] == workers_max and endpoint["gpuIds"] == "ADA_24"
    assert endpoint["id"] in {e["id"] for e in runpod.get_endpoints()}
    return endpoint["id"]


def test_queue_jobs_scale_to_zero_and_bill_per_second(runpod_sandbox):
    endpoint_id = make_endpoint(idle_timeout=600)  # simulated seconds: 1 s of test time
    endpoint = runpod.Endpoint(endpoint_id)
    health = endpoint.health()
    assert health["workers"]["ready"] == 0 and health["jobs"]["inQueue"] == 0  # scaled to zero, costs nothing
    job = endpoint.run({"messages": [{"role": "user", "content": "Say hi"}], "sampling_params": {"max_tokens": 8}})
    assert job.status() in ("IN_QUEUE", "IN_PROGRESS")
    output = job.output(timeout=240)
    assert job.status() == "COMPLETED"
    assert isinstance(output[0]["choices"][0]["tokens"][0], str) and output[0]["usage"]["output"] >= 1
    answer = endpoint.run_sync({"prompt": "1, 2, 3,", "sampling_params": {"max_tokens": 4}}, timeout=240)
    assert answer[0]["usage"]["input"] >= 1
    assert endpoint.health()["jobs"]["completed"] == 2
    spent = runpod_sandbox.serverless.spent()
    assert spent > 0
    # idle timeout (600 simulated seconds, one real second here): the worker goes, billing stops
    deadline = time.monotonic() + 30
    while endpoint.health()["workers"]["ready"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert endpoint.health()["workers"]["ready"] == 0
    settled = runpod_sandbox.serverless.spent()
    time.sleep(0.3)
    assert runpod_sandbox.serverless.spent() == pytest.approx(settled)
    # Every worker that served, billed per second (the SDK may poll past the 1 s idle timeout between
    # the two jobs, and a second worker then boots for the second one).
    retired = runpod_sandbox.serverless.get(endpoint_id).retired
    assert 1 <= len(retired) <= 2
    billed = sum(w.billed_seconds(0) for w in retired)
    assert settled == pytest.approx(billed * 0.00031, rel=1e-6)  # RTX 4090 flex $/s


def test_cancel_and_a_worker_killed_mid_job(runpod_sandbox):
    endpoint_id = make_endpoint()
    endpoint = runpod.Endpoint(endpoint_id)
    long = {"prompt": "Count:", "sampling_params": {"max_tokens": 400, "temperature": 0}}
    first = endpoint.run(long)
    queued = endpoint.run(long)  # one worker: this one waits IN_QUEUE
    assert queued.cancel()["status"] == "CANCELLED"
    deadline = time.monotonic() + 240
    while first.status() != "IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    runpod_sandbox.serverless.kill_worker(endpoint_id)
    deadline = time.monotonic() + 60
    while first.status() == "IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.1)
    state = requests.get(
        f"{runpod.endpoint_url_base}/{endpoint_id}/status/{first.job_id}",
        headers={"Authorization": f"Bearer {runpod.api_key}"},
        timeout=10,
    ).json()
    assert state["status"] == "FAILED" and state["error"] == ERR_WORKER_DIED
    assert endpoint.health()["jobs"]["failed"] == 1


def test_asyncio_endpoint_and_unauthorised_calls(runpod_sandbox):
    from runpod import AsyncioEndpoint
    from runpod.http_client import ClientSession

    endpoint_id = make_endpoint()

    async def go():
        async with ClientSession() as session:
            endpoint = AsyncioEndpoint(endpoint_id, session)
            job = await endpoint.run({"prompt": "Hello", "sampling_params": {"max_tokens": 4}})
            output = await job.output(timeout=240)
            return await job.status(), output, await endpoint.health()

    status, output, health = asyncio.run(go())
    assert status == "COMPLETED" and output[0]["usage"]["output"] >= 1 and health["jobs"]["completed"] == 1
    answer = requests.post(
        f"{runpod.endpoint_url_base}/{endpoint_id}/run",
        json={"input": {}},
        headers={"Authorization": "Bearer wrong"},
        timeout=10,
    )
    assert answer.status_code == 401
    with pytest.raises(RuntimeError, match="401"):
        runpod.Endpoint(endpoint_id, api_key="wrong").health()


def test_openai_route_and_rate_limits(runpod_sandbox):
    import openai

    endpoint_id = make_endpoint()
    client = openai.OpenAI(
        base_url=f"{runpod.endpoint_url_base}/{endpoint_id}/openai/v1", api_key=runpod.api_key, max_retries=0
    )
    assert [m.id for m in client.models.list()] == [MODEL]
    reply = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], max_tokens=5)
    assert reply.choices[0].message.content is not None and reply.usage.completion_tokens >= 1
    runpod_sandbox.serverless.limits.run_per_10s = 2
    endpoint = runpod.Endpoint(endpoint_id)
    url = f"{runpod.endpoint_url_base}/{endpoint_id}/run"
    headers = {"Authorization": f"Bearer {runpod.api_key}"}
    codes = [
        requests.post(
            url, json={"input": {"prompt": "x", "sampling_params": {"max_tokens": 1}}}, headers=headers, timeout=10
        ).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    assert endpoint.health()["jobs"]["inQueue"] + endpoint.health()["jobs"]["inProgress"] >= 1
    runpod_sandbox.serverless.limits.openai_per_10s = 0
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], max_tokens=2)
