"""`make execute-notebooks`: run lessons top to bottom and store their outputs in place.

The stored outputs are what `pytest --nbval` compares against, so they must come from a real
run. Widget state is kept in the metadata (nbval ignores it), so progress bars and widgets show
their final state when the committed notebook is opened or rendered on GitHub.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, timeout: int = 900) -> float:
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    nbformat.write(nb, path)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    for name in argv or sorted(str(p) for p in Path("notebooks").glob("[0-9][0-9]_*.ipynb")):
        print(f"{name}: ran in {execute(Path(name)):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
