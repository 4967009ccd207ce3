"""Prices carry sources; the cost model adds up what a pod and an API really bill."""

from __future__ import annotations

import pytest

from lessons_lib.cloud import costs, pods, prices, projection, sizing


def test_every_price_has_a_source_and_date_and_nulls_where_unknown():
    for row in prices.GPU_PRICES:
        assert row.source and any(ch.isdigit() for ch in row.source)  # a date or a snapshot version
        assert row.memory_gb > 0
    for row in prices.TOKEN_PRICES:
        assert row.source and row.output > row.input > 0
    # No spot prices: RunPod's API no longer rents spot, and the third-party "spot" figures were not spot prices.
    assert all(row.community_spot is None and row.secure_spot is None for row in prices.GPU_PRICES)
    assert "spot" not in set(prices.gpu_table()["pricing"])
    with pytest.raises(ValueError, match="No community spot price"):
        prices.hourly_price("RTX 4090", "community", "spot")
    with pytest.raises(KeyError, match="Unknown GPU"):
        prices.gpu_price("Voodoo 2")
    assert prices.hourly_price("NVIDIA A100 80GB PCIe", "secure", gpu_count=2) == pytest.approx(3.28)


def test_cost_per_million_tokens_matches_the_reference_example():
    # $0.69/h at 100 tok/s: 0.69 / (100 * 3600 / 1e6) = $1.92 per 1M tokens
    assert costs.cost_per_million_tokens(0.69, 100) == pytest.approx(1.9167, abs=1e-3)


def test_pod_cost_adds_start_pull_idle_and_storage():
    work = costs.Workload(items=3600, tokens_in=0, tokens_out=100, tokens_per_s=100)  # exactly 1 h
    plan = costs.PodPlan(
        "RTX 4090", "community", start_minutes=6, model_pull_minutes=6, idle_hours=0.8, container_disk_gb=0
    )
    cost = costs.pod_cost(work, plan)
    assert cost.hours == pytest.approx(2.0)
    assert cost.compute == pytest.approx(1.20) and cost.storage == 0
    stored = costs.pod_cost(
        work,
        costs.PodPlan(
            "RTX 4090", volume_gb=100, stopped_days=365 / 12, container_disk_gb=0, start_minutes=0, model_pull_minutes=0
        ),
    )
    # 100 GB volume: $0.10/GB-month for 1 h running + $0.20/GB-month for a month stopped
    assert stored.storage == pytest.approx(100 * 0.10 / 730 + 100 * 0.20, rel=1e-3)


def test_concurrency_and_prompt_speed_change_hours():
    one = costs.Workload(items=1000, tokens_in=500, tokens_out=100, tokens_per_s=50, prompt_tokens_per_s=1000)
    assert one.generation_hours == pytest.approx(1000 * (100 / 50 + 500 / 1000) / 3600)
    eight = costs.Workload(1000, 500, 100, 50, 1000, concurrency=8)
    assert eight.generation_hours == pytest.approx(one.generation_hours / 8)
    with pytest.raises(ValueError, match="tokens_per_s must be a positive"):
        costs.Workload(10, 1, 1, 0)


def test_token_cost_and_the_100_million_keywords_preset():
    work = projection.KEYWORDS_100M
    assert (work.tokens_in, work.tokens_out) == (costs.TOKENS_IN_PER_KEYWORD, costs.TOKENS_OUT_PER_KEYWORD)
    api = costs.token_cost(work, "gpt-4o-mini")
    assert api.total == pytest.approx(100e6 * (34 * 0.15 + 4 * 0.60) / 1e6)  # $750
    batched = costs.token_cost(work, "gpt-4o-mini", batch_api=True)
    assert batched.total == pytest.approx(api.total * prices.BATCH_API_DISCOUNT) and "Batch API" in batched.label
    table = costs.compare(work, [costs.PodPlan("RTX 4090")], ["gpt-4o-mini", "gpt-4.1"], batch_api=True)
    assert list(table[costs.COL_TOTAL]) == sorted(table[costs.COL_TOTAL])
    assert len(table) == 5 and table[costs.COL_HOURS].isna().sum() == 4


def test_the_verdict_follows_the_numbers_whichever_way_they_fall():
    def table(pod: float, api: float):
        import pandas as pd

        return pd.DataFrame(
            [("Pod X", 10.0, pod, 0.0, pod), ("API y", None, api, 0.0, api)],
            columns=[costs.COL_OPTION, costs.COL_HOURS, costs.COL_COMPUTE, costs.COL_STORAGE, costs.COL_TOTAL],
        )

    assert costs.verdict(table(100, 300)).startswith("Cheapest here: Pod X, $100.") and "3.0×" in costs.verdict(
        table(100, 300)
    )
    assert costs.verdict(table(300, 100)).startswith("Cheapest here: API y, $100.")
    assert costs.verdict(table(170, 165)).startswith("Too close to call")
    for said in (costs.verdict(table(100, 300)), costs.verdict(table(300, 100))):
        assert "not the same product" in said  # the quality caveat comes with every verdict
    with pytest.raises(ValueError, match="one pod row and one API row"):
        costs.verdict(table(1, 2).iloc[:1])


def test_gpu_for_model_searches_both_clouds_and_prefers_a_stated_cloud():
    # 70B Q4 needs a 48 GB card: the A40 at $0.40/h secure, not the L40S at $1.40 (whose cloud is not stated).
    big = sizing.gpu_for_model("llama3.1:70b")
    assert (big.display_name, big.cloud, big.price_per_hour) == ("A40", "secure", 0.40)
    assert big.cloud_stated and "skypilot" in big.source
    # The pick is the cheapest fitting price over both clouds among prices whose source names the cloud.
    for model in ("llama3.2:3b", "llama3.1:8b", "llama3.1:70b"):
        pick = sizing.gpu_for_model(model)
        stated = [c for c in sizing.fitting_gpus(model) if c.cloud_stated]
        assert pick.price_per_hour == min(c.price_per_hour for c in stated)
        assert {c.cloud for c in sizing.fitting_gpus(model)} == {"community", "secure"}
    # One cloud only: the community prices all come from a source that does not state the cloud, so they count.
    assert sizing.gpu_for_model("llama3.1:70b", cloud="community").display_name == "L40S"
    # spec_for_model rents the pick in the pick's cloud.
    spec = sizing.spec_for_model("llama3.1:70b")
    assert (spec.gpu_type_id, spec.cloud_type) == ("NVIDIA A40", "SECURE")
    assert spec.hourly_estimate() == pytest.approx(0.40)


def test_spec_for_model_sizes_disk_and_gpu_from_the_catalog():
    spec = sizing.spec_for_model("llama3.1:8b")
    assert spec.container_disk_gb >= 15 and spec.volume_gb == 0
    assert prices.gpu_price(spec.gpu_type_id).memory_gb >= 16
    kept = sizing.spec_for_model("llama3.1:70b", keep_models=True)
    assert kept.volume_gb >= 48 and prices.gpu_price(kept.gpu_type_id).memory_gb >= 48
    with pytest.raises(KeyError, match="not in the course catalog"):
        sizing.spec_for_model("no-such-model:1b")
    name = pods.unique_name("Llama 3.1!")
    assert name.startswith(pods.COURSE_PREFIX + "llama-3-1-") and name != pods.unique_name("Llama 3.1!")


def test_live_prices_from_the_api(runpod_sandbox):
    live = prices.live_gpu_prices()
    row = prices.gpu_price("RTX 4090", live)
    assert row.community == 0.60 and row.secure == 0.69 and runpod_sandbox.url in row.source
    assert prices.gpu_price("H200 SXM", live).secure is None


def test_estimate_before_deploying_prefers_the_api_price(runpod_sandbox):
    from lessons_lib.cloud.guard import estimate_text

    spec = sizing.PodSpec("NVIDIA GeForce RTX 4090", "SECURE", gpu_count=2)
    assert estimate_text(spec) == (
        "RTX 4090 x2 in the secure cloud costs about $1.38/h (price from the API right now)."
    )


def test_estimate_without_a_key_uses_the_table(monkeypatch):
    import runpod

    from lessons_lib.cloud.guard import estimate_text

    monkeypatch.setattr(runpod, "api_key", None)
    text = estimate_text(sizing.PodSpec("RTX 3090"))
    assert "$0.39/h" in text and "price table: deploybase.ai" in text
    # deploybase does not say which cloud it quotes: the sentence says so instead of "community cloud".
    assert "community cloud" not in text and "does not say which cloud" in text
    # A secure price from a source that names its cloud keeps the plain sentence.
    secure = estimate_text(sizing.PodSpec("NVIDIA A40", "SECURE"), live=False)
    assert secure.startswith("A40 x1 in the secure cloud costs about $0.40/h (price table: skypilot")


def test_a_pods_label_names_its_cloud_only_where_the_price_source_does() -> None:
    unstated = costs.pod_cost(projection.KEYWORDS_100M, costs.PodPlan("RTX 4090"))
    assert unstated.label == "Pod RTX 4090 (cloud not stated by the source, on-demand)"
    assert costs.pod_cost(projection.KEYWORDS_100M, costs.PodPlan("RTX 4090", "secure")).label == (
        "Pod RTX 4090 (secure, on-demand)"
    )
    typed = costs.PodPlan("RTX 4090", price_per_hour=0.5)  # the learner's own price: their cloud stands
    assert costs.pod_cost(projection.KEYWORDS_100M, typed).label == "Pod RTX 4090 (community, on-demand)"


def test_bad_inputs_fail_early_with_a_clear_message():
    from lessons_lib.cloud.guard import Budget

    with pytest.raises(ValueError, match="tokens_in must be a number"):
        costs.Workload(10, "60", 15, 100)
    with pytest.raises(ValueError, match="gpu_count must be a positive"):
        costs.pod_cost(projection.KEYWORDS_100M, costs.PodPlan(gpu_count=0))
    with pytest.raises(ValueError, match="max_dollars must be a positive number or None"):
        Budget(max_hours=1, max_dollars=-5)
    with pytest.raises(ValueError, match="cloud_type must be 'COMMUNITY'"):
        sizing.PodSpec(cloud_type="secure")
    with pytest.raises(ValueError, match="gpu_count must be a whole number"):
        sizing.PodSpec(gpu_count=0)
    assert sizing.spec_for_model("llama3.1:8b", cloud_type="secure").cloud_type == "SECURE"


def test_every_price_row_says_its_cloud_source_and_date() -> None:
    import re

    table = prices.gpu_table()
    assert set(table["cloud"]) <= {"community", "secure", prices.CLOUD_NOT_STATED}
    assert all(re.search(r"20\d\d-\d\d|undated", source) for source in table["source and date"])
    # A source that does not say which cloud it quotes is never shown as "community".
    assert not ((table["cloud"] == "community") & table["source and date"].str.contains("deploybase")).any()
    h100 = table[(table["GPU"] == "H100 SXM") & (table["pricing"] == "on-demand")]
    assert set(h100["cloud"]) == {"secure", prices.CLOUD_NOT_STATED}
