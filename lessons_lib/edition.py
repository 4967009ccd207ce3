"""The course's editions (English, Polish) and the one message catalogue of `lessons_lib`.

A Polish notebook starts with::

    from lessons_lib import edition
    edition.use("pl")

and from then on every line the package shows a learner (widgets, the environment check, the
pod guard, error explanations) comes in Polish. English is the default edition, so the English
notebooks need no such cell. Code looks a string up by key::

    edition.text("check.fix_rebuild", fix="make rebuild-llama")
    edition.text("chat.send", lang="pl")   # one call in a given edition, whatever is current

The catalogue is `lessons_lib.messages`: one module per room (check, chat, cloud, ...), each with
an `EN` and a `PL` dict side by side. Why plain Python dicts rather than gettext PO files (babel):
- one place a contributor reads, with English and Polish next to each other, no compile step
  (PO needs `.mo` files built and shipped) and no extra dependency at run time;
- the same `str.format` fields the code already used, checked by a test
  (tests/test_edition_messages.py: every key in both languages, the same placeholders, every
  string formats);
- ruff and mypy see it like any other code, and a missing key fails a test, not a lesson.

Not translated: what real tools print (the Ollama server's JSON errors, the `ollama` CLI's
output, RunPod's API shapes). The course's own stand-ins for them speak the same English.
"""

from __future__ import annotations

import os
import re
import string
from typing import Any

from .messages import CATALOGUE

__all__ = ["LANGUAGES", "DEFAULT", "use", "use_environment", "current", "resolve", "text", "keys"]

LANGUAGES: tuple[str, ...] = ("en", "pl")
DEFAULT = "en"
ENVIRONMENT = "WORKBOOK_EDITION"  # read by the command-line tools only, never by a notebook

_current = DEFAULT


def resolve(lang: str | None = None) -> str:
    """`lang` checked, or the current edition when None."""
    if lang is None:
        return _current
    code = lang.strip().lower() if isinstance(lang, str) else lang
    if code not in LANGUAGES:
        raise ValueError(f"the edition (language) must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return code


def use(lang: str) -> None:
    """Switch this Python process (a notebook's kernel) to the edition `lang`.

    Returns None, so the cell that calls it shows no output.
    """
    global _current
    _current = resolve(lang)


def use_environment() -> str:
    """The edition named by $WORKBOOK_EDITION, for commands (`make check EDITION=pl`); else unchanged."""
    chosen = os.environ.get(ENVIRONMENT, "").strip()
    if chosen:
        use(chosen)
    return _current


def current() -> str:
    """The edition in use: "en" unless `use` chose another."""
    return _current


# A measurement handed over already formatted ("2.0 GB", "0.42 s", "94.5 tok/s"); a bare "0.10" may be a version.
_MEASURE = re.compile(r"-?\d[\d,]*\.\d+ ?(?:[KMGT]i?B|ms|s|h|tok/s|%|×)")


def polish_number(shown: str) -> str:
    """A number as Polish writes it: a decimal comma, a space between thousands ("1 024,5")."""
    return shown.replace(",", "\u00a0").replace(".", ",")


class _PolishNumbers(string.Formatter):
    """Fills a Polish message: numbers (and measurements passed in as text) with Polish separators."""

    def format_field(self, value: Any, format_spec: str) -> str:
        shown = super().format_field(value, format_spec)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return polish_number(shown)
        if isinstance(value, str):
            return _MEASURE.sub(lambda m: polish_number(m.group(0)), shown)
        return shown


_POLISH = _PolishNumbers()


def text(key: str, /, lang: str | None = None, **fields: Any) -> str:
    """The catalogue's string `key` ("room.name") in `lang` (default: the current edition), filled in."""
    chosen = resolve(lang)
    template = CATALOGUE[chosen][key]
    return _POLISH.format(template, **fields) if chosen == "pl" else template.format(**fields)


def keys() -> list[str]:
    """Every key of the catalogue (the English edition is the reference)."""
    return sorted(CATALOGUE[DEFAULT])
