"""How fast a GPU generates: decode speed from its memory bandwidth, batched speed, prefill speed.

One stream of decoding reads every weight once per token, so its speed is bounded by
memory bandwidth / model bytes. llama.cpp reaches a fraction of that bound, taken from a
published measurement rather than guessed:

- Decode, one stream: RTX 3090 (936 GB/s), Llama 8B Q4_0 (4.33 GiB): 155 tokens/s
  (ggml-org/llama.cpp PR #15802, 2025-09, llama-bench with 1..8 parallel sequences), so
  efficiency = 155 * 4.65 GB / 936 GB/s = 0.77 of the bandwidth bound.
- Batched decode (several requests at once, what Ollama's OLLAMA_NUM_PARALLEL and llama-server's
  slots give): the same table shows 8 sequences at 571 tokens/s, 3.68x one stream. We fit
  aggregate(B) = single * B / (1 + c (B - 1)) to it (c = 0.168) and assume the same curve on
  other GPUs; engines built for batching (vLLM) scale further, so this errs on the slow side.
  Compute caps it: 2 * parameters FLOPs per token at 40% of the GPU's dense FP16 tensor FLOPS.
- Prefill (prompt processing) is compute-bound: RTX 4090 (165 TFLOPS), Llama 8B Q4_0: 10,359
  tokens/s (ggml-org/llama.cpp PR #7676, pp512), scaled by each GPU's FLOPS.

GPU figures are NVIDIA's datasheets (memory bandwidth, dense FP16 tensor TFLOPS, no sparsity; the
A40's is 149.7, its TF32 figure being 74.8). Never one speed for every GPU: in this model an H100 SXM
decodes about 3.3x faster than an RTX 4090, the ratio of their bandwidths. That factor is an
ASSUMPTION (the same llama.cpp efficiency on every GPU), not a measurement: `ASSUMPTIONS` lists it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "GpuSpec",
    "GPU_SPECS",
    "gpu_spec",
    "decode_tokens_per_s",
    "batched_tokens_per_s",
    "prefill_tokens_per_s",
    "ModelSize",
    "LLAMA_8B_Q4",
    "EFFICIENCY",
    "BATCH_C",
    "speed_table",
    "speedup",
    "ASSUMPTIONS",
]

ERR_UNKNOWN = "No speed figures for GPU {gpu!r}. Known: {known}"
ERR_BATCH = "batch must be a whole number, 1 or more, not {batch!r}"
COLS = (
    "GPU",
    "bandwidth GB/s",
    "FP16 TFLOPS",
    "decode tok/s (1 stream)",
    "decode tok/s ({batch} streams)",
    "prefill tok/s",
)

SRC_DATASHEETS = "NVIDIA datasheets (memory bandwidth; dense FP16 tensor TFLOPS, no sparsity)"
SRC_DECODE = "ggml-org/llama.cpp PR #15802 (2025-09): RTX 3090, llama 8B Q4_0, 155 t/s at 1 sequence, 571 at 8"
# What the speed model assumes rather than measures: say so wherever its numbers are shown.
ASSUMPTIONS = (
    "one llama.cpp efficiency (measured on an RTX 3090) for every GPU: decode speed scales with memory bandwidth",
    "the RTX 3090's 1..8-sequence batching curve on every GPU",
    "prefill scales with dense FP16 tensor TFLOPS from one RTX 4090 measurement",
)
SRC_PREFILL = "ggml-org/llama.cpp PR #7676 (2024-06): RTX 4090, llama 8B Q4_0, pp512 10,359 t/s"

MEASURED_GB = 4.65  # llama 8B Q4_0: 4.33 GiB
EFFICIENCY = 155 * MEASURED_GB / 936  # = 0.77 of bandwidth / bytes per token
BATCH_C = (8 / 3.68 - 1) / 7  # fitted to 571 / 155 = 3.68x at 8 sequences
MFU = 0.40  # share of dense FP16 tensor FLOPS a batched decode can use (a usual figure for inference)
PREFILL_REF = (10359.0, 165.0)  # tokens/s on an RTX 4090, its TFLOPS


@dataclass(frozen=True)
class GpuSpec:
    name: str  # the display name prices.GPU_PRICES uses
    bandwidth_gb_s: float
    fp16_tflops: float
    memory_gb: int


GPU_SPECS: tuple[GpuSpec, ...] = (
    GpuSpec("RTX 3090", 936, 71, 24),
    GpuSpec("RTX 4090", 1008, 165, 24),
    GpuSpec("A40", 696, 149.7, 48),  # FP16 tensor; 74.8 is its TF32 figure
    GpuSpec("L40S", 864, 362, 48),
    GpuSpec("A100 PCIe", 1935, 312, 80),
    GpuSpec("A100 SXM", 2039, 312, 80),
    GpuSpec("H100 PCIe", 2000, 756, 80),
    GpuSpec("H100 SXM", 3350, 989, 80),
    GpuSpec("H200 SXM", 4800, 989, 141),
)


@dataclass(frozen=True)
class ModelSize:
    name: str
    params_b: float  # billions of parameters
    file_gb: float  # bytes read per generated token (the weights), in GB

    def __post_init__(self) -> None:
        if self.params_b <= 0 or self.file_gb <= 0:
            raise ValueError("a model needs a positive size")


LLAMA_8B_Q4 = ModelSize("Llama 3.1 8B Q4_K_M", 8.03, 4.92)


def gpu_spec(gpu: str) -> GpuSpec:
    for spec in GPU_SPECS:
        if spec.name.lower() == gpu.lower():
            return spec
    raise KeyError(ERR_UNKNOWN.format(gpu=gpu, known=", ".join(s.name for s in GPU_SPECS)))


def decode_tokens_per_s(gpu: str | GpuSpec, model: ModelSize = LLAMA_8B_Q4, efficiency: float = EFFICIENCY) -> float:
    """One stream: efficiency * bandwidth / bytes per token."""
    spec = gpu if isinstance(gpu, GpuSpec) else gpu_spec(gpu)
    return efficiency * spec.bandwidth_gb_s / model.file_gb


def batched_tokens_per_s(
    gpu: str | GpuSpec, batch: int, model: ModelSize = LLAMA_8B_Q4, efficiency: float = EFFICIENCY
) -> float:
    """All `batch` streams together (tokens/s summed), capped by compute."""
    if not isinstance(batch, int) or batch < 1:
        raise ValueError(ERR_BATCH.format(batch=batch))
    spec = gpu if isinstance(gpu, GpuSpec) else gpu_spec(gpu)
    single = decode_tokens_per_s(spec, model, efficiency)
    memory_bound = single * batch / (1 + BATCH_C * (batch - 1))
    compute_bound = spec.fp16_tflops * 1e12 * MFU / (2 * model.params_b * 1e9)
    return min(memory_bound, compute_bound)


def prefill_tokens_per_s(gpu: str | GpuSpec, model: ModelSize = LLAMA_8B_Q4) -> float:
    spec = gpu if isinstance(gpu, GpuSpec) else gpu_spec(gpu)
    ref_speed, ref_tflops = PREFILL_REF
    return ref_speed * spec.fp16_tflops / ref_tflops * LLAMA_8B_Q4.params_b / model.params_b


def speed_table(batch: int = 8, model: ModelSize = LLAMA_8B_Q4):
    import pandas as pd

    rows = [
        (
            s.name,
            s.bandwidth_gb_s,
            s.fp16_tflops,
            decode_tokens_per_s(s, model),
            batched_tokens_per_s(s, batch, model),
            prefill_tokens_per_s(s, model),
        )
        for s in GPU_SPECS
    ]
    cols = [c.format(batch=batch) for c in COLS]
    return pd.DataFrame(rows, columns=cols)


def speedup(fast: str, slow: str, batch: int = 8, model: ModelSize = LLAMA_8B_Q4) -> float:
    """How many times faster `fast` decodes than `slow` in this model: an assumption, not a measurement
    (see ASSUMPTIONS); e.g. speedup("H100 SXM", "RTX 4090") is the bandwidth ratio, about 3.3."""
    return batched_tokens_per_s(fast, batch, model) / batched_tokens_per_s(slow, batch, model)
