"""Perplexity and KL divergence the way llama.cpp's `llama-perplexity` computes them.

Method (tools/perplexity/perplexity.cpp): tokenize the whole text once; cut it into
non-overlapping chunks of n_ctx tokens; for each chunk start from an empty KV cache (replacing
the first token with BOS when the model adds one), run it, and score only the second half:
for j in [n_ctx/2, n_ctx-2], the negative log-likelihood of token j+1 given the logits at j.
PPL = exp(mean NLL), with uncertainty sqrt(var/(N-1)) * PPL. KL divergence compares, at the same
scored positions, the full next-token distributions of a reference (F16) model and a variant:
sum p_ref * (log p_ref - log p_variant), averaged over positions.

The pure functions (chunking, scoring, PPL, KLD) take numpy arrays, so they can be checked by
hand; `evaluate_model` runs them on a real model through llama-cpp-python.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..edition import text

__all__ = [
    "EVAL_PARTS",
    "Perplexity",
    "Evaluation",
    "load_eval_texts",
    "make_chunks",
    "log_softmax",
    "second_half",
    "perplexity",
    "kl_divergence",
    "evaluate_model",
    "tokenize_parts",
]

# --- user-facing strings (kept together so a Polish edition can translate them) -------------
EVAL_PARTS = {"English": "eval_en.txt", "Polish": "eval_pl.txt"}


def load_eval_texts() -> dict[str, str]:
    """The course's evaluation text, one entry per language (lessons_lib/data)."""
    data = resources.files("lessons_lib") / "data"
    return {part: (data / name).read_text(encoding="utf-8") for part, name in EVAL_PARTS.items()}


def make_chunks(
    tokens: Sequence[int], n_ctx: int, bos: int | None = None, max_chunks: int | None = None
) -> list[list[int]]:
    """Non-overlapping n_ctx-token chunks; the first token of each is replaced by BOS if given."""
    if n_ctx < 8 or n_ctx % 2:
        raise ValueError(text("quant.err_ctx", n_ctx=n_ctx))
    n_chunks = len(tokens) // n_ctx
    if max_chunks is not None:
        n_chunks = min(n_chunks, max_chunks)
    chunks = []
    for i in range(n_chunks):
        chunk = list(tokens[i * n_ctx : (i + 1) * n_ctx])
        if bos is not None:
            chunk[0] = bos
        chunks.append(chunk)
    return chunks


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-probabilities, computed in float64 as llama.cpp does."""
    x = np.asarray(logits, dtype=np.float64)
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def second_half(logits: np.ndarray, chunk: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(NLL per scored position, log-probs of those positions) for one chunk's logits.

    Scored positions j = n_ctx/2 .. n_ctx-2; the target of position j is chunk[j+1].
    """
    n_ctx = len(chunk)
    first = n_ctx // 2
    logp = log_softmax(logits[first : n_ctx - 1])
    targets = np.asarray(chunk[first + 1 : n_ctx])
    nll = -logp[np.arange(len(targets)), targets]
    return nll, logp


@dataclass(frozen=True)
class Perplexity:
    value: float
    uncertainty: float
    n_scored: int

    def __str__(self) -> str:
        return f"{self.value:.4f} ± {self.uncertainty:.4f} ({self.n_scored} tokens)"


def perplexity(nll: np.ndarray) -> Perplexity:
    """exp(mean NLL) and llama.cpp's uncertainty: sqrt(var / (N-1)) * PPL."""
    nll = np.asarray(nll, dtype=np.float64)
    n = len(nll)
    mean = float(nll.mean())
    ppl = math.exp(mean)
    var = float((nll * nll).mean() - mean * mean)
    err = math.sqrt(var / (n - 1)) * ppl if n > 1 and var > 0 else 0.0
    return Perplexity(ppl, err, n)


def kl_divergence(logp_ref: np.ndarray, logp: np.ndarray) -> np.ndarray:
    """KL(ref || variant) per row: sum p_ref * (log p_ref - log p_variant)."""
    ref = np.asarray(logp_ref, dtype=np.float64)
    return (np.exp(ref) * (ref - np.asarray(logp, dtype=np.float64))).sum(axis=-1)


@dataclass
class Evaluation:
    """One model scored on the evaluation text; `logp` is kept only for a reference model."""

    perplexity: Perplexity
    by_part: dict[str, Perplexity]
    nll: np.ndarray
    argmax: np.ndarray  # the most likely next token at every scored position
    tokens_per_s: float  # prompt processing speed while scoring (logits_all on)
    logp: np.ndarray | None = field(default=None, repr=False)
    kld: float | None = None
    kld_p99: float | None = None
    top1_agreement: float | None = None  # share of positions whose most likely token matches the reference
    delta_ppl: float | None = None

    def compare_to(self, ref: Evaluation, logp: np.ndarray) -> None:
        if ref.logp is None or ref.logp.shape != logp.shape:
            raise ValueError(text("quant.err_mismatch"))
        # In blocks of rows: float64 copies of a 128k-token vocabulary add up quickly.
        per_row = np.concatenate(
            [kl_divergence(ref.logp[i : i + 256], logp[i : i + 256]) for i in range(0, len(logp), 256)]
        )
        self.kld = float(per_row.mean())
        self.kld_p99 = float(np.percentile(per_row, 99))
        self.top1_agreement = float((self.argmax == ref.argmax).mean())
        self.delta_ppl = self.perplexity.value - ref.perplexity.value


def evaluate_model(
    model_path: Path | str,
    tokens: Mapping[str, Sequence[int]],
    *,
    n_ctx: int = 512,
    max_chunks: int | None = None,
    n_threads: int | None = None,
    reference: Evaluation | None = None,
    keep_logp: bool = False,
    **llama_kwargs: Any,
) -> Evaluation:
    """Score one GGUF on pre-tokenized text parts (tokenize once, with any variant's tokenizer).

    reference: an Evaluation made with keep_logp=True; then KLD and top-1 agreement are filled in.
    llama_kwargs go to llama_cpp.Llama (e.g. flash_attn=True, type_k=..., type_v=...).
    """
    import time

    from llama_cpp import Llama

    threads = n_threads or os.cpu_count() or 1
    llm = Llama(
        str(model_path),
        n_ctx=n_ctx,
        n_batch=n_ctx,
        n_ubatch=n_ctx,
        logits_all=True,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
        **llama_kwargs,
    )
    try:
        bos = llm.token_bos() if llm._model.add_bos_token() else None
        nll_parts: dict[str, np.ndarray] = {}
        logps: list[np.ndarray] = []
        argmaxes: list[np.ndarray] = []
        n_eval, seconds = 0, 0.0
        for part, toks in tokens.items():
            chunks = make_chunks(toks, n_ctx, bos, max_chunks)
            if len(chunks) < 1 or len(toks) < 2 * n_ctx and max_chunks is None:
                raise ValueError(text("quant.err_too_short", part=part, n=len(toks), n_ctx=n_ctx, need=2 * n_ctx))
            part_nll = []
            for chunk in chunks:
                llm.reset()  # the next eval clears the KV cache: each chunk starts fresh
                started = time.perf_counter()
                llm.eval(chunk)
                seconds += time.perf_counter() - started
                n_eval += len(chunk)
                nll, logp = second_half(llm.scores[:n_ctx], chunk)
                part_nll.append(nll)
                argmaxes.append(logp.argmax(axis=-1))
                if keep_logp or reference is not None:
                    logps.append(logp.astype(np.float32))
            nll_parts[part] = np.concatenate(part_nll)
    finally:
        llm.close()

    all_nll = np.concatenate(list(nll_parts.values()))
    result = Evaluation(
        perplexity=perplexity(all_nll),
        by_part={part: perplexity(v) for part, v in nll_parts.items()},
        nll=all_nll,
        argmax=np.concatenate(argmaxes),
        tokens_per_s=n_eval / seconds if seconds else 0.0,
    )
    if logps:
        stacked = np.concatenate(logps)
        if reference is not None:
            result.compare_to(reference, stacked)
        if keep_logp:
            result.logp = stacked
    return result


def tokenize_parts(model_path: Path | str, texts: Mapping[str, str]) -> dict[str, list[int]]:
    """Tokenize each text part once with the model's own tokenizer (BOS as the model wants it)."""
    from llama_cpp import Llama

    from ..llama.log import capture_llama_log

    with capture_llama_log():  # a vocabulary-only load warns about a context it never allocates
        llm = Llama(str(model_path), vocab_only=True, verbose=False)
    try:
        add_bos = bool(llm._model.add_bos_token())
        return {part: llm.tokenize(text.encode("utf-8"), add_bos=add_bos) for part, text in texts.items()}
    finally:
        llm.close()
