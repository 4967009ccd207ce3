"""Build a translated notebook from its English source plus a text file of the translation.

`python -m lessons_lib.translation.build notebooks/pl/NN_name.ipynb [...]` reads
`notebooks/NN_name.ipynb` (the English source) and `notebooks/pl/text/NN_name.md` (the translation)
and writes `notebooks/pl/NN_name.ipynb`: the English cells in the English order, each markdown cell
replaced by its translation, each code cell the English code with the translation's string
replacements applied, and the edition lines (EDITION_HEADER) at the top of the first code cell.
Cell metadata (the `nbval-ignore-output` tags) comes from the English cell, so both editions tag
the same cells. Outputs of a code cell whose code did not change are kept from the notebook
already there, so a markdown-only re-translation needs no re-execution; other cells need
`python -m lessons_lib.notebooks` afterwards. The staleness stamp is kept as it was: stamping is a
separate, deliberate step (`python -m lessons_lib.translation stamp`).

The translation file, markdown in order (one translated cell per English markdown cell, so the
translation stays aligned with its source) and code replacements by code cell number (0-based,
English numbering, without the edition lines)::

    %% markdown
    # Tytuł lekcji
    ...
    %% code 3
    %% en
    Tell me a joke.
    %% pl
    Opowiedz mi dowcip.

Every `%% en` text must occur in its English code cell (the build fails otherwise), so an English
change that breaks a replacement is noticed at once.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .editions import cell_source, load, source_of
from .parity import EDITION_HEADER

_MARKER = re.compile(r"^%% (markdown|code (\d+)|en|pl)\s*$")


@dataclass
class Translation:
    markdown: list[str] = field(default_factory=list)
    code: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


def text_of(translation_path: Path) -> Path:
    """Where the translation text of `notebooks/pl/NN_name.ipynb` lives."""
    return translation_path.parent / "text" / translation_path.with_suffix(".md").name


def parse(text: str) -> Translation:
    found = Translation()
    blocks: list[tuple[str, int | None, list[str]]] = []
    for line in text.splitlines():
        match = _MARKER.match(line)
        if match:
            kind = match.group(1).split()[0]
            blocks.append((kind, int(match.group(2)) if match.group(2) else None, []))
        elif blocks:
            blocks[-1][2].append(line)
        elif line.strip():
            raise ValueError(f"text before the first '%% markdown' or '%% code N' line: {line!r}")
    cell: int | None = None
    english: str | None = None
    for kind, number, lines in blocks:
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            found.markdown.append(body)
            cell = None
        elif kind == "code":
            cell = number
            found.code.setdefault(number or 0, [])
        elif kind == "en":
            if cell is None:
                raise ValueError("'%% en' outside a '%% code N' section")
            english = body
        else:
            if cell is None or english is None:
                raise ValueError("'%% pl' without the '%% en' before it")
            found.code[cell].append((english, body))
            english = None
    return found


def _lines(source: str) -> list[str]:
    return source.splitlines(keepends=True)


def build(translation_path: Path) -> dict[str, Any]:
    """The translated notebook for `translation_path` (not written)."""
    english = load(source_of(translation_path))
    lang = translation_path.parent.name
    translation = parse(text_of(translation_path).read_text(encoding="utf-8"))
    previous = load(translation_path) if translation_path.exists() else None
    markdown_count = sum(c["cell_type"] == "markdown" for c in english["cells"])
    if len(translation.markdown) != markdown_count:
        raise ValueError(
            f"{text_of(translation_path)}: {len(translation.markdown)} markdown cells, English has {markdown_count}"
        )
    old_code = [c for c in previous["cells"] if c["cell_type"] == "code"] if previous else []
    notebook = copy.deepcopy(english)
    markdown = iter(translation.markdown)
    code_index = 0
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = _lines(next(markdown))
            continue
        if cell["cell_type"] != "code":
            continue
        source = cell_source(cell)
        for en, pl in translation.code.get(code_index, []):
            if en not in source:
                raise ValueError(f"code cell {code_index}: the English text {en!r} is not in the English cell")
            source = source.replace(en, pl)
        if code_index == 0:
            source = EDITION_HEADER.format(lang=lang) + ("\n" + source if source else "")
        cell["source"] = _lines(source)
        old = old_code[code_index] if code_index < len(old_code) else None
        if old is not None and cell_source(old) == source:
            cell["outputs"], cell["execution_count"] = old.get("outputs", []), old.get("execution_count")
            # The kept outputs come with their own run's timestamps, not the English run's.
            if "execution" in old.get("metadata", {}):
                cell["metadata"]["execution"] = old["metadata"]["execution"]
        else:
            cell["outputs"], cell["execution_count"] = [], None
            cell["metadata"].pop("execution", None)  # not run yet in this edition
        code_index += 1
    unused = sorted(set(translation.code) - set(range(code_index)))
    if unused:
        raise ValueError(f"replacements for code cells {unused}, but English has {code_index} code cells")
    if previous is not None:
        for key in ("workbook_edition", "widgets"):
            if key in previous.get("metadata", {}):
                notebook["metadata"][key] = previous["metadata"][key]
    return notebook


def write(translation_path: Path) -> None:
    notebook = build(translation_path)
    text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    translation_path.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for name in argv:
        write(Path(name))
        print(f"built {name} from {source_of(Path(name)).name} and {text_of(Path(name))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
