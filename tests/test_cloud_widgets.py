"""The cost estimator and the pod panel, driven headlessly through their widgets."""

from __future__ import annotations

import pytest

from lessons_lib.cloud import costs, projection
from lessons_lib.cloud.guard import Budget, PodSession
from lessons_lib.cloud.sizing import PodSpec
from lessons_lib.widgets.cost import CostEstimator
from lessons_lib.widgets.pod import PodPanel


def test_cost_estimator_updates_on_every_input():
    estimator = CostEstimator(chart=False)
    first = estimator.table[costs.COL_TOTAL].tolist()
    estimator.gpu.value = "H100 SXM"
    pod_row = estimator.table[estimator.table[costs.COL_OPTION].str.startswith("Pod")].iloc[0]
    assert pod_row[costs.COL_OPTION].startswith("Pod H100 SXM") and estimator.table[costs.COL_TOTAL].tolist() != first
    hours = pod_row[costs.COL_HOURS]
    estimator.concurrency.value = 4
    pod_row = estimator.table[estimator.table[costs.COL_OPTION].str.startswith("Pod")].iloc[0]
    assert pod_row[costs.COL_HOURS] < hours


def test_cost_estimator_preset_and_missing_price_message():
    estimator = CostEstimator(chart=True)
    estimator.preset.click()
    preset = projection.keywords_workload("RTX 4090")  # the preset's speed is the selected GPU's own
    assert estimator.items.value == 100_000_000 and estimator.tokens_per_s.value == pytest.approx(preset.tokens_per_s)
    expected = costs.compare(preset, [costs.PodPlan()], list(projection.API_MODELS))
    assert estimator.table[costs.COL_TOTAL].tolist() == pytest.approx(expected[costs.COL_TOTAL].tolist())
    estimator.gpu.value = "H100 SXM"
    estimator.preset.click()
    assert estimator.tokens_per_s.value == pytest.approx(projection.keywords_workload("H100 SXM").tokens_per_s)
    assert [value for _, value in estimator.pricing.options] == ["on-demand"]  # no spot: RunPod no longer rents it
    estimator.gpu.value = "RTX 3090"
    estimator.cloud.value = "secure"
    assert estimator.table is None and "No secure on-demand price" in estimator.error


def test_pod_panel_shows_state_uptime_cost_and_ends_the_pod(runpod_sandbox):
    session = PodSession(PodSpec(), budget=Budget(1000, 1000), poll=0.05, progress=False, say=lambda _: None)
    session.start()
    try:
        panel = PodPanel(session)
        text = panel.refresh()
        assert "running" in text and "$0.60/h" in text and "cost so far" in text
        assert not panel.terminate_button.disabled
        panel.stop_button.click()
        assert "stopped" in panel.info.value and panel.stop_button.disabled
        assert runpod_sandbox.cloud.live_pods()[0].status == "EXITED" and not panel.terminate_button.disabled
        panel.terminate_button.click()
    finally:
        session.end(how="terminate")
    assert runpod_sandbox.cloud.live_pods() == [] and session.ended == "terminated"
    assert "terminated" in panel.refresh() and panel.terminate_button.disabled
