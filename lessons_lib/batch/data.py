"""The job's input: keywords from CSV, Parquet, JSONL or plain text, and the course's sample and gold set.

The sample (`keywords_sample.csv`, 2,437 Polish and English search keywords) and the gold set
(`keywords_gold.csv`, 518 of them labelled by hand with one of the ten categories) ship in
lessons_lib/data; see its README for how they were made.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from .texts import ERR_COLUMN, ERR_NO_FILE, ERR_NOT_UTF8, ERR_SUFFIX

__all__ = ["load_keywords", "sample_path", "gold_path", "gold_labels", "SUFFIXES"]

DATA = Path(__file__).resolve().parents[1] / "data"
SUFFIXES = (".csv", ".parquet", ".jsonl", ".txt")


def sample_path() -> Path:
    return DATA / "keywords_sample.csv"


def gold_path() -> Path:
    return DATA / "keywords_gold.csv"


def gold_labels(path: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """keyword -> its hand-given category (the gold set, or another CSV with `keyword` and `category`)."""
    with open(path or gold_path(), encoding="utf-8", newline="") as handle:
        return {row["keyword"]: row["category"] for row in csv.DictReader(handle)}


def load_keywords(path: str | os.PathLike[str], column: str = "keyword") -> list[str]:
    """Every keyword in file order (duplicates kept: each input row gets one answer).

    A file that is missing, or text that is not UTF-8, is a ValueError with one line saying what to do.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(ERR_NO_FILE.format(path=path, cwd=Path.cwd()))
    try:
        return _read(path, column)
    except UnicodeDecodeError as exc:
        raise ValueError(ERR_NOT_UTF8.format(path=path, byte=f"0x{exc.object[exc.start]:02x}", pos=exc.start)) from None


def _read(path: Path, column: str) -> list[str]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if column not in (reader.fieldnames or []):
                raise ValueError(ERR_COLUMN.format(path=path, columns=reader.fieldnames))
            return [row[column] for row in reader]
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        if column not in table.column_names:
            raise ValueError(ERR_COLUMN.format(path=path, columns=table.column_names))
        return [str(v) for v in table.column(column).to_pylist()]
    if suffix == ".jsonl":
        with open(path, encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        return [row[column] if isinstance(row, dict) else str(row) for row in rows]
    if suffix == ".txt":
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    raise ValueError(ERR_SUFFIX.format(path=path, suffixes=", ".join(SUFFIXES)))
