"""`make lab` (python -m lessons_lib.lab) ends what it started, however it is stopped.

A real run: the embedded server and a real JupyterLab on free loopback ports. Each signal that ends
`make lab` in practice (Ctrl+C, a closed terminal, an IDE or a container manager stopping it) is
sent to the lab process alone, and no process it started may be left running.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
START_S = 180  # the server loads its model index and JupyterLab starts: generous on two shared cores

pytestmark = [
    pytest.mark.slow,  # starts the embedded server and JupyterLab
    pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_lab(lab: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        assert lab.poll() is None, "make lab ended early:\n" + log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail("JupyterLab did not answer:\n" + log.read_text(errors="replace")[-3000:])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_make_lab_ends_the_server_and_jupyterlab_on_a_signal(tmp_path: Path, signum: signal.Signals):
    port, token = free_port(), "t0ken"
    env = {
        **os.environ,
        "WORKBOOK_BACKEND": "embedded",  # the server is started here, whatever else runs on this machine
        "WORKBOOK_MODELS": str(tmp_path / "models"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    }
    env.pop("WORKBOOK_EDITION", None)
    args = ["--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0"]
    command = [sys.executable, "-m", "lessons_lib.lab", *args, f"--IdentityProvider.token={token}"]
    log = tmp_path / "lab.log"
    with open(log, "wb") as out:
        # Ctrl+C reaches a lab started from a terminal; a shell without job control starts background commands
        # with SIGINT ignored, and a child inherits that: give the lab the terminal's default, however pytest began.
        lab = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    children: list[psutil.Process] = []
    try:
        wait_for_lab(lab, f"http://127.0.0.1:{port}/api/status?token={token}", log)
        children = psutil.Process(lab.pid).children(recursive=True)
        commands = [" ".join(child.cmdline()) for child in children]
        assert any("lessons_lib.ollama_server serve" in c for c in commands), commands
        assert any("jupyter-lab" in c or "jupyter lab" in c for c in commands), commands
        lab.send_signal(signum)
        status = lab.wait(timeout=60)
        _, alive = psutil.wait_procs(children, timeout=10)
        assert alive == [], f"left running after {signum.name}: {[p.cmdline() for p in alive]}"
        assert status == 0, log.read_text(errors="replace")[-3000:]
    finally:
        for process in [*children, psutil.Process(lab.pid) if lab.poll() is None else None]:
            if process is not None and process.is_running():
                process.kill()
        lab.wait(timeout=30)
