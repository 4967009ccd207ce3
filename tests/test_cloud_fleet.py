"""PodFleet: several sandbox pods at once, the keyword job spread over them, and every pod ended
at the end of the block, after a failure in the job, and when one pod of the fleet cannot start."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from conftest import MODEL

from lessons_lib import batch, cloud
from lessons_lib.cloud import pod_ollama, rest, sizing

FAST = {"poll": 0.05, "watch_every": 0.05}
ROOMY = cloud.Budget(max_hours=1000, max_dollars=1000)  # at 600x the default 1 h cap is 6 s of test time


def _spec() -> sizing.PodSpec:
    return sizing.PodSpec(gpu_type_id="NVIDIA GeForce RTX 4090", cloud_type="COMMUNITY")


def _no_pod_left(sandbox) -> None:
    assert sandbox.cloud.live_pods() == [] and not sandbox.cloud.servers()
    assert cloud.course_pods(include_stopped=False) == []


def test_the_job_spread_over_two_pods_and_both_ended(rest_only_sandbox, tmp_path, no_ray_left):
    lines: list[str] = []
    keywords = batch.load_keywords(batch.sample_path())[:24]
    with cloud.PodFleet(_spec(), 2, budget=ROOMY, say=lines.append, **FAST) as fleet:
        assert len(fleet.urls) == 2 and len(set(fleet.urls)) == 2
        for (
            session
        ) in fleet.sessions:  # the model loaded on each pod first, so neither is slow to answer its first pack
            pod_ollama.measure_speed(session.client, MODEL, options={"num_predict": 1})
        endpoints = [batch.Endpoint.ollama(url, MODEL, slots=1, name=f"pod {n}") for n, url in enumerate(fleet.urls)]
        summary = batch.run_job(keywords, tmp_path, endpoints, k=3, progress=False)
        assert fleet.cost_so_far() > 0
    table = pq.read_table(summary.result).to_pandas()
    assert table.keyword.tolist() == keywords and table.row.is_unique
    assert {e["endpoint"] for e in summary.endpoints if e["rows"]} == {"pod 0", "pod 1"}  # both pods worked
    assert all(s.ended == "terminated" and s.end_reason == "end of the block" for s in fleet.sessions)
    assert sum("terminated" in line for line in lines) >= 2
    _no_pod_left(rest_only_sandbox)


def test_an_error_in_the_job_ends_every_pod(rest_only_sandbox):
    with pytest.raises(RuntimeError, match="the job broke"):
        with cloud.PodFleet(_spec(), 2, budget=ROOMY, say=lambda _: None, **FAST) as fleet:
            assert len(fleet.urls) == 2
            raise RuntimeError("the job broke")
    assert [s.end_reason for s in fleet.sessions] == ["error", "error"]
    _no_pod_left(rest_only_sandbox)


def test_one_pod_that_cannot_start_ends_the_others(rest_only_sandbox):
    rest_only_sandbox.faults.fail_next["createPod"] = "Something went wrong. Please try again later."
    lines: list[str] = []
    with pytest.raises(rest.ApiError, match="Something went wrong"):
        cloud.PodFleet(_spec(), 3, budget=ROOMY, say=lines.append, **FAST).start()
    assert any("could not start" in line for line in lines)
    _no_pod_left(rest_only_sandbox)  # the two pods that did start were ended too


@pytest.mark.parametrize("count", [0, 33, 1.5, True])
def test_a_fleet_size_that_is_a_slip_is_refused(count):
    with pytest.raises(ValueError, match="count must be"):
        cloud.PodFleet(_spec(), count)
