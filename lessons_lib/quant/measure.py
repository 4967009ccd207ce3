"""Speed and memory of one GGUF through llama-cpp-python, measured the same way for every variant.

Load time is wall-clock around `Llama(...)`. Resident memory is this process's RSS growth from
before the load to after a warm-up generation (with mmap, weight pages only count once they are
touched, hence the warm-up). Prompt and generation speeds come from llama.cpp's own counters
(`llama_perf_context`: t_p_eval_ms/n_p_eval, t_eval_ms/n_eval), as llama-bench reports them, for
the same prompts, thread count and number of generated tokens.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp
import psutil

from ..llama.log import buffer_sizes, capture_llama_log

__all__ = ["PROMPTS", "SpeedResult", "measure_speed"]

# Same prompts for every variant: one English, one Polish (the lesson's two languages).
PROMPTS = (
    "Explain in two sentences why a smaller file makes a language model generate text faster.",
    "Wyjaśnij krótko, czym jest kwantyzacja modelu językowego.",
)
WARMUP_PROMPT = "Hello"


@dataclass(frozen=True)
class SpeedResult:
    load_s: float
    rss_bytes: int  # RSS growth of this process: weights touched + KV cache + buffers
    prompt_tokens_per_s: float  # median over the prompts
    generation_tokens_per_s: float  # median over the prompts
    prompt_tokens: int
    generated_tokens: int
    answers: tuple[str, ...]
    kv_cache_bytes: int = 0  # as llama.cpp allocated it ("KV buffer size")
    compute_bytes: int = 0  # "compute buffer size"
    model_buffer_bytes: int = 0  # "model buffer size" (mapped file + repacked weights)


def _rss() -> int:
    return psutil.Process().memory_info().rss


def measure_speed(
    model_path: Path | str,
    *,
    prompts: Sequence[str] = PROMPTS,
    n_gen: int = 32,
    n_threads: int | None = None,
    n_ctx: int = 512,
    chat: bool = True,
    **llama_kwargs: Any,
) -> SpeedResult:
    """Load, warm up, then answer every prompt greedily with n_gen tokens; report the medians.

    `chat=False` for a base model (no chat template): the prompts are continued as plain text, with the
    end-of-text token banned so that every prompt writes n_gen tokens, as llama-bench does."""
    threads = n_threads or os.cpu_count() or 1
    gc.collect()
    rss_before = _rss()
    started = time.perf_counter()
    with capture_llama_log() as log:  # the allocated buffer sizes are only in llama.cpp's log
        llm = llama_cpp.Llama(
            str(model_path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, verbose=False, **llama_kwargs
        )
    load_s = time.perf_counter() - started
    buffers = buffer_sizes(log.text)
    try:
        llm.create_chat_completion([{"role": "user", "content": WARMUP_PROMPT}], max_tokens=4, temperature=0.0)
        rss = _rss() - rss_before
        pp, tg, answers = [], [], []
        n_prompt = n_generated = 0
        for prompt in prompts:
            llm.reset()  # no prefix reuse: every prompt is processed in full
            llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
            if chat:
                out = llm.create_chat_completion(
                    [{"role": "user", "content": prompt}], max_tokens=n_gen, temperature=0.0, top_k=1, seed=0
                )
                assert isinstance(out, dict)  # not streamed: one response
                answers.append((out["choices"][0]["message"]["content"] or "").strip())
            else:
                eos = {llm.token_eos(): float("-inf")}
                text = llm.create_completion(prompt, max_tokens=n_gen, temperature=0.0, top_k=1, seed=0, logit_bias=eos)
                assert isinstance(text, dict)
                answers.append(text["choices"][0]["text"].strip())
            perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
            if perf.n_p_eval and perf.t_p_eval_ms:
                pp.append(perf.n_p_eval / perf.t_p_eval_ms * 1e3)
            if perf.n_eval and perf.t_eval_ms:
                tg.append(perf.n_eval / perf.t_eval_ms * 1e3)
            n_prompt += perf.n_p_eval
            n_generated += perf.n_eval
    finally:
        llm.close()
    return SpeedResult(
        load_s=load_s,
        rss_bytes=max(rss, 0),
        prompt_tokens_per_s=statistics.median(pp) if pp else 0.0,
        generation_tokens_per_s=statistics.median(tg) if tg else 0.0,
        prompt_tokens=n_prompt,
        generated_tokens=n_generated,
        answers=tuple(answers),
        kv_cache_bytes=buffers.get("KV", 0),
        compute_bytes=buffers.get("compute", 0),
        model_buffer_bytes=buffers.get("model", 0),
    )
