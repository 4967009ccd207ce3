"""What one request sees of the batch engine: its slot, its text, its end.

A slot is one sequence of the shared llama.cpp context. It remembers which tokens its KV
cells hold after a request ends, so the next request that starts the same way (a system
prompt, a category list) only evaluates what is new. Token bytes become text through an
incremental UTF-8 decoder (a character may span tokens) and a stop-string filter that holds
back text which might still become a stop string.
"""

from __future__ import annotations

import codecs
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .sampling import SamplingParams


class StopFilter:
    """Holds back text that might be the start of a stop string; cuts at the first full match."""

    def __init__(self, stops: list[str]):
        self.stops = [s for s in stops if s]
        self.pending = ""
        self.hit = False

    def feed(self, text: str) -> str:
        if not self.stops:
            return text
        self.pending += text
        cut = min((i for i in (self.pending.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.hit = True
            out, self.pending = self.pending[:cut], ""
            return out
        keep = 0
        for stop in self.stops:
            for n in range(min(len(stop) - 1, len(self.pending)), 0, -1):
                if self.pending.endswith(stop[:n]):
                    keep = max(keep, n)
                    break
        out = self.pending[: len(self.pending) - keep]
        self.pending = self.pending[len(self.pending) - keep :]
        return out

    def flush(self) -> str:
        out, self.pending = self.pending, ""
        return out


class TextAssembler:
    """Token bytes in, text out: UTF-8 across token boundaries, then the stop filter."""

    def __init__(self, stops: list[str]):
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._clean = True  # the decoder holds no partial character
        self.stops = StopFilter(stops)

    @property
    def stopped(self) -> bool:
        return self.stops.hit

    def feed(self, data: bytes) -> str:
        if self._clean and data.isascii():  # most tokens: no decoder state to carry
            return self.stops.feed(data.decode("ascii"))
        text = self._decoder.decode(data)
        self._clean = not self._decoder.getstate()[0]
        return self.stops.feed(text)

    def finish(self) -> str:
        """What is left once generation ends (held-back text that never became a stop string)."""
        tail = self._decoder.decode(b"", final=True)
        out = self.stops.feed(tail) if tail else ""
        return out if self.stops.hit else out + self.stops.flush()


@dataclass(frozen=True)
class Request:
    """One generation: prompt tokens in, text out until EOG, a stop string or `max_tokens`."""

    tokens: list[int]
    sampling: SamplingParams = field(default_factory=SamplingParams)
    max_tokens: int | None = None  # None or negative: until the sequence's context is full
    stop: tuple[str, ...] = ()
    # Log probabilities of each generated token (None: off, the fast path), with this many alternatives.
    logprobs: int | None = None
    # Re-evaluate at least this many prompt tokens even when all of them are cached. The engine decodes a
    # prompt's last token in a step of its own, cached prompt or not, so one is enough for the same request
    # with the same seed to answer the same the second time (the cached KV of the rest is the very same).
    min_reeval: int = 1


@dataclass
class Finished:
    """The last event of a generation: why it ended, counts and nanosecond durations."""

    reason: str  # "stop" | "length" | "cancel"
    prompt_tokens: int
    cached_tokens: int  # prompt tokens whose KV was reused, not evaluated
    completion: list[int]
    queued_ns: int
    prompt_ns: int
    eval_ns: int

    @property
    def completion_tokens(self) -> int:
        return len(self.completion)


class GenerationFailed(RuntimeError):
    """llama.cpp failed this request (a decode error); the engine itself keeps running."""


class Generation:
    """Handle of a submitted request: iterate for text pieces (str), each token's `TokenLogprob`
    when the request asked for them, and one final `Finished`."""

    def __init__(self, request: Request, cancel: threading.Event | None = None):
        self.request = request
        self.submitted_ns = time.perf_counter_ns()
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._ended = threading.Event()  # set once the last event (Finished or an error) is queued
        self._cancelled = cancel if cancel is not None else threading.Event()
        self.result: Finished | None = None
        self.chain: Any = None  # its sampler chain until a slot takes it over

    # -- consumer side --------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop generating; the engine frees the slot before its next token."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def __iter__(self) -> Iterator[Any]:
        return self.paced(0)  # each event as soon as it is there

    def paced(self, interval: float | None) -> Iterator[Any]:
        """The same events, but while tokens flow the consumer wakes about every `interval` seconds
        (None: only at the end) and takes what came meanwhile, so the engine hands tokens over
        without waking a thread each time (on two cores, every wake-up takes CPU from llama.cpp).
        The first event, the first after a pause longer than `interval`, and the end still arrive
        at once."""
        while True:
            event = self._events.get()
            while True:
                if isinstance(event, BaseException):
                    raise event
                yield event
                if isinstance(event, Finished):
                    return
                try:
                    event = self._events.get_nowait()
                except queue.Empty:
                    break
            self._ended.wait(interval)

    def text(self) -> tuple[str, Finished]:
        """Everything at once: the whole text and the final record (no wake-up per token)."""
        self._ended.wait()
        parts: list[str] = []
        for event in self:
            if isinstance(event, Finished):
                return "".join(parts), event
            if isinstance(event, str):
                parts.append(event)
        raise GenerationFailed("generation ended without a result")

    # -- engine side ----------------------------------------------------------------------------
    def _emit(self, event: Any) -> None:
        if isinstance(event, Finished):
            self.result = event
        self._events.put(event)
        if isinstance(event, (Finished, BaseException)):
            self._ended.set()


class Slot:
    """One sequence of the context and the request it serves (if any)."""

    def __init__(self, seq_id: int):
        self.seq_id = seq_id
        self.cache: list[int] = []  # tokens whose KV this sequence holds, positions 0..len-1
        self.gen: Generation | None = None
        self.chain: Any = None
        self.pending: list[int] = []  # prompt tokens still to evaluate
        self.next_token: int | None = None  # sampled, not yet decoded
        self.completion: list[int] = []
        self.text: TextAssembler | None = None
        self.max_new = 0
        self.cached = 0
        self.started_ns = 0
        self.first_ns = 0
        self.last_used = 0.0

    @property
    def busy(self) -> bool:
        return self.gen is not None

    def common_prefix(self, tokens: list[int]) -> int:
        n = 0
        for a, b in zip(self.cache, tokens):
            if a != b:
                break
            n += 1
        return n
