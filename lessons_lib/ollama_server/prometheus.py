"""`GET /metrics`: the batching engine's counters in llama-server's Prometheus names.

Same names, help texts and types as llama-server's `--metrics` endpoint
(https://github.com/ggml-org/llama.cpp/tree/master/tools/server#get-metrics-prometheus-compatible-metrics-exporter),
so a chart or a Prometheus scrape written for llama-server works unchanged.
"""

from __future__ import annotations

import re

from ..llama.batch_engine import Metrics

_COUNTERS = (
    ("prompt_tokens_total", "Number of prompt tokens processed, excluding cached tokens", "prompt_tokens_total"),
    ("prompt_tokens_cached_total", "Number of prompt tokens reused from the cache", "prompt_tokens_cached_total"),
    ("prompt_seconds_total", "Total time spent processing prompts", "prompt_seconds_total"),
    ("tokens_predicted_total", "Number of generation tokens processed", "tokens_predicted_total"),
    ("tokens_predicted_seconds_total", "Total time spent generating tokens", "tokens_predicted_seconds_total"),
    ("n_decode_total", "Total number of llama_decode() calls", "n_decode_total"),
    ("n_tokens_max", "Largest observed sequence length (prompt + generation)", "n_tokens_max"),
)


def prometheus_text(m: Metrics) -> str:
    gauges = (
        (
            "prompt_tokens_seconds",
            "Average prompt throughput in tokens/s",
            m.prompt_tokens_total / m.prompt_seconds_total if m.prompt_seconds_total else 0.0,
        ),
        (
            "predicted_tokens_seconds",
            "Average generation throughput in tokens/s",
            m.tokens_predicted_total / m.tokens_predicted_seconds_total if m.tokens_predicted_seconds_total else 0.0,
        ),
        ("requests_processing", "Number of requests processing", m.requests_processing),
        ("requests_deferred", "Number of requests deferred", m.requests_deferred),
        (
            "n_busy_slots_per_decode",
            "Average number of busy slots per llama_decode() call",
            m.n_busy_slots_total / max(m.n_decode_total, 1),
        ),
    )
    lines = []
    for kind, items in (("counter", [(n, h, getattr(m, a)) for n, h, a in _COUNTERS]), ("gauge", gauges)):
        for name, help_text, value in items:
            lines += [
                f"# HELP llamacpp:{name} {help_text}",
                f"# TYPE llamacpp:{name} {kind}",
                f"llamacpp:{name} {float(value):g}",
            ]
    return "\n".join(lines) + "\n"


def metric_value(text: str, name: str) -> float | None:
    """One value read back from this text (what a client of /metrics does): None when it is absent."""
    match = re.search(rf"^llamacpp:{re.escape(name)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else None
