"""Embeddings from an already loaded model: a second, small context with pooled outputs.

The generation slots keep their KV caches; embeddings get a context of their own on the same
weights (no second load, as llama-server's embedding mode shares the model). Completion models
have no pooling of their own, so their token vectors are averaged (Ollama returns one vector
per input). Empty input still yields a vector: the model's BOS (or first) token stands in, where
decoding nothing would be an error.
"""

from __future__ import annotations

import threading

import llama_cpp

from .batch_model import ModelLoadError, NativeModel


class EmbeddingContext:
    """Thread-safe: one input at a time, each in a fresh sequence."""

    def __init__(self, model: NativeModel, n_ctx: int, n_threads: int, has_pooling: bool):
        self.model = model
        self.n_ctx = max(8, n_ctx)
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = self.n_ctx
        params.n_batch = self.n_ctx
        params.n_ubatch = self.n_ctx  # the whole input in one ubatch: non-causal models need that
        params.n_seq_max = 1
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
        self._batch = llama_cpp.llama_batch_init(self.n_ctx, 0, 1)
        self._lock = threading.Lock()

    def tokens(self, text: str) -> list[int]:
        tokens = self.model.tokenize(text, add_special=True, parse_special=True)
        return tokens or [self.model.bos if self.model.valid_token(self.model.bos) else 0]

    def embed(self, tokens: list[int]) -> list[float]:
        """The pooled (not normalised) vector of `tokens`, cut to the context if longer."""
        tokens = tokens[: self.n_ctx] or [self.model.bos if self.model.valid_token(self.model.bos) else 0]
        with self._lock:
            if not self.ptr:
                raise ModelLoadError("the embedding context was closed")
            batch = self._batch
            for i, t in enumerate(tokens):
                batch.token[i], batch.pos[i], batch.n_seq_id[i], batch.seq_id[i][0], batch.logits[i] = t, i, 1, 0, 1
            batch.n_tokens = len(tokens)
            llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(self.ptr), True)
            rc = llama_cpp.llama_decode(self.ptr, batch)
            if rc != 0:
                raise RuntimeError(f"llama.cpp could not embed the input (llama_decode returned {rc})")
            ptr = llama_cpp.llama_get_embeddings_seq(self.ptr, 0)
            if not ptr:
                raise RuntimeError("the model gave no pooled embedding")
            return [float(ptr[i]) for i in range(self.n_embd)]

    def close(self) -> None:
        with self._lock:
            ptr, self.ptr = self.ptr, None
            if ptr:
                llama_cpp.llama_batch_free(self._batch)
                llama_cpp.llama_free(ptr)
