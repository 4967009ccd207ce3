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


def main() -> int:
    connection = connect()
    env = {**os.environ, "OLLAMA_HOST": connection.url}
    env.pop("WORKBOOK_BACKEND", None)  # kernels should use the server chosen here
    try:
        return subprocess.call([sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={NOTEBOOKS}"], env=env)
    except KeyboardInterrupt:
        return 0
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
