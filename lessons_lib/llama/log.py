"""Read llama.cpp's log from Python while a block of code runs.

llama.cpp reports some facts only in its log (per-tensor quantization progress, fallbacks, the
size of the KV cache it allocated). It has a single, process-wide log callback, so captures are
serialized with a lock and llama-cpp-python's own handler is put back afterwards.
"""

from __future__ import annotations

import ctypes
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import llama_cpp

__all__ = ["LogCapture", "buffer_sizes", "capture_llama_log"]

_LOCK = threading.RLock()


class LogCapture:
    """Collects log text; `on_text` (if given) sees every piece as it arrives."""

    def __init__(self, on_text: Callable[[str], None] | None = None):
        self.on_text = on_text
        self.chunks: list[str] = []
        self.error: BaseException | None = None  # raised by on_text; re-raised by the caller

    def feed(self, text: str) -> None:
        self.chunks.append(text)
        if self.on_text is not None and self.error is None:
            try:
                self.on_text(text)
            except BaseException as exc:  # an exception must not cross into C
                self.error = exc

    @property
    def text(self) -> str:
        return "".join(self.chunks)


@contextmanager
def capture_llama_log(on_text: Callable[[str], None] | None = None) -> Iterator[LogCapture]:
    capture = LogCapture(on_text)

    @llama_cpp.llama_log_callback
    def on_log(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        capture.feed(text.decode("utf-8", errors="replace"))

    with _LOCK:
        llama_cpp.llama_log_set(on_log, ctypes.c_void_p(0))
        try:
            yield capture
        finally:
            from llama_cpp import _logger  # llama-cpp-python's default handler

            llama_cpp.llama_log_set(_logger.llama_log_callback, ctypes.c_void_p(0))


_BUFFER = re.compile(r"(\S+)\s+(model|KV|compute) buffer size\s+=\s+([\d.]+) MiB")


def buffer_sizes(log: str) -> dict[str, int]:
    """Bytes llama.cpp allocated, summed per kind ("model", "KV", "compute") from its load log."""
    sizes: dict[str, int] = {}
    for match in _BUFFER.finditer(log):
        sizes[match[2]] = sizes.get(match[2], 0) + round(float(match[3]) * 2**20)
    return sizes
