"""A cascade from its command-line spelling: `--cascade embed:qwen2.5-coder:0.5b,qwen2.5-coder:1.5b`.

Each comma-separated item is a stage: a model name (it generates labels), or `embed:MODEL` (a
classifier on MODEL's embeddings, fitted here, before the job, on labelled keywords: the gold set
unless another file is given). The stages run in order; see `Router`.
"""

from __future__ import annotations

import os

from .data import gold_labels
from .embed import EmbeddingClassifier
from .endpoints import Endpoint
from .router import Stage

__all__ = ["parse_cascade", "build_stages", "EMBED_PREFIX"]

EMBED_PREFIX = "embed:"


def parse_cascade(text: str) -> list[tuple[str, bool]]:
    """[(model, is_embedding_classifier)] in order."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    return [(item[len(EMBED_PREFIX) :], True) if item.startswith(EMBED_PREFIX) else (item, False) for item in items]


def build_stages(
    spec: list[tuple[str, bool]], endpoint: Endpoint, train: str | os.PathLike[str] | None = None
) -> list[Stage]:
    """The stages; each classifier is fitted on `train` (keyword,category CSV; default: the gold set) with
    vectors from `endpoint` (its URL and kind, the stage's model)."""
    stages = []
    for model, embeds in spec:
        if not embeds:
            stages.append(Stage(model))
            continue
        labelled = gold_labels(train)
        embedder = Endpoint(endpoint.url, model, endpoint.kind, slots=endpoint.slots, api_key=endpoint.api_key)
        classifier = EmbeddingClassifier.fit(embedder.with_slots(), list(labelled), list(labelled.values()))
        stages.append(Stage(model, classifier))
    return stages
