"""lessons_lib.quant: quantize, fallback report, dequantize, perplexity, KL divergence, errors."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lessons_lib.bundled import bundled_gguf_path
from lessons_lib.llama import gguf_file
from lessons_lib.memory import ModelShape, kv_cache_bytes
from lessons_lib.quant import QuantizeError, UnknownQuantization, normalize_kind, quantize
from lessons_lib.quant.dequantize import to_f16
from lessons_lib.quant.evaluate import (
    evaluate_model,
    kl_divergence,
    load_eval_texts,
    make_chunks,
    perplexity,
    second_half,
    tokenize_parts,
)
from lessons_lib.quant.experiment import find_model_file, prepare_source
from lessons_lib.quant.measure import measure_speed


@pytest.fixture(scope="module")
def quant_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("quant")


@pytest.fixture(scope="module")
def f16(quant_dir: Path) -> Path:
    """The bundled Q4_1 model in F16, converted by llama.cpp itself (fast)."""
    return quantize(bundled_gguf_path(), quant_dir / "f16.gguf", "F16", allow_requantize=True).destination


@pytest.fixture(scope="module")
def q4_k_m(f16: Path, quant_dir: Path):
    seen: list[tuple[int, int, str]] = []
    report = quantize(f16, quant_dir / "q4_k_m.gguf", "q4_k_m", progress=lambda *a: seen.append(a))
    return report, seen


# --- quantize ----------------------------------------------------------------------------------


def test_quantize_writes_the_type_and_reports_sizes(f16: Path, quant_dir: Path):
    report = quantize(f16, quant_dir / "q8_0.gguf", "Q8_0")
    info = gguf_file.read(report.destination)
    assert info.file_type == "Q8_0"
    assert report.size == report.destination.stat().st_size
    assert report.tensor_types == {"Q8_0": 211, "F32": 61}  # 2-D weights quantized, norms kept in F32
    assert 8.4 < report.bits_per_weight < 8.6  # 34 bytes per 32 weights
    assert report.fallbacks == ()
    assert report.size < report.source_size / 1.8


def test_fallback_report_matches_llama_cpp_and_the_file(q4_k_m):
    report, _ = q4_k_m
    summary = re.search(r"WARNING: (\d+) of (\d+) tensor\(s\) required fallback", report.log)
    assert summary, "llama.cpp printed no fallback summary"
    assert len(report.fallbacks) == int(summary[1]) > 0
    assert report.n_tensors == int(summary[2])
    info = {t.name: t for t in gguf_file.read(report.destination).tensors}
    for fb in report.fallbacks:
        assert fb.ncols % fb.block != 0  # the reason: rows do not split into 256-blocks
        assert info[fb.tensor].shape[0] == fb.ncols
        assert info[fb.tensor].type == fb.used  # the file really holds the fallback type
    assert {(fb.wanted, fb.used) for fb in report.fallbacks} <= {("Q4_K", "Q5_0"), ("Q6_K", "Q8_0")}
    # Tensors whose rows do split (ffn_down: 1536 = 6 x 256) keep real k-quants.
    assert info["blk.0.ffn_down.weight"].type in ("Q4_K", "Q6_K")


def test_progress_counts_every_tensor_in_order(q4_k_m):
    report, seen = q4_k_m
    done = [d for d, _, _ in seen]
    assert done == sorted(done)
    assert seen[-1][:2] == (report.n_tensors, report.n_tensors)
    assert all(total == report.n_tensors for _, total, _ in seen)


def test_kind_names_and_unknown_kinds():
    assert normalize_kind(" q4_k ") == "Q4_K_M"
    with pytest.raises(UnknownQuantization, match="choose one of: .*Q4_K_M"):
        normalize_kind("Q9_X")
    with pytest.raises(UnknownQuantization, match="importance matrix"):
        normalize_kind("IQ2_XXS")


def test_quantized_source_is_refused_and_nothing_is_left(tmp_path: Path):
    keep = tmp_path / "out.gguf"
    keep.write_bytes(b"previous content")
    with pytest.raises(QuantizeError, match="already quantized \\(Q4_1\\).*allow_requantize"):
        quantize(bundled_gguf_path(), keep, "Q4_0")
    assert keep.read_bytes() == b"previous content"  # the old file survives a failed run
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gguf"]  # no partial file


def test_bad_sources(tmp_path: Path, f16: Path):
    with pytest.raises(FileNotFoundError, match="not found"):
        quantize(tmp_path / "missing.gguf", tmp_path / "x.gguf", "Q8_0")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model at all")
    with pytest.raises(ValueError, match="not a GGUF file"):
        quantize(junk, tmp_path / "x.gguf", "Q8_0")
    with pytest.raises(ValueError, match="must differ"):
        quantize(f16, f16, "F16")


def test_an_exception_in_progress_stops_cleanly(f16: Path, tmp_path: Path):
    def stop(done: int, total: int, name: str) -> None:
        if done == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        quantize(f16, tmp_path / "q4_0.gguf", "Q4_0", progress=stop)
    assert list(tmp_path.iterdir()) == []


# --- dequantize ----------------------------------------------------------------------------------


def test_gguf_dequantize_matches_llama_cpp_bit_for_bit(f16: Path, tmp_path: Path):
    from gguf import GGUFReader

    report = to_f16(bundled_gguf_path(), tmp_path / "f16.gguf")
    assert report.source_type == "Q4_1"
    assert "the Q4_1 model stored in F16" in report.description
    ours, theirs = GGUFReader(report.destination), GGUFReader(f16)
    assert gguf_file.read(report.destination).file_type == "F16"
    by_name = {t.name: t for t in theirs.tensors}
    assert len(ours.tensors) == len(by_name)
    for t in ours.tensors:
        other = by_name[t.name]
        assert t.tensor_type == other.tensor_type
        assert np.array_equal(np.asarray(t.data), np.asarray(other.data)), t.name


def test_source_lookup(f16: Path, tmp_path: Path):
    assert find_model_file("smollm2:135m") == bundled_gguf_path()
    src = prepare_source(f16, tmp_path)
    assert src.f16 == f16 and src.original_type == "F16" and "used as it is" in src.description
    with pytest.raises(FileNotFoundError, match="no GGUF found"):
        find_model_file(tmp_path / "nothing.gguf")


# --- perplexity and KL: hand-computed cases ---------------------------------------------------------


def test_chunks_replace_the_first_token_with_bos_and_drop_the_tail():
    assert make_chunks(list(range(20)), 8, bos=99) == [[99, 1, 2, 3, 4, 5, 6, 7], [99, 9, 10, 11, 12, 13, 14, 15]]
    assert make_chunks(list(range(20)), 8, max_chunks=1) == [list(range(8))]
    with pytest.raises(ValueError):
        make_chunks([1, 2, 3], 7)


def test_perplexity_by_hand():
    # Vocabulary of 2; every scored row says p = (1/4, 3/4). n_ctx 8 -> rows 4, 5, 6 are scored,
    # predicting tokens 5, 6, 7 of the chunk = 1, 1, 0 -> NLL ln(4/3), ln(4/3), ln 4.
    logits = np.tile([0.0, math.log(3)], (8, 1))
    logits[:4] = [50.0, -50.0]  # the first half must not count
    logits[7] = [-50.0, 50.0]  # nor the last row (it predicts past the chunk)
    chunk = [0, 0, 0, 0, 0, 1, 1, 0]
    nll, logp = second_half(logits, chunk)
    expected = [math.log(4 / 3), math.log(4 / 3), math.log(4)]
    assert np.allclose(nll, expected)
    assert logp.shape == (3, 2)
    ppl = perplexity(nll)
    assert ppl.value == pytest.approx((64 / 9) ** (1 / 3))  # (4/3 * 4/3 * 4) ** (1/3)
    mean = sum(expected) / 3
    var = sum(v * v for v in expected) / 3 - mean * mean
    assert ppl.uncertainty == pytest.approx(math.sqrt(var / 2) * ppl.value)
    assert ppl.n_scored == 3


def test_uniform_model_has_perplexity_equal_to_vocabulary_size():
    nll, _ = second_half(np.zeros((16, 10)), list(range(10)) + list(range(6)))
    assert perplexity(nll).value == pytest.approx(10.0)


def test_kl_divergence_by_hand():
    ref = np.log([[0.5, 0.5], [0.9, 0.1]])
    var = np.log([[0.25, 0.75], [0.9, 0.1]])
    kld = kl_divergence(ref, var)
    assert kld[0] == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(2 / 3))
    assert kld[1] == pytest.approx(0.0)


# --- on the real model ----------------------------------------------------------------------------


def test_quality_ranks_q8_0_above_q2_k(f16: Path, quant_dir: Path):
    tokens = tokenize_parts(f16, load_eval_texts())
    assert set(tokens) == {"English", "Polish"}
    opts: dict[str, Any] = {"n_ctx": 128, "max_chunks": 1, "n_threads": 1}  # one thread: steady on a busy machine
    ref = evaluate_model(f16, tokens, keep_logp=True, **opts)
    same = evaluate_model(f16, tokens, reference=ref, **opts)
    assert same.kld == pytest.approx(0.0, abs=1e-6) and same.top1_agreement == 1.0
    q8 = evaluate_model(quantize(f16, quant_dir / "q8.gguf", "Q8_0").destination, tokens, reference=ref, **opts)
    q2 = evaluate_model(quantize(f16, quant_dir / "q2.gguf", "Q2_K").destination, tokens, reference=ref, **opts)
    assert 0 < q8.kld < q2.kld
    assert q8.top1_agreement > q2.top1_agreement
    assert ref.perplexity.n_scored == 2 * 63  # two parts, one 128-token chunk each, 63 scored
    assert 1 < ref.perplexity.value < 49152


def test_speed_and_the_kv_cache_llama_cpp_allocates(f16: Path):
    shape = ModelShape.from_gguf_metadata(gguf_file.read(f16).metadata)
    result = measure_speed(f16, prompts=("Hi",), n_gen=4, n_ctx=1024, n_threads=1, flash_attn=True, type_k=8, type_v=8)
    assert result.kv_cache_bytes == pytest.approx(kv_cache_bytes(shape, 1024, "q8_0"), rel=1e-3)
    assert result.generated_tokens > 0 and result.generation_tokens_per_s > 0
    assert result.prompt_tokens_per_s > 0 and result.load_s > 0
    assert result.rss_bytes > 0 and len(result.answers) == 1


def test_bf16_source_dequantizes_to_the_same_numbers(f16: Path, quant_dir: Path, tmp_path: Path):
    from gguf import GGUFReader

    bf16 = quantize(f16, quant_dir / "bf16.gguf", "BF16").destination
    report = to_f16(bf16, tmp_path / "from-bf16.gguf")
    assert report.source_type == "BF16"
    ours = {t.name: np.asarray(t.data, dtype=np.float32) for t in GGUFReader(report.destination).tensors}
    for t in GGUFReader(f16).tensors:  # BF16 keeps 8 mantissa bits: within 1/128 of the F16 value
        assert ours[t.name].shape == np.asarray(t.data).shape, t.name
        assert np.allclose(ours[t.name], np.asarray(t.data, dtype=np.float32), rtol=1 / 128, atol=1e-6), t.name


# --- the same through Ollama ------------------------------------------------------------------------


def test_variants_registered_compared_and_removed(client, f16: Path, quant_dir: Path):
    from lessons_lib.quant import ollama_lab

    q4_0 = quantize(f16, quant_dir / "lab-q4_0.gguf", "Q4_0").destination
    names = ollama_lab.register_variants(client, {"Q4_1": bundled_gguf_path(), "Q4_0": q4_0}, base="quant-test")
    try:
        assert names == {"Q4_1": "quant-test:q4_1", "Q4_0": "quant-test:q4_0"}
        assert client.show(names["Q4_0"]).details.quantization_level == "Q4_0"
        table = ollama_lab.compare_answers(client, names, "Say hello.", {"num_predict": 4, "temperature": 0.0})
        assert list(table.index) == ["Q4_1", "Q4_0"]
        assert table["answer"].str.len().gt(0).all() and table["gen tok/s"].gt(0).all()
        assert table.loc["Q4_0", "size (MB)"] == round(q4_0.stat().st_size / 1e6, 1)
    finally:
        ollama_lab.remove_models(client, names)
    listed = {m.model for m in client.list().models}
    assert not set(names.values()) & listed
    ollama_lab.remove_models(client, names)  # already gone: not an error


def test_lab_arguments_are_checked_before_any_work(f16: Path):
    from lessons_lib.quant.experiment import kv_cache_lab, measure_variants

    with pytest.raises(ValueError, match="must include F16"):
        measure_variants({"Q8_0": f16}, {})
    with pytest.raises(ValueError, match="unknown KV cache type 'q5_0'; choose from: f16, q8_0, q4_0"):
        kv_cache_lab(f16, kv_types=("f16", "q5_0"))
