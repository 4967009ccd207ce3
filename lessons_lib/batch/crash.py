"""Lesson 05's crash: the job started as its own process, as from a shell, then killed with `kill -9`.

`run_and_kill` starts `python -m lessons_lib.batch run ...`, waits until the job's ledger holds
`after_parts` finished parts, and sends SIGKILL: no clean-up at all, like a power cut or an
out-of-memory kill. What it returns says what a learner would see in the shell.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..paths import shown
from .ledger import Ledger

__all__ = ["Killed", "run_and_kill", "job_command"]


@dataclass(frozen=True)
class Killed:
    command: tuple[str, ...]  # the job's command line, as a shell would run it
    returncode: int  # -9 (-SIGKILL) when the kill landed mid-job
    done_packs: int  # packs the ledger holds after the kill

    @property
    def shell(self) -> str:
        """The command line as a learner would type it: `python`, and paths as `$TMPDIR/...` or `~/...`
        (left unquoted so the shell expands them), never this machine's own folders."""
        words = [shown(w) if os.path.isabs(w) else shlex.quote(w) for w in self.command[1:]]
        return " ".join(["python", *words])


def job_command(
    keywords: str | Path,
    out: str | Path,
    endpoint: str,
    model: str,
    k: int = 5,
    slots: int = 1,
    address: str | None = None,
) -> list[str]:
    """`python -m lessons_lib.batch run ...` with this interpreter; `address` joins a running Ray."""
    cmd = [sys.executable, "-m", "lessons_lib.batch", "run", str(keywords), "--out", str(out)]
    cmd += ["--endpoint", endpoint, "--model", model, "-k", str(k), "--slots", str(slots)]
    return cmd + (["--address", address] if address else [])


def run_and_kill(
    keywords: str | Path,
    out: str | Path,
    endpoint: str,
    model: str,
    k: int = 5,
    slots: int = 1,
    address: str | None = None,
    after_parts: int = 2,
    timeout: float = 300.0,
) -> Killed:
    """Run the job as a separate process and `kill -9` it once `after_parts` ledger parts are written
    (or when it ends by itself or `timeout` seconds pass, whichever comes first)."""
    cmd = job_command(keywords, out, endpoint, model, k, slots, address)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    parts = Path(out) / "parts"
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and len(list(parts.glob("part-*"))) < after_parts and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)  # kill -9
        proc.wait()
    return Killed(tuple(cmd), proc.returncode, len(Ledger(out).done_packs()))
