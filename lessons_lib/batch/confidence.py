"""How sure the model was of each label: from its own token log-probabilities, over the closed set of categories.

The server returns, for every generated token, its log-probability and the `top_logprobs` best
alternatives (Ollama >= 0.12's `logprobs`/`top_logprobs`, llama-server's `n_probs`, vLLM's and
OpenAI's `logprobs`). Those are the model's raw distribution, before the schema's grammar removed
every token that cannot continue the JSON answer. So at each token that spells a label, only the
alternatives that could still spell some category count: the chosen token's probability is
renormalised over them, and a label's confidence is the product over its tokens. The top
alternatives at the label's first token, mapped to the categories they start, are kept too.

    {"labels": ["food", "kids"]}   tokens ... ' ["', 'food', '",', ' "', 'kids', '"]}'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LabelConfidence", "label_confidence", "TOP_LOGPROBS"]

TOP_LOGPROBS = 10  # alternatives asked for per token (Ollama allows 0..20)
CLOSING = set('"]}, \n')


@dataclass(frozen=True)
class LabelConfidence:
    confidence: float | None
    alternatives: dict[str, float] = field(default_factory=dict)  # category -> probability, best first


def _fits(candidate: str, names: list[str]) -> list[str]:
    """The categories `candidate` (the label's text so far plus one token) can still be, or ends as."""
    if not candidate:
        return []
    return [
        name
        for name in names
        if name.startswith(candidate)
        or (candidate.startswith(name) and set(candidate[len(name) :]) <= CLOSING and candidate[len(name)] == '"')
    ]


def _one_label(
    tokens: list[dict[str, Any]], offsets: list[int], text: str, start: int, end: int, names: list[str]
) -> LabelConfidence:
    """`start`..`end`: the label's characters in the answer `text` (inside its quotes)."""
    total = 0.0
    alternatives: dict[str, float] = {}
    first = True
    for item, a in zip(tokens, offsets):
        token = str(item.get("token", ""))
        b = a + len(token)
        if b <= start or a >= end:
            continue
        before = token[: max(0, start - a)]  # the part of the token before the label (its opening quote)
        spelled = text[start:a] if a > start else ""  # the label's text before this token
        chosen = float(item.get("logprob", 0.0))
        seen = {token: chosen}
        for alt in item.get("top_logprobs") or []:
            seen.setdefault(str(alt.get("token", "")), float(alt.get("logprob", -math.inf)))
        fitting: dict[str, tuple[float, list[str]]] = {}
        for alt_token, logprob in seen.items():
            if not alt_token.startswith(before):
                continue
            fits = _fits(spelled + alt_token[len(before) :], names)
            if fits:
                fitting[alt_token] = (logprob, fits)
        if token not in fitting:  # the answer's token does not spell a category (a server without a grammar)
            return LabelConfidence(None)
        norm = math.log(sum(math.exp(lp) for lp, _ in fitting.values()))
        total += chosen - norm
        if first:
            for logprob, fits in fitting.values():
                if len(fits) == 1:
                    alternatives[fits[0]] = alternatives.get(fits[0], 0.0) + math.exp(logprob - norm)
            first = False
    if first:
        return LabelConfidence(None)
    best = dict(sorted(((k, round(v, 4)) for k, v in alternatives.items()), key=lambda kv: -kv[1])[:3])
    return LabelConfidence(round(math.exp(total), 4), best)


def label_confidence(
    logprobs: list[dict[str, Any]] | None, labels: list[str], names: list[str]
) -> list[LabelConfidence]:
    """Per label of the answer, its confidence and alternatives; None when the server gave no logprobs.

    Labels are found in order in the answer text the tokens spell (each `"label"` after the previous one).
    """
    if not logprobs:
        return [LabelConfidence(None) for _ in labels]
    offsets, text = [], ""
    for item in logprobs:
        offsets.append(len(text))
        text += str(item.get("token", ""))
    result: list[LabelConfidence] = []
    cursor = 0
    for label in labels:
        at = text.find(f'"{label}"', cursor)
        if at < 0:
            result.append(LabelConfidence(None))
            continue
        cursor = at + len(label) + 2
        result.append(_one_label(logprobs, offsets, text, at + 1, at + 1 + len(label), names))
    return result
