"""The answer format of one pack, and the check every answer passes before it counts.

The schema is sent as Ollama's `format` (or OpenAI's `response_format` json_schema), so a server
that constrains decoding (llama.cpp grammars, vLLM guided decoding) can only produce a closed-set
answer of exactly K labels. Servers that do not constrain may still answer anything: `parse`
checks every answer, and the job retries or flags what fails.
"""

from __future__ import annotations

import json
from typing import Any

from .prompts import CATEGORIES, Categories
from .texts import ERR_COUNT, ERR_JSON, ERR_LABEL, ERR_SHAPE

__all__ = ["pack_schema", "parse", "InvalidAnswer"]


class InvalidAnswer(ValueError):
    """The model's answer does not fit the schema (it is retried, then flagged)."""


def pack_schema(k: int, categories: Categories = CATEGORIES) -> dict[str, Any]:
    """JSON schema: {"labels": [exactly k names from the closed set]}."""
    return {
        "type": "object",
        "properties": {
            "labels": {
                "type": "array",
                "items": {"type": "string", "enum": categories.names},
                "minItems": k,
                "maxItems": k,
            }
        },
        "required": ["labels"],
    }


def parse(text: str, k: int, categories: Categories = CATEGORIES) -> list[str]:
    """The k labels of an answer, or InvalidAnswer saying what is wrong."""
    short = text if len(text) <= 200 else text[:200] + "..."
    try:
        data = json.loads(text)
    except (ValueError, TypeError):
        raise InvalidAnswer(ERR_JSON.format(text=short)) from None
    labels = data.get("labels") if isinstance(data, dict) else None
    if not isinstance(labels, list):
        raise InvalidAnswer(ERR_SHAPE.format(text=short))
    if len(labels) != k:
        raise InvalidAnswer(ERR_COUNT.format(want=k, got=len(labels)))
    names = set(categories.names)
    for index, label in enumerate(labels, 1):
        if not isinstance(label, str) or label not in names:
            raise InvalidAnswer(ERR_LABEL.format(label=label, index=index))
    return labels
