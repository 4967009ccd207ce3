"""`python -m lessons_lib.translation check | stamp NOTEBOOK... | diff NOTEBOOK`, for contributors.

check: every Polish lesson exists, follows the current English source, and has its code (exit 1 if not).
stamp: after translating, record the English source a Polish notebook now follows (refused, naming the
       cells, while an English markdown cell changed and its Polish text did not; `--unchanged-ok 12,14`
       acknowledges cells whose English edit does not change the meaning).
diff:  the English cells that changed since a Polish notebook was stamped, to translate them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .editions import (
    NOTEBOOKS,
    cell_source,
    changed_cells,
    load,
    parity_problems,
    source_of,
    stamp,
    states,
)


def _check(folder: Path) -> int:
    bad = 0
    for state in states(folder):
        name = state.translation.relative_to(folder.parent)
        if state.missing:
            print(f"MISSING {name} (English: {state.english.name})")
        elif state.ok:
            print(f"ok      {name}")
        else:
            print(f"{'STALE' if state.stale else 'CODE':<7} {name}")
            for line in ([state.stale] if state.stale else []) + state.parity:
                print(f"        {line}")
        bad += not state.ok
    print(f"\n{bad} translation(s) to update." if bad else "\nEvery edition is in step.")
    return 1 if bad else 0


def _cells(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(n) for n in text.replace(" ", "").split(",") if n)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"cell numbers separated by commas (0-based, as diff prints them): {text!r}"
        ) from None


def _stamp(paths: list[Path], unchanged_ok: tuple[int, ...] = ()) -> int:
    refused = 0
    for path in paths:
        english_path = source_of(path)
        if not english_path.exists():
            print(f"{path}: no English notebook {english_path}", file=sys.stderr)
            return 2
        problems = parity_problems(load(english_path), load(path), path.parent.name)
        try:
            record = stamp(path, unchanged_ok)
        except ValueError as error:  # UntranslatedError, or markdown cells that do not pair
            print(f"NOT stamped {path}: {error}", file=sys.stderr)
            refused += 1
            continue
        print(f"stamped {path}: follows {english_path.name} {record['source_hash']}")
        for problem in problems:
            print(f"  parity: {problem}")
    return 1 if refused else 0


def _diff(path: Path) -> int:
    english = load(source_of(path))
    changed = changed_cells(english, load(path))
    if not changed:
        print(f"{path} follows {source_of(path).name}: nothing changed since its stamp.")
        return 0
    print(f"English cells new or changed since {path} was stamped (git log -p {source_of(path)} shows how):")
    for index, cell in changed:
        print(f"\n--- cell {index} ({cell['cell_type']})")
        print(cell_source(cell))
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons_lib.translation", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="the state of every translation")
    check.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help=argparse.SUPPRESS)
    stamping = commands.add_parser("stamp", help="record the English source a translation follows")
    stamping.add_argument("notebooks", type=Path, nargs="+")
    stamping.add_argument(
        "--unchanged-ok",
        type=_cells,
        default=(),
        metavar="N,M",
        help="English markdown cells whose edit leaves the Polish text right as it is",
    )
    commands.add_parser("diff", help="the English cells changed since the stamp").add_argument("notebook", type=Path)
    args = parser.parse_args(argv)
    if args.command == "check":
        return _check(args.notebooks)
    if args.command == "stamp":
        return _stamp(args.notebooks, args.unchanged_ok)
    return _diff(args.notebook)


if __name__ == "__main__":
    sys.exit(main())
