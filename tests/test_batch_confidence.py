"""Confidence from the model's own log-probabilities, renormalised over the categories; reliability per bin."""

from __future__ import annotations

import asyncio
import json
import math

import httpx
import pytest
from conftest import MODEL

from lessons_lib import batch
from lessons_lib.batch.router import Router

NAMES = batch.CATEGORIES.names


def tok(token: str, p: float, top: dict[str, float] | None = None) -> dict:
    item: dict = {"token": token, "logprob": math.log(p)}
    if top is not None:
        item["top_logprobs"] = [{"token": t, "logprob": math.log(q)} for t, q in top.items()]
    return item


def answer(*label_tokens: dict) -> list[dict]:
    return [tok('{"', 1.0), tok("labels", 1.0), tok('":', 1.0), tok(' ["', 1.0), *label_tokens, tok('"]}', 0.9)]


def test_confidence_counts_only_alternatives_that_spell_a_category():
    # 0.3 of the raw mass went to tokens the grammar forbids (prose, a newline): renormalised away.
    first = tok("food", 0.4, {"food": 0.4, "kids": 0.2, "Sure": 0.2, "\n": 0.1, "travel": 0.1})
    (sure,) = batch.label_confidence(answer(first), ["food"], NAMES)
    assert sure.confidence == pytest.approx(0.4 / 0.7, abs=1e-4)
    assert list(sure.alternatives) == ["food", "kids", "travel"]
    assert sure.alternatives["kids"] == pytest.approx(0.2 / 0.7, abs=1e-4)


def test_a_label_spelled_by_several_tokens_multiplies_their_shares():
    # "home_garden" as "home" + "_garden"; "health_beauty" also starts with "h" but not with "home".
    first = tok("home", 0.5, {"home": 0.5, "health": 0.25, "hom": 0.05, "x": 0.2})
    second = tok("_garden", 0.8, {"_garden": 0.8, "_g": 0.1, "ward": 0.1})
    (sure,) = batch.label_confidence(answer(first, second), ["home_garden"], NAMES)
    assert sure.confidence == pytest.approx((0.5 / 0.8) * (0.8 / 0.9), abs=1e-4)
    assert set(sure.alternatives) == {"home_garden", "health_beauty"}


def test_several_labels_are_found_in_order_and_no_logprobs_means_none():
    a = tok("food", 0.9, {"food": 0.9, "kids": 0.1})
    b = tok("food", 0.6, {"food": 0.6, "travel": 0.3})
    logprobs = [tok('{"labels": ["', 1.0), a, tok('", "', 1.0), b, tok('"]}', 1.0)]
    first, second = batch.label_confidence(logprobs, ["food", "food"], NAMES)
    assert first.confidence == pytest.approx(0.9) and second.confidence == pytest.approx(0.6 / 0.9, abs=1e-4)
    assert [c.confidence for c in batch.label_confidence(None, ["food"], NAMES)] == [None]


def test_reliability_bins_and_accuracy_above_a_threshold():
    gold = {f"k{i}": "food" for i in range(10)}
    rows = [
        {"keyword": f"k{i}", "category": "food" if i < 7 else "kids", "confidence": c}
        for i, c in enumerate([0.99, 0.97, 0.96, 0.92, 0.91, 0.6, 0.55, 0.52, 0.3, None])
    ]
    table = batch.reliability(rows, gold)
    assert [(b["bin"], b["rows"]) for b in table] == [
        ("0.00-0.50", 1),
        ("0.50-0.70", 3),
        ("0.90-0.95", 2),
        ("0.95-1.00", 3),
    ]
    assert table[1]["accuracy"] == pytest.approx(2 / 3) and table[-1]["accuracy"] == 1.0
    above = batch.accuracy_above(rows, 0.9, gold)
    assert above == {"share": 0.5, "accuracy": 1.0}


def test_every_answer_from_a_real_server_carries_its_confidence(server):
    """The embedded server's logprobs (the API a real Ollama serves): each label gets a probability, and
    since decoding is greedy the label is the most likely category whenever its first token names one."""
    router = Router([batch.Endpoint.ollama(server.url, MODEL, slots=1)])

    async def go():
        async with httpx.AsyncClient(timeout=120) as client:
            return [await router.classify(client, kws) for kws in (["laptop gamingowy", "pizza"], ["wózek dziecięcy"])]

    results = asyncio.run(go())
    for result in results:
        assert result.error is None, result.error
        for label, conf, alts in zip(result.labels, result.confidence, result.alternatives):
            assert conf is not None and 0 < conf <= 1
            alternatives = json.loads(alts)
            assert sum(alternatives.values()) <= 1 + 1e-6
            if label in alternatives:
                assert alternatives[label] == max(alternatives.values())


def test_a_cascades_threshold_is_scored_on_keywords_it_was_not_chosen_on(monkeypatch):
    from lessons_lib import edition
    from lessons_lib.batch.strategies import Answers, cascade, table

    monkeypatch.setattr(edition, "_current", "en")
    gold = {f"k{i}": "food" for i in range(8)}
    # the small model is right exactly when it is sure (>= 0.8); the big one is always right
    small = Answers(
        "small",
        "smollm2:135m",
        {f"k{i}": "food" if i % 4 < 2 else "kids" for i in range(8)},
        {f"k{i}": 0.95 if i % 4 < 2 else 0.3 for i in range(8)},
        10.0,
        5.0,
        0.0,
    )
    big = Answers("big", "qwen2.5-coder:1.5b", dict.fromkeys(gold, "food"), dict.fromkeys(gold, 0.99), 1.0, 300.0, 8.0)
    both = cascade(small, big, list(gold), gold)
    assert all(both.labels[kw] == "food" for kw in gold) and both.notes["sent on"] == 0.5
    assert 0.3 < both.notes["threshold"] <= 0.95
    assert both.keywords_per_s == pytest.approx(1 / (1 / 10 + 0.5 / 1)) and both.tokens_in == pytest.approx(155.0)
    rows = table([small, big, both], list(gold), gold)
    assert rows["accuracy"].tolist() == [0.5, 1.0, 1.0]
    assert rows["share with confidence >= 0.9"].tolist() == [0.5, 1.0, 1.0]
    assert rows["100M: $ on gpt-4.1-nano"].iloc[1] > rows["100M: $ on gpt-4.1-nano"].iloc[0]
