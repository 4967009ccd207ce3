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

from .connect import connect
from .ollama_cli.launcher import Launcher, real_ollama, terminal_env

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# Learner-facing line, kept together for the Polish edition.
MSG_ROOT = "Running as root (a container, cloud VM or RunPod pod): starting JupyterLab with --allow-root."
MSG_REAL_OLLAMA = "Terminals in JupyterLab run your Ollama's `ollama` command ({path})."
MSG_COURSE_OLLAMA = (
    "Ollama is not installed here: `ollama` in JupyterLab's terminals is the course's own command, "
    "talking to the server at {url}."
)


def jupyter_command(notebook_dir: Path = NOTEBOOKS, *, is_root: bool | None = None) -> list[str]:
    """The `jupyter lab` command line; as root it needs --allow-root, or JupyterLab refuses to start."""
    command = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={notebook_dir}"]
    if is_root is None:
        is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if is_root:
        command.append("--allow-root")
    return command


def main() -> int:
    connection = connect()
    env = {**os.environ, "OLLAMA_HOST": connection.url}
    env.pop("WORKBOOK_BACKEND", None)  # kernels should use the server chosen here
    real = real_ollama(env.get("PATH", ""))
    launcher = None if real else Launcher()
    env = terminal_env(env, launcher)
    print(MSG_REAL_OLLAMA.format(path=real) if real else MSG_COURSE_OLLAMA.format(url=connection.url), flush=True)
    command = jupyter_command()
    if "--allow-root" in command:
        print(MSG_ROOT, flush=True)
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
