"""Speed figures read from an Ollama response itself (its nanosecond counters)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import edition

NS = 1e9


@dataclass(frozen=True)
class Speed:
    prompt_tokens: int
    prompt_tokens_per_s: float
    generated_tokens: int
    generated_tokens_per_s: float
    load_s: float
    total_s: float

    def as_row(self) -> dict[str, float | int]:
        return {
            "prompt tokens": self.prompt_tokens,
            "prompt tok/s": round(self.prompt_tokens_per_s, 1),
            "generated tokens": self.generated_tokens,
            "generation tok/s": round(self.generated_tokens_per_s, 1),
            "load s": round(self.load_s, 2),
            "total s": round(self.total_s, 2),
        }

    def __str__(self) -> str:
        """'24 tokens at 61.0 tok/s (prompt: 37 tokens at 133.5 tok/s; ...)', in the current edition."""
        return edition.text(
            "chat.speed",
            tokens=self.generated_tokens,
            tps=self.generated_tokens_per_s,
            prompt_tokens=self.prompt_tokens,
            prompt_tps=self.prompt_tokens_per_s,
            load=self.load_s,
            total=self.total_s,
        )


def _get(response: Any, key: str) -> int:
    value = response.get(key) if isinstance(response, dict) else getattr(response, key, None)
    return int(value or 0)


def speed(response: Any) -> Speed:
    """Tokens per second as Ollama defines them: eval_count / eval_duration * 1e9."""
    prompt_n, prompt_ns = _get(response, "prompt_eval_count"), _get(response, "prompt_eval_duration")
    gen_n, gen_ns = _get(response, "eval_count"), _get(response, "eval_duration")
    return Speed(
        prompt_tokens=prompt_n,
        prompt_tokens_per_s=prompt_n / prompt_ns * NS if prompt_ns else 0.0,
        generated_tokens=gen_n,
        generated_tokens_per_s=gen_n / gen_ns * NS if gen_ns else 0.0,
        load_s=_get(response, "load_duration") / NS,
        total_s=_get(response, "total_duration") / NS,
    )
