"""Server-sent events with a named type (`event: X` then `data: {json}`), as Ollama's Anthropic and
Responses middlewares write them (middleware/anthropic.go writeSSE, middleware/openai.go)."""

from __future__ import annotations

import json
from typing import Any


def named_event(event: str, data: Any) -> bytes:
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"event: {event}\ndata: {payload}\n\n".encode()
