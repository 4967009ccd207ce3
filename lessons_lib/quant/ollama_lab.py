"""The same variants through Ollama: register each GGUF with `create`, ask them all one question.

Works against a real Ollama and against the course's embedded server alike, because both speak
the same API: `create_blob` uploads the file, `create(files=...)` makes a model of it, and
`create(from_=..., quantize=...)` asks the server to quantize an F16 model itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import ollama
import pandas as pd

from ..metrics import speed
from ..progress import tqdm

__all__ = ["register_variants", "create_quantized", "compare_answers", "remove_models"]

# --- user-facing strings (kept together so a Polish edition can translate them) -------------
BAR_REGISTER = "ollama create"
COL_MODEL = "model"
COL_ANSWER = "answer"
COL_TG = "gen tok/s"
COL_SIZE = "size (MB)"


def register_variants(client: ollama.Client, paths: Mapping[str, Path], base: str = "quant-lab") -> dict[str, str]:
    """`ollama create base:kind` for every file (upload as a blob, then create from it)."""
    names: dict[str, str] = {}
    for kind, path in tqdm(paths.items(), desc=BAR_REGISTER, unit="model"):
        digest = client.create_blob(path)
        name = f"{base}:{kind.lower()}"
        client.create(model=name, files={Path(path).name: digest})
        names[kind] = name
    return names


def create_quantized(client: ollama.Client, source: str, kind: str, name: str) -> str:
    """`ollama create name --quantize kind` from an F16 model the server already has."""
    client.create(model=name, from_=source, quantize=kind)
    return name


def compare_answers(
    client: ollama.Client, names: Mapping[str, str], prompt: str, options: Mapping[str, object] | None = None
) -> pd.DataFrame:
    """Every model answers the same prompt with the same options; one row per model."""
    sizes = {m.model: m.size for m in client.list().models}
    rows = []
    for kind, name in names.items():
        response = client.chat(model=name, messages=[{"role": "user", "content": prompt}], options=dict(options or {}))
        rows.append(
            {
                "type": kind,
                COL_MODEL: name,
                COL_SIZE: round((sizes.get(name) or 0) / 1e6, 1),
                COL_TG: round(speed(response).generated_tokens_per_s, 1),
                COL_ANSWER: (response.message.content or "").strip(),
            }
        )
    return pd.DataFrame(rows).set_index("type")


def remove_models(client: ollama.Client, names: Mapping[str, str] | list[str]) -> None:
    """`ollama rm` for each name; a name already gone is not an error."""
    for name in names.values() if isinstance(names, Mapping) else names:
        try:
            client.delete(name)
        except ollama.ResponseError as exc:
            if exc.status_code != 404:
                raise
