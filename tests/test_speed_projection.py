"""The GPU speed model and the 100-million-keyword projection shared by lessons 04 and 05."""

from __future__ import annotations

import pytest

from lessons_lib.cloud import costs, prices, projection, speed


def test_speed_follows_each_gpus_bandwidth_not_one_figure():
    h100, rtx = speed.decode_tokens_per_s("H100 SXM"), speed.decode_tokens_per_s("RTX 4090")
    assert h100 / rtx == pytest.approx(3350 / 1008)
    # the published anchor the efficiency comes from: RTX 3090, llama 8B Q4_0, 155 tok/s
    anchor = speed.ModelSize("llama 8B Q4_0", 8.03, speed.MEASURED_GB)
    assert speed.decode_tokens_per_s("RTX 3090", anchor) == pytest.approx(155)
    assert speed.batched_tokens_per_s("RTX 3090", 8, anchor) == pytest.approx(571, rel=0.01)


def test_batching_helps_but_less_than_linearly_and_compute_caps_it():
    one, eight = speed.batched_tokens_per_s("A100 PCIe", 1), speed.batched_tokens_per_s("A100 PCIe", 8)
    assert one == pytest.approx(speed.decode_tokens_per_s("A100 PCIe")) and one < eight < 8 * one
    huge = speed.ModelSize("70B", 70.6, 0.5)  # absurdly small file: compute must bind
    assert speed.batched_tokens_per_s("RTX 3090", 64, huge) == pytest.approx(71e12 * speed.MFU / (2 * 70.6e9))
    with pytest.raises(ValueError):
        speed.batched_tokens_per_s("RTX 3090", 0)
    with pytest.raises(KeyError, match="Known"):
        speed.gpu_spec("TPU v5")


def test_every_priced_gpu_has_a_speed():
    assert {row.display_name for row in prices.GPU_PRICES} <= {s.name for s in speed.GPU_SPECS}


def test_projection_hours_pods_and_prices():
    table = projection.projection()
    pods = table[table.option.str.startswith("pod")]
    assert (pods["hours on those pods"] <= projection.WEEK_HOURS + 1).all()
    rtx = pods[(pods.GPU == "RTX 4090") & (pods.option == "pod on-demand, cloud not stated")].iloc[0]
    assert rtx["pods for 7 days"] == -(-rtx["hours on 1"] // projection.WEEK_HOURS)
    flex = table[(table.option == "serverless flex") & (table.GPU == "H100 SXM")].iloc[0]
    assert flex["$/h"] == pytest.approx(0.00116 * 3600)
    api = table[table.option == "API gpt-4o-mini"].iloc[0]
    assert api["$ total"] == pytest.approx(100e6 * (projection.TOKENS_IN * 0.15 + projection.TOKENS_OUT * 0.60) / 1e6)
    assert list(table["$ total"]) == sorted(table["$ total"])


def test_workload_preset_differs_per_gpu():
    a, b = projection.keywords_workload("RTX 4090"), projection.keywords_workload("H100 SXM")
    assert b.tokens_per_s > 3 * a.tokens_per_s
    assert costs.pod_cost(b, costs.PodPlan("H100 SXM", "secure")).hours < costs.pod_cost(a, costs.PodPlan()).hours


def test_serverless_prices_are_sourced():
    assert prices.serverless_price("RTX 4090").flex_per_s == 0.00031
    assert prices.serverless_price("ADA_80_PRO").flex_per_s == 0.00116
    assert all(row.source for row in prices.SERVERLESS_PRICES)


def test_lessons_04_and_05_price_the_keyword_job_with_one_tokens_per_keyword_figure():
    """Both lessons' cost cells use projection's defaults (costs.TOKENS_*_PER_KEYWORD), never their own figure,
    so the RTX 4090's hours and dollars agree between them."""
    import json
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "notebooks"
    for name in ("04_runpod_pods.ipynb", "05_batch_jobs.ipynb"):
        code = "\n".join(
            "".join(c["source"]) for c in json.loads((root / name).read_text())["cells"] if c["cell_type"] == "code"
        )
        assert "projection.keywords_workload(" in code or "projection.projection(" in code, name
        assert not re.search(r"(projection|keywords_workload)\([^)]*tokens_(in|out)=", code), name
    assert (projection.TOKENS_IN, projection.TOKENS_OUT) == (costs.TOKENS_IN_PER_KEYWORD, costs.TOKENS_OUT_PER_KEYWORD)
    four = costs.pod_cost(projection.keywords_workload("RTX 4090"), costs.PodPlan("RTX 4090", "secure"))
    five = projection.projection()
    row = five[(five.GPU == "RTX 4090") & (five.option == "pod secure on-demand")].iloc[0]
    assert row["hours on 1"] == pytest.approx(four.hours)


def test_the_projection_has_no_spot_rows_and_prices_the_batch_api():
    table = projection.projection()
    assert not table.option.str.contains("spot").any()
    nano, batched = (table[table.option == f"API gpt-5-nano{tail}"].iloc[0] for tail in ("", ", Batch API"))
    assert batched["$ total"] == pytest.approx(nano["$ total"] / 2)
    assert nano["$ total"] == pytest.approx(100e6 * (projection.TOKENS_IN * 0.05 + projection.TOKENS_OUT * 0.40) / 1e6)


def test_a40_uses_its_fp16_tensor_figure_and_the_h100_factor_is_the_models():
    assert speed.gpu_spec("A40").fp16_tflops == 149.7  # 74.8 is its TF32 figure
    assert speed.speedup("H100 SXM", "RTX 4090") == pytest.approx(3350 / 1008, rel=0.01)  # bandwidth ratio, assumed
    assert speed.ASSUMPTIONS
