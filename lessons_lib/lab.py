"""`make lab`: open JupyterLab on the lessons, with an Ollama-compatible server ready.

If a real Ollama answers, the lessons use it. Otherwise the embedded server starts here, once,
and every notebook kernel finds it through OLLAMA_HOST; it stops when JupyterLab stops.
JupyterLab's terminals get an `ollama` command too: the real one when it is installed, otherwise the
course's own CLI (lessons_lib.ollama_cli) talking to that same server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from . import edition
from .connect import connect
from .ollama_cli.launcher import Launcher, real_ollama, terminal_env

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def jupyter_command(notebook_dir: Path = NOTEBOOKS, *, is_root: bool | None = None) -> list[str]:
    """The `jupyter lab` command line; as root it needs --allow-root, or JupyterLab refuses to start."""
    command = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={notebook_dir}"]
    if is_root is None:
        is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if is_root:
        command.append("--allow-root")
    return command


def edition_folder(lang: str) -> Path:
    """Where an edition's notebooks are: notebooks/ for English, notebooks/<lang>/ for the others."""
    return NOTEBOOKS if lang == edition.DEFAULT else NOTEBOOKS / lang


def main() -> int:
    try:
        lang = edition.use_environment()  # `make lab EDITION=pl`
    except ValueError as exc:  # `make lab EDITION=de`: say what exists, no traceback
        print(exc, file=sys.stderr)
        return 2
    folder = edition_folder(lang)
    print(edition.text("lab.edition", folder=folder.relative_to(NOTEBOOKS.parent)), flush=True)
    connection = connect()
    env = {**os.environ, "OLLAMA_HOST": connection.url}
    env.pop("WORKBOOK_BACKEND", None)  # kernels should use the server chosen here
    real = real_ollama(env.get("PATH", ""))
    launcher = None if real else Launcher()
    env = terminal_env(env, launcher)
    said = edition.text("lab.real_ollama", path=real) if real else edition.text("lab.course_ollama", url=connection.url)
    print(said, flush=True)
    command = jupyter_command(folder)
    if "--allow-root" in command:
        print(edition.text("lab.root"), flush=True)
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 0
    finally:
        connection.close()
        if launcher is not None:
            launcher.close()


if __name__ == "__main__":
    sys.exit(main())
