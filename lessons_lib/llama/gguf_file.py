"""What a GGUF file says about itself: metadata, tensors, file type, parameter count.

The header is read here with the `gguf` package's type tables. `gguf.GGUFReader` builds a numpy
view per array element, which takes seconds for a real tokenizer (3 s for SmolLM2's 49k
tokens, far more for Llama 3's 128k); this reader takes a few tens of milliseconds. Results
are cached per file (path, size, mtime).
"""

from __future__ import annotations

import functools
import mmap
import os
import struct
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
    """Ollama's format.HumanNumber, used for parameter_size: "8.0B", "70B", "134.52M" (no "T": 1e12 is "1000B")."""
    for unit, scale, decimals in (("B", 1e9, 1), ("M", 1e6, 2)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f}{unit}" if value.is_integer() else f"{value:.{decimals}f}{unit}"
    return f"{n / 1e3:.0f}K" if n >= 1e3 else str(n)


_SCALARS = {
    gguf.GGUFValueType.UINT8: "<B",
    gguf.GGUFValueType.INT8: "<b",
    gguf.GGUFValueType.UINT16: "<H",
    gguf.GGUFValueType.INT16: "<h",
    gguf.GGUFValueType.UINT32: "<I",
    gguf.GGUFValueType.INT32: "<i",
    gguf.GGUFValueType.FLOAT32: "<f",
    gguf.GGUFValueType.BOOL: "<?",
    gguf.GGUFValueType.UINT64: "<Q",
    gguf.GGUFValueType.INT64: "<q",
    gguf.GGUFValueType.FLOAT64: "<d",
}


class _Cursor:
    def __init__(self, data: mmap.mmap):
        self.data, self.pos = data, 0

    def unpack(self, fmt: str) -> Any:
        value = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        n = self.unpack("<Q")
        if self.pos + n > len(self.data):
            raise ValueError("a string runs past the end of the file")
        text = self.data[self.pos : self.pos + n].decode("utf-8", errors="replace")
        self.pos += n
        return text

    def value(self, kind: gguf.GGUFValueType) -> Any:
        if kind == gguf.GGUFValueType.STRING:
            return self.string()
        if kind == gguf.GGUFValueType.ARRAY:
            item_kind, count = gguf.GGUFValueType(self.unpack("<I")), self.unpack("<Q")
            if item_kind in _SCALARS:  # read the whole block at once
                fmt = _SCALARS[item_kind]
                size = struct.calcsize(fmt)
                values = list(struct.unpack_from(f"<{count}{fmt[1]}", self.data, self.pos))
                self.pos += size * count
                return values
            return [self.value(item_kind) for _ in range(count)]
        return self.unpack(_SCALARS[kind])


@functools.lru_cache(maxsize=32)
def _read(path: str, size: int, mtime_ns: int) -> GGUFInfo:
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        cur = _Cursor(data)
        cur.unpack("<I")  # the magic, checked by read()
        version = cur.unpack("<I")
        n_tensors, n_kv = cur.unpack("<Q"), cur.unpack("<Q")
        metadata: dict[str, Any] = {"GGUF.version": version}
        for _ in range(n_kv):
            key = cur.string()
            metadata[key] = cur.value(gguf.GGUFValueType(cur.unpack("<I")))
        tensors = []
        for _ in range(n_tensors):
            name = cur.string()
            dims = tuple(cur.unpack("<Q") for _ in range(cur.unpack("<I")))
            kind = gguf.GGMLQuantizationType(cur.unpack("<I"))
            cur.unpack("<Q")  # data offset
            n_elements = 1
            for d in dims:
                n_elements *= d
            block, type_size = gguf.GGML_QUANT_SIZES[kind]
            tensors.append(TensorInfo(name, kind.name, dims, n_elements, n_elements // block * type_size))
    return GGUFInfo(path=Path(path), size=size, metadata=metadata, tensors=tuple(tensors))


def read(path: str | os.PathLike[str]) -> GGUFInfo:
    """Read a GGUF file's header. Raises ValueError when the file is not GGUF."""
    path = Path(path).resolve()
    stat = path.stat()
    with open(path, "rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ValueError(f"{path.name} is not a GGUF file (it does not start with 'GGUF')")
    try:
        return _read(str(path), stat.st_size, stat.st_mtime_ns)
    except (IndexError, KeyError, OverflowError, ValueError, struct.error) as exc:  # truncated or damaged header
        raise ValueError(f"{path.name} is not a valid GGUF file (truncated or damaged: {exc})") from exc
