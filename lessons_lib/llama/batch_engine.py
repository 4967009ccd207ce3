"""Continuous batching over llama.cpp: N slots of one context, one `llama_decode` per step.

One thread owns the context. Each step it
  1. ends cancelled requests (a client that went away frees its slot before the next token),
  2. admits waiting requests into free slots, reusing the KV of the longest cached prefix,
  3. builds one `llama_batch`: the last sampled token of every generating slot plus chunks of
     new prompts (up to n_batch tokens), each token tagged with its slot's sequence id,
  4. decodes it and samples each slot's next token with that slot's native sampler chain.
New requests therefore join between tokens, as in llama-server (tools/server/server-context.cpp,
`update_slots`). Nothing per token is done in Python beyond bookkeeping: no logits are copied
(a request that asks for log probabilities reads its row's logits in place: llama/logprobs.py).
"""

from __future__ import annotations

import collections
import ctypes
import logging
import threading
import time
from dataclasses import dataclass

import llama_cpp

from .batch_model import ContextShape, NativeContext, NativeModel
from .logprobs import row_logprobs
from .sampling import build_chain
from .slots import Finished, Generation, GenerationFailed, Request, Slot, TextAssembler

log = logging.getLogger("lessons_lib.llama")

# Copying another slot's KV costs a whole-stream memcpy (non-unified cache); below this many
# shared tokens, evaluating them again is about as quick.
MIN_SHARED_PREFIX_TO_COPY = 32


class QueueFull(RuntimeError):
    """More requests wait than the engine's queue holds (Ollama answers 503)."""


class EngineClosed(RuntimeError):
    """The engine was closed (its model unloaded) before the request could run."""


class PromptTooLong(ValueError):
    """The prompt does not fit a sequence's context (the caller truncates first)."""


@dataclass
class Metrics:
    """Counters in llama-server's /metrics terms (tools/server/README.md, "GET /metrics")."""

    prompt_tokens_total: int = 0  # evaluated, not reused from the cache
    prompt_tokens_cached_total: int = 0
    prompt_seconds_total: float = 0.0
    tokens_predicted_total: int = 0
    tokens_predicted_seconds_total: float = 0.0
    n_decode_total: int = 0
    n_busy_slots_total: int = 0  # summed over decode calls: busy slots per decode = this / n_decode
    n_tokens_max: int = 0  # longest sequence seen (prompt + generation)
    requests_processing: int = 0
    requests_deferred: int = 0


class BatchEngine:
    """Serves `Request`s for one loaded model with `shape.n_seq` parallel slots."""

    def __init__(self, model: NativeModel, shape: ContextShape, *, max_queue: int = 512, name: str = "model"):
        self.model = model
        self.ctx = NativeContext(model, shape)
        self.n_ctx_seq = self.ctx.n_ctx_seq
        self.max_queue = max_queue
        self.slots = [Slot(i) for i in range(shape.n_seq)]
        self._waiting: collections.deque[Generation] = collections.deque()
        self._cond = threading.Condition()
        self._closing = False
        self._metrics = Metrics()
        self._batch = llama_cpp.llama_batch_init(self.ctx.n_batch, 0, 1)
        self._piece_buf = ctypes.create_string_buffer(256)
        self._thread = threading.Thread(target=self._run, name=f"batch-engine-{name}", daemon=True)
        self._thread.start()

    # -- public ---------------------------------------------------------------------------------
    def submit(self, request: Request, cancel: threading.Event | None = None) -> Generation:
        """Queue a request; it starts as soon as a slot is free. Raises QueueFull, PromptTooLong.

        Setting `cancel` (or calling Generation.cancel) ends it before its next token.
        """
        if not request.tokens:
            raise PromptTooLong("the prompt has no tokens")
        if len(request.tokens) >= self.n_ctx_seq:
            raise PromptTooLong(
                f"the prompt ({len(request.tokens)} tokens) does not fit the context ({self.n_ctx_seq} tokens)"
            )
        if any(not self.model.valid_token(t) for t in request.tokens):
            raise PromptTooLong("the prompt holds a token id outside the vocabulary")
        gen = Generation(request, cancel)
        # Built here, in the caller's thread: a grammar llama.cpp cannot parse fails the request
        # before anything is streamed. The chain touches no context, so this is thread-safe.
        gen.chain = build_chain(self.model.vocab, self.model.n_vocab, request.sampling)
        with self._cond:
            idle = sum(not s.busy for s in self.slots)
            if self._closing or len(self._waiting) - idle >= self.max_queue:
                llama_cpp.llama_sampler_free(gen.chain)
                gen.chain = None
                if self._closing:
                    raise EngineClosed("the model is being unloaded")
                raise QueueFull("server busy, please try again.  maximum pending requests exceeded")
            self._waiting.append(gen)
            self._cond.notify()
        return gen

    @property
    def active(self) -> int:
        """Requests running or waiting (the model must stay loaded while this is not 0)."""
        with self._cond:
            return sum(s.busy for s in self.slots) + len(self._waiting)

    def metrics(self) -> Metrics:
        with self._cond:
            m = Metrics(**vars(self._metrics))
            m.requests_processing = sum(s.busy for s in self.slots)
            m.requests_deferred = len(self._waiting)
            return m

    def close(self, timeout: float | None = None) -> None:
        """Cancel what runs and waits, stop the thread, free the context (not the model)."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("batch engine thread did not stop in time; leaking its context")
            return
        llama_cpp.llama_batch_free(self._batch)
        self.ctx.close()

    # -- the loop -------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while self._step():
                pass
        except BaseException as exc:  # a bug here must not leave clients waiting forever
            log.exception("batch engine stopped")
            self._fail_all(GenerationFailed(f"the engine stopped: {exc}"))
        finally:
            self._fail_all(EngineClosed("the model was unloaded"))

    def _step(self) -> bool:
        with self._cond:
            while not self._closing and not self._waiting and not any(s.busy for s in self.slots):
                self._cond.wait()
            if self._closing:
                return False
            admitted = self._admit_locked() if self._waiting else []
        for slot in self.slots:
            if slot.gen is not None and slot.gen.cancelled:
                self._finish(slot, "cancel")
        for slot, gen in admitted:
            self._start(slot, gen)
        self._decode_step()
        return True

    def _admit_locked(self) -> list[tuple[Slot, Generation]]:
        admitted = []
        if any(g.cancelled for g in self._waiting):  # a client that left while queued
            for gen in [g for g in self._waiting if g.cancelled]:
                self._waiting.remove(gen)
                self._drop(gen, Finished("cancel", len(gen.request.tokens), 0, [], 0, 0, 0))
        free = [s for s in self.slots if not s.busy]
        while self._waiting and free:
            gen = self._waiting.popleft()
            # The free slot that already holds most of this prompt; ties go to the least recently used.
            slot = max(free, key=lambda s: (s.common_prefix(gen.request.tokens), -s.last_used))
            free.remove(slot)
            slot.gen = gen  # busy from here on
            admitted.append((slot, gen))
        return admitted

    def _start(self, slot: Slot, gen: Generation) -> None:
        request = gen.request
        tokens = request.tokens
        slot.started_ns = time.perf_counter_ns()
        slot.first_ns = 0
        slot.completion = []
        slot.next_token = None
        slot.text = TextAssembler(list(request.stop))
        limit = request.max_tokens
        slot.max_new = self.n_ctx_seq - len(tokens)
        if limit is not None and limit >= 0:
            slot.max_new = min(slot.max_new, limit)
        slot.chain, gen.chain = gen.chain, None
        keep = self._reuse_prefix(slot, tokens)
        keep = max(0, min(keep, len(tokens) - max(1, request.min_reeval)))
        if not llama_cpp.llama_memory_seq_rm(self.ctx.memory, slot.seq_id, keep, -1):
            llama_cpp.llama_memory_seq_rm(self.ctx.memory, slot.seq_id, -1, -1)
            keep = 0
        slot.cache = list(tokens[:keep])
        slot.cached = keep
        self._metrics.prompt_tokens_cached_total += keep
        slot.pending = list(tokens[keep:])
        if slot.max_new <= 0:
            self._finish(slot, "length")

    def _reuse_prefix(self, slot: Slot, tokens: list[int]) -> int:
        """Tokens of `tokens` whose KV `slot` holds, after copying a longer prefix from another slot."""
        own = slot.common_prefix(tokens)
        if self.model.recurrent:
            return own
        donor = max((s for s in self.slots if s is not slot), key=lambda s: s.common_prefix(tokens), default=None)
        shared = donor.common_prefix(tokens) if donor is not None else 0
        # A busy donor's cache lags its KV by nothing: decoded tokens are appended after each step.
        if donor is None or shared < own + MIN_SHARED_PREFIX_TO_COPY:
            return own
        mem, src, dst = self.ctx.memory, donor.seq_id, slot.seq_id
        llama_cpp.llama_memory_seq_rm(mem, dst, -1, -1)
        if self.ctx.shape.kv_unified:
            llama_cpp.llama_memory_seq_cp(mem, src, dst, 0, shared)
        else:  # across streams llama.cpp copies whole buffers only; then drop the tail
            llama_cpp.llama_memory_seq_cp(mem, src, dst, -1, -1)
        slot.cache = list(donor.cache[:shared])
        return shared

    def _decode_step(self) -> None:
        batch = self._batch
        n = 0
        token, pos, n_seq_id, seq_id, logits = batch.token, batch.pos, batch.n_seq_id, batch.seq_id, batch.logits
        rows: list[tuple[Slot, int]] = []  # slot, batch row whose logits it samples from
        fed: list[tuple[Slot, list[int], bool]] = []  # slot, its tokens in this batch, generating?
        busy = [slot for slot in self.slots if slot.busy]  # once: every loop below needs it
        for slot in busy:
            if slot.next_token is not None:
                token[n], pos[n], n_seq_id[n], seq_id[n][0], logits[n] = (
                    slot.next_token,
                    len(slot.cache),
                    1,
                    slot.seq_id,
                    1,
                )
                rows.append((slot, n))
                fed.append((slot, [slot.next_token], True))
                n += 1
        budget = self.ctx.n_batch - n
        for slot in busy:
            if budget <= 0:
                break
            if not slot.pending:
                continue
            take = min(budget, len(slot.pending))
            if take == len(slot.pending) > 1:
                # The prompt's last token gets a step of its own, so its logits come from the same one-token decode
                # whether the rest of the prompt was cached or not: a seeded request repeats its answer on a warm
                # cache too (a token decoded inside a bigger batch can round differently).
                take -= 1
            chunk = slot.pending[:take]
            start = len(slot.cache)
            for j, t in enumerate(chunk):
                token[n], pos[n], n_seq_id[n], seq_id[n][0], logits[n] = t, start + j, 1, slot.seq_id, 0
                n += 1
            if len(chunk) == len(slot.pending):
                logits[n - 1] = 1
                rows.append((slot, n - 1))
            fed.append((slot, chunk, False))
            budget -= len(chunk)
        if n == 0:
            return
        batch.n_tokens = n
        started = time.perf_counter()
        rc = llama_cpp.llama_decode(self.ctx.ptr, batch)
        elapsed = time.perf_counter() - started
        if rc != 0:
            self._decode_failed(rc, [s for s, _, _ in fed])
            return
        n_prompt = 0
        for slot, chunk, generating in fed:
            if generating:
                slot.cache.append(chunk[0])
                slot.next_token = None
            else:
                slot.cache.extend(chunk)
                del slot.pending[: len(chunk)]
                n_prompt += len(chunk)
        m = self._metrics
        m.n_decode_total += 1
        m.n_busy_slots_total += len(busy)
        m.prompt_tokens_total += n_prompt
        n_gen = len(rows)
        if n_prompt and n_gen:  # split the step's time between prompt and generation by token count
            share = n_prompt / (n_prompt + n_gen)
            m.prompt_seconds_total += elapsed * share
            m.tokens_predicted_seconds_total += elapsed * (1 - share)
        elif n_prompt:
            m.prompt_seconds_total += elapsed
        else:
            m.tokens_predicted_seconds_total += elapsed
        for slot, row in rows:
            self._sample(slot, row)

    def _sample(self, slot: Slot, row: int) -> None:
        gen, text = slot.gen, slot.text
        assert gen is not None and text is not None
        if len(slot.cache) + 1 > self._metrics.n_tokens_max:
            self._metrics.n_tokens_max = len(slot.cache) + 1
        tok = int(llama_cpp.llama_sampler_sample(slot.chain, self.ctx.ptr, row))
        now = time.perf_counter_ns()
        if not slot.first_ns:
            slot.first_ns = now
        if self.model.is_eog(tok):
            self._finish(slot, "stop")
            return
        slot.completion.append(tok)
        self._metrics.tokens_predicted_total += 1
        if gen.request.logprobs is not None:  # only when asked: the fast path reads no logits
            gen._emit(row_logprobs(self.ctx.ptr, row, self.model.n_vocab, tok, gen.request.logprobs, self._token_text))
        piece = text.feed(self.model.piece(tok, self._piece_buf))
        if piece:
            gen._emit(piece)
        if text.stopped:
            self._finish(slot, "stop")
        elif len(slot.completion) >= slot.max_new:
            self._finish(slot, "length")
        else:
            slot.next_token = tok

    def _token_text(self, token: int) -> str:
        return self.model.piece(token, self._piece_buf).decode("utf-8", "replace")

    def _finish(self, slot: Slot, reason: str) -> None:
        gen = slot.gen
        assert gen is not None
        if reason != "cancel" and slot.text is not None:
            tail = slot.text.finish()
            if tail:
                gen._emit(tail)
        now = time.perf_counter_ns()
        first = slot.first_ns or now
        finished = Finished(
            reason=reason,
            prompt_tokens=len(gen.request.tokens),
            cached_tokens=slot.cached,
            completion=list(slot.completion),
            queued_ns=slot.started_ns - gen.submitted_ns,
            prompt_ns=max(first - slot.started_ns, 1),
            eval_ns=max(now - first, 1),
        )
        # Free the slot first: a client that sends its next request the moment this one ends finds
        # the slot free (and `active` already counts it out).
        self._release(slot)
        gen._emit(finished)

    def _release(self, slot: Slot) -> None:
        if slot.chain is not None:
            llama_cpp.llama_sampler_free(slot.chain)
            slot.chain = None
        slot.pending = []
        slot.next_token = None
        slot.text = None
        slot.last_used = time.monotonic()
        with self._cond:
            slot.gen = None

    def _decode_failed(self, rc: int, slots: list[Slot]) -> None:
        log.error("llama_decode returned %d", rc)
        for slot in slots:
            llama_cpp.llama_memory_seq_rm(self.ctx.memory, slot.seq_id, -1, -1)
            slot.cache = []
            gen = slot.gen
            self._release(slot)
            if gen is not None:
                gen._emit(GenerationFailed(f"llama.cpp could not decode the batch (llama_decode returned {rc})"))

    @staticmethod
    def _drop(gen: Generation, event: object) -> None:
        """End a request that never reached a slot."""
        if gen.chain is not None:
            llama_cpp.llama_sampler_free(gen.chain)
            gen.chain = None
        gen._emit(event)

    def _fail_all(self, error: BaseException) -> None:
        with self._cond:
            waiting, self._waiting = list(self._waiting), collections.deque()
        for gen in waiting:
            self._drop(gen, error)
        for slot in self.slots:
            if slot.busy:
                running = slot.gen
                self._release(slot)
                if running is not None:
                    running._emit(error)
