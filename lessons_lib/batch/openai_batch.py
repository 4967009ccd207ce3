"""OpenAI Batch JSONL: the job as request lines (`custom_id`, `method`, `url`, `body`), and back.

The same file runs on OpenAI's Batch API and on vLLM (`vllm run-batch -i job.jsonl -o out.jsonl
--model M`, vllm-project/vllm examples/offline_inference/openai_batch/README.md), for example on a
pod. `custom_id` is "pack-<n>", so answers map back to keywords with the same packing.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from .prompts import CATEGORIES, Categories, pack_messages
from .router import TOKENS_PER_LABEL
from .schema import InvalidAnswer, pack_schema, parse
from .texts import ERR_CUSTOM_ID

__all__ = ["export_batch", "import_results"]


def export_batch(
    keywords: list[str], path: str | os.PathLike[str], model: str, k: int = 10, categories: Categories = CATEGORIES
) -> int:
    """Write one /v1/chat/completions request per pack; returns the number of lines."""
    lines = 0
    with open(path, "w", encoding="utf-8") as handle:
        for pack in range(math.ceil(len(keywords) / k)):
            chunk = keywords[pack * k : (pack + 1) * k]
            body = {
                "model": model,
                "messages": pack_messages(chunk, categories),
                "temperature": 0,
                "max_tokens": 16 + TOKENS_PER_LABEL * len(chunk),
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "labels", "schema": pack_schema(len(chunk), categories), "strict": True},
                },
            }
            handle.write(
                json.dumps(
                    {"custom_id": f"pack-{pack}", "method": "POST", "url": "/v1/chat/completions", "body": body},
                    ensure_ascii=False,
                )
                + "\n"
            )
            lines += 1
    return lines


def import_results(
    keywords: list[str], path: str | os.PathLike[str], k: int = 10, categories: Categories = CATEGORIES
) -> list[dict[str, Any]]:
    """Rows (row, keyword, category, error) from a Batch output file; packs missing from it are flagged."""
    n_packs = math.ceil(len(keywords) / k)
    answers: dict[int, dict[str, Any]] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        custom_id = str(item.get("custom_id", ""))
        try:
            pack = int(custom_id.removeprefix("pack-"))
        except ValueError:
            pack = -1
        if not custom_id.startswith("pack-") or not 0 <= pack < n_packs:
            raise ValueError(ERR_CUSTOM_ID.format(line=number, custom_id=custom_id))
        answers[pack] = item
    rows = []
    for pack in range(n_packs):
        chunk = keywords[pack * k : (pack + 1) * k]
        item = answers.get(pack)
        labels: list[str | None] = [None] * len(chunk)
        error: str | None = "missing from the batch output"
        if item is not None:
            response, failure = item.get("response") or {}, item.get("error")
            body = response.get("body") or {}
            if failure or response.get("status_code", 200) != 200:
                error = f"request failed: {failure or body}"
            else:
                text = ((body.get("choices") or [{}])[0].get("message") or {}).get("content") or ""
                try:
                    labels, error = list(parse(text, len(chunk), categories)), None
                except InvalidAnswer as exc:
                    error = f"invalid_output: {exc}"
        for offset, (keyword, label) in enumerate(zip(chunk, labels)):
            rows.append({"row": pack * k + offset, "keyword": keyword, "category": label, "error": error})
    return rows
