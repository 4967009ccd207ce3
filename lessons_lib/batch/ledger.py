"""The job's ledger: finished packs on disk, so a killed job resumes without loss or duplicates.

    out/
      job.json           what the job is (input fingerprint, K, model, categories): a resume must match
      parts/*.parquet    finished packs; each file appears whole or not at all (written, fsynced, renamed)
      result.parquet     every input row once, written at the end from the parts
      summary.json

A pack is done when its part file exists. `kill -9` at any moment leaves at most a temporary file
(`.tmp-*`, ignored and removed on the next start); the packs it held are done again. A pack that
reaches `commit` twice (Ray Data retries a task whose worker died) is written once.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .texts import ERR_DUPLICATE, ERR_MISMATCH

__all__ = ["Ledger", "JobMismatch", "RESULT_SCHEMA"]

RESULT_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),
        ("keyword", pa.string()),
        ("category", pa.string()),
        ("model", pa.string()),
        ("confidence", pa.float64()),
        ("alternatives", pa.string()),
        ("error", pa.string()),
        ("endpoint", pa.string()),
        ("pack", pa.int64()),
        ("attempts", pa.int32()),
        ("prompt_tokens", pa.float64()),
        ("completion_tokens", pa.float64()),
        ("seconds", pa.float64()),
    ]
)


class JobMismatch(ValueError):
    pass


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Ledger:
    def __init__(self, out: str | os.PathLike[str]):
        self.out = Path(out)
        self.parts = self.out / "parts"
        self._done: set[int] | None = None

    # --- the job's identity ------------------------------------------------------------------------
    def open(self, job: dict[str, Any]) -> None:
        """Start or resume: the folder must be empty or hold this same job."""
        self.parts.mkdir(parents=True, exist_ok=True)
        for tmp in self.parts.glob(".tmp-*"):  # a write that kill -9 interrupted
            tmp.unlink(missing_ok=True)
        path = self.out / "job.json"
        if path.exists():
            old = json.loads(path.read_text(encoding="utf-8"))
            for key, value in job.items():
                if old.get(key) != value:
                    raise JobMismatch(ERR_MISMATCH.format(out=self.out, field=key, old=old.get(key), new=value))
        else:
            self._write_atomic(path, json.dumps(job, indent=1, ensure_ascii=False).encode("utf-8"))

    # --- finished packs ----------------------------------------------------------------------------
    def done_packs(self) -> set[int]:
        if self._done is None:
            done: set[int] = set()
            for part in sorted(self.parts.glob("part-*.parquet")):
                packs = set(pq.read_table(part, columns=["pack"]).column("pack").to_pylist())
                overlap = done & packs
                if overlap:
                    raise RuntimeError(ERR_DUPLICATE.format(pack=min(overlap), files=part.name))
                done |= packs
            self._done = done
        return self._done

    def commit(self, table: pa.Table) -> pa.Table:
        """Write the packs of `table` not written yet; returns the rows written (maybe none)."""
        done = self.done_packs()
        packs = table.column("pack").to_pylist()
        fresh = [i for i, p in enumerate(packs) if p not in done]
        if not fresh:
            return table.slice(0, 0)
        if len(fresh) < len(packs):
            table = table.take(pa.array(fresh))
        table = table.select(RESULT_SCHEMA.names).cast(RESULT_SCHEMA)
        name = f"part-{min(table.column('pack').to_pylist()):09d}-{uuid.uuid4().hex[:8]}.parquet"
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        self._write_atomic(self.parts / name, sink.getvalue().to_pybytes())
        done.update(table.column("pack").to_pylist())
        return table

    def _write_atomic(self, path: Path, data: bytes) -> None:
        tmp = path.parent / f".tmp-{uuid.uuid4().hex}"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)

    def table(self) -> pa.Table:
        parts = sorted(self.parts.glob("part-*.parquet"))
        if not parts:
            return RESULT_SCHEMA.empty_table()
        return pa.concat_tables([pq.read_table(p).cast(RESULT_SCHEMA) for p in parts]).sort_by("row")

    def finish(self, summary: dict[str, Any]) -> Path:
        """result.parquet (one row per input row, in input order) and summary.json."""
        result = self.out / "result.parquet"
        sink = pa.BufferOutputStream()
        pq.write_table(self.table(), sink)
        self._write_atomic(result, sink.getvalue().to_pybytes())
        self._write_atomic(self.out / "summary.json", json.dumps(summary, indent=1, ensure_ascii=False).encode("utf-8"))
        return result
