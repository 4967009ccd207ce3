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

import pandas as pd

from lessons_lib import batch
from lessons_lib.batch.embed import cross_validated, embed_counted, embed_keywords
from lessons_lib.batch.strategies import Answers, cascade, llm_answers, table
from lessons_lib.ollama_server import EmbeddedServer


def run_llm(url: str, model: str, keywords: list[str], k: int) -> Answers:
    endpoint = batch.Endpoint.ollama(url, model).with_slots()
    with tempfile.TemporaryDirectory() as out:
        answers = llm_answers(endpoint, keywords, out, k)
    answers.name = f"llm {answers.name}"
    return answers


def run_embed(url: str, model: str, gold: dict[str, str]) -> Answers:
    endpoint = batch.Endpoint.ollama(url, model).with_slots()
    embed_keywords(endpoint, list(gold)[:8])  # load the model: its load time is not the job's speed
    started = time.monotonic()
    vectors, tokens = embed_counted(endpoint, list(gold))
    seconds = time.monotonic() - started
    labels, confidence, _ = cross_validated(vectors, list(gold.values()))
    return Answers(
        f"embed {model} + LR",
        model,
        dict(zip(gold, labels)),
        dict(zip(gold, confidence)),
        len(gold) / seconds,
        tokens / len(gold),
        0.0,
    )


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
    strategies: list[Answers] = []
    print(
        f"{len(keywords)} gold keywords for the LLMs, {len(gold)} embedded; load {os.getloadavg()[0]:.1f}", flush=True
    )
    try:
        batch.start_ray(num_cpus=2)
        for model in args.embed:
            strategies.append(run_embed(url, model, gold))
            print(strategies[-1].name, f"{strategies[-1].keywords_per_s:.1f} kw/s", flush=True)
        for model in args.llm:
            for k in args.k:
                strategies.append(run_llm(url, model, keywords, k))
                print(strategies[-1].name, f"{strategies[-1].keywords_per_s:.2f} kw/s", flush=True)
    finally:
        batch.stop_ray()
        if server is not None:
            server.stop()
    llms = [a for a in strategies if a.name.startswith("llm") and a.name.endswith("K=1")]
    firsts = [a for a in strategies if not a.name.startswith("llm")] + llms[:-1]
    strategies += [cascade(first, llms[-1], keywords, gold) for first in firsts] if llms else []
    pd.set_option("display.width", 250)
    print()
    print(f"scored on {len(keywords)} gold keywords (embeddings: 5-fold cross-validated over all {len(gold)})")
    print(table(strategies, keywords, gold).round(3).to_string(index=False))
    print("\nreliability (accuracy per confidence bin, on the same keywords):")
    for a in strategies:
        records = [{"keyword": kw, "category": a.labels.get(kw), "confidence": a.confidence.get(kw)} for kw in keywords]
        bins = batch.reliability(records, gold)
        print(f"  {a.name}: " + ", ".join(f"{b['bin']} n={b['rows']} acc={b['accuracy']:.2f}" for b in bins))
    return 0


if __name__ == "__main__":
    sys.exit(main())
