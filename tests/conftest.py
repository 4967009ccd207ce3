"""Shared fixtures: one embedded server (a real child process on loopback) for the session."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import ollama
import pytest

from lessons_lib import hardware
from lessons_lib.bundled import BUNDLED_MODEL
from lessons_lib.ollama_server import EmbeddedServer

MODEL = BUNDLED_MODEL
# Short, reproducible answers keep the suite fast on two cores.
QUICK = {"num_predict": 12, "seed": 7, "temperature": 0.0}
# A machine with 1 GiB free, for the memory refusal: 4 slots x 8192 tokens of KV cache, the weights
# and headroom of the bundled model do not fit in it.
ONE_GIB_MACHINE = hardware.Machine(
    cpu_name="test",
    cores_physical=2,
    cores_logical=2,
    ram_total=1 << 30,
    ram_available=1 << 30,
    swap_free=0,
    os="Linux",
    arch="x86_64",
)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ollama-models")


@pytest.fixture(scope="session")
def server(models_dir: Path):
    with EmbeddedServer(models=models_dir) as running:
        yield running
    assert not running.running


@pytest.fixture(scope="session")
def client(server: EmbeddedServer) -> ollama.Client:
    return ollama.Client(host=server.url)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    path = Path(os.environ.get("WORKBOOK_TEST_OUTPUT", "test-output"))
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- RunPod sandbox (issue 6) -------------------------------------------------------------------
# The emulator on a fast clock: 1 s of test time is 10 simulated minutes, pods boot in 3 sim-s.
SANDBOX_TIME_SCALE = 600.0


@pytest.fixture
def runpod_sandbox(models_dir: Path):
    from lessons_lib.cloud.sandbox import Sandbox

    with Sandbox(models_dir, time_scale=SANDBOX_TIME_SCALE, boot_seconds=3) as sandbox:
        yield sandbox
    assert not sandbox.cloud.servers(), "a sandbox left a pod server running"
    assert_no_budget_watchdog()


@pytest.fixture
def rest_only_sandbox(models_dir: Path):
    """The sandbox as RunPod is once GraphQL retires for pods (issue 24): GraphQL pod and GPU operations
    are refused, so whatever a test does with pods must go through REST API v2."""
    from lessons_lib.cloud.sandbox import Sandbox

    with Sandbox(models_dir, time_scale=SANDBOX_TIME_SCALE, boot_seconds=3, graphql_pods=False) as sandbox:
        yield sandbox
    assert sandbox.cloud.graphql_refused == [], f"the pod path called GraphQL: {sandbox.cloud.graphql_refused}"
    assert not sandbox.cloud.servers(), "a sandbox left a pod server running"
    assert_no_budget_watchdog()


def budget_watchdogs() -> list[threading.Thread]:
    """PodSession budget watchdogs still running (guard.PodSession._arm names them budget-<pod id>)."""
    return [t for t in threading.enumerate() if t.name.startswith("budget-") and t.is_alive()]


def assert_no_budget_watchdog(grace_s: float = 2.0) -> None:
    """A test that ends its pod session ends its watchdog too. One left running keeps polling the
    RunPod API, and the next test's fresh sandbox would answer it (a stray request there)."""
    deadline = time.monotonic() + grace_s
    while budget_watchdogs() and time.monotonic() < deadline:
        time.sleep(0.05)
    left = budget_watchdogs()
    assert not left, f"a pod session was left guarded (watchdog threads {[t.name for t in left]} still running)"


@pytest.fixture(scope="session", autouse=True)
def no_emulated_pod_left():
    """After the whole run, no emulated pod (an embedded server child process) may still run."""
    import sys

    yield
    module = sys.modules.get("lessons_lib.cloud.sandbox.server")
    if module is not None:
        left = module.running_pod_servers()
        assert not left, f"{len(left)} emulated RunPod pod(s) still running at the end of the test session"


# --- Ray (the keyword job, issue 14) -------------------------------------------------------------
def ray_processes() -> set[int]:
    """Ray processes this test run is answerable for (lessons_lib.batch.local_ray.ray_pids): a notebook
    running beside the tests may have its own Ray, which is not counted."""
    from lessons_lib.batch.local_ray import ray_pids

    return ray_pids()


@pytest.fixture
def no_ray_left():
    before = ray_processes()
    yield
    deadline = time.monotonic() + 30
    while ray_processes() - before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not ray_processes() - before, "Ray processes were left running"


# Fixtures that start a real server process (with a model), a RunPod sandbox, a registry serving the
# 98 MB model, or llama.cpp's quantizer: a test that needs one is `slow`, so `make test-unit`
# (-m "not slow ...") stays a quick loop.
SLOW_FIXTURES = {
    "server",
    "client",
    "runpod_sandbox",
    "rest_only_sandbox",
    "no_ray_left",
    "fake_runpod",
    "f16",
    "f16_gguf",
    "lab",
    "registry",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers from what a test is: nbval's notebook cells (notebooks/ is collected with tests/) are
    `notebook` tests; tests that use a SLOW_FIXTURES fixture are `slow`."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
