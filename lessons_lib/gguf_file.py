"""What a GGUF file says about itself: metadata, tensors, file type, parameter count.

Read with the `gguf` package (the reader llama.cpp ships). Parsing the tokenizer arrays of a
real model takes a moment, so results are cached per file (path, size, mtime).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf

# Ollama shows arrays longer than this as [] in /api/show unless verbose.
SHORT_ARRAY = 5


@dataclass(frozen=True)
class TensorInfo:
    name: str
    type: str  # "Q4_1", "F16", ...
    shape: tuple[int, ...]  # GGUF order: fastest-varying dimension first
    n_elements: int
    n_bytes: int


@dataclass(frozen=True)
class GGUFInfo:
    path: Path
    size: int
    metadata: dict[str, Any]  # GGUF key -> Python value (arrays as lists)
    tensors: tuple[TensorInfo, ...]

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", "unknown"))

    @property
    def file_type(self) -> str:
        """The quantization name Ollama shows as quantization_level ("Q4_1", "Q4_K_M", "F16")."""
        code = self.metadata.get("general.file_type")
        if code is None:
            return "unknown"
        try:
            name = gguf.LlamaFileType(int(code)).name  # e.g. MOSTLY_Q4_K_M, ALL_F32
        except ValueError:
            return f"unknown ({code})"
        return name.split("_", 1)[1] if name.startswith(("MOSTLY_", "ALL_")) else name

    @property
    def parameter_count(self) -> int:
        stated = self.metadata.get("general.parameter_count")
        return int(stated) if stated else sum(t.n_elements for t in self.tensors)

    @property
    def context_length(self) -> int | None:
        value = self.metadata.get(f"{self.architecture}.context_length")
        return int(value) if value is not None else None

    @property
    def embedding_length(self) -> int | None:
        value = self.metadata.get(f"{self.architecture}.embedding_length")
        return int(value) if value is not None else None

    @property
    def chat_template(self) -> str | None:
        return self.metadata.get("tokenizer.chat_template")

    def model_info(self, verbose: bool = False) -> dict[str, Any]:
        """Metadata as Ollama's /api/show `model_info` presents it."""
        info: dict[str, Any] = {}
        for key, value in self.metadata.items():
            if key in ("general.name", "tokenizer.chat_template") or key.startswith("GGUF."):
                continue
            if isinstance(value, list) and len(value) > SHORT_ARRAY and not verbose:
                value = []
            info[key] = value
        info["general.parameter_count"] = self.parameter_count
        return dict(sorted(info.items()))


def human_parameter_count(n: int) -> str:
    """Ollama's format.HumanNumber, used for parameter_size: "8.0B", "70B", "134.52M"."""
    for unit, scale, decimals in (("T", 1e12, 1), ("B", 1e9, 1), ("M", 1e6, 2)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f}{unit}" if value.is_integer() else f"{value:.{decimals}f}{unit}"
    return f"{n / 1e3:.0f}K" if n >= 1e3 else str(n)


def _value(field: gguf.ReaderField) -> Any:
    value = field.contents()
    if hasattr(value, "tolist"):
        value = value.tolist()
    return value


@functools.lru_cache(maxsize=32)
def _read(path: str, size: int, mtime_ns: int) -> GGUFInfo:
    reader = gguf.GGUFReader(path)
    metadata = {name: _value(field) for name, field in reader.fields.items()}
    tensors = tuple(
        TensorInfo(
            name=t.name,
            type=t.tensor_type.name,
            shape=tuple(int(d) for d in t.shape),
            n_elements=int(t.n_elements),
            n_bytes=int(t.n_bytes),
        )
        for t in reader.tensors
    )
    return GGUFInfo(path=Path(path), size=size, metadata=metadata, tensors=tensors)


def read(path: str | os.PathLike[str]) -> GGUFInfo:
    """Read a GGUF file's header. Raises ValueError when the file is not GGUF."""
    path = Path(path).resolve()
    stat = path.stat()
    with open(path, "rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ValueError(f"{path.name} is not a GGUF file (it does not start with 'GGUF')")
    return _read(str(path), stat.st_size, stat.st_mtime_ns)
