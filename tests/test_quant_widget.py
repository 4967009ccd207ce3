"""The will-it-fit widget, driven headlessly: its numbers are memory.estimate's, its verdict the machine's."""

from __future__ import annotations

import pytest

from lessons_lib import catalog
from lessons_lib.hardware import GPU, Machine
from lessons_lib.memory import estimate
from lessons_lib.quant.published import weights_from_bits
from lessons_lib.widgets.will_it_fit import WillItFit

GIB = 2**30


def machine(ram_gib: float, gpu_gib: float | None = None) -> Machine:
    gpus = (GPU("Test GPU", "nvidia", int(gpu_gib * GIB), int(gpu_gib * GIB)),) if gpu_gib else ()
    return Machine("test CPU", 4, 8, int(ram_gib * GIB), int(ram_gib * GIB), 0, "Linux", "x86_64", gpus)


def test_published_variant_matches_memory_estimate():
    fit = WillItFit(machine(64), model="llama3.1-8b", quant="Q4_K_M", n_ctx=8192)
    model = catalog.find("llama3.1:8b")
    expected = estimate(model.variant("Q4_K_M").size_bytes, model.shape, n_ctx=8192)
    assert fit.estimate == expected
    assert fit.table.loc["Total needed", "bytes"] == expected.total_with_headroom
    assert "published download of llama3.1:8b" in fit.output.value
    assert fit.verdict_text.startswith("✅") and "CPU" in fit.verdict_text


def test_other_quantizations_are_sized_from_bits_and_labelled():
    fit = WillItFit(machine(64), model="llama3.1-8b", quant="F16", n_ctx=4096)
    assert fit.estimate.weights == weights_from_bits(8.03e9, "F16")
    assert "estimated" in fit.output.value
    f16 = fit.estimate.weights
    fit.quant.value = "Q2_K"
    assert fit.estimate.weights < f16 / 4


def test_verdict_follows_the_machine():
    small = WillItFit(machine(8), model="llama3.1-70b", quant="Q4_K_M")
    assert not small.estimate.fits(8 * GIB)
    assert small.verdict_text.startswith("❌") and "model requires more system memory" in small.verdict_text
    gpu = WillItFit(machine(16, gpu_gib=80), model="llama3.1-70b", quant="Q4_K_M")
    assert gpu.verdict_text.startswith("✅") and "GPU" in gpu.verdict_text
    assert "Test GPU" in gpu.table.index[-1]


def test_context_and_kv_type_change_the_kv_cache():
    fit = WillItFit(machine(64), model="llama3.1-8b", quant="Q4_K_M", n_ctx=8192)
    kv_8k = fit.estimate.kv_cache
    fit.ctx.value = 32768
    assert fit.estimate.kv_cache == 4 * kv_8k
    fit.kv.value = "q8_0"  # needs flash attention: the widget switches it on
    assert fit.estimate.kv_cache == pytest.approx(4 * kv_8k * 34 / 64, rel=1e-6)
    assert "flash attention" in fit.output.value


def test_context_is_capped_at_the_models_maximum():
    fit = WillItFit(machine(64), model="llama3-8b", quant="Q4_0", n_ctx=131072)
    assert fit.estimate.n_ctx == catalog.find("llama3-8b").context_max == 8192


def test_bad_choices_are_explained_and_near_misses_accepted():
    with pytest.raises(ValueError, match="no model 'nope' in the course catalog.*llama3.1-8b"):
        WillItFit(machine(64), model="nope")
    with pytest.raises(ValueError, match="Quantization must be one of: .*Q4_K_M"):
        WillItFit(machine(64), quant="Q9_X")
    with pytest.raises(ValueError, match="KV cache type must be one of"):
        WillItFit(machine(64), kv_type="q2")
    with pytest.raises(ValueError, match="whole number of tokens"):
        WillItFit(machine(64), n_ctx=0)
    fit = WillItFit(machine(64), model="llama3.1:8b", quant="q8_0", n_ctx=5000, kv_type="Q8_0")
    assert (fit.model.value, fit.quant.value, fit.ctx.value, fit.kv.value) == ("llama3.1-8b", "Q8_0", 5000, "q8_0")
    assert fit.estimate.n_ctx == 5000
