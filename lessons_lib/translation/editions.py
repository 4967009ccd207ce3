"""The course's editions as files: which Polish notebook follows which English one, and whether it
still does (parity of the code, staleness of the translation).

Staleness: `stamp` records in the Polish notebook's metadata (key STAMP_KEY) a hash of every
markdown and code cell of the English notebook it was translated from. When the English source
changes, its hashes no longer match: `stale` says so and `changed_cells` lists the English cells
that are new or changed since (their hashes are not among those recorded).

A stamp alone does not make a translation: the record also pairs each English markdown cell's hash
with the hash of the Polish text that translates it (the Polish notebook's markdown cell in the same
place, built from its `%% markdown` section of notebooks/pl/text/NN_name.md).
`untranslated` lists the English markdown cells that changed since the stamp while their Polish
text did not; `stamp` refuses while there are any (naming them), unless the caller acknowledges
them (`stamp --unchanged-ok 12,14`: the English edit does not change what the Polish says), and
the check reports them as such. The record is regenerated from the files by every stamp.

Cells are numbered as the issue tracker and reviewers number them: 0-based notebook cell indexes,
which the Polish notebook shares (it is built cell for cell from the English one).
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


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _hashed(cell: dict[str, Any]) -> bool:
    return cell["cell_type"] in ("markdown", "code")


def cell_hashes(notebook: dict[str, Any]) -> list[str]:
    """A short hash of each markdown and code cell (its type and source; outputs are not hashed)."""
    return [_hash(f"{c['cell_type']}\n{cell_source(c)}") for c in notebook["cells"] if _hashed(c)]


def source_hash(notebook: dict[str, Any]) -> str:
    return _hash("\n".join(cell_hashes(notebook)))


def polish_texts(translation: dict[str, Any]) -> list[str]:
    """The Polish text of each English markdown cell, in order: the Polish notebook's markdown cells
    (built one for one from the `%% markdown` sections of notebooks/pl/text/NN_name.md)."""
    return [cell_source(c) for c in translation["cells"] if c["cell_type"] == "markdown"]


def markdown_pairs(english: dict[str, Any], polish: list[str]) -> list[tuple[int, str, str]]:
    """(cell index, English hash, Polish hash) of each English markdown cell and its Polish text."""
    cells = [(i, c) for i, c in enumerate(english["cells"]) if c["cell_type"] == "markdown"]
    if len(cells) != len(polish):
        raise ValueError(
            f"{len(polish)} Polish markdown cells where English has {len(cells)}: "
            "rebuild it (`python -m lessons_lib.translation.build`)"
        )
    return [(i, _hash(cell_source(c)), _hash(text)) for (i, c), text in zip(cells, polish)]


def record_for(english: dict[str, Any], translation: dict[str, Any], lang: str, name: str) -> dict[str, Any]:
    """The stamp of a translation as the files are now (everything in it comes from the files)."""
    return {
        "lang": lang,
        "source": f"../{name}",
        "source_hash": source_hash(english),
        "source_cells": cell_hashes(english),
        # "ENGLISH POLISH": each English markdown cell's hash and its Polish text's, in order.
        "markdown": [f"{en} {pl}" for _, en, pl in markdown_pairs(english, polish_texts(translation))],
    }


def stamp_of(translation: dict[str, Any]) -> dict[str, Any] | None:
    record = translation.get("metadata", {}).get(STAMP_KEY)
    return record if isinstance(record, dict) else None


def stamped_pairs(translation: dict[str, Any]) -> set[tuple[str, str]]:
    """The (English hash, Polish hash) pairs the stamp recorded."""
    pairs = (stamp_of(translation) or {}).get("markdown", [])
    return {(en, pl) for en, pl in (str(pair).split() for pair in pairs)}


def untranslated(english: dict[str, Any], translation: dict[str, Any]) -> list[int]:
    """English markdown cells (0-based cell indexes) changed since the stamp whose Polish text did not
    change: a new English text under the old Polish one. Nothing for a stamp without Polish hashes."""
    pairs = stamped_pairs(translation)
    old_english = {en for en, _ in pairs}
    old_polish = {pl for _, pl in pairs}
    return [
        index
        for index, en, pl in markdown_pairs(english, polish_texts(translation))
        if (en, pl) not in pairs and en not in old_english and pl in old_polish
    ]


class UntranslatedError(ValueError):
    def __init__(self, cells: list[int]) -> None:
        self.cells = cells
        numbers = ",".join(map(str, cells))
        super().__init__(
            f"English cells {numbers} changed since the last stamp but their Polish text did not: translate "
            f"them (notebooks/pl/text), or, where the English edit does not change the meaning, "
            f"stamp --unchanged-ok {numbers}"
        )


def stamp(translation_path: Path, unchanged_ok: tuple[int, ...] = ()) -> dict[str, Any]:
    """Record that `translation_path` now follows its English source as it is; returns the record.

    Raises UntranslatedError (and writes nothing) while an English markdown cell changed since the
    last stamp and its Polish text did not, unless that cell's index is in `unchanged_ok`."""
    english = load(source_of(translation_path))
    notebook = load(translation_path)
    refused = [i for i in untranslated(english, notebook) if i not in unchanged_ok]
    if refused:
        raise UntranslatedError(refused)
    record = record_for(english, notebook, translation_path.parent.name, translation_path.name)
    notebook.setdefault("metadata", {})[STAMP_KEY] = record
    # The layout Jupyter writes (one space indent, a final newline), so a stamp changes one block.
    text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    translation_path.write_text(text, encoding="utf-8")
    return record


def stale(english: dict[str, Any], translation: dict[str, Any]) -> str:
    """Why the translation is older than its source, or its stamp than its text ("" when in step)."""
    record = stamp_of(translation)
    if record is None:
        return "never stamped: run `python -m lessons_lib.translation stamp` after translating"
    try:
        pairs = markdown_pairs(english, polish_texts(translation))
    except ValueError as error:
        return str(error)
    if "markdown" not in record:
        return (
            "stamped without the Polish texts' hashes (an older stamp): run `python -m lessons_lib.translation stamp`"
        )
    missing = untranslated(english, translation)
    if missing:
        return str(UntranslatedError(missing))
    if record.get("source_hash") != source_hash(english):
        changed = changed_cells(english, translation)
        return f"the English source changed since the translation: cells {', '.join(str(i) for i, _ in changed)}"
    stamped = stamped_pairs(translation)
    edited = [i for i, en, pl in pairs if (en, pl) not in stamped]
    if edited:
        cells = ", ".join(map(str, edited))
        return f"the Polish text of cells {cells} changed since the stamp: `python -m lessons_lib.translation stamp`"
    return ""


def changed_cells(english: dict[str, Any], translation: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """The English cells (0-based notebook cell indexes) new or changed since the stamp."""
    known = set((stamp_of(translation) or {}).get("source_cells", []))
    cells = [(i, c) for i, c in enumerate(english["cells"]) if _hashed(c)]
    return [(i, c) for (i, c), h in zip(cells, cell_hashes(english)) if h not in known]


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
            why = stale(english, translation)
            found.append(EditionState(path, target, lang, False, why, parity_problems(english, translation, lang)))
    return found
