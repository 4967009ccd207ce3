"""Per-request samplers as llama.cpp's own sampler chains (no logits ever copied to Python).

One chain per sequence: grammar (Ollama's `format`) first, so that no later stage can pick a
token the grammar forbids, then llama.cpp's default order as llama-server uses it
(common/sampling.cpp: penalties, top_k, typical_p, top_p, min_p, temperature) and a seeded
distribution, or greedy selection at temperature 0 as Ollama does.
`llama_sampler_sample(chain, ctx, i)` then applies, selects and accepts in C.
See https://github.com/ggml-org/llama.cpp/blob/master/include/llama.h (sampling API).

Values that would trip an assertion inside llama.cpp (a repeat penalty of 0, NaN, a negative
top_k ...) are clamped here first: nothing a client sends may reach an abort().
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, fields
from typing import Any

import llama_cpp

from ..ollama_options import Options


class GrammarError(ValueError):
    """`format` is neither "json" nor a JSON schema llama.cpp's grammar can express."""


_DEFAULT = Options()


@dataclass(frozen=True)
class SamplingParams:
    """Ollama's per-request sampling options, with Ollama's defaults (`ollama_options`), not llama-cpp-python's."""

    temperature: float = _DEFAULT.temperature
    top_k: int = _DEFAULT.top_k
    top_p: float = _DEFAULT.top_p
    min_p: float = _DEFAULT.min_p
    typical_p: float = _DEFAULT.typical_p
    repeat_penalty: float = _DEFAULT.repeat_penalty
    repeat_last_n: int = _DEFAULT.repeat_last_n
    presence_penalty: float = _DEFAULT.presence_penalty
    frequency_penalty: float = _DEFAULT.frequency_penalty
    seed: int = _DEFAULT.seed
    grammar: str | None = None  # GBNF text, root rule "root"

    @classmethod
    def from_options(cls, opts: dict[str, Any], grammar: str | None = None, n_ctx: int = 4096) -> SamplingParams:
        """From merged options (a missing one is Ollama's default); repeat_last_n -1 means n_ctx, as in Ollama."""
        values = {f.name: opts.get(f.name, getattr(_DEFAULT, f.name)) for f in fields(cls) if f.name != "grammar"}
        typed = {name: type(getattr(_DEFAULT, name))(value) for name, value in values.items()}
        if typed["repeat_last_n"] < 0:
            typed["repeat_last_n"] = n_ctx
        return cls(**typed, grammar=grammar)


def grammar_for_format(fmt: Any) -> str | None:
    """Ollama's `format` ("json", a JSON schema object, "" or None) as GBNF text."""
    from llama_cpp.llama_grammar import JSON_GBNF, json_schema_to_gbnf

    if fmt in (None, "", "null"):
        return None
    if fmt == "json":
        return JSON_GBNF
    if isinstance(fmt, dict):
        if not fmt:  # {} constrains nothing but must still be JSON
            return JSON_GBNF
        try:
            return str(json_schema_to_gbnf(json.dumps(fmt)))
        except RecursionError as exc:
            raise GrammarError("schema nests too deeply") from exc
        except Exception as exc:  # the converter raises whatever it meets first
            raise GrammarError(str(exc) or type(exc).__name__) from exc
    raise GrammarError(f'{json.dumps(fmt)}; expected "json" or a valid JSON Schema object')


def _finite(value: float, default: float) -> float:
    return value if math.isfinite(value) else default


def build_chain(vocab: Any, n_vocab: int, params: SamplingParams) -> Any:
    """A new llama_sampler chain for one sequence; free it with llama_sampler_free."""
    chain_params = llama_cpp.llama_sampler_chain_default_params()
    chain_params.no_perf = True
    chain = llama_cpp.llama_sampler_chain_init(chain_params)
    add = llama_cpp.llama_sampler_chain_add
    try:
        if params.grammar:
            grammar = llama_cpp.llama_sampler_init_grammar(vocab, params.grammar.encode("utf-8"), b"root")
            if not grammar:
                raise GrammarError("the grammar could not be parsed")
            add(chain, grammar)
        repeat = _finite(params.repeat_penalty, 1.0)
        freq = _finite(params.frequency_penalty, 0.0)
        present = _finite(params.presence_penalty, 0.0)
        last_n = max(0, min(params.repeat_last_n, 1 << 20))
        if last_n and (repeat != 1.0 or freq != 0.0 or present != 0.0):
            # llama.cpp asserts penalty_repeat > 0: Ollama's runner treats <= 0 as "off".
            add(
                chain,
                llama_cpp.llama_sampler_init_penalties(n_vocab, last_n, repeat if repeat > 0 else 1.0, freq, present),
            )
        temperature = _finite(params.temperature, 0.8)
        if temperature <= 0:
            add(chain, llama_cpp.llama_sampler_init_greedy())
            return chain
        if params.top_k > 0:
            add(chain, llama_cpp.llama_sampler_init_top_k(min(params.top_k, n_vocab)))
        typical = _finite(params.typical_p, 1.0)
        if 0 < typical < 1:
            add(chain, llama_cpp.llama_sampler_init_typical(typical, 1))
        top_p = _finite(params.top_p, 1.0)
        if 0 < top_p < 1:
            add(chain, llama_cpp.llama_sampler_init_top_p(top_p, 1))
        min_p = _finite(params.min_p, 0.0)
        if 0 < min_p <= 1:
            add(chain, llama_cpp.llama_sampler_init_min_p(min_p, 1))
        add(chain, llama_cpp.llama_sampler_init_temp(min(temperature, 1e4)))
        seed = params.seed if params.seed >= 0 else random.getrandbits(31)
        add(chain, llama_cpp.llama_sampler_init_dist(seed % 0xFFFFFFFF))  # 0xFFFFFFFF would mean "random"
        return chain
    except BaseException:
        llama_cpp.llama_sampler_free(chain)
        raise
