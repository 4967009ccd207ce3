"""The course's editions as files: which Polish notebook follows which English one, and whether it
still does (parity of the code, staleness of the translation).

Staleness: `stamp` records in the Polish notebook's metadata (key STAMP_KEY) a hash of every
markdown and code cell of the English notebook it was translated from. When the English source
changes, its hashes no longer match: `stale` says so and `changed_cells` lists the English cells
that are new or changed since (their hashes are not among those recorded).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .parity import EDITION_HEADER, compare_code, strip_header

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TRANSLATIONS = ("pl",)  # every edition but English, the source
STAMP_KEY = "workbook_edition"


def english_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def translation_of(english: Path, lang: str) -> Path:
    return english.parent / lang / english.name


def source_of(translation: Path) -> Path:
    return translation.parent.parent / translation.name


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def code_cells(notebook: dict[str, Any]) -> list[str]:
    return [cell_source(c) for c in notebook["cells"] if c["cell_type"] == "code"]


def parity_problems(english: dict[str, Any], translation: dict[str, Any], lang: str) -> list[str]:
    """Every way the translation's code breaks the parity rule (lessons_lib.translation.parity)."""
    en, tr = code_cells(english), code_cells(translation)
    if not tr:
        return ["no code cells"]
    first = strip_header(tr[0], lang)
    if first is None:
        header = EDITION_HEADER.format(lang=lang).replace("\n", "\\n")
        return [f"the first code cell must begin with the edition lines: {header}"]
    tr = ([first] if first.strip() else []) + tr[1:]
    problems = []
    for index, (a, b) in enumerate(zip(en, tr), start=1):
        problems += [f"code cell {index}: {p}" for p in compare_code(a, b)]
    if len(en) != len(tr):
        problems.append(f"{len(tr)} code cells where English has {len(en)} (the edition lines not counted)")
    return problems


def cell_hashes(notebook: dict[str, Any]) -> list[str]:
    """A short hash of each markdown and code cell (its type and source; outputs are not hashed)."""
    return [
        hashlib.sha256(f"{c['cell_type']}\n{cell_source(c)}".encode()).hexdigest()[:16]
        for c in notebook["cells"]
        if c["cell_type"] in ("markdown", "code")
    ]


def source_hash(notebook: dict[str, Any]) -> str:
    return hashlib.sha256("\n".join(cell_hashes(notebook)).encode()).hexdigest()[:16]


def stamp(translation_path: Path) -> dict[str, Any]:
    """Record that `translation_path` now follows its English source as it is; returns the record."""
    english = load(source_of(translation_path))
    notebook = load(translation_path)
    record = {
        "lang": translation_path.parent.name,
        "source": f"../{translation_path.name}",
        "source_hash": source_hash(english),
        "source_cells": cell_hashes(english),
    }
    notebook.setdefault("metadata", {})[STAMP_KEY] = record
    # The layout Jupyter writes (one space indent, a final newline), so a stamp changes one block.
    text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    translation_path.write_text(text, encoding="utf-8")
    return record


def stamp_of(translation: dict[str, Any]) -> dict[str, Any] | None:
    record = translation.get("metadata", {}).get(STAMP_KEY)
    return record if isinstance(record, dict) else None


def stale(english: dict[str, Any], translation: dict[str, Any]) -> str:
    """Why the translation is older than its source ("" when it is up to date)."""
    record = stamp_of(translation)
    if record is None:
        return "never stamped: run `python -m lessons_lib.translation stamp` after translating"
    if record.get("source_hash") == source_hash(english):
        return ""
    changed = changed_cells(english, translation)
    return f"the English source changed since the translation: cells {', '.join(str(i) for i, _ in changed)}"


def changed_cells(english: dict[str, Any], translation: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """The English cells (1-based among markdown and code cells) new or changed since the stamp."""
    known = set((stamp_of(translation) or {}).get("source_cells", []))
    cells = [c for c in english["cells"] if c["cell_type"] in ("markdown", "code")]
    return [(i, c) for i, (c, h) in enumerate(zip(cells, cell_hashes(english)), start=1) if h not in known]


@dataclass(frozen=True)
class EditionState:
    english: Path
    translation: Path
    lang: str
    missing: bool
    stale: str
    parity: list[str]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.stale and not self.parity


def states(folder: Path = NOTEBOOKS, langs: tuple[str, ...] = TRANSLATIONS) -> list[EditionState]:
    """Every English lesson's translation in every edition, and what is wrong with it."""
    found = []
    for path in english_notebooks(folder):
        english = load(path)
        for lang in langs:
            target = translation_of(path, lang)
            if not target.exists():
                found.append(EditionState(path, target, lang, True, "", []))
                continue
            translation = load(target)
            found.append(
                EditionState(
                    path, target, lang, False, stale(english, translation), parity_problems(english, translation, lang)
                )
            )
    return found
