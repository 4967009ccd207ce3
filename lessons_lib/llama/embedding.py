"""Embeddings from an already loaded model: a second, small context with pooled outputs.

The generation slots keep their KV caches; embeddings get a context of their own on the same
weights (no second load, as llama-server's embedding mode shares the model). Completion models
have no pooling of their own, so their token vectors are averaged (Ollama returns one vector
per input). Empty input still yields a vector: the model's BOS (or first) token stands in, where
decoding nothing would be an error.

Several inputs go through one `llama_decode`, each its own sequence (as `llama-embedding` and
`llama-server --embeddings` batch them): a keyword of a few tokens alone is a matrix-vector
product per layer, many together a matrix product, several times faster per input on a CPU.
"""

from __future__ import annotations

import ctypes
import threading

import llama_cpp
import numpy as np

from .batch_model import ModelLoadError, NativeModel

MAX_SEQUENCES = 64  # inputs per llama_decode (and sequences of the context)


class EmbeddingContext:
    """Thread-safe: one call at a time; its inputs are decoded together, each in its own sequence."""

    def __init__(self, model: NativeModel, n_ctx: int, n_threads: int, has_pooling: bool):
        self.model = model
        self.n_ctx = max(8, n_ctx)
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = self.n_ctx
        params.n_batch = self.n_ctx
        params.n_ubatch = self.n_ctx  # the whole input in one ubatch: non-causal models need that
        params.n_seq_max = MAX_SEQUENCES
        params.kv_unified = True  # one cache of n_ctx cells shared by the sequences, not n_ctx / n_seq each
        params.n_threads = n_threads
        params.n_threads_batch = n_threads
        params.embeddings = True
        params.no_perf = True
        if not has_pooling:
            params.pooling_type = llama_cpp.LLAMA_POOLING_TYPE_MEAN
        ctx = llama_cpp.llama_init_from_model(model.ptr, params)
        if not ctx:
            raise ModelLoadError("llama.cpp could not create an embedding context")
        self.ptr = ctx
        self.n_embd = int(llama_cpp.llama_model_n_embd(model.ptr))
        self._batch = llama_cpp.llama_batch_init(self.n_ctx, 0, MAX_SEQUENCES)
        self._lock = threading.Lock()

    def tokens(self, text: str) -> list[int]:
        tokens = self.model.tokenize(text, add_special=True, parse_special=True)
        return tokens or [self.model.bos if self.model.valid_token(self.model.bos) else 0]

    def embed(self, tokens: list[int]) -> list[float]:
        """The pooled (not normalised) vector of `tokens`, cut to the context if longer."""
        return self.embed_many([tokens])[0]

    def embed_many(self, inputs: list[list[int]]) -> list[list[float]]:
        """The pooled (not normalised) vector of each input, in order; each is cut to the context if longer.

        Inputs are packed into decodes of at most MAX_SEQUENCES sequences and n_ctx tokens."""
        fallback = [self.model.bos if self.model.valid_token(self.model.bos) else 0]
        inputs = [tokens[: self.n_ctx] or fallback for tokens in inputs]
        vectors: list[list[float]] = []
        with self._lock:
            if not self.ptr:
                raise ModelLoadError("the embedding context was closed")
            start = 0
            while start < len(inputs):
                stop, used = start, 0
                while stop < len(inputs) and stop - start < MAX_SEQUENCES and used + len(inputs[stop]) <= self.n_ctx:
                    used += len(inputs[stop])
                    stop += 1
                vectors.extend(self._decode(inputs[start:stop]))
                start = stop
        return vectors

    def _decode(self, inputs: list[list[int]]) -> list[list[float]]:
        batch = self._batch
        n = 0
        for seq, tokens in enumerate(inputs):
            for pos, t in enumerate(tokens):
                batch.token[n], batch.pos[n], batch.n_seq_id[n], batch.seq_id[n][0], batch.logits[n] = t, pos, 1, seq, 1
                n += 1
        batch.n_tokens = n
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(self.ptr), True)
        rc = llama_cpp.llama_decode(self.ptr, batch)
        if rc != 0:
            raise RuntimeError(f"llama.cpp could not embed the input (llama_decode returned {rc})")
        vectors = []
        for seq in range(len(inputs)):
            ptr = llama_cpp.llama_get_embeddings_seq(self.ptr, seq)
            if not ptr:
                raise RuntimeError("the model gave no pooled embedding")
            row = np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(self.n_embd,))
            vectors.append(row.astype(np.float64).tolist())
        return vectors

    def close(self) -> None:
        with self._lock:
            ptr, self.ptr = self.ptr, None
            if ptr:
                llama_cpp.llama_batch_free(self._batch)
                llama_cpp.llama_free(ptr)
