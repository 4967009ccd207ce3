"""Strategies for the keyword job compared on the gold set: accuracy, honest confidence, speed, tokens, 100M cost.

A strategy's `Answers` are its label and confidence per keyword and what it cost per keyword.
`cascade` scores "A when A is sure, else B" on the same answers, with the threshold chosen on one
half of the keywords and scored on the other (then the halves swap), so the threshold is never
scored on the keywords it was tuned on. `table` gives one row per strategy, with the projection
for 100 million keywords from the course's cost model (lessons_lib.cloud.projection).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from .. import edition
from ..cloud import projection, speed
from .embed import EmbeddingClassifier, embed_counted, embed_keywords
from .endpoints import Endpoint
from .pipeline import JobSummary, run_job

__all__ = [
    "Answers",
    "cascade",
    "table",
    "plot",
    "split_gold",
    "from_job",
    "llm_answers",
    "embedding_answers",
    "THRESHOLDS",
    "MODEL_SIZES",
    "API_MODEL",
]

THRESHOLDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 1.01)
API_MODEL = "gpt-4.1-nano"
# Parameters (billions) and bytes read per token (GB) of the shelf's models, for the GPU speed model.
MODEL_SIZES = {
    "smollm2:135m": speed.ModelSize("SmolLM2 135M Q4_1", 0.135, 0.098),
    "gemma3:270m-base": speed.ModelSize("Gemma 3 270M Q4_K_M", 0.27, 0.25),
    "qwen2.5-coder:0.5b": speed.ModelSize("Qwen2.5-Coder 0.5B Q4_K_M", 0.49, 0.40),
    "qwen2.5-coder:1.5b": speed.ModelSize("Qwen2.5-Coder 1.5B Q4_K_M", 1.54, 1.1),
}


@dataclass
class Answers:
    """One strategy's answer and confidence per keyword, its speed here, and its tokens per keyword."""

    name: str
    model: str  # the model whose size prices it on a GPU (a cascade: its last stage's)
    labels: dict[str, str | None]
    confidence: dict[str, float]
    keywords_per_s: float
    tokens_in: float
    tokens_out: float
    notes: dict[str, float] = field(default_factory=dict)  # a cascade's threshold and share sent on

    def accuracy(self, keywords: list[str], gold: dict[str, str]) -> float:
        """The share of `keywords` whose answer is their gold label."""
        return _accuracy(self.labels, keywords, gold)


def split_gold(gold: dict[str, str], per_category: int = 4, seed: int = 0) -> tuple[dict[str, str], list[str]]:
    """(training keywords with their labels, held-out test keywords): `per_category` of each category held out,
    chosen at random with `seed`, so every method is scored on keywords it was neither fitted nor tuned on."""
    import random

    chooser = random.Random(seed)
    test: list[str] = []
    for category in sorted(set(gold.values())):
        members = [kw for kw, label in gold.items() if label == category]
        test += chooser.sample(members, min(per_category, len(members)))
    held_out = set(test)
    return {kw: label for kw, label in gold.items() if kw not in held_out}, test


def from_job(summary: JobSummary, name: str, model: str) -> Answers:
    """A finished job's answers (its result Parquet), speed and tokens per keyword as one strategy."""
    import pandas as pd

    rows = pd.read_parquet(summary.result)
    n = max(summary.done_now, 1)
    return Answers(
        name,
        model,
        {kw: (c if isinstance(c, str) else None) for kw, c in zip(rows.keyword, rows.category)},
        {kw: (float(c) if c == c and c is not None else 0.0) for kw, c in zip(rows.keyword, rows.confidence)},
        summary.items_per_s,
        summary.prompt_tokens / n,
        summary.completion_tokens / n,
    )


def llm_answers(endpoint: Endpoint, keywords: list[str], out: str | os.PathLike[str], k: int) -> Answers:
    """The job with `endpoint`'s model generating labels for packs of `k` keywords, as a strategy."""
    summary = run_job(keywords, out, [endpoint], k=k, progress=False)
    return from_job(summary, f"{endpoint.model} K={k}", endpoint.model)


def embedding_answers(
    endpoint: Endpoint, train: dict[str, str], test: list[str]
) -> tuple[Answers, EmbeddingClassifier]:
    """A logistic regression on `endpoint`'s embeddings, fitted on `train`, answering `test`.

    Its speed is embedding's (keywords/s over every keyword embedded here, the model loaded first):
    the regression itself takes microseconds a keyword."""
    embed_keywords(endpoint, test[:4])  # load the model: loading is not the method's speed
    started = time.monotonic()
    vectors, tokens = embed_counted(endpoint, list(train) + test)
    seconds = time.monotonic() - started
    classifier = EmbeddingClassifier.fit_vectors(endpoint.model, vectors[: len(train)], list(train.values()))
    labels, confidence, _ = classifier.predict(vectors[len(train) :])
    answers = Answers(
        f"embed {endpoint.model} + LR",
        endpoint.model,
        dict(zip(test, labels)),
        dict(zip(test, confidence)),
        (len(train) + len(test)) / seconds,
        tokens / (len(train) + len(test)),
        0.0,
    )
    return answers, classifier


def _accuracy(labels: dict[str, str | None], keywords: list[str], gold: dict[str, str]) -> float:
    return sum(labels.get(kw) == gold[kw] for kw in keywords) / len(keywords) if keywords else 0.0


def cascade(first: Answers, second: Answers, keywords: list[str], gold: dict[str, str]) -> Answers:
    """`first` where its confidence >= t, else `second`; t tuned on one half of `keywords`, scored on the other."""
    halves = [keywords[0::2], keywords[1::2]]

    def combined(t: float, kws: list[str]) -> dict[str, str | None]:
        return {kw: first.labels.get(kw) if first.confidence.get(kw, 0.0) >= t else second.labels.get(kw) for kw in kws}

    labels: dict[str, str | None] = {}
    confidence: dict[str, float] = {}
    chosen, sent = [], 0
    for tune, test in (halves, halves[::-1]):
        scores = {t: _accuracy(combined(t, tune), tune, gold) for t in THRESHOLDS}
        t = min(t for t, s in scores.items() if s >= max(scores.values()) - 0.005)  # fewest sent on, ~best
        chosen.append(t)
        labels.update(combined(t, test))
        for kw in test:
            passed = first.confidence.get(kw, 0.0) < t
            sent += passed
            confidence[kw] = second.confidence.get(kw, 0.0) if passed else first.confidence.get(kw, 0.0)
    share = sent / len(keywords) if keywords else 0.0
    seconds = 1 / first.keywords_per_s + share / second.keywords_per_s  # per keyword: all by first, the rest by second
    return Answers(
        f"{first.name} -> {second.name}",
        second.model,
        labels,
        confidence,
        1 / seconds,
        first.tokens_in + share * second.tokens_in,
        first.tokens_out + share * second.tokens_out,
        {"threshold": sum(chosen) / len(chosen), "sent on": share},
    )


def _col(key: str, **fields: Any) -> str:
    return edition.text(f"batch.col_{key}", **fields)


def _costs(a: Answers) -> dict[str, Any]:
    size = MODEL_SIZES.get(a.model, speed.LLAMA_8B_Q4)
    rows = projection.projection(
        tokens_in=a.tokens_in, tokens_out=a.tokens_out, model=size, api_models=(API_MODEL,), batch_api=False
    )
    pods = rows[rows["GPU"].notna()].sort_values("$ total")
    api = rows[rows["option"].str.startswith("API")]
    return {
        _col("hours_here"): projection.KEYWORDS / a.keywords_per_s / 3600 if a.keywords_per_s else None,
        _col("gpu"): pods.iloc[0]["GPU"],
        _col("gpu_dollars"): float(pods.iloc[0]["$ total"]),
        _col("gpu_hours"): float(pods.iloc[0]["hours on 1"]),
        _col("api_dollars", model=API_MODEL): float(api.iloc[0]["$ total"]),
    }


def table(strategies: list[Answers], keywords: list[str], gold: dict[str, str]):
    """One row per strategy: accuracy on `keywords`, the share answered with confidence >= 0.9 and its
    accuracy, keywords/s here, tokens per keyword, and hours and dollars for 100M keywords."""
    import pandas as pd

    rows = []
    for a in strategies:
        sure = [kw for kw in keywords if a.confidence.get(kw, 0.0) >= 0.9]
        rows.append(
            {
                _col("strategy"): a.name,
                _col("accuracy"): _accuracy(a.labels, keywords, gold),
                _col("sure_share"): len(sure) / len(keywords),
                _col("sure_accuracy"): _accuracy(a.labels, sure, gold) if sure else None,
                _col("speed"): a.keywords_per_s,
                _col("tokens_in"): a.tokens_in,
                _col("tokens_out"): a.tokens_out,
                _col("threshold"): a.notes.get("threshold"),
                _col("sent_on"): a.notes.get("sent on"),
                **_costs(a),
            }
        )
    return pd.DataFrame(rows)


def plot(frame: Any, chance: float = 0.1) -> Any:
    """Accuracy against keywords/s (log scale), one labelled point per strategy, and the chance level."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    from ..cloud.projection import quiet_font_log

    quiet_font_log()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    speed_col, accuracy_col = _col("speed"), _col("accuracy")
    ax.scatter(frame[speed_col], frame[accuracy_col], color="tab:blue", zorder=3)
    # Points close in accuracy get their labels above and below in turn, so two labels do not overlap.
    order = frame.sort_values(accuracy_col).index
    for rank, i in enumerate(order):
        below = rank % 2 == 1
        ax.annotate(
            frame.loc[i, _col("strategy")],
            (frame.loc[i, speed_col], frame.loc[i, accuracy_col]),
            textcoords="offset points",
            xytext=(6, -11 if below else 5),
            fontsize=8,
        )
    ax.axhline(chance, color="grey", linestyle=":", linewidth=1)
    ax.annotate(
        edition.text("batch.plot_chance"),
        (frame[speed_col].min(), chance),
        textcoords="offset points",
        xytext=(0, 4),
        fontsize=8,
        color="grey",
    )
    ax.set_xscale("log")
    ax.set_xlim(frame[speed_col].min() / 1.5, frame[speed_col].max() * 6)  # room for the labels on the right
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(speed_col)
    ax.set_ylabel(accuracy_col)
    ax.set_title(edition.text("batch.plot_title"))
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return ax
