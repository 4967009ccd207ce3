"""The Polish edition follows the English one: same code (the parity rule), stamped with the English
source it was translated from (the staleness check). Rule: lessons_lib/translation/parity.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lessons_lib.translation import (
    EDITION_HEADER,
    NOTEBOOKS,
    STAMP_KEY,
    UntranslatedError,
    compare_code,
    parity_problems,
    stamp,
    states,
    untranslated,
)
from lessons_lib.translation.__main__ import main
from lessons_lib.translation.editions import english_notebooks, load, translation_of

HEADER = EDITION_HEADER.format(lang="pl")


# --- the rule, cell by cell ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "english, polish",
    [
        ('chat(client, "What is a hamburger?")', 'chat(client, "Co to jest hamburger?")'),
        ("x = 1  # the answer", "x = 1  # odpowiedź"),  # comments are prose
        ("# a comment\nx = 1", "# komentarz\n# w dwóch liniach\n\nx = 1"),
        ('print("Ask smollm2:135m a question")', 'print("Zapytaj smollm2:135m o coś")'),
        ('s = "Use 4 threads for it"', 's = "Użyj 4 wątków do tego"'),
        ('s = f"Hello {name}, you have {n} new"', 's = f"Witaj {name}, masz {n} nowe"'),
        ('s = ("One long English sentence here")', 's = ("Jedno długie polskie zdanie " "w dwóch częściach")'),
        ('MODEL = "smollm2:135m"', 'MODEL = "smollm2:135m"'),
        ("!ollama list", "!ollama list"),
        ('prompts = ["Name a colour please", "Say hi"]', 'prompts = ["Podaj nazwę koloru", "Powiedz cześć"]'),
        ('print(f"Threads used: {n}")', 'print(f"Używane wątki: {n}")'),  # a colon ends a word, not a name
        ('table["Verdict"]', 'table["Werdykt"]'),  # one catalogue message in each edition (catalog.col_verdict)
        ('assert "standing in for" in label', 'assert "w zastępstwie" in label'),  # a piece of catalog.label_stand_in
    ],
)
def test_what_may_differ(english, polish):
    assert compare_code(english, polish) == []


@pytest.mark.parametrize(
    "english, polish, why",
    [
        ('MODEL = "smollm2:135m"', 'MODEL = "llama3:8b"', "only prose"),  # a model name is no prose
        ('chat(client, "Hi")', 'chat(client, "Cześć")', "only prose"),  # one word: treated as a name
        ('table["Verdict"]', 'table["Wynik"]', "only prose"),  # not the catalogue's Polish for it
        ('assert "standing in for" in label', 'assert "zamiast" in label', "only prose"),  # another message's word
        ("x = 1", "y = 1", "'y' where English has 'x'"),
        ("x = 1", "x = 2", "'2' where English has '1'"),
        ('s = "Ask smollm2:135m a question"', 's = "Zapytaj llama3:8b o coś"', "technical words"),
        ('s = "Use 4 threads for it"', 's = "Użyj 8 wątków do tego"', "technical words"),
        ('s = "Open http://localhost:11434 now"', 's = "Otwórz http://localhost:8080 teraz"', "technical words"),
        ('s = f"Hello {name} there"', 's = f"Witaj {user} tutaj"', "expressions differ"),
        ("!ollama list", "!ollama ps", "where English has"),
        ('chat(client, "What is it?")', 'chat(client, "Co to jest?", stream=True)', "where English has"),
        ("x = 1", "x = 1\ny = 2", "goes on"),
    ],
)
def test_what_may_not_differ(english, polish, why):
    problems = compare_code(english, polish)
    assert problems and why in problems[0], problems


# --- notebooks in a folder: parity, stamps and staleness -----------------------------------------


def notebook(*cells: tuple[str, str]) -> dict:
    return {
        "cells": [{"cell_type": kind, "metadata": {}, "source": source} for kind, source in cells],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


ENGLISH = notebook(
    ("markdown", "# Lesson\nAsk a model."),
    ("code", "from lessons_lib import chat"),
    ("code", 'answer = chat.ask("What is a hamburger?")'),
)
POLISH = notebook(
    ("markdown", "# Lekcja\nZapytaj model."),
    ("code", f"{HEADER}\nfrom lessons_lib import chat"),
    ("markdown", "Polish may add prose cells."),
    ("code", 'answer = chat.ask("Co to jest hamburger?")'),
)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A course folder whose Polish notebook is as the builder makes it: one markdown cell for each."""
    (tmp_path / "pl").mkdir()
    built = [c for c in POLISH["cells"] if "prose cells" not in c["source"]]
    (tmp_path / "01_lesson.ipynb").write_text(json.dumps(ENGLISH), encoding="utf-8")
    (tmp_path / "pl" / "01_lesson.ipynb").write_text(json.dumps({**POLISH, "cells": built}), encoding="utf-8")
    return tmp_path


def edit(path: Path, cell: int, source: str) -> None:
    """Change one cell's source in a notebook file (a contributor's edit)."""
    notebook = load(path)
    notebook["cells"][cell]["source"] = source
    path.write_text(json.dumps(notebook), encoding="utf-8")


def test_a_translation_with_the_edition_lines_and_the_same_code_passes():
    assert parity_problems(ENGLISH, POLISH, "pl") == []
    separate = notebook(("code", HEADER), *[(c["cell_type"], c["source"]) for c in POLISH["cells"]])
    separate["cells"][2]["source"] = "from lessons_lib import chat"  # the header as a cell of its own
    assert parity_problems(ENGLISH, separate, "pl") == []


def test_the_edition_lines_must_come_first():
    wrong = json.loads(json.dumps(POLISH))
    wrong["cells"][1]["source"] = "from lessons_lib import chat"
    assert "must begin with the edition lines" in parity_problems(ENGLISH, wrong, "pl")[0]
    wrong["cells"][1]["source"] = 'from lessons_lib import edition\nedition.use("en")\nfrom lessons_lib import chat'
    assert parity_problems(ENGLISH, wrong, "pl")


def test_a_missing_code_cell_is_found():
    short = notebook(("code", f"{HEADER}\nfrom lessons_lib import chat"))
    assert parity_problems(ENGLISH, short, "pl") == ["1 code cells where English has 2 (the edition lines not counted)"]


def test_stamp_then_a_changed_english_cell_makes_the_translation_stale(course: Path, capsys):
    polish = course / "pl" / "01_lesson.ipynb"
    [state] = states(course)
    assert not state.missing and state.parity == [] and "never stamped" in state.stale
    assert main(["stamp", str(polish)]) == 0
    assert "workbook_edition" in load(polish)["metadata"]
    [state] = states(course)
    assert state.ok
    assert main(["check", "--notebooks", str(course)]) == 0

    changed = json.loads(json.dumps(ENGLISH))
    changed["cells"][2]["source"] = 'answer = chat.ask("What is a hamburger, really?")'
    changed["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "outputs are not hashed"}]
    (course / "01_lesson.ipynb").write_text(json.dumps(changed), encoding="utf-8")
    [state] = states(course)
    assert state.stale == "the English source changed since the translation: cells 2"  # 0-based cell indexes
    capsys.readouterr()
    assert main(["diff", str(polish)]) == 1
    out = capsys.readouterr().out
    assert "--- cell 2 (code)" in out and "really?" in out and "--- cell 1" not in out
    assert main(["check", "--notebooks", str(course)]) == 1
    assert "STALE" in capsys.readouterr().out

    edit(polish, 2, 'answer = chat.ask("Co to jest hamburger, naprawdę?")')  # translated again
    stamp(polish)
    assert states(course)[0].ok


def test_a_stamp_alone_does_not_pass_an_english_change_left_untranslated(course: Path, capsys):
    """The edition check (`make editions`) fails when an English markdown cell changed and its Polish
    text did not, and stamping does not make it pass: `stamp` refuses, naming the cell."""
    polish = course / "pl" / "01_lesson.ipynb"
    stamp(polish)
    edit(course / "01_lesson.ipynb", 0, "# Lesson\nAsk a model about another job entirely.")
    stamped = load(polish)["metadata"]

    capsys.readouterr()
    assert main(["stamp", str(polish)]) == 1
    err = capsys.readouterr().err
    assert "NOT stamped" in err and "English cells 0 changed" in err and "--unchanged-ok 0" in err
    assert load(polish)["metadata"] == stamped  # nothing written
    with pytest.raises(UntranslatedError) as refused:
        stamp(polish)
    assert refused.value.cells == [0]
    assert main(["check", "--notebooks", str(course)]) == 1
    out = capsys.readouterr().out
    assert "STALE" in out and "English cells 0 changed since the last stamp but their Polish text did not" in out

    # Another cell acknowledged does not help; the Polish text translated again does.
    assert main(["stamp", "--unchanged-ok", "1,2", str(polish)]) == 1
    edit(polish, 0, "# Lekcja\nZapytaj model o zupełnie inne zadanie.")
    assert main(["stamp", str(polish)]) == 0
    assert main(["check", "--notebooks", str(course)]) == 0


def test_an_english_edit_that_keeps_the_meaning_is_acknowledged_by_cell(course: Path, capsys):
    polish = course / "pl" / "01_lesson.ipynb"
    stamp(polish)
    edit(course / "01_lesson.ipynb", 0, "# Lesson\n\nAsk a model.")  # layout only
    assert untranslated(load(course / "01_lesson.ipynb"), load(polish)) == [0]
    assert main(["stamp", "--unchanged-ok", "0", str(polish)]) == 0
    assert states(course)[0].ok
    assert main(["stamp", str(polish)]) == 0  # re-stamping regenerates the same record from the files
    assert states(course)[0].ok


def test_an_old_stamp_or_a_polish_edit_after_the_stamp_is_not_in_step(course: Path):
    polish = course / "pl" / "01_lesson.ipynb"
    stamp(polish)
    notebook = load(polish)
    del notebook["metadata"][STAMP_KEY]["markdown"]  # a stamp written before Polish texts were hashed
    polish.write_text(json.dumps(notebook), encoding="utf-8")
    assert "older stamp" in states(course)[0].stale
    stamp(polish)  # the migration: a stamp from the files as they are
    assert states(course)[0].ok

    edit(polish, 0, "# Lekcja\nZapytaj model jeszcze raz.")
    assert states(course)[0].stale.startswith("the Polish text of cells 0 changed since the stamp")
    stamp(polish)
    assert states(course)[0].ok


def test_a_new_english_cell_needs_a_new_polish_text(course: Path):
    polish = course / "pl" / "01_lesson.ipynb"
    stamp(polish)
    english = load(course / "01_lesson.ipynb")
    english["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "## What next"})
    (course / "01_lesson.ipynb").write_text(json.dumps(english), encoding="utf-8")
    assert (
        "1 Polish markdown cells where English has 2" in states(course)[0].stale
    )  # the Polish notebook must be rebuilt first
    translation = load(polish)
    translation["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "# Lekcja\nZapytaj model."})
    polish.write_text(json.dumps(translation), encoding="utf-8")  # the old Polish text under a new English cell
    with pytest.raises(UntranslatedError):
        stamp(polish)
    edit(polish, 3, "## Co dalej")
    stamp(polish)
    assert states(course)[0].ok


def test_a_missing_translation_is_reported(course: Path, capsys):
    (course / "02_next.ipynb").write_text(json.dumps(ENGLISH), encoding="utf-8")
    assert [s.missing for s in states(course)] == [False, True]
    assert main(["check", "--notebooks", str(course)]) == 1
    assert "MISSING" in capsys.readouterr().out


# --- the course's own notebooks ----------------------------------------------------------------


# Lessons whose Polish edition is not in step with the English one yet, and why (issue 15 is open
# for them). The test below fails for a lesson missing here that is not in step, and for a lesson
# listed here that is in step again (then it must leave this list).
PENDING_TRANSLATION: dict[str, str] = {}  # lesson -> why its Polish edition is not in step yet


@pytest.mark.parametrize("english", english_notebooks(), ids=lambda p: p.name)
def test_every_lesson_has_a_polish_edition_in_step(english: Path):
    [state] = [s for s in states() if s.english == english]
    if english.name in PENDING_TRANSLATION:
        assert not state.ok, f"{english.name} is in step now: take it out of PENDING_TRANSLATION"
        return
    assert not state.missing, f"no Polish edition: {translation_of(english, 'pl')}"
    assert state.parity == []
    assert state.stale == "", f"{state.stale}; `python -m lessons_lib.translation diff {state.translation}`"


def test_no_polish_notebook_without_an_english_source():
    # Lessons are NN_name; a page of one edition only (the Polish glossary) has no number.
    orphans = [p.name for p in (NOTEBOOKS / "pl").glob("[0-9][0-9]_*.ipynb") if not (NOTEBOOKS / p.name).exists()]
    assert orphans == []
