"""Fault injection: whatever goes wrong, the guard ends the pod (and the sandbox proves it).

Every test runs on the sandbox with GraphQL's pod operations refused (`rest_only_sandbox`): the pod
path speaks REST API v2 only, and 0 pods are left in each fault."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import MODEL

from lessons_lib import cloud
from lessons_lib.cloud import pod_ollama, pods, rest, sizing
from lessons_lib.cloud.guard import Budget, PodSession
from lessons_lib.edition import text

FAST = {"poll": 0.05, "progress": False, "watch_every": 0.05}
ROOMY = Budget(max_hours=1000, max_dollars=1000)  # at 600x the default 1 h cap is 6 s of test time


def _spec(**kwargs) -> sizing.PodSpec:
    return sizing.PodSpec(gpu_type_id="NVIDIA GeForce RTX 4090", cloud_type="COMMUNITY", **kwargs)


def _no_pod_left(sandbox) -> None:
    assert sandbox.cloud.live_pods() == [] and not sandbox.cloud.servers()
    assert cloud.course_pods() == []


def test_happy_path_chat_speed_and_terminate(rest_only_sandbox):
    lines: list[str] = []
    with PodSession(_spec(), budget=ROOMY, say=lines.append, **FAST) as session:
        assert pod_ollama.pull_model(session.client, MODEL, progress=False).endswith("nothing to pull.")
        measured, _ = pod_ollama.measure_speed(session.client, MODEL, options={"num_predict": 8, "seed": 1})
        assert measured.generated_tokens > 0 and measured.generated_tokens_per_s > 0
        assert session.status().state == "running" and session.cost_so_far(session.status()) > 0
    assert session.ended == "terminated" and session.end_reason == "end of the block"
    assert any("terminated" in line for line in lines)
    _no_pod_left(rest_only_sandbox)


def test_no_capacity_leaves_nothing_and_says_so(rest_only_sandbox):
    rest_only_sandbox.faults.no_capacity = {"NVIDIA GeForce RTX 4090"}
    with pytest.raises(cloud.CapacityError, match="No capacity"):
        PodSession(_spec(), say=lambda _: None, **FAST).start()
    _no_pod_left(rest_only_sandbox)


def test_capacity_fallback_to_another_gpu_and_cloud(rest_only_sandbox):
    rest_only_sandbox.faults.no_capacity = {"NVIDIA GeForce RTX 4090"}
    spec = _spec(fallbacks=(("NVIDIA GeForce RTX 4090", "SECURE"), ("RTX 3090", "COMMUNITY")))
    # ROOMY: the default 1 h budget is 6 s at 600x, less than a pod takes to boot on a busy machine.
    with PodSession(spec, allow_fallback=True, budget=ROOMY, say=lambda _: None, **FAST) as session:
        assert session.status().gpu == "RTX 3090" and session.status().cost_per_hr == 0.39
    _no_pod_left(rest_only_sandbox)


def test_pod_never_ready_is_terminated(rest_only_sandbox):
    rest_only_sandbox.faults.never_ready = True
    with pytest.raises(cloud.PodNotReady, match="not ready after"):
        PodSession(_spec(), ready_timeout=0.5, say=lambda _: None, **FAST).start()
    _no_pod_left(rest_only_sandbox)


def test_a_container_in_error_is_terminated(rest_only_sandbox):
    rest_only_sandbox.faults.crash_on_start = True  # REST v2 reports ERROR: waiting longer would not help
    started = time.monotonic()
    with pytest.raises(cloud.PodNotReady, match="error"):
        PodSession(_spec(), ready_timeout=60, say=lambda _: None, **FAST).start()
    assert time.monotonic() - started < 30
    _no_pod_left(rest_only_sandbox)


def test_api_error_mid_lesson_ends_the_pod(rest_only_sandbox):
    with pytest.raises(rest.ApiError, match="Something went wrong"):
        with PodSession(_spec(), budget=None, say=lambda _: None, **FAST) as session:  # no watchdog to eat it
            rest_only_sandbox.faults.fail_next["getPod"] = (
                "Something went wrong. Please try again later or contact support."
            )
            session.status()
    assert session.ended == "terminated" and session.end_reason == "error"
    _no_pod_left(rest_only_sandbox)


def test_keyboard_interrupt_in_the_block_ends_the_pod(rest_only_sandbox):
    with pytest.raises(KeyboardInterrupt):
        with PodSession(_spec(), budget=ROOMY, say=lambda _: None, **FAST) as session:
            raise KeyboardInterrupt
    assert session.end_reason == "interrupted"
    _no_pod_left(rest_only_sandbox)


def test_keyboard_interrupt_while_waiting_ends_the_pod(rest_only_sandbox, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pods, "wait_ready", interrupted)
    with pytest.raises(KeyboardInterrupt):
        PodSession(_spec(), say=lambda _: None, **FAST).start()
    _no_pod_left(rest_only_sandbox)


def test_orphan_created_by_a_failing_api_is_found_and_terminated(rest_only_sandbox):
    rest_only_sandbox.faults.orphan_on_create = True
    lines: list[str] = []
    with pytest.raises(rest.ApiError):
        PodSession(_spec(), say=lines.append, **FAST).start()
    assert any("terminated so it cannot bill" in line for line in lines)
    _no_pod_left(rest_only_sandbox)


def test_budget_cap_ends_the_pod(rest_only_sandbox):
    session = PodSession(_spec(), budget=ROOMY, say=lambda _: None, **FAST).start()
    # At 600x a $0.60/h pod spends $0.0001 per real second: this cap is reached within a second or two.
    session.budget = Budget(max_hours=None, max_dollars=session.cost_so_far(session.status()) + 0.0001)
    deadline = time.monotonic() + 30
    while session.ended is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert session.ended == "terminated" and session.end_reason.startswith("budget: $")
    _no_pod_left(rest_only_sandbox)
    with pytest.raises(RuntimeError, match="not running"):
        _ = session.client


def test_stop_on_exit_keeps_a_stopped_pod_and_cleanup_ends_it(rest_only_sandbox):
    lines: list[str] = []
    with PodSession(_spec(volume_gb=10), on_exit="stop", budget=ROOMY, say=lines.append, **FAST) as session:
        pass
    assert session.ended == "stopped"
    assert any("$2.00/month" in line for line in lines)  # 10 GB x $0.20/GB-month while stopped
    left = cloud.course_pods()
    assert [p.state for p in left] == ["exited"]
    assert pods.cleanup(say=lambda _: None) == [left[0].id]
    _no_pod_left(rest_only_sandbox)


def test_cleanup_only_touches_course_pods(rest_only_sandbox):
    other = rest.create_pod(
        {"name": "someone-elses-pod", "image": "ollama/ollama:latest", "gpu": {"id": "NVIDIA GeForce RTX 4090"}}
    )
    mine = pods.deploy(_spec(), say=lambda _: None)
    assert pods.cleanup(say=lambda _: None) == [mine.id]
    assert [p["id"] for p in rest.list_pods()] == [other["id"]]
    rest.delete_pod(other["id"])


@pytest.mark.slow  # starts its own server process
def test_kernel_exit_terminates_via_atexit(models_dir, tmp_path):
    """A child Python deploys through the workshop sandbox (its own process) and exits without
    ending the pod; its atexit hook must terminate it."""
    import runpod  # where keys.use_key keeps the key the REST client sends

    env = {**os.environ, "PYTHONPATH": os.getcwd(), "HOME": str(tmp_path)}
    workshop = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lessons_lib.cloud.sandbox",
            "--port",
            "0",
            "--time-scale",
            "600",
            "--boot-seconds",
            "3",
            "--models",
            str(models_dir),
            "--no-graphql-pods",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        settings = {}
        for line in workshop.stdout:
            if "=" in line and line.startswith("  "):
                name, _, value = line.strip().partition("=")
                settings[name] = value
            if line.startswith("Press Ctrl+C"):
                break
        learner = textwrap.dedent("""
            from lessons_lib.cloud import open_cloud, Budget, PodSession, PodSpec
            open_cloud(real=True)
            # a roomy budget: the default 1 h cap is seconds at the sandbox's speed-up, less than a busy boot
            session = PodSession(PodSpec(), budget=Budget(1000, 1000), poll=0.05, progress=False).start()
            print("POD", session.pod_id, flush=True)
            # no end(): the interpreter exits here, as a kernel shutting down would
        """)
        done = subprocess.run(
            [sys.executable, "-c", learner], env={**env, **settings}, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert "kernel shutting down" in done.stdout
        saved = {k: os.environ.get(k) for k in settings}
        try:
            os.environ.update(settings)
            key, runpod.api_key = runpod.api_key, settings["RUNPOD_API_KEY"]
            assert rest.list_pods() == []
        finally:
            runpod.api_key = key
            for k, v in saved.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    finally:
        workshop.terminate()
        out, _ = workshop.communicate(timeout=30)
    assert "Sandbox stopped" in out


def test_session_stop_and_resume_keep_counting_cost(rest_only_sandbox):
    with PodSession(_spec(volume_gb=10), budget=ROOMY, say=lambda _: None, **FAST) as session:
        time.sleep(0.3)
        first = session.cost_so_far(session.status())
        assert first > 0
        assert session.stop().state == "exited"
        assert session.cost_so_far(session.status()) == pytest.approx(first, rel=0.2)  # compute stopped
        assert session.resume().state == "running"
        assert session.client.list().models  # Ollama answers again after resume
        time.sleep(0.2)
        assert session.cost_so_far(session.status()) > first
    assert session.cost_so_far() > first and session.billed_seconds() > 0
    _no_pod_left(rest_only_sandbox)


def test_api_error_right_after_create_ends_the_new_pod(rest_only_sandbox):
    """The pod exists but the first look at it fails: deploy must terminate it, not forget it."""
    rest_only_sandbox.faults.fail_next["getPod"] = "Something went wrong. Please try again later or contact support."
    lines: list[str] = []
    with pytest.raises(rest.ApiError, match="Something went wrong"):
        PodSession(_spec(), say=lines.append, **FAST).start()
    assert any("terminated so it cannot bill" in line for line in lines)
    assert len(rest_only_sandbox.cloud.terminated) == 1
    _no_pod_left(rest_only_sandbox)


def test_resume_after_a_stop_puts_the_guard_back(rest_only_sandbox):
    with PodSession(_spec(), budget=ROOMY, say=lambda _: None, **FAST) as session:
        session.end(how="stop")
        old = session._watch
        old.join(timeout=5)
        assert session.ended == "stopped" and not old.is_alive()
        assert session.resume().state == "running"
        assert session.ended is None and session._watch.is_alive()  # budget watchdog and atexit again
        assert session.client.list().models
    assert session.ended == "terminated" and session.end_reason == "end of the block"
    _no_pod_left(rest_only_sandbox)


def test_a_failing_end_keeps_the_original_error_and_says_what_to_do(rest_only_sandbox):
    rest_only_sandbox.faults.never_ready = True
    rest_only_sandbox.faults.fail_next["deletePod"] = "Something went wrong. Please try again later or contact support."
    lines: list[str] = []
    session = PodSession(_spec(), ready_timeout=0.3, say=lines.append, **FAST)
    with pytest.raises(cloud.PodNotReady):
        session.start()
    assert any("Could not end pod" in line and "cloud.cleanup()" in line for line in lines)
    assert session.ended is None  # still guarded: the watchdog keeps the budget
    assert len(pods.cleanup(say=lambda _: None)) == 1  # the backstop the message points to
    # The watchdog sees the pod gone, ends the session and itself (conftest checks no watchdog is left).
    deadline = time.monotonic() + 5
    while session.ended is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (session.ended, session.end_reason) == ("terminated", text("pod.reason_gone"))
    _no_pod_left(rest_only_sandbox)


def test_a_second_start_cannot_orphan_the_first_pod(rest_only_sandbox):
    session = PodSession(_spec(), budget=None, say=lambda _: None, **FAST).start()
    first = session.pod_id
    with pytest.raises(RuntimeError, match=f"already has pod {first}"):
        session.start()
    assert [p.id for p in rest_only_sandbox.cloud.live_pods()] == [first]
    session.end()
    with session:  # a terminated session may deploy a fresh pod
        assert session.pod_id != first and session.ended is None
    _no_pod_left(rest_only_sandbox)
