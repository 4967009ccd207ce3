"""Sending packs to endpoints: at most `slots` requests in flight per endpoint, retries elsewhere, a cascade.

This is the client side of one Ray Data worker, not a scheduler: Ray Data decides which worker
gets which block of packs; the router only keeps each endpoint at its slot count and moves a
pack to another endpoint when its endpoint fails (connection refused, timeout, 429, 5xx). An
endpoint that failed rests, `cooldown` seconds doubling with each failure in a row; after
`max_failures` in a row it is out of the job. Packs wait for an endpoint that works, and are
flagged only when every endpoint is out.
Answers that do not fit the schema are retried (with a little temperature), then flagged.

A cascade (`stages`) asks the first stage for every keyword of a pack, and the next stage only
for the keywords the previous one answered with a confidence below `threshold` (or not at all).
A stage is a model (the endpoints serving it) or an `EmbeddingClassifier` (the endpoints serving
its embedding model). Each keyword keeps the answer, confidence and model of the last stage that
answered it; the pack is one result, so the ledger writes it once, as without a cascade.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from .confidence import label_confidence
from .embed import EmbeddingClassifier
from .endpoints import Endpoint, EndpointDown
from .prompts import CATEGORIES, Categories, pack_messages
from .schema import InvalidAnswer, pack_schema, parse
from .texts import ERR_INVALID, ERR_NO_ENDPOINT

__all__ = ["Router", "PackResult", "Stage", "ERR_INVALID", "ERR_NO_ENDPOINT"]

TOKENS_PER_LABEL = 8  # the longest category name plus JSON punctuation, in tokens; sets max_tokens


@dataclass(frozen=True)
class Stage:
    """One step of a cascade: the endpoints whose model is `model` generate labels, or embed for `classifier`."""

    model: str | None  # None: any endpoint (no cascade)
    classifier: EmbeddingClassifier | None = None

    @property
    def name(self) -> str:
        return f"embed:{self.model}" if self.classifier is not None else str(self.model)


@dataclass
class PackResult:
    """Per keyword of a pack: its answer and where it came from; `attempts` and `seconds` are the pack's."""

    labels: list[str | None]
    confidence: list[float | None]
    alternatives: list[str | None]  # JSON {category: probability} of the best alternatives
    models: list[str]
    endpoints: list[str]
    errors: list[str | None]
    prompt_tokens: list[float]
    completion_tokens: list[float]
    attempts: int = 0
    seconds: float = 0.0
    stages: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return self.endpoints[0] if self.endpoints else ""

    @property
    def error(self) -> str | None:
        return next((e for e in self.errors if e is not None), None)

    @classmethod
    def uniform(cls, k: int, state: _State, error: str | None, prompt: float, completion: float) -> PackResult:
        return cls(
            [None] * k,
            [None] * k,
            [None] * k,
            [state.endpoint.model] * k,
            [state.endpoint.name] * k,
            [error] * k,
            [prompt / k] * k,
            [completion / k] * k,
        )

    def unsure(self, threshold: float) -> list[int]:
        return [i for i, c in enumerate(self.confidence) if self.labels[i] is None or c is None or c < threshold]

    def take(self, rows: list[int], other: PackResult) -> None:
        """Keywords `rows` of this pack were asked again (`other`): its answers replace these where it gave one."""
        for j, i in enumerate(rows):
            self.prompt_tokens[i] += other.prompt_tokens[j]
            self.completion_tokens[i] += other.completion_tokens[j]
            if other.labels[j] is None and self.labels[i] is not None:
                continue  # the later stage failed: the earlier, less sure answer stands
            for name in ("labels", "confidence", "alternatives", "models", "endpoints", "errors"):
                getattr(self, name)[i] = getattr(other, name)[j]
        self.attempts += other.attempts


@dataclass
class _State:
    endpoint: Endpoint
    in_flight: int = 0
    resting_until: float = 0.0
    failures: int = 0
    done: int = 0


class Router:
    def __init__(
        self,
        endpoints: list[Endpoint],
        categories: Categories = CATEGORIES,
        *,
        stages: list[Stage] | None = None,
        threshold: float = 0.9,
        max_invalid: int = 2,
        max_failures: int = 8,
        cooldown: float = 1.0,
        share: float = 1.0,
    ):
        """`share`: this worker's part of each endpoint's slots when several workers share endpoints."""
        self.states = [_State(ep) for ep in endpoints]
        self.slots = {id(s): max(1, math.floor((s.endpoint.slots or 1) * share)) for s in self.states}
        self.categories = categories
        self.stages = stages or [Stage(None)]
        self.threshold = threshold
        self.max_invalid, self.max_failures, self.cooldown = max_invalid, max_failures, cooldown
        self._changed: asyncio.Condition | None = None

    @property
    def capacity(self) -> int:
        return sum(self.slots.values())

    async def _acquire(self, model: str | None) -> _State | None:
        assert self._changed is not None
        mine = [s for s in self.states if model is None or s.endpoint.model == model]
        async with self._changed:
            while True:
                now = time.monotonic()
                usable = [s for s in mine if s.failures < self.max_failures]
                if not usable:
                    return None
                free = [s for s in usable if s.resting_until <= now and s.in_flight < self.slots[id(s)]]
                if free:
                    state = min(free, key=lambda s: (s.in_flight / self.slots[id(s)], s.failures))
                    state.in_flight += 1
                    return state
                resting = [s.resting_until - now for s in mine if s.resting_until > now]
                try:
                    await asyncio.wait_for(self._changed.wait(), timeout=min(resting) if resting else None)
                except asyncio.TimeoutError:
                    pass

    async def _release(self, state: _State, failed: bool) -> None:
        assert self._changed is not None
        async with self._changed:
            state.in_flight -= 1
            if failed:
                state.failures += 1
                state.resting_until = time.monotonic() + self.cooldown * min(2 ** (state.failures - 1), 30)
            else:
                state.failures, state.done = 0, state.done + 1
            self._changed.notify_all()

    async def classify(self, client: httpx.AsyncClient, keywords: list[str]) -> PackResult:
        """Every keyword's answer: the first stage's, and later stages' for the keywords it was unsure of."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        started = time.monotonic()
        result = await self._ask(client, self.stages[0], keywords)
        result.stages = [self.stages[0].name]
        for stage in self.stages[1:]:
            rows = result.unsure(self.threshold)
            if not rows:
                break
            result.take(rows, await self._ask(client, stage, [keywords[i] for i in rows]))
            result.stages.append(stage.name)
        result.seconds = time.monotonic() - started
        return result

    async def _ask(self, client: httpx.AsyncClient, stage: Stage, keywords: list[str]) -> PackResult:
        k = len(keywords)
        attempts = invalid = failures = 0
        prompt_tokens = completion_tokens = 0
        last_error = ""
        messages, schema = pack_messages(keywords, self.categories), pack_schema(k, self.categories)
        while True:
            attempts += 1
            acquired = await self._acquire(stage.model)
            if acquired is None:
                state = next((s for s in self.states if stage.model in (None, s.endpoint.model)), self.states[0])
                error = ERR_NO_ENDPOINT.format(n=failures, last=last_error)
                flagged = PackResult.uniform(k, state, error, prompt_tokens, completion_tokens)
                flagged.attempts = attempts
                return flagged
            state = acquired
            failed = False
            try:
                if stage.classifier is not None:
                    vectors, count = await state.endpoint.embed(client, keywords)
                    reply = None
                else:
                    reply = await state.endpoint.chat(
                        client,
                        messages,
                        schema,
                        max_tokens=16 + TOKENS_PER_LABEL * k,
                        temperature=0.0 if invalid == 0 else 0.3 * invalid,
                        seed=invalid,
                    )
            except EndpointDown as exc:
                failed, last_error = True, str(exc)
            finally:
                await self._release(state, failed)
            if failed:
                failures += 1
                continue
            if reply is None:
                assert stage.classifier is not None
                return self._classified(stage.classifier, vectors, count, state, attempts)
            prompt_tokens += reply.prompt_tokens
            completion_tokens += reply.completion_tokens
            try:
                labels = parse(reply.text, k, self.categories)
            except InvalidAnswer as exc:
                invalid += 1
                if invalid > self.max_invalid:
                    error = ERR_INVALID.format(why=exc)
                    flagged = PackResult.uniform(k, state, error, prompt_tokens, completion_tokens)
                    flagged.attempts = attempts
                    return flagged
                continue
            answer = PackResult.uniform(k, state, None, prompt_tokens, completion_tokens)
            sure = label_confidence(reply.logprobs, labels, self.categories.names)
            answer.labels = list[str | None](labels)
            answer.confidence = [c.confidence for c in sure]
            answer.alternatives = [json.dumps(c.alternatives) if c.alternatives else None for c in sure]
            answer.attempts = attempts
            return answer

    @staticmethod
    def _classified(
        classifier: EmbeddingClassifier, vectors: list[list[float]], tokens: int, state: _State, attempts: int
    ) -> PackResult:
        import numpy as np

        labels, confidence, alternatives = classifier.predict(np.asarray(vectors, dtype=np.float32))
        k = len(labels)
        answer = PackResult.uniform(k, state, None, tokens, 0)
        answer.labels = list[str | None](labels)
        answer.confidence = list[float | None](confidence)
        answer.alternatives = [json.dumps(a) for a in alternatives]
        answer.models = [f"embed:{classifier.model}"] * k
        answer.attempts = attempts
        return answer

    def stats(self) -> list[dict[str, Any]]:
        return [{"endpoint": s.endpoint.name, "slots": self.slots[id(s)], "done": s.done} for s in self.states]
