"""A GGUF model and one llama.cpp context of N sequences, through llama-cpp-python's low-level bindings.

The high-level `llama_cpp.Llama` owns one sequence and samples in Python; a serving engine
needs one context whose KV cache holds a sequence per slot (`n_seq_max`), as llama-server
builds it (tools/server/server-context.cpp). Each sequence gets `n_ctx_seq` cells of its own
(kv_unified off, llama-server's choice for an explicit `-np N`), so one stream's attention
never reads another's cells.
"""

from __future__ import annotations

import ctypes
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import llama_cpp

_backend_lock = threading.Lock()
_backend_ready = False


def _init_backend() -> None:
    global _backend_ready
    with _backend_lock:
        if not _backend_ready:
            from llama_cpp import _logger

            _logger.set_verbose(False)  # llama.cpp's load chatter off, as Llama(verbose=False) does
            llama_cpp.llama_backend_init()
            _backend_ready = True


class ModelLoadError(RuntimeError):
    """llama.cpp refused the file or the context (corrupt GGUF, unknown architecture, no memory)."""


class NativeModel:
    """Weights and vocabulary; tokenize and detokenize are safe from any thread."""

    def __init__(
        self, path: str | os.PathLike[str], *, n_gpu_layers: int = 0, main_gpu: int = 0, use_mmap: bool = True
    ):
        _init_backend()
        params = llama_cpp.llama_model_default_params()
        params.n_gpu_layers = n_gpu_layers
        params.main_gpu = main_gpu
        params.load_mode = llama_cpp.LLAMA_LOAD_MODE_MMAP if use_mmap else llama_cpp.LLAMA_LOAD_MODE_NONE
        self.path = Path(path)
        model = llama_cpp.llama_model_load_from_file(str(self.path).encode("utf-8"), params)
        if not model:
            raise ModelLoadError(f"llama.cpp could not load {self.path.name}")
        self.ptr = model
        self.vocab = llama_cpp.llama_model_get_vocab(model)
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(self.vocab))
        self.n_ctx_train = int(llama_cpp.llama_model_n_ctx_train(model))
        self.add_bos = bool(llama_cpp.llama_vocab_get_add_bos(self.vocab))
        self.bos = int(llama_cpp.llama_vocab_bos(self.vocab))
        # Recurrent and hybrid memories cannot drop the tail of a sequence: no partial prefix reuse.
        self.recurrent = bool(llama_cpp.llama_model_is_recurrent(model) or llama_cpp.llama_model_is_hybrid(model))
        self.has_encoder = bool(llama_cpp.llama_model_has_encoder(model))
        # Per-token answers that never change, memoised: after a decode has streamed the weights
        # through the caches, each ctypes call costs microseconds, and the generation loop asks
        # for every token's text and end-of-generation flag.
        self._pieces: dict[int, bytes] = {}
        self._eog: dict[int, bool] = {}

    def tokenize(self, text: str, *, add_special: bool = True, parse_special: bool = True) -> list[int]:
        data = text.encode("utf-8")
        capacity = len(data) + 8
        buf = (llama_cpp.llama_token * capacity)()
        n = llama_cpp.llama_tokenize(self.vocab, data, len(data), buf, capacity, add_special, parse_special)
        if n < 0:  # -n is the size needed
            capacity = -n
            buf = (llama_cpp.llama_token * capacity)()
            n = llama_cpp.llama_tokenize(self.vocab, data, len(data), buf, capacity, add_special, parse_special)
        return list(buf[: max(n, 0)])

    def piece(self, token: int, buf: ctypes.Array | None = None, special: bool = False) -> bytes:
        """The bytes of one token (may be part of a UTF-8 character)."""
        if not special:
            known = self._pieces.get(token)
            if known is not None:
                return known
        buf = buf if buf is not None else ctypes.create_string_buffer(64)
        n = llama_cpp.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, special)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, special)
        data = buf.raw[: max(n, 0)]
        if not special:
            self._pieces[token] = data
        return data

    def detokenize(self, tokens: list[int]) -> str:
        buf = ctypes.create_string_buffer(64)
        return b"".join(self.piece(t, buf) for t in tokens).decode("utf-8", "replace")

    def is_eog(self, token: int) -> bool:
        known = self._eog.get(token)
        if known is None:
            known = self._eog[token] = bool(llama_cpp.llama_vocab_is_eog(self.vocab, token))
        return known

    def valid_token(self, token: int) -> bool:
        return 0 <= token < self.n_vocab

    def close(self) -> None:
        ptr, self.ptr = getattr(self, "ptr", None), None
        if ptr:
            llama_cpp.llama_model_free(ptr)


@dataclass(frozen=True)
class ContextShape:
    n_seq: int  # sequences (slots)
    n_ctx_seq: int  # KV cells per sequence (Ollama's num_ctx)
    n_batch: int = 512
    n_threads: int = 1
    n_threads_batch: int = 1
    kv_unified: bool = False


class NativeContext:
    """One llama_context with `shape.n_seq` sequences; use it from one thread at a time."""

    def __init__(self, model: NativeModel, shape: ContextShape):
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = shape.n_ctx_seq * shape.n_seq
        # Every slot may output a token in one decode: llama.cpp reserves max(outputs, n_seq_max) rows
        # and asserts (aborts the process) when that exceeds n_batch (llama-context.cpp, output_reserve).
        # So a batch is never smaller than the slot count, whatever num_batch a client sends.
        self.n_batch = max(shape.n_batch, shape.n_seq)
        params.n_batch = self.n_batch
        params.n_ubatch = self.n_batch
        params.n_seq_max = shape.n_seq
        params.n_threads = shape.n_threads
        params.n_threads_batch = shape.n_threads_batch
        params.kv_unified = shape.kv_unified
        params.no_perf = True
        params.embeddings = False
        ctx = llama_cpp.llama_init_from_model(model.ptr, params)
        if not ctx:
            raise ModelLoadError(f"llama.cpp could not create a context of {params.n_ctx} tokens")
        self.ptr = ctx
        self.model = model
        self.shape = shape
        self.memory = llama_cpp.llama_get_memory(ctx)
        # llama.cpp rounds each sequence's share up (to 256 cells); the caller's limit stays num_ctx.
        self.n_ctx_seq = min(shape.n_ctx_seq, int(llama_cpp.llama_n_ctx_seq(ctx)))

    def close(self) -> None:
        ptr, self.ptr = getattr(self, "ptr", None), None
        if ptr:
            llama_cpp.llama_free(ptr)
