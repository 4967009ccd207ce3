"""The Polish-notebook builder (lessons_lib.translation.build): English notebook + translation text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lessons_lib.translation import build
from lessons_lib.translation.editions import parity_problems


def _notebook(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text: str, tags: list[str] | None = None) -> dict:
    meta = {"tags": tags} if tags else {}
    return {"cell_type": "code", "metadata": meta, "source": text, "outputs": [], "execution_count": None}


ENGLISH = _notebook(
    [
        _md("# Title"),
        _code("import math", ["nbval-ignore-output"]),
        _md("Ask the model."),
        _code('print("What is a hamburger?")  # the prompt'),
    ]
)

TEXT = """%% markdown
# Tytuł
%% markdown
Zapytaj model.
%% code 1
%% en
"What is a hamburger?"
%% pl
"Czym jest hamburger?"
%% en
# the prompt
%% pl
# prompt
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "pl" / "text").mkdir(parents=True)
    (tmp_path / "01_x.ipynb").write_text(json.dumps(ENGLISH), encoding="utf-8")
    (tmp_path / "pl" / "text" / "01_x.md").write_text(TEXT, encoding="utf-8")
    return tmp_path


def _sources(notebook: dict) -> list[str]:
    return ["".join(c["source"]) for c in notebook["cells"]]


def test_builds_markdown_code_header_and_tags(folder: Path) -> None:
    target = folder / "pl" / "01_x.ipynb"
    build.write(target)
    built = json.loads(target.read_text(encoding="utf-8"))
    assert _sources(built) == [
        "# Tytuł",
        'from lessons_lib import edition\nedition.use("pl")\nimport math',
        "Zapytaj model.",
        'print("Czym jest hamburger?")  # prompt',
    ]
    assert built["cells"][1]["metadata"]["tags"] == ["nbval-ignore-output"]
    assert parity_problems(ENGLISH, built, "pl") == []


def test_keeps_outputs_only_of_unchanged_code(folder: Path) -> None:
    target = folder / "pl" / "01_x.ipynb"
    build.write(target)
    built = json.loads(target.read_text(encoding="utf-8"))
    for cell in built["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x\n"}]
            cell["metadata"]["execution"] = {"iopub.execute_input": "the Polish run"}
    built["metadata"]["workbook_edition"] = {"source_hash": "kept"}
    target.write_text(json.dumps(built), encoding="utf-8")
    (folder / "pl" / "text" / "01_x.md").write_text(TEXT.replace("# prompt\n", "# pytanie\n"), encoding="utf-8")
    rebuilt = build.build(target)
    code = [c for c in rebuilt["cells"] if c["cell_type"] == "code"]
    assert code[0]["outputs"] and not code[1]["outputs"]  # the changed cell must be executed again
    assert code[0]["metadata"]["execution"] == {"iopub.execute_input": "the Polish run"}  # its own run's times
    assert "execution" not in code[1]["metadata"]
    assert rebuilt["metadata"]["workbook_edition"] == {"source_hash": "kept"}


def test_a_replacement_the_english_lacks_fails(folder: Path) -> None:
    (folder / "pl" / "text" / "01_x.md").write_text(TEXT.replace('"What is a hamburger?"\n%%', '"Hi"\n%%'), "utf-8")
    with pytest.raises(ValueError, match="not in the English cell"):
        build.build(folder / "pl" / "01_x.ipynb")


def test_markdown_cells_must_match_in_number(folder: Path) -> None:
    (folder / "pl" / "text" / "01_x.md").write_text(TEXT.replace("%% markdown\nZapytaj model.\n", ""), "utf-8")
    with pytest.raises(ValueError, match="1 markdown cells, English has 2"):
        build.build(folder / "pl" / "01_x.ipynb")
