"""Tokens (lesson 02): how a model's own tokenizer cuts the same prompt in two languages.

A model reads and writes *tokens*, not words: pieces of words from a fixed vocabulary. Speed
(tok/s), the context window (`num_ctx`) and per-token prices are all counted in them, so a
language the tokenizer cuts into more pieces is slower, fills the context sooner and costs more.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import edition


@dataclass(frozen=True)
class Tokenized:
    label: str
    text: str
    ids: list[int]
    pieces: list[str]  # each token as text; a piece that is half of a UTF-8 character shows as "�"

    @property
    def words(self) -> int:
        return len(self.text.split())


def _gguf(model: str | os.PathLike[str]) -> Path:
    path = Path(model)
    if path.suffix == ".gguf" or path.is_file():
        return path
    from .models import find_gguf

    return find_gguf(str(model))


def tokenize(model: str | os.PathLike[str], texts: Mapping[str, str]) -> list[Tokenized]:
    """Cut each text with the tokenizer of `model` (an Ollama name or a .gguf path); loads the vocabulary only."""
    from llama_cpp import Llama

    from .llama.log import capture_llama_log

    with capture_llama_log():  # a vocabulary-only load warns about a context it never allocates
        llm = Llama(str(_gguf(model)), vocab_only=True, verbose=False)
    try:
        out = []
        for label, text in texts.items():
            ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
            pieces = [llm.detokenize([i]).decode("utf-8", errors="replace") for i in ids]
            out.append(Tokenized(label, text, ids, pieces))
        return out
    finally:
        llm.close()


def table(rows: list[Tokenized]) -> pd.DataFrame:
    """Characters, words and tokens of each text, and how many tokens a word costs."""
    col = {k: edition.text(f"tokens.col_{k}") for k in ("chars", "words", "tokens", "per_word", "pieces")}
    return pd.DataFrame(
        [
            {
                col["chars"]: len(r.text),
                col["words"]: r.words,
                col["tokens"]: len(r.ids),
                col["per_word"]: round(len(r.ids) / max(r.words, 1), 2),
                col["pieces"]: "|".join(r.pieces),
            }
            for r in rows
        ],
        index=[r.label for r in rows],
    )


def count(model: str | os.PathLike[str], texts: Mapping[str, str]) -> pd.DataFrame:
    """`table(tokenize(model, texts))`: the cell-sized version."""
    return table(tokenize(model, texts))
