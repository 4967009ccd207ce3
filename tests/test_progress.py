"""The course's progress bar (lessons_lib.progress): in a notebook, the display it made is updated
when it closes, so the saved text/plain fallback shows the final bar, not "0%"."""

from __future__ import annotations

from typing import Any

import pytest
from tqdm.notebook import tqdm_notebook
from tqdm.std import tqdm as console_tqdm

from lessons_lib import progress


class Handle:
    def __init__(self, shown: list[tuple[str, str]]) -> None:
        self.shown = shown

    def update(self, obj: Any) -> None:
        self.shown.append(("update", repr(obj)))


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def display(obj: Any) -> Handle:
        found.append(("display", repr(obj)))
        return Handle(found)

    monkeypatch.setattr(progress, "_display", display)
    return found


def test_a_finished_bar_updates_its_fallback_to_100_percent(shown: list[tuple[str, str]]) -> None:
    bar_class = progress.with_final_fallback(tqdm_notebook)
    with bar_class(total=12, desc="quantizing", unit="tensor") as bar:
        bar.update(12)
    assert [kind for kind, _ in shown] == ["display", "update"]
    assert "0%|" in shown[0][1] and "0/12" in shown[0][1]
    assert "quantizing: 100%|" in shown[1][1] and "12/12" in shown[1][1]
    bar.close()  # closing again (a context manager, then __del__) updates nothing more
    assert len(shown) == 2


def test_a_bar_that_stops_early_stays_unfinished(shown: list[tuple[str, str]]) -> None:
    bar = progress.with_final_fallback(tqdm_notebook)(total=30, initial=10, desc="keywords")
    bar.update(5)
    bar.close()
    assert "15/30" in shown[-1][1] and "100%" not in shown[-1][1]


def test_outside_a_notebook_it_is_the_console_bar() -> None:
    assert progress.with_final_fallback(console_tqdm) is console_tqdm
