"""Sending packs to endpoints: at most `slots` requests in flight per endpoint, retries elsewhere.

This is the client side of one Ray Data worker, not a scheduler: Ray Data decides which worker
gets which block of packs; the router only keeps each endpoint at its slot count and moves a
pack to another endpoint when its endpoint fails (connection refused, timeout, 429, 5xx). An
endpoint that failed rests, `cooldown` seconds doubling with each failure in a row; after
`max_failures` in a row it is out of the job. Packs wait for an endpoint that works, and are
flagged only when every endpoint is out.
Answers that do not fit the schema are retried (with a little temperature), then flagged.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any

import httpx

from .endpoints import Endpoint, EndpointDown, Reply
from .prompts import CATEGORIES, Categories, pack_messages
from .schema import InvalidAnswer, pack_schema, parse
from .texts import ERR_INVALID, ERR_NO_ENDPOINT

__all__ = ["Router", "PackResult", "ERR_INVALID", "ERR_NO_ENDPOINT"]

TOKENS_PER_LABEL = 8  # the longest category name plus JSON punctuation, in tokens; sets max_tokens


@dataclass
class PackResult:
    labels: list[str | None]
    confidence: list[float | None]
    endpoint: str
    model: str
    error: str | None
    attempts: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float


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
        max_invalid: int = 2,
        max_failures: int = 8,
        cooldown: float = 1.0,
        share: float = 1.0,
    ):
        """`share`: this worker's part of each endpoint's slots when several workers share endpoints."""
        self.states = [_State(ep) for ep in endpoints]
        self.slots = {id(s): max(1, math.floor((s.endpoint.slots or 1) * share)) for s in self.states}
        self.categories = categories
        self.max_invalid, self.max_failures, self.cooldown = max_invalid, max_failures, cooldown
        self._changed: asyncio.Condition | None = None

    @property
    def capacity(self) -> int:
        return sum(self.slots.values())

    async def _acquire(self) -> _State | None:
        assert self._changed is not None
        async with self._changed:
            while True:
                now = time.monotonic()
                usable = [s for s in self.states if s.failures < self.max_failures]
                if not usable:
                    return None
                free = [s for s in usable if s.resting_until <= now and s.in_flight < self.slots[id(s)]]
                if free:
                    state = min(free, key=lambda s: (s.in_flight / self.slots[id(s)], s.failures))
                    state.in_flight += 1
                    return state
                resting = [s.resting_until - now for s in self.states if s.resting_until > now]
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
        if self._changed is None:
            self._changed = asyncio.Condition()
        k = len(keywords)
        messages, schema = pack_messages(keywords, self.categories), pack_schema(k, self.categories)
        started = time.monotonic()
        attempts = invalid = failures = 0
        prompt_tokens = completion_tokens = 0
        last_error = ""
        while True:
            attempts += 1
            acquired = await self._acquire()
            if acquired is None:
                return self._flagged(
                    k,
                    self.states[0],
                    ERR_NO_ENDPOINT.format(n=failures, last=last_error),
                    attempts,
                    prompt_tokens,
                    completion_tokens,
                    started,
                )
            state = acquired
            failed = False
            try:
                reply: Reply = await state.endpoint.chat(
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
            prompt_tokens += reply.prompt_tokens
            completion_tokens += reply.completion_tokens
            try:
                labels = parse(reply.text, k, self.categories)
            except InvalidAnswer as exc:
                invalid += 1
                if invalid > self.max_invalid:
                    return self._flagged(
                        k, state, ERR_INVALID.format(why=exc), attempts, prompt_tokens, completion_tokens, started
                    )
                continue
            return PackResult(
                list[str | None](labels),
                label_confidence(reply.logprobs, labels),
                state.endpoint.name,
                state.endpoint.model,
                None,
                attempts,
                prompt_tokens,
                completion_tokens,
                time.monotonic() - started,
            )

    def _flagged(
        self,
        k: int,
        state: _State,
        error: str,
        attempts: int,
        prompt_tokens: int,
        completion_tokens: int,
        started: float,
    ) -> PackResult:
        return PackResult(
            [None] * k,
            [None] * k,
            state.endpoint.name,
            state.endpoint.model,
            error,
            attempts,
            prompt_tokens,
            completion_tokens,
            time.monotonic() - started,
        )

    def stats(self) -> list[dict[str, Any]]:
        return [{"endpoint": s.endpoint.name, "slots": self.slots[id(s)], "done": s.done} for s in self.states]


def label_confidence(logprobs: list[dict[str, Any]] | None, labels: list[str]) -> list[float | None]:
    """Per label, exp(sum of the logprobs of the tokens that spell it), when the server gave logprobs.

    Tokens are matched in order against the answer text: each label's span is found after the
    previous one, and the tokens overlapping it are summed.
    """
    if not logprobs:
        return [None] * len(labels)
    text, spans = "", []
    for item in logprobs:
        token = str(item.get("token", ""))
        spans.append((len(text), len(text) + len(token), float(item.get("logprob", 0.0))))
        text += token
    result: list[float | None] = []
    cursor = 0
    for label in labels:
        start = text.find(f'"{label}"', cursor)
        if start < 0:
            result.append(None)
            continue
        end = start + len(label) + 2
        cursor = end
        total = sum(lp for a, b, lp in spans if a < end - 1 and b > start + 1)
        result.append(round(math.exp(total), 4))
    return result
