"""Will it fit? Weights + KV cache + compute buffer + headroom, against this machine.

The formulas are the ones llama.cpp and Ollama use (https://github.com/ggml-org/llama.cpp/blob/master/src/llama-context.cpp,
https://github.com/ollama/ollama/blob/main/fs/ggml/ggml.go):

- KV cache: 2 * n_layer * n_ctx * n_head_kv * head_dim * bytes_per_element, with n_ctx padded
  up to a multiple of 256 as llama.cpp does (src/llama-context.cpp, GGML_PAD(n_ctx, 256)).
- Compute buffer: Ollama's full-offload graph estimate for the llama architecture
  (fs/ggml/ggml.go GraphSize), which reproduces llama.cpp's logged compute buffers.
  We apply it to every architecture: it is an estimate for teaching, not an allocator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .edition import text
from .units import gib

if TYPE_CHECKING:  # only for annotations; hardware does not import this module
    from .hardware import Machine

__all__ = [
    "ModelShape",
    "KV_BYTES_PER_ELEMENT",
    "DEFAULT_HEADROOM",
    "Verdict",
    "MemoryEstimate",
    "kv_cache_bytes",
    "compute_buffer_bytes",
    "estimate",
    "insufficient_memory_message",
    "fix_hint",
]

# --- user-facing strings (kept together so a Polish edition can translate them) -------------
# Ollama's own text (llm/server.go); kept verbatim because learners search for it.
MSG_INSUFFICIENT = "model requires more system memory ({required}) than is available ({available})"
QUANT_LADDER = ("F16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K")


def fix_hint(quant: str | None = None) -> str:
    """What to try when a model does not fit; a step down from `quant` when the file's type is known."""
    if quant is None or quant.upper() not in QUANT_LADDER:
        return text("memory.fix")
    lower = QUANT_LADDER[QUANT_LADDER.index(quant.upper()) + 1 :]
    if not lower:
        return text("memory.fix_smallest", quant=quant)
    return text("memory.fix_from", quant=quant, lower=text("memory.or").join(lower[:2]))


ERR_MISSING_KEYS = "GGUF metadata lacks {keys}, needed for the memory estimate (architecture {arch!r})"
ERR_NO_ARCH = "GGUF metadata lacks 'general.architecture', so the model shape cannot be read"
ERR_NO_VOCAB = "GGUF metadata gives no vocabulary size: neither {key!r} nor a non-empty 'tokenizer.ggml.tokens'"
ERR_KV_TYPE = "unknown KV cache type {kv_type!r}; known types: {known}"
ERR_KV_NEEDS_FA = (
    "a quantized KV cache ({kv_type}) needs flash attention: llama.cpp refuses a quantized V cache "
    "without it. Pass flash_attn=True or use kv_type='f16'."
)
ERR_BAD_SHAPE = "model shape values must be positive integers, got {field}={value!r}"
ERR_BAD_CTX = "n_ctx must be at least 1, got {n_ctx!r}"

# Bytes per cached element: F16 2; block types are block bytes / block size (ggml-common.h),
# e.g. q8_0 stores 32 values in 34 bytes.
KV_BYTES_PER_ELEMENT: dict[str, float] = {
    "f32": 4,
    "f16": 2,
    "bf16": 2,
    "q8_0": 34 / 32,
    "q5_1": 24 / 32,
    "q5_0": 22 / 32,
    "q4_1": 20 / 32,
    "q4_0": 18 / 32,
}
_UNQUANTIZED_KV = frozenset({"f32", "f16", "bf16"})

KV_CTX_PAD = 256  # llama.cpp pads the context to this many cells

# Runtime/OS margin added on top of weights + KV + compute before we say "fits".
# llama.cpp's --fit keeps 1024 MiB free per device and Ollama reserves 457 MiB per CUDA GPU
# (512 MiB on Metal). 512 MiB sits between them: enough for the CUDA/Metal context, the output
# logits buffer and Python itself on a small laptop, without rejecting models that do run.
DEFAULT_HEADROOM = 512 * 2**20


@dataclass(frozen=True)
class ModelShape:
    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    n_vocab: int
    head_dim: int | None = None  # None means n_embd // n_head, as in GGUF without key_length

    def __post_init__(self) -> None:
        for field in ("n_layer", "n_embd", "n_head", "n_head_kv", "n_vocab"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(ERR_BAD_SHAPE.format(field=field, value=value))
        if self.head_dim is None:
            # frozen dataclass: fill the derived default in once, at construction
            object.__setattr__(self, "head_dim", self.n_embd // self.n_head)
        elif not isinstance(self.head_dim, int) or self.head_dim < 1:
            raise ValueError(ERR_BAD_SHAPE.format(field="head_dim", value=self.head_dim))

    @property
    def kv_bytes_per_token(self) -> int:
        """F16 KV cache bytes for one token of context (K and V, all layers)."""
        return 2 * self.n_layer * self.n_head_kv * int(self.head_dim or 0) * 2

    @classmethod
    def from_gguf_metadata(cls, meta: Mapping[str, Any]) -> ModelShape:
        """Read the shape from GGUF key/values (as gguf_file or /api/show model_info give them)."""
        arch = meta.get("general.architecture")
        if not arch:
            raise ValueError(ERR_NO_ARCH)
        keys = {
            "n_layer": f"{arch}.block_count",
            "n_embd": f"{arch}.embedding_length",
            "n_head": f"{arch}.attention.head_count",
        }
        missing = [k for k in keys.values() if meta.get(k) is None]
        if missing:
            raise ValueError(ERR_MISSING_KEYS.format(keys=", ".join(repr(k) for k in missing), arch=arch))

        def as_int(value: Any) -> int:
            # Some architectures store per-layer head counts as arrays; the largest decides memory.
            if isinstance(value, (list, tuple)):
                return int(max(value))
            return int(value)

        n_head = as_int(meta[keys["n_head"]])
        n_head_kv_raw = meta.get(f"{arch}.attention.head_count_kv")
        key_length = meta.get(f"{arch}.attention.key_length")

        vocab_key = f"{arch}.vocab_size"
        if meta.get(vocab_key) is not None:
            n_vocab = int(meta[vocab_key])
        else:
            tokens = meta.get("tokenizer.ggml.tokens")
            if not tokens:
                raise ValueError(ERR_NO_VOCAB.format(key=vocab_key))
            n_vocab = len(tokens)

        return cls(
            n_layer=as_int(meta[keys["n_layer"]]),
            n_embd=as_int(meta[keys["n_embd"]]),
            n_head=n_head,
            n_head_kv=as_int(n_head_kv_raw) if n_head_kv_raw is not None else n_head,
            n_vocab=n_vocab,
            head_dim=int(key_length) if key_length is not None else None,
        )


def _check_kv_type(kv_type: str) -> str:
    key = kv_type.lower()
    if key not in KV_BYTES_PER_ELEMENT:
        raise ValueError(ERR_KV_TYPE.format(kv_type=kv_type, known=", ".join(KV_BYTES_PER_ELEMENT)))
    return key


def padded_ctx(n_ctx: int) -> int:
    """The context llama.cpp actually allocates: n_ctx rounded up to a multiple of 256."""
    if n_ctx < 1:
        raise ValueError(ERR_BAD_CTX.format(n_ctx=n_ctx))
    return -(-n_ctx // KV_CTX_PAD) * KV_CTX_PAD


def kv_cache_bytes(shape: ModelShape, n_ctx: int, kv_type: str = "f16") -> int:
    """K and V cache for n_ctx tokens: 2 * n_layer * n_ctx_padded * n_head_kv * head_dim * bpe."""
    bpe = KV_BYTES_PER_ELEMENT[_check_kv_type(kv_type)]
    elements = 2 * shape.n_layer * padded_ctx(n_ctx) * shape.n_head_kv * int(shape.head_dim or 0)
    return math.ceil(elements * bpe)


def compute_buffer_bytes(shape: ModelShape, n_ctx: int, n_batch: int = 512, flash_attn: bool = False) -> int:
    """Ollama's llama full-offload graph size; flash attention drops the n_ctx x n_head scores."""
    if n_ctx < 1:
        raise ValueError(ERR_BAD_CTX.format(n_ctx=n_ctx))
    batch = min(n_ctx, n_batch)
    logits = 4 * batch * (shape.n_embd + shape.n_vocab)
    if flash_attn:
        return logits
    attention = 4 * batch * (1 + 4 * shape.n_embd + n_ctx * (1 + shape.n_head))
    return max(attention, logits)


def insufficient_memory_message(required: int, available: int) -> str:
    """Ollama's load error, word for word, with its one-decimal GiB figures."""
    return MSG_INSUFFICIENT.format(required=gib(required), available=gib(available))


@dataclass(frozen=True)
class Verdict:
    fits: bool
    where: str  # "GPU" | "CPU+GPU" | "CPU" | "no"
    message: str


@dataclass(frozen=True)
class MemoryEstimate:
    weights: int
    kv_cache: int
    compute: int
    headroom: int
    n_ctx: int
    kv_type: str

    @property
    def total(self) -> int:
        """Weights + KV cache + compute buffer: what llama.cpp allocates, before headroom."""
        return self.weights + self.kv_cache + self.compute

    @property
    def total_with_headroom(self) -> int:
        return self.total + self.headroom

    def fits(self, available: int) -> bool:
        return self.total_with_headroom <= available

    def verdict(self, machine: Machine, quant: str | None = None) -> Verdict:
        """Where this model would run on `machine`, and a sentence saying so.

        `quant` (the file's type, e.g. "Q4_K_M") makes the advice for a model that does not fit name
        the next smaller types, not one it already is."""
        need = self.total_with_headroom
        required = gib(need)
        # Apple's GPU shares RAM with the CPU, so its memory must not be counted twice.
        discrete = [g for g in machine.gpus if g.vendor != "apple"]
        best = max(machine.gpus, key=lambda g: g.memory_free, default=None)

        if best is not None and need <= best.memory_free:
            return Verdict(
                True, "GPU", text("memory.fits_gpu", required=required, gpu=best.name, free=gib(best.memory_free))
            )

        ram = machine.memory_for_models
        if discrete:
            gpu = max(discrete, key=lambda g: g.memory_free)
            if need <= gpu.memory_free + ram:
                return Verdict(
                    True,
                    "CPU+GPU",
                    text(
                        "memory.fits_cpu_gpu", required=required, gpu=gpu.name, free=gib(gpu.memory_free), ram=gib(ram)
                    ),
                )
        elif need <= ram:
            message = text("memory.fits_cpu", required=required, available=gib(ram))
            if need > machine.ram_available:
                message += text("memory.swap_warning")
            return Verdict(True, "CPU", message)

        available = ram + (max(g.memory_free for g in discrete) if discrete else 0)
        return Verdict(False, "no", f"{insufficient_memory_message(need, available)}. {fix_hint(quant)}")

    def as_dict(self) -> dict[str, int]:
        return {
            "weights": self.weights,
            "kv_cache": self.kv_cache,
            "compute": self.compute,
            "headroom": self.headroom,
            "total": self.total,
            "total_with_headroom": self.total_with_headroom,
            "n_ctx": self.n_ctx,
        }


def estimate(
    weights_bytes: int,
    shape: ModelShape,
    n_ctx: int = 4096,
    kv_type: str = "f16",
    flash_attn: bool = False,
    n_batch: int = 512,
    headroom: int = DEFAULT_HEADROOM,
) -> MemoryEstimate:
    """Memory needed to run a model of `weights_bytes` (about the GGUF file size) at n_ctx."""
    key = _check_kv_type(kv_type)
    if key not in _UNQUANTIZED_KV and not flash_attn:
        raise ValueError(ERR_KV_NEEDS_FA.format(kv_type=key))
    return MemoryEstimate(
        weights=int(weights_bytes),
        kv_cache=kv_cache_bytes(shape, n_ctx, key),
        compute=compute_buffer_bytes(shape, n_ctx, n_batch=n_batch, flash_attn=flash_attn),
        headroom=int(headroom),
        n_ctx=int(n_ctx),
        kv_type=key,
    )


@dataclass(frozen=True)
class Offload:
    """How many layers go to the GPU (llama.cpp's n_gpu_layers) and what each side then holds."""

    layers: int  # transformer layers on the GPU (the output layer counts as one more, as in llama.cpp)
    total_layers: int
    vram: int  # bytes on the GPU
    ram: int  # bytes left in RAM


def offload(estimate: MemoryEstimate, shape: ModelShape, gpu_free: int, num_gpu: int = -1) -> Offload:
    """Split a model between GPU and RAM as Ollama does: whole layers (weights + their KV cache) onto the
    GPU while they fit beside the compute buffer, the rest on the CPU. `num_gpu` is Ollama's option:
    -1 lets memory decide, 0 keeps everything on the CPU, N asks for at most N layers.

    Ollama's own layer fitting: https://github.com/ollama/ollama/blob/main/llm/memory.go
    """
    total_layers = shape.n_layer + 1  # llama.cpp offloads the output (lm_head) as one more layer
    per_layer = (estimate.weights + estimate.kv_cache) / total_layers
    room = gpu_free - estimate.compute - estimate.headroom
    fit = max(0, min(total_layers, int(room // per_layer))) if per_layer > 0 and room > 0 else 0
    layers = fit if num_gpu < 0 else min(fit, num_gpu)
    vram = int(per_layer * layers) + (estimate.compute if layers else 0)
    return Offload(layers, total_layers, vram, estimate.total_with_headroom - vram)
