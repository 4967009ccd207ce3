"""Scoring a job's answers against the hand-labelled gold set."""

from __future__ import annotations

from typing import Any

from .data import gold_labels

__all__ = ["score", "gold_keywords", "reliability", "accuracy_above", "BINS"]


def gold_keywords() -> list[str]:
    return list(gold_labels())


def score(rows: Any, gold: dict[str, str] | None = None) -> dict[str, float]:
    """Accuracy (correct / gold rows), invalid-output rate and count, over the rows that are in the gold set.

    `rows`: a pandas DataFrame or a list of dicts with `keyword`, `category` and `error`.
    """
    gold = gold if gold is not None else gold_labels()
    records = rows.to_dict("records") if hasattr(rows, "to_dict") else list(rows)
    scored = [r for r in records if r["keyword"] in gold]
    n = len(scored)
    correct = sum(r.get("category") == gold[r["keyword"]] for r in scored)
    invalid = sum(r.get("category") is None for r in scored)
    return {
        "gold_rows": n,
        "accuracy": correct / n if n else 0.0,
        "invalid_rate": invalid / n if n else 0.0,
        "correct": correct,
    }


BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0)


def reliability(rows: Any, gold: dict[str, str] | None = None, bins: tuple[float, ...] = BINS) -> list[dict[str, Any]]:
    """Accuracy per confidence bin over the gold rows that have a confidence: is "0.9 sure" right 9 times in 10?

    One dict per bin (low <= confidence < high; the last bin includes 1.0): `bin`, `rows`, `share` of
    the scored rows, `confidence` (their mean) and `accuracy`. Empty bins are left out.
    """
    gold = gold if gold is not None else gold_labels()
    records = rows.to_dict("records") if hasattr(rows, "to_dict") else list(rows)
    scored = [r for r in records if r["keyword"] in gold and r.get("confidence") is not None]
    scored = [r for r in scored if r["confidence"] == r["confidence"]]  # NaN (pandas' missing) is not a confidence
    table = []
    for i, (low, high) in enumerate(zip(bins, bins[1:])):
        last = i == len(bins) - 2
        inside = [r for r in scored if low <= r["confidence"] < high or (last and r["confidence"] == high)]
        if not inside:
            continue
        table.append(
            {
                "bin": f"{low:.2f}-{high:.2f}",
                "rows": len(inside),
                "share": len(inside) / len(scored),
                "confidence": sum(r["confidence"] for r in inside) / len(inside),
                "accuracy": sum(r.get("category") == gold[r["keyword"]] for r in inside) / len(inside),
            }
        )
    return table


def accuracy_above(rows: Any, threshold: float, gold: dict[str, str] | None = None) -> dict[str, float]:
    """The share of gold rows answered with confidence >= threshold, and their accuracy."""
    gold = gold if gold is not None else gold_labels()
    records = rows.to_dict("records") if hasattr(rows, "to_dict") else list(rows)
    scored = [r for r in records if r["keyword"] in gold]
    sure = [r for r in scored if r.get("confidence") is not None and r["confidence"] >= threshold]
    return {
        "share": len(sure) / len(scored) if scored else 0.0,
        "accuracy": sum(r.get("category") == gold[r["keyword"]] for r in sure) / len(sure) if sure else 0.0,
    }
