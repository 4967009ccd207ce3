"""What the committed notebooks show a learner: no tracebacks, no machine paths, no stale widgets, no keys,
no unfinished progress bars (widget state or text fallback), no stray stderr or log lines.

nbval re-runs the code; this test reads the outputs as saved, which is what GitHub, nbviewer and a
learner opening the file before running anything see.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Every committed notebook of both editions: the English lessons and the Polish edition beside them
# (its lessons and its glossary page).
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted(
    (ROOT / "notebooks" / "pl").glob("*.ipynb")
)

# Absolute paths of a machine: a home folder, temp folders, this checkout. "~/.ollama" (written that
# way) is the documented place, not a machine's path, and stays allowed; so is "/root/.ollama", the
# ollama/ollama image's model folder inside a pod (lesson 04 prints the REST v2 body that mounts it).
MACHINE_PATH = re.compile(
    r"(?<![\w.~:/-])(?:/(?:root(?!/\.ollama\b)|home|Users|tmp|var/folders|private/var|work|mnt|srv)(?:/|\b)"
    r"|[A-Za-z]:\\(?:Users|Windows\\Temp)\\)"
)
# Shapes of real credentials: OpenAI, RunPod, Hugging Face, AWS, GitHub, and key-like assignments.
KEY_SHAPED = re.compile(
    r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}|\brpa_[A-Za-z0-9]{20,}|\bhf_[A-Za-z0-9]{30,}|\bAKIA[0-9A-Z]{16}\b"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}|(?i:api[_-]?key)\s*[=:]\s*['\"](?=[A-Za-z_\-]*\d)[A-Za-z0-9_\-]{16,}['\"]"
)
# tqdm's label while unfinished, as saved in a widget: "desc:  50%"
UNFINISHED_LABEL = re.compile(r":\s+\d{1,2}%$")
# A tqdm bar as text (a widget's text/plain fallback, or a console bar): "desc:  33%|###3      | 10/30 [".
TQDM_BAR = re.compile(r"(?P<percent>\d{1,3})%\|[^|\n]*\|\s*(?P<n>[\d.]+\w?)/(?P<total>[\d.]+\w?)\s+\[")
# Lines a logger or a library's warning writes, which no lesson means to show: Python logging's default
# format ("WARNING:matplotlib.font_manager:..."), a line that starts with a timestamp (Ray, uvicorn,
# llama.cpp's loggers), matplotlib's font manager, and Python warnings ("...: UserWarning: ...").
LOG_LINE = re.compile(
    r"^(?:\[?\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d|(?:DEBUG|INFO|WARNING|ERROR|CRITICAL):[\w.]+:)"
    r"|font_manager|Matplotlib is building the font cache|findfont:|^\S+:\d+: \w*Warning: ",
)
# Cells that print to stderr on purpose (a lesson showing what an error looks like) carry this tag;
# no lesson does today. Any other stderr in a saved output is stray: a warning, a log line, a console bar.
STDERR_TAG = "workbook-stderr"


def _outputs_text(cell: dict) -> list[str]:
    texts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            texts.append("".join(output["text"]))
        elif output["output_type"] == "error":
            texts.append("\n".join(output.get("traceback", [])) or output.get("ename", "error"))
        for kind, value in output.get("data", {}).items():
            if kind.startswith("text/") or kind.endswith("json"):
                texts.append("".join(value) if isinstance(value, list) else json.dumps(value))
    return texts


def _widget_states(notebook: dict) -> dict[str, dict]:
    widgets = notebook.get("metadata", {}).get("widgets", {})
    return widgets.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(params=NOTEBOOKS, ids=[p.relative_to(ROOT / "notebooks").as_posix() for p in NOTEBOOKS])
def notebook(request: pytest.FixtureRequest) -> tuple[str, dict]:
    return request.param.relative_to(ROOT / "notebooks").as_posix(), _load(request.param)


def test_every_lesson_is_checked() -> None:
    english = [p for p in NOTEBOOKS if p.parent.name == "notebooks"]
    polish = [p for p in NOTEBOOKS if p.parent.name == "pl"]
    assert len(english) >= 5 and polish, (english, polish)


def test_no_traceback_in_any_output(notebook: tuple[str, dict]) -> None:
    name, nb = notebook
    bad = [
        i
        for i, cell in enumerate(nb["cells"])
        if any(o["output_type"] == "error" for o in cell.get("outputs", []))
        or any("Traceback (most recent call last)" in text for text in _outputs_text(cell))
    ]
    assert not bad, f"{name}: cells {bad} saved a traceback"


def test_no_machine_path_in_any_output(notebook: tuple[str, dict]) -> None:
    name, nb = notebook
    home = str(Path.home())
    found: list[tuple[int | str, str]] = []
    for i, cell in enumerate(nb["cells"]):
        for text in _outputs_text(cell):
            for match in MACHINE_PATH.finditer(text):
                found.append((i, text[max(0, match.start() - 30) : match.end() + 40]))
            if home not in ("/", "") and home in text:
                found.append((i, home))
            if str(ROOT) in text:
                found.append((i, str(ROOT)))
    for model_id, widget in _widget_states(nb).items():
        for match in MACHINE_PATH.finditer(json.dumps(widget["state"])):
            found.append((f"widget {model_id}", match.group(0)))
    assert not found, f"{name}: machine paths in saved outputs: {found[:5]}"


def test_no_key_shaped_string(notebook: tuple[str, dict]) -> None:
    name, nb = notebook
    found: list[tuple[int | str, str]] = []
    for i, cell in enumerate(nb["cells"]):
        for text in ["".join(cell["source"])] + _outputs_text(cell):
            found += [(i, m.group(0)[:12] + "...") for m in KEY_SHAPED.finditer(text)]
    found += [("widgets", m.group(0)[:12] + "...") for m in KEY_SHAPED.finditer(json.dumps(_widget_states(nb)))]
    assert not found, f"{name}: key-shaped strings: {found}"


def test_saved_model_lists_name_only_the_lessons_models(notebook: tuple[str, dict]) -> None:
    """A model picker saved with models another lesson left on the server misleads the reader.

    Every model name a saved dropdown offers must be one the lesson itself names (in its code,
    prose or outputs): the bundled model, or one it pulled or created."""
    name, nb = notebook
    text = "\n".join("".join(c["source"]) + "\n".join(_outputs_text(c)) for c in nb["cells"])
    stale = []
    for widget in _widget_states(nb).values():
        if widget["model_name"] not in ("DropdownModel", "SelectMultipleModel", "SelectModel"):
            continue
        for label in widget["state"].get("_options_labels", []):
            if ":" in label and label not in text and label.removesuffix(":latest") not in text:
                stale.append(label)
    assert not stale, f"{name}: saved model lists offer models the lesson never had: {stale}"


def test_progress_bars_saved_finished(notebook: tuple[str, dict]) -> None:
    name, nb = notebook
    unfinished = []
    for model_id, widget in _widget_states(nb).items():
        state = widget["state"]
        if widget["model_name"] in ("FloatProgressModel", "IntProgressModel"):
            if state.get("bar_style") != "danger" and state.get("value") != state.get("max"):
                unfinished.append((model_id, f"{state.get('value')}/{state.get('max')}"))
        if widget["model_name"] == "HTMLModel" and UNFINISHED_LABEL.search(str(state.get("value", ""))):
            unfinished.append((model_id, state["value"]))
    assert not unfinished, f"{name}: progress bars saved unfinished: {unfinished}"


def unfinished_text_bars(nb: dict) -> list[tuple[int, str]]:
    """(cell, bar) for each bar saved as text that did not finish: a widget bar's text/plain
    fallback (what GitHub, nbviewer and VS Code show) or a console bar, at less than 100 %."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            plain = output.get("data", {}).get("text/plain", "")
            texts = ["".join(plain) if isinstance(plain, list) else str(plain)]
            if output["output_type"] == "stream":
                texts.append("".join(output["text"]).split("\r")[-1])  # a console bar's last redraw
            for text in texts:
                for bar in TQDM_BAR.finditer(text):
                    if bar["percent"] != "100" or bar["n"] != bar["total"]:
                        found.append((i, text[: bar.end()].splitlines()[-1]))
    return found


def stray_stderr(nb: dict) -> list[tuple[int, str]]:
    """(cell, line): each stderr stream of a cell without STDERR_TAG (its first line), and each log
    or warning line (LOG_LINE) in any other saved output."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream" and output["name"] == "stderr":
                if STDERR_TAG not in cell.get("metadata", {}).get("tags", []):
                    found.append((i, "stderr: " + "".join(output["text"]).strip().split("\n")[0][:100]))
                continue
            for text in _outputs_text({"outputs": [output]}):
                found += [(i, line[:100]) for line in text.splitlines() if LOG_LINE.search(line)]
    return found


def test_progress_bars_saved_finished_as_text(notebook: tuple[str, dict]) -> None:
    """The bar's text fallback is what a reader without the widget state sees: it must show the end
    (lessons_lib.progress updates it when the bar closes; a notebook saved before that reads 0%)."""
    name, nb = notebook
    unfinished = unfinished_text_bars(nb)
    assert not unfinished, f"{name}: progress bars saved unfinished as text (re-execute the notebook): {unfinished}"


def test_no_stray_stderr_or_log_lines(notebook: tuple[str, dict]) -> None:
    name, nb = notebook
    stray = stray_stderr(nb)
    assert not stray, f"{name}: stderr or log lines in saved outputs (tag a cell {STDERR_TAG!r} if meant): {stray}"


# The checks themselves must catch what they are for.
def test_the_checks_catch_what_they_are_for() -> None:
    assert MACHINE_PATH.search("models in /root/.cache/local-llm-workbook/models")
    assert MACHINE_PATH.search("GGUF at /tmp/i13-models/blobs/sha256-1")
    assert MACHINE_PATH.search(r"C:\Users\ala\.ollama")
    assert not MACHINE_PATH.search("models go to ~/.ollama/models, see https://ollama.com/download/linux")
    assert not MACHINE_PATH.search("the proxy http://127.0.0.1:4000/proxy/abc-11434")
    assert KEY_SHAPED.search("OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx")
    assert KEY_SHAPED.search("rpa_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123")
    assert not KEY_SHAPED.search("sk-... (your key)")
    assert not KEY_SHAPED.search('OpenAI(base_url=url, api_key="not-needed-locally")')
    assert KEY_SHAPED.search('api_key="a1b2c3d4e5f6g7h8i9j0"')
    assert UNFINISHED_LABEL.search("waiting for Ollama to answer:  50%")
    assert not UNFINISHED_LABEL.search("waiting for Ollama to answer: 100%")
    assert TQDM_BAR.search("keywords:  33%|###3      | 10/30 [00:00<?, ?kw/s]")
    assert TQDM_BAR.search("pulling b179c9523d0e:   0%|          | 0.00/98.4M [00:00<?, ?B/s]")
    assert not TQDM_BAR.search("Textarea(value='Hi', layout=Layout(width='100%'), placeholder='...')")

    def bar_output(text: str) -> dict:
        return {"output_type": "display_data", "data": {"text/plain": text}, "metadata": {}}

    def cell(*outputs: dict, tags: tuple[str, ...] = ()) -> dict:
        return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": "", "outputs": list(outputs)}

    bars = {
        "cells": [
            cell(bar_output("quantizing: 100%|##########| 2037/2037 [01:02<00:00, 32.6tensor/s]")),
            cell(bar_output("pulling b179c9523d0e: 100%|##########| 98.4M/98.4M [00:01<00:00, 77.0MB/s]")),
            cell(bar_output("keywords:  33%|###3      | 10/30 [00:00<?, ?kw/s]")),
            cell({"output_type": "stream", "name": "stdout", "text": "a:  50%|#  | 1/2 [\ra: 100%|##| 2/2 [00:01]"}),
        ]
    }
    assert unfinished_text_bars(bars) == [(2, "keywords:  33%|###3      | 10/30 [")]

    def stream(name: str, text: str) -> dict:
        return {"output_type": "stream", "name": name, "text": text}

    logs = {
        "cells": [
            cell(stream("stderr", "Matplotlib is building the font cache; this may take a moment.\n")),
            cell(stream("stdout", "2026-12-07 18:07:40,123 INFO worker.py:1 -- Started a local Ray instance.\n")),
            cell(stream("stdout", "WARNING:matplotlib.font_manager:findfont: Font family 'x' not found.\n")),
            cell(stream("stdout", "prices as of 2026-11-30 (runpod.io/pricing)\nok\n")),
            cell(stream("stderr", "Error: model 'llama3:8b' not found\n"), tags=(STDERR_TAG,)),
        ]
    }
    assert [i for i, _ in stray_stderr(logs)] == [0, 1, 2]
