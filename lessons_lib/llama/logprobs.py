"""Log probabilities of generated tokens, from the logits llama.cpp computed for the sampled row.

Only requests that ask for them (Ollama's `logprobs` / `top_logprobs`) pay for this: the row's
logits are read in place through `llama_get_logits_ith` (no copy into a Python list), and the
log-softmax runs in numpy. The values are those of the model's raw distribution, before the
sampler's temperature or truncation, as llama-server reports them (`n_probs`,
post_sampling_probs off: tools/server/README.md) and so as Ollama 0.33 passes them on.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Any

import llama_cpp
import numpy as np

MAX_TOP_LOGPROBS = 20  # Ollama: "top_logprobs must be between 0 and 20"


@dataclass(frozen=True)
class TokenLogprob:
    """One generated token: its text, log probability and the `top` most likely alternatives."""

    token: str
    logprob: float
    top: list[tuple[str, float]] = field(default_factory=list)


def row_logprobs(ctx: Any, row: int, n_vocab: int, token: int, top: int, text: Any) -> TokenLogprob:
    """The log probability of `token` at batch row `row`, and the `top` best tokens (text(id) -> str)."""
    ptr = llama_cpp.llama_get_logits_ith(ctx, row)
    logits = np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(n_vocab,))
    peak = float(logits.max())
    log_norm = peak + float(np.log(np.exp(logits - peak, dtype=np.float64).sum()))
    best: list[tuple[str, float]] = []
    if top > 0:
        k = min(top, n_vocab)
        ids = np.argpartition(logits, -k)[-k:]
        ids = ids[np.argsort(-logits[ids], kind="stable")]
        best = [(text(int(i)), float(logits[i]) - log_norm) for i in ids]
    return TokenLogprob(text(token), float(logits[token]) - log_norm, best)


def to_api(entries: list[TokenLogprob]) -> list[dict[str, Any]]:
    """Ollama's api.Logprob objects: token, logprob, bytes (of the token text), top_logprobs."""

    def one(token: str, logprob: float) -> dict[str, Any]:
        item: dict[str, Any] = {"token": token, "logprob": logprob}
        if token:
            item["bytes"] = list(token.encode("utf-8"))
        return item

    out = []
    for entry in entries:
        item = one(entry.token, entry.logprob)
        if entry.top:
            item["top_logprobs"] = [one(t, lp) for t, lp in entry.top]
        out.append(item)
    return out
