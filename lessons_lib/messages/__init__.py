"""The message catalogue: every learner-facing string of `lessons_lib`, English and Polish.

One module per room, each with `EN` and `PL` dicts of the same keys; the room's name prefixes
them ("check.fix_rebuild"). Look strings up with `lessons_lib.edition.text`, not from here.
Writing Polish: natural sentences for Polish learners, not word-for-word, with the terms they
meet elsewhere (kwantyzacja, okno kontekstu, model bazowy / instrukcyjny, pamięć RAM / VRAM,
wnioskowanie); commands, model names, units and file names stay as the tools spell them.
"""

from __future__ import annotations

from types import ModuleType

from . import (
    batch,
    catalog,
    chat,
    check,
    cloud,
    connect,
    cost,
    fleet,
    lab,
    memory,
    models,
    pod,
    quant,
    site,
    will_it_fit,
)

_MODULES = (
    batch,
    catalog,
    chat,
    check,
    cloud,
    connect,
    cost,
    fleet,
    lab,
    memory,
    models,
    pod,
    quant,
    site,
    will_it_fit,
)

# A room's name is its module's name: keys read "check.fix_rebuild".
ROOMS: dict[str, ModuleType] = {module.__name__.rpartition(".")[2]: module for module in _MODULES}


def _build() -> dict[str, dict[str, str]]:
    catalogue: dict[str, dict[str, str]] = {}
    for lang in ("en", "pl"):
        merged: dict[str, str] = {}
        for room, module in ROOMS.items():
            merged.update({f"{room}.{key}": value for key, value in getattr(module, lang.upper()).items()})
        catalogue[lang] = merged
    return catalogue


CATALOGUE = _build()
