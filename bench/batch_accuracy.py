"""Every strategy of the keyword job on the gold set: accuracy, confidence, speed, tokens and 100M-keyword cost.

Strategies (each keyword's answer recorded, so cascades are scored on the same answers):
- `llm MODEL K=k`: the job (Ray Data, the course's `run_job`), the model generating labels for packs
  of k keywords, with each label's confidence from its log-probabilities;
- `embed MODEL + LR`: each gold keyword's `/api/embed` vector, and a multinomial logistic regression
  (scikit-learn) scored by 5-fold cross-validation over the whole gold set: every keyword is
  predicted by a classifier that never saw it;
- `cascade A -> B`: A's answer when its confidence >= t, else B's. t is chosen on one half of the
  evaluated keywords (the smallest t within 0.005 of that half's best accuracy) and scored on the
  other half, then the halves swap; the table shows the mean. Its speed is A's on every keyword
  plus B's on the share sent on (the job does exactly this: tests/test_batch_cascade.py).

The projection for 100M keywords: hours on this machine at the measured keywords/s; the cheapest
GPU pod of the course's price table (lessons_lib.cloud.projection, the tokens per keyword measured
here, the model's size for its speed model); and a per-token API (gpt-4.1-nano) at those tokens.

    python bench/batch_accuracy.py [--limit 200] [--llm qwen2.5-coder:1.5b] [--embed qwen2.5-coder:0.5b] [-k 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lessons_lib import batch
from lessons_lib.batch.embed import cross_validated, embed_keywords
from lessons_lib.cloud import projection, speed
from lessons_lib.ollama_server import EmbeddedServer

# Parameters (billions) and file size (GB) for the GPU speed model, per shelf model.
SIZES = {
    "smollm2:135m": speed.ModelSize("SmolLM2 135M Q4_1", 0.135, 0.098),
    "gemma3:270m-base": speed.ModelSize("Gemma 3 270M Q4_K_M", 0.27, 0.25),
    "qwen2.5-coder:0.5b": speed.ModelSize("Qwen2.5-Coder 0.5B Q4_K_M", 0.49, 0.40),
    "qwen2.5-coder:1.5b": speed.ModelSize("Qwen2.5-Coder 1.5B Q4_K_M", 1.54, 1.1),
}
API = "gpt-4.1-nano"
THRESHOLDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 1.01)


@dataclass
class Answers:
    """One strategy's answer per keyword, and what it cost per keyword."""

    name: str
    model: str
    labels: dict[str, str | None]
    confidence: dict[str, float]
    keywords_per_s: float
    tokens_in: float
    tokens_out: float
    notes: dict[str, float] = field(default_factory=dict)


def run_llm(url: str, model: str, keywords: list[str], k: int) -> Answers:
    endpoint = batch.Endpoint.ollama(url, model).with_slots()
    with tempfile.TemporaryDirectory() as out:
        summary = batch.run_job(keywords, out, [endpoint], k=k, progress=False)
        table = pd.read_parquet(summary.result)
    n = max(summary.done_now, 1)
    return Answers(
        f"llm {model} K={k}",
        model,
        dict(zip(table.keyword, table.category)),
        {kw: (c if c == c else 0.0) for kw, c in zip(table.keyword, table.confidence)},
        summary.items_per_s,
        summary.prompt_tokens / n,
        summary.completion_tokens / n,
    )


def run_embed(url: str, model: str, gold: dict[str, str]) -> Answers:
    endpoint = batch.Endpoint.ollama(url, model).with_slots()
    embed_keywords(endpoint, list(gold)[:8])  # load the model: its load time is not the job's speed
    started = time.monotonic()
    vectors = embed_keywords(endpoint, list(gold))
    seconds = time.monotonic() - started
    labels, confidence, _ = cross_validated(vectors, list(gold.values()))
    tokens = [len(kw.split()) for kw in gold]  # replaced below by the server's count
    import httpx

    counted = httpx.post(url + "/api/embed", json={"model": model, "input": list(gold)}, timeout=600).json()
    n_tokens = counted.get("prompt_eval_count") or sum(tokens)
    return Answers(
        f"embed {model} + LR",
        model,
        dict(zip(gold, labels)),
        dict(zip(gold, confidence)),
        len(gold) / seconds,
        n_tokens / len(gold),
        0.0,
    )


def scored(
    answers: dict[str, str | None], confidence: dict[str, float], keywords: list[str], gold: dict[str, str]
) -> dict[str, float]:
    right = [answers.get(kw) == gold[kw] for kw in keywords]
    sure = [r for kw, r in zip(keywords, right) if confidence.get(kw, 0.0) >= 0.9]
    return {
        "accuracy": float(np.mean(right)),
        "share >=0.9": len(sure) / len(keywords),
        "accuracy >=0.9": float(np.mean(sure)) if sure else float("nan"),
    }


def cascade(
    first: Answers, second: Answers, keywords: list[str], gold: dict[str, str]
) -> tuple[Answers, dict[str, float]]:
    """first -> second with t chosen on one half and scored on the other (both ways)."""
    halves = [keywords[0::2], keywords[1::2]]

    def accuracy(t: float, kws: list[str]) -> float:
        return float(
            np.mean([(first.labels[kw] if first.confidence[kw] >= t else second.labels[kw]) == gold[kw] for kw in kws])
        )

    labels: dict[str, str | None] = {}
    confidence: dict[str, float] = {}
    chosen, sent = [], []
    for tune, test in (halves, halves[::-1]):
        scores = {t: accuracy(t, tune) for t in THRESHOLDS}
        best = max(scores.values())
        t = min(t for t, s in scores.items() if s >= best - 0.005)
        chosen.append(t)
        for kw in test:
            passed = first.confidence[kw] < t
            sent.append(passed)
            labels[kw] = second.labels[kw] if passed else first.labels[kw]
            confidence[kw] = second.confidence[kw] if passed else first.confidence[kw]
    share = float(np.mean(sent))
    per_keyword_s = 1 / first.keywords_per_s + share / second.keywords_per_s
    result = Answers(
        f"cascade {first.name} -> {second.model}",
        second.model,
        labels,
        confidence,
        1 / per_keyword_s,
        first.tokens_in + share * second.tokens_in,
        first.tokens_out + share * second.tokens_out,
    )
    return result, {"threshold": float(np.mean(chosen)), "sent on": share}


def cost_columns(a: Answers) -> dict[str, object]:
    hours_here = projection.KEYWORDS / a.keywords_per_s / 3600 if a.keywords_per_s else float("nan")
    size = SIZES.get(a.model, speed.LLAMA_8B_Q4)
    table = projection.projection(tokens_in=a.tokens_in, tokens_out=a.tokens_out, model=size, api_models=(API,))
    pods = table[table["GPU"].notna()].sort_values("$ total")
    cheapest = pods.iloc[0]
    api = table[table["option"].str.startswith("API")].iloc[0]
    return {
        "100M h here": hours_here,
        "100M cheapest GPU": f"{cheapest['GPU']} ${cheapest['$ total']:,.0f} ({cheapest['hours on 1']:,.0f} h)",
        f"100M {API} $": float(api["$ total"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=200, help="gold keywords the LLMs answer (every 518 are embedded)")
    parser.add_argument("--llm", nargs="*", default=["qwen2.5-coder:1.5b"])
    parser.add_argument("--embed", nargs="*", default=["qwen2.5-coder:0.5b", "qwen2.5-coder:1.5b"])
    parser.add_argument("-k", type=int, nargs="+", default=[1])
    parser.add_argument("--endpoint", default=None, help="an Ollama to use (default: the embedded server)")
    args = parser.parse_args()
    gold = batch.gold_labels()
    keywords = list(gold)[: args.limit]
    server = None if args.endpoint else EmbeddedServer().start()
    url = args.endpoint or server.url
    strategies: list[tuple[Answers, dict[str, float]]] = []
    print(
        f"{len(keywords)} gold keywords for the LLMs, {len(gold)} embedded; load {os.getloadavg()[0]:.1f}", flush=True
    )
    try:
        batch.start_ray(num_cpus=2)
        for model in args.embed:
            strategies.append((run_embed(url, model, gold), {}))
            print(strategies[-1][0].name, f"{strategies[-1][0].keywords_per_s:.1f} kw/s", flush=True)
        for model in args.llm:
            for k in args.k:
                strategies.append((run_llm(url, model, keywords, k), {}))
                print(strategies[-1][0].name, f"{strategies[-1][0].keywords_per_s:.2f} kw/s", flush=True)
    finally:
        batch.stop_ray()
        if server is not None:
            server.stop()
    llms = [a for a, _ in strategies if a.name.startswith("llm") and a.name.endswith("K=1")]
    firsts = [a for a, _ in strategies if not a.name.startswith("llm")] + llms[:-1]
    if llms:
        for first in firsts:
            strategies.append(cascade(first, llms[-1], keywords, gold))
    rows = []
    for a, notes in strategies:
        rows.append(
            {
                "strategy": a.name,
                **scored(a.labels, a.confidence, keywords, gold),
                "keywords/s": a.keywords_per_s,
                "prompt tok/kw": a.tokens_in,
                "output tok/kw": a.tokens_out,
                **notes,
                **cost_columns(a),
            }
        )
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    print()
    print(f"scored on {len(keywords)} gold keywords (embeddings: 5-fold cross-validated over all {len(gold)})")
    print(table.round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
