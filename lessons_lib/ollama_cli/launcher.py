"""An `ollama` on the PATH of the course's terminals, never in front of a real one.

`make lab` (lessons_lib/lab.py) and the sandbox pod's web terminal call `terminal_env`: when a real
`ollama` is on PATH it is left alone; otherwise a folder holding an `ollama` launcher for this
package's CLI goes first on PATH. The folder is temporary and removed with `Launcher.close()`.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

# A POSIX shell script and a Windows batch file, both running this interpreter on the CLI module.
_SH = '#!/bin/sh\nexec "{python}" -m lessons_lib.ollama_cli "$@"\n'
_CMD = '@echo off\r\n"{python}" -m lessons_lib.ollama_cli %*\r\n'


def real_ollama(path: str | None = None) -> str | None:
    """The real `ollama` a terminal would run (None where there is none): a course launcher doesn't count."""
    for folder in (path if path is not None else os.environ.get("PATH", "")).split(os.pathsep):
        found = shutil.which("ollama", path=folder) if folder else None
        if found and not is_launcher(found):
            return found
    return None


def is_launcher(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is one of the course's launchers (`make lab` puts one on JupyterLab's PATH)."""
    try:
        with open(path, "rb") as file:
            return b"-m lessons_lib.ollama_cli" in file.read(512)
    except OSError:
        return False


class Launcher:
    """A temporary folder with an `ollama` launcher in it."""

    def __init__(self, python: str = sys.executable):
        self.folder = Path(tempfile.mkdtemp(prefix="workbook-ollama-bin-"))
        script = self.folder / "ollama"
        script.write_text(_SH.format(python=python), encoding="utf-8")
        script.chmod(0o755)
        (self.folder / "ollama.cmd").write_text(_CMD.format(python=python), encoding="utf-8")

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Launcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def terminal_env(env: dict[str, str], launcher: Launcher | None) -> dict[str, str]:
    """`env` with the launcher's folder first on PATH, unless `env`'s PATH already has a real `ollama`."""
    if launcher is None or real_ollama(env.get("PATH", "")):
        return dict(env)
    return {**env, "PATH": os.pathsep.join([str(launcher.folder), env.get("PATH", "")]).rstrip(os.pathsep)}
