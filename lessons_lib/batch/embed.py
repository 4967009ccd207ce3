"""The third way: each keyword's embedding (`/api/embed`) and a small classifier trained on labelled keywords.

An LLM that generates a label reads the whole system prompt and writes JSON, token by token, for
every keyword. An embedding is one forward pass over the keyword alone (a few tokens), and a
multinomial logistic regression on it (scikit-learn's; no hand-written training loop) labels the
keyword in microseconds, with a probability per category. Trained on the hand-labelled gold set,
or on keywords an LLM labelled; the keywords it is unsure of go back to an LLM (`Router`'s cascade).

    clf = EmbeddingClassifier.fit(endpoint, keywords, labels)     # endpoint: Ollama-compatible, its model embeds
    labels, confidence, alternatives = clf.predict(vectors)
    cross_validated(vectors, labels)  # every keyword predicted by a model that never saw it
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np

from .endpoints import Endpoint

__all__ = ["EmbeddingClassifier", "embed_keywords", "cross_validated", "EMBED_BATCH"]

EMBED_BATCH = 32  # keywords per /api/embed request


async def embed_many(client: httpx.AsyncClient, endpoint: Endpoint, keywords: list[str]) -> tuple[np.ndarray, int]:
    """(vectors, prompt tokens) for `keywords`, EMBED_BATCH a request, one request at a time per call."""
    vectors: list[list[float]] = []
    tokens = 0
    for start in range(0, len(keywords), EMBED_BATCH):
        got, count = await endpoint.embed(client, keywords[start : start + EMBED_BATCH])
        vectors.extend(got)
        tokens += count
    return np.asarray(vectors, dtype=np.float32), tokens


def embed_keywords(endpoint: Endpoint, keywords: list[str], concurrency: int | None = None) -> np.ndarray:
    """Every keyword's vector (L2-normalised, as Ollama's /api/embed returns them), in order."""
    chunks = [keywords[i : i + EMBED_BATCH] for i in range(0, len(keywords), EMBED_BATCH)]
    width = max(1, concurrency or endpoint.slots or 1)

    async def go() -> list[np.ndarray]:
        gate = asyncio.Semaphore(width)
        async with httpx.AsyncClient(timeout=endpoint.timeout) as client:

            async def one(chunk: list[str]) -> np.ndarray:
                async with gate:
                    return (await embed_many(client, endpoint, chunk))[0]

            return list(await asyncio.gather(*(one(c) for c in chunks)))

    parts = asyncio.run(go())
    return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)


def _estimator(c: float = 4.0) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000)


@dataclass
class EmbeddingClassifier:
    """A logistic regression over one model's embeddings; `model` names the embedding model (an endpoint's)."""

    model: str
    estimator: Any = field(repr=False)
    trained_on: int = 0

    @classmethod
    def fit_vectors(cls, model: str, vectors: np.ndarray, labels: list[str], c: float = 4.0) -> EmbeddingClassifier:
        estimator = _estimator(c).fit(vectors, labels)
        return cls(model, estimator, len(labels))

    @classmethod
    def fit(cls, endpoint: Endpoint, keywords: list[str], labels: list[str], c: float = 4.0) -> EmbeddingClassifier:
        return cls.fit_vectors(endpoint.model, embed_keywords(endpoint, keywords), labels, c)

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.estimator.classes_]

    def predict(self, vectors: np.ndarray) -> tuple[list[str], list[float], list[dict[str, float]]]:
        """Per vector: the label, its probability, and the three most likely categories with theirs."""
        return from_probabilities(self.estimator.predict_proba(vectors), self.classes)


def from_probabilities(
    probabilities: np.ndarray, classes: list[str]
) -> tuple[list[str], list[float], list[dict[str, float]]]:
    labels, confidence, alternatives = [], [], []
    for row in probabilities:
        order = np.argsort(-row)
        labels.append(classes[order[0]])
        confidence.append(round(float(row[order[0]]), 4))
        alternatives.append({classes[i]: round(float(row[i]), 4) for i in order[:3]})
    return labels, confidence, alternatives


def cross_validated(
    vectors: np.ndarray, labels: list[str], folds: int = 5, seed: int = 0, c: float = 4.0
) -> tuple[list[str], list[float], list[dict[str, float]]]:
    """Each keyword's prediction from a classifier fitted on the other folds (stratified): honest accuracy."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    probabilities = cross_val_predict(_estimator(c), vectors, labels, cv=split, method="predict_proba")
    return from_probabilities(probabilities, sorted(set(labels)))
