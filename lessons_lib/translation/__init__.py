"""Keeping the editions in step: the parity rule for code, stamps that date a translation, and the
commands contributors use (`python -m lessons_lib.translation check | stamp | diff`).

The runtime side of editions (which language a kernel speaks) is `lessons_lib.edition`.
"""

from .editions import (
    NOTEBOOKS,
    STAMP_KEY,
    TRANSLATIONS,
    EditionState,
    UntranslatedError,
    changed_cells,
    parity_problems,
    stale,
    stamp,
    states,
    untranslated,
)
from .parity import EDITION_HEADER, compare_code

__all__ = [
    "EDITION_HEADER",
    "NOTEBOOKS",
    "STAMP_KEY",
    "TRANSLATIONS",
    "EditionState",
    "UntranslatedError",
    "changed_cells",
    "compare_code",
    "parity_problems",
    "stale",
    "stamp",
    "states",
    "untranslated",
]
