"""Turn a quantized GGUF back into F16 with the `gguf` package (numpy, no llama.cpp involved).

The result is NOT the original full-precision model: dequantizing only re-expresses the rounded
numbers in 16 bits. A Q4_1 model dequantized to F16 is "the Q4_1 model stored in F16", and every
variant made from it inherits the Q4_1 rounding. It is still the right starting point for a lab
that compares types: llama.cpp quantizes from 16/32-bit tensors, and the F16 file is the
reference the other variants are measured against.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter, Keys, LlamaFileType
from gguf.quants import dequantize

from ..edition import text
from ..llama import gguf_file

__all__ = ["DequantizeReport", "FULL_PRECISION", "to_f16", "describe_source"]

# --- user-facing strings (kept together so a Polish edition can translate them) -------------

FULL_PRECISION = frozenset({"F32", "F16", "BF16"})
# Read as numbers directly; everything else (BF16 included, which GGUFReader returns as raw bytes)
# goes through gguf.quants.dequantize.
_UNQUANTIZED = {GGMLQuantizationType.F32, GGMLQuantizationType.F16}


@dataclass(frozen=True)
class DequantizeReport:
    source: Path
    destination: Path
    source_type: str
    size: int
    n_tensors: int
    seconds: float

    @property
    def description(self) -> str:
        return describe_source(self.source_type, self.source.name)


def describe_source(source_type: str, name: str) -> str:
    """What an F16 reference made from a `source_type` file really is, in one sentence."""
    if source_type.upper() in FULL_PRECISION:
        return text("quant.original", name=name, type=source_type)
    return text("quant.stored_in_f16", type=source_type, name=name)


def _copy_metadata(reader: GGUFReader, writer: GGUFWriter) -> None:
    # As gguf's own gguf_new_metadata.py does; the writer adds architecture and GGUF.* itself.
    for field in reader.fields.values():
        if field.name == Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        if field.name == Keys.General.FILE_TYPE:
            continue
        value_type = field.types[0]
        sub_type = field.types[-1] if value_type == GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), value_type, sub_type=sub_type)
    writer.add_key_value(Keys.General.FILE_TYPE, int(LlamaFileType.MOSTLY_F16), GGUFValueType.UINT32)


def _target_dtype(n_dims: int) -> type:
    # llama.cpp keeps 1-D tensors (norms, biases) in F32 for every file type.
    return np.float32 if n_dims < 2 else np.float16


def to_f16(
    source: Path | str,
    destination: Path | str,
    *,
    progress: Callable[[int, int, str], None] | None = None,
) -> DequantizeReport:
    """Write `source` with every 2-D tensor as F16 (1-D ones F32), atomically, tensor by tensor."""
    source, destination = Path(source), Path(destination)
    if not source.is_file():
        raise FileNotFoundError(text("quant.err_not_found", path=source))
    info = gguf_file.read(source)  # fast header read; ValueError for a non-GGUF file
    started = time.perf_counter()
    reader = GGUFReader(source)
    arch = str(reader.fields[Keys.General.ARCHITECTURE].contents())

    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = destination.with_name(f".{destination.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        writer = GGUFWriter(temp, arch)
        _copy_metadata(reader, writer)
        for t in reader.tensors:
            shape = tuple(int(d) for d in reversed(t.shape))  # numpy order: slowest dimension first
            dtype = _target_dtype(len(shape))
            writer.add_tensor_info(t.name, shape, np.dtype(dtype), int(np.prod(shape)) * np.dtype(dtype).itemsize)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        total = len(reader.tensors)
        for i, t in enumerate(reader.tensors):
            try:
                values = t.data if t.tensor_type in _UNQUANTIZED else dequantize(t.data, t.tensor_type)
            except NotImplementedError:
                raise ValueError(text("quant.err_unsupported", tensor=t.name, type=t.tensor_type.name)) from None
            shape = tuple(int(d) for d in reversed(t.shape))
            writer.write_tensor_data(np.asarray(values, dtype=_target_dtype(len(shape))).reshape(shape))
            if progress is not None:
                progress(i + 1, total, t.name)
        writer.close()
        os.replace(temp, destination)
    finally:
        temp.unlink(missing_ok=True)
    return DequantizeReport(
        source=source,
        destination=destination,
        source_type=info.file_type,
        size=destination.stat().st_size,
        n_tensors=len(reader.tensors),
        seconds=time.perf_counter() - started,
    )
