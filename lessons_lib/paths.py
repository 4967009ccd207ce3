"""Paths as a lesson shows them: the same on every machine where it can be.

A saved notebook output should read the same for every learner, so messages show the course's folder
as a relative path, the home folder as `~` and the temp folder as `$TMPDIR`. The real path is still
what the code uses; only the message changes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parents[1]


def course_cache() -> Path:
    """The course's own cache folder (built wheels, models, the model shelf): XDG's cache home."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "local-llm-workbook"


def shown(path: str | os.PathLike[str]) -> str:
    """`path` for a message: relative inside the course, `~/...` at home, `$TMPDIR/...` in temp."""
    p = Path(path).expanduser()
    try:
        p = p.resolve()
    except OSError:
        pass
    places = ((COURSE_ROOT, ""), (Path(tempfile.gettempdir()).resolve(), "$TMPDIR"), (Path.home().resolve(), "~"))
    for base, label in places:
        try:
            rest = p.relative_to(base)
        except ValueError:
            continue
        if not label:
            return rest.as_posix() or "."
        return label if str(rest) == "." else f"{label}/{rest.as_posix()}"
    return str(p)
