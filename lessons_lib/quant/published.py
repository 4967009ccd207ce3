"""llama.cpp's own published numbers for Llama 3 8B, to set next to what a learner measures.

Sources (llama.cpp at the commit vendored by llama-cpp-python 0.3.36, ggml-org/llama.cpp@0c1e57098):
- QUALITY: tools/perplexity/README.md, "LLaMA 3 8B Scoreboard" (wikitext-2 test, n_ctx 512,
  RTX 4090, no importance matrix; KLD and "same top p" against the FP16 logits).
- SPEED: tools/quantize/README.md, Llama-3.1-8B table (pp512 / tg128 tokens per second; the
  hardware is not stated there).
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "FILE_BITS_PER_WEIGHT",
    "QUALITY_SOURCE",
    "SPEED_SOURCE",
    "llama3_8b_quality",
    "llama31_8b_speed",
    "weights_from_bits",
]

QUALITY_SOURCE = "llama.cpp tools/perplexity/README.md, LLaMA 3 8B scoreboard (wikitext-2, n_ctx 512)"
SPEED_SOURCE = "llama.cpp tools/quantize/README.md, Llama-3.1-8B (pp512 / tg128)"

# type, size GiB, PPL, mean KLD, top-1 agreement % (None where the README gives none)
_QUALITY = [
    ("F16", 14.97, 6.233160, 0.000551, None),
    ("Q8_0", 7.96, 6.234284, 0.001355, 97.67),
    ("Q6_K", 6.14, 6.253382, 0.005452, 96.03),
    ("Q5_K_M", 5.33, 6.288607, 0.010762, None),
    ("Q4_K_M", 4.58, 6.407115, 0.031273, 91.90),
    ("Q4_0", 4.34, 6.700147, 0.071940, None),
    ("Q3_K_M", 3.74, 6.888498, 0.101913, None),
    ("Q2_K", 2.96, 9.751568, 0.445132, 71.14),
]

# type, bits per weight (whole file), size GiB, pp512 t/s, tg128 t/s
_SPEED = [
    ("F16", 16.0005, 14.96, 923.49, 29.17),
    ("Q8_0", 8.5008, 7.95, 865.09, 50.93),
    ("Q6_K", 6.5633, 6.14, 812.01, 58.67),
    ("Q5_K_M", 5.7036, 5.33, 758.69, 67.23),
    ("Q4_K_M", 4.8944, 4.58, 821.81, 71.93),
    ("Q3_K_M", 3.9960, 3.74, 783.44, 71.68),
    ("Q2_K", 3.1593, 2.95, 784.45, 79.85),
]


def llama3_8b_quality() -> pd.DataFrame:
    table = pd.DataFrame(_QUALITY, columns=["type", "size (GiB)", "PPL", "KLD", "top-1 (%)"]).set_index("type")
    table["ΔPPL"] = (table["PPL"] - table.loc["F16", "PPL"]).round(4)
    return table


def llama31_8b_speed() -> pd.DataFrame:
    return pd.DataFrame(_SPEED, columns=["type", "bits/weight", "size (GiB)", "prompt tok/s", "gen tok/s"]).set_index(
        "type"
    )


# Whole-file bits per weight of llama.cpp's Llama-3.1-8B files (tools/quantize/README.md), and for
# Q4_0 (absent there) the 4.34 GiB of the Llama 3 8B scoreboard over its 8.03B parameters.
# Used to size a type that the catalog has no published download for.
FILE_BITS_PER_WEIGHT = {
    "F16": 16.0005,
    "Q8_0": 8.5008,
    "Q6_K": 6.5633,
    "Q5_K_M": 5.7036,
    "Q4_K_M": 4.8944,
    "Q4_0": round(4.34 * 2**30 * 8 / 8.03e9, 4),
    "Q3_K_M": 3.9960,
    "Q2_K": 3.1593,
}


def weights_from_bits(params: float, quant: str) -> int:
    """Approximate file size of a model with `params` parameters at `quant` (llama.cpp's 8B mix)."""
    return round(params * FILE_BITS_PER_WEIGHT[quant] / 8)
