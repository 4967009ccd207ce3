"""The message catalogue: every learner-facing string of `lessons_lib`, English and Polish.

One module per room, each with `EN` and `PL` dicts of the same keys; the room's name prefixes
them ("check.fix_rebuild"). Look strings up with `lessons_lib.edition.text`, not from here.
Writing Polish: natural sentences for Polish learners, not word-for-word, with the terms they
meet elsewhere (kwantyzacja, okno kontekstu, model bazowy / instrukcyjny, pamięć RAM / VRAM,
wnioskowanie); commands, model names, units and file names stay as the tools spell them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# One module per room; a room's name is its module's name, so keys read "check.fix_rebuild".
_ROOM_NAMES = (
    "batch",
    "catalog",
    "chat",
    "check",
    "cloud",
    "connect",
    "cost",
    "fleet",
    "lab",
    "ladder",
    "memory",
    "models",
    "pod",
    "quant",
    "shelf",
    "site",
    "tokens",
    "will_it_fit",
)
ROOMS: dict[str, ModuleType] = {name: importlib.import_module(f".{name}", __name__) for name in _ROOM_NAMES}


def _build() -> dict[str, dict[str, str]]:
    catalogue: dict[str, dict[str, str]] = {}
    for lang in ("en", "pl"):
        merged: dict[str, str] = {}
        for room, module in ROOMS.items():
            merged.update({f"{room}.{key}": value for key, value in getattr(module, lang.upper()).items()})
        catalogue[lang] = merged
    return catalogue


CATALOGUE = _build()
