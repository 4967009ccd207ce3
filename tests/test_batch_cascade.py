"""The cascade: a first stage answers what it is sure of, the next stage the rest; an embedding classifier as a stage."""

from __future__ import annotations

import asyncio
import csv
import json

import httpx
import numpy as np
import ollama
import pytest
from conftest import MODEL

from lessons_lib import batch
from lessons_lib.batch.cascade import build_stages, parse_cascade
from lessons_lib.batch.embed import EmbeddingClassifier, cross_validated, embed_keywords
from lessons_lib.batch.router import PackResult, Router, Stage

GOLD = batch.gold_labels()
# 6 gold keywords per category: a small training set, quick to embed with the bundled model.
TRAIN = {kw: cat for cat in batch.CATEGORIES.names for kw in [k for k, c in GOLD.items() if c == cat][:6]}
TEST = [kw for kw in GOLD if kw not in TRAIN][:12]


def write_training_set(path):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["keyword", "category"])
        writer.writerows(TRAIN.items())
    return path


def test_a_later_stage_replaces_only_what_it_answered():
    first = PackResult(
        ["food", "kids", None],
        [0.95, 0.4, None],
        ["{}", "{}", None],
        ["small"] * 3,
        ["e"] * 3,
        [None, None, "invalid_output: x"],
        [10.0] * 3,
        [2.0] * 3,
    )
    assert first.unsure(0.9) == [1, 2]
    second = PackResult(
        ["travel", None],
        [0.8, None],
        ["{}", None],
        ["big"] * 2,
        ["e"] * 2,
        [None, "no_endpoint: y"],
        [30.0] * 2,
        [4.0] * 2,
    )
    first.take([1, 2], second)
    assert first.labels == ["food", "travel", None] and first.models == ["small", "big", "big"]
    assert first.errors == [None, None, "no_endpoint: y"]
    assert first.prompt_tokens == [10.0, 40.0, 40.0] and first.completion_tokens == [2.0, 6.0, 6.0]
    # a later stage that fails keeps the earlier answer, however unsure
    unsure = PackResult(["food"], [0.3], ["{}"], ["small"], ["e"], [None], [1.0], [1.0])
    unsure.take([0], PackResult([None], [None], [None], ["big"], ["e"], ["no_endpoint: z"], [0.0], [0.0]))
    assert unsure.labels == ["food"] and unsure.models == ["small"] and unsure.errors == [None]


def test_parse_cascade():
    assert parse_cascade("embed:qwen2.5-coder:0.5b, qwen2.5-coder:1.5b") == [
        ("qwen2.5-coder:0.5b", True),
        ("qwen2.5-coder:1.5b", False),
    ]


@pytest.fixture(scope="module")
def second_model(models_dir, server):
    """The bundled model under a second name: a two-model cascade on one server."""
    from lessons_lib.bundled import bundled_gguf_path
    from lessons_lib.ollama_server.store import Store

    name = "cascade-second:135m"
    Store(models_dir).register_gguf(name, bundled_gguf_path())
    yield name
    # the server and its store are the session's: leave them as this module found them
    client = ollama.Client(host=server.url)
    client.generate(model=name, prompt="", keep_alive=0)
    client.delete(name)
    assert name not in [m.model for m in client.list().models + client.ps().models]


def test_the_unsure_go_to_the_next_model_and_the_ledger_says_which(server, second_model):
    endpoints = [batch.Endpoint.ollama(server.url, m, slots=1) for m in (MODEL, second_model)]
    keywords = ["laptop gamingowy", "pizza", "wózek dziecięcy", "kredyt hipoteczny"]
    stages = [Stage(MODEL), Stage(second_model)]

    async def go(threshold):
        router = Router(endpoints, stages=stages, threshold=threshold)
        async with httpx.AsyncClient(timeout=120) as client:
            return await router.classify(client, keywords)

    everything = asyncio.run(go(1.01))  # nothing is sure enough: every keyword is asked twice
    assert everything.models == [second_model] * 4 and everything.stages == [MODEL, second_model]
    nothing = asyncio.run(go(0.0))  # everything is sure enough: the second model is never asked
    assert nothing.models == [MODEL] * 4 and nothing.stages == [MODEL]
    assert all(c is not None for c in nothing.confidence)
    assert sum(everything.prompt_tokens) > sum(nothing.prompt_tokens)  # the second stage's tokens are counted


def test_an_embedding_classifier_is_honest_and_can_lead_a_cascade(server):
    endpoint = batch.Endpoint.ollama(server.url, MODEL, slots=1)
    vectors = embed_keywords(endpoint, list(TRAIN))
    assert vectors.shape[0] == len(TRAIN) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)
    labels, confidence, alternatives = cross_validated(vectors, list(TRAIN.values()), folds=3)
    assert len(labels) == len(TRAIN) and all(0 < c <= 1 for c in confidence)
    assert all(list(a)[0] == label for a, label in zip(alternatives, labels))
    classifier = EmbeddingClassifier.fit(endpoint, list(TRAIN), list(TRAIN.values()))
    assert classifier.trained_on == len(TRAIN) and not set(TEST) & set(TRAIN)  # no test keyword was trained on

    async def go(threshold):
        router = Router([endpoint], stages=[Stage(MODEL, classifier), Stage(MODEL)], threshold=threshold)
        async with httpx.AsyncClient(timeout=120) as client:
            return await router.classify(client, TEST)

    sure = asyncio.run(go(0.0))
    assert sure.models == [f"embed:{MODEL}"] * len(TEST) and sure.error is None
    assert all(json.loads(a)[label] == c for a, label, c in zip(sure.alternatives, sure.labels, sure.confidence))
    mixed = asyncio.run(go(float(np.median(sure.confidence))))
    escalated = {i for i, m in enumerate(mixed.models) if m == MODEL}
    assert escalated == set(sure.unsure(float(np.median(sure.confidence))))


def test_stages_from_the_command_line_spelling(server, tmp_path):
    train = write_training_set(tmp_path / "train.csv")
    stages = build_stages(parse_cascade(f"embed:{MODEL},{MODEL}"), batch.Endpoint.ollama(server.url, MODEL), train)
    assert [s.name for s in stages] == [f"embed:{MODEL}", MODEL]
    assert stages[0].classifier is not None and stages[0].classifier.trained_on == len(TRAIN)


def test_embeddings_decoded_together_are_those_of_each_alone(server):
    """/api/embed decodes a list's inputs together (one sequence each): the same vectors as one input a request."""
    texts = ["laptop gamingowy", "pizza", "tv", "wózek dziecięcy dla bliźniaków z gondolą", "a"] * 3
    together = httpx.post(server.url + "/api/embed", json={"model": MODEL, "input": texts}, timeout=120).json()
    alone = [
        httpx.post(server.url + "/api/embed", json={"model": MODEL, "input": t}, timeout=120).json()["embeddings"][0]
        for t in texts[:5]
    ]
    vectors = np.asarray(together["embeddings"])
    assert vectors.shape == (15, len(alone[0]))
    # unit vectors; llama.cpp's matrix kernels round a batch's activations otherwise than one input's
    cosine = np.sum(vectors[:5] * np.asarray(alone), axis=1)
    assert cosine.min() > 0.995, cosine
    assert np.sum(vectors[:5] * vectors[5:10], axis=1).min() > 0.995  # the same input twice in one call
    assert together["prompt_eval_count"] > 15


def test_the_held_out_keywords_are_balanced_and_never_trained_on():
    from lessons_lib.batch.strategies import split_gold

    train, held_out = split_gold(GOLD, per_category=4, seed=0)
    assert len(held_out) == 4 * len(batch.CATEGORIES.names) and len(set(held_out)) == len(held_out)
    assert not set(held_out) & set(train) and len(train) + len(held_out) == len(GOLD)
    assert sorted(GOLD[kw] for kw in held_out) == sorted(batch.CATEGORIES.names * 4)
    assert split_gold(GOLD, seed=0) == (train, held_out) and split_gold(GOLD, seed=1)[1] != held_out


def test_strategies_measured_through_the_job_and_plotted(server, tmp_path, monkeypatch):
    """Lesson 05's section 3 in small: an embedding classifier, then a cascade job it leads, as table rows."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from lessons_lib import edition
    from lessons_lib.batch import strategies

    monkeypatch.setattr(edition, "_current", "en")
    endpoint = batch.Endpoint.ollama(server.url, MODEL, slots=1)
    embedded, classifier = strategies.embedding_answers(endpoint, TRAIN, TEST)
    assert set(embedded.labels) == set(TEST) and classifier.trained_on == len(TRAIN)
    assert embedded.keywords_per_s > 0 and embedded.tokens_in > 1 and embedded.tokens_out == 0
    assert all(0 < embedded.confidence[kw] <= 1 for kw in TEST)

    async def in_a_notebook_cell():  # a Jupyter cell runs inside an event loop
        return embed_keywords(endpoint, TEST[:3])

    assert asyncio.run(in_a_notebook_cell()).shape[0] == 3
    cut = sorted(embedded.confidence.values())[len(TEST) // 2]  # about half the keywords go on to the LLM
    stages = [Stage(MODEL, classifier), Stage(MODEL)]
    job = batch.run_job(TEST, tmp_path / "cascade", [endpoint], k=1, stages=stages, threshold=cut, progress=False)
    cascaded = strategies.from_job(job, "cascade", MODEL)
    rows = pd.read_parquet(job.result)
    sent_on = rows.model.eq(MODEL).sum()
    assert 0 < sent_on < len(TEST) and set(cascaded.labels) == set(TEST)
    # the keywords the classifier was sure of keep its answer; the job's tokens are the ledger's
    for kw, model, category in zip(rows.keyword, rows.model, rows.category):
        if model == f"embed:{MODEL}":
            assert category == embedded.labels[kw]
    assert cascaded.tokens_in == pytest.approx(job.prompt_tokens / len(TEST))
    frame = strategies.table([embedded, cascaded], TEST, GOLD)
    assert frame["accuracy"].tolist() == [embedded.accuracy(TEST, GOLD), cascaded.accuracy(TEST, GOLD)]
    ax = strategies.plot(frame)
    assert len(ax.collections[0].get_offsets()) == 2
    assert {t.get_text() for t in ax.texts} >= {embedded.name, "cascade"}
    plt.close(ax.figure)
