"""Scoring a job's answers against the hand-labelled gold set."""

from __future__ import annotations

from typing import Any

from .data import gold_labels

__all__ = ["score", "gold_keywords"]


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
