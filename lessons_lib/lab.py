"""`make lab`: open JupyterLab on the lessons, with an Ollama-compatible server ready.

If a real Ollama answers, the lessons use it. Otherwise the embedded server starts here, once,
and every notebook kernel finds it through OLLAMA_HOST; it stops when JupyterLab stops.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .connect import connect

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# Learner-facing line, kept together for the Polish edition.
MSG_ROOT = "Running as root (a container, cloud VM or RunPod pod): starting JupyterLab with --allow-root."


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
    command = jupyter_command()
    if "--allow-root" in command:
        print(MSG_ROOT, flush=True)
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 0
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
