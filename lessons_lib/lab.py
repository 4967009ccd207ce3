"""`make lab`: open JupyterLab on the lessons, with an Ollama-compatible server ready.

If a real Ollama answers, the lessons use it. Otherwise the embedded server starts here, once,
and every notebook kernel finds it through OLLAMA_HOST; it stops when JupyterLab stops.
Ended by Ctrl+C, SIGTERM (an IDE or a container manager stopping it) or SIGHUP (a closed
terminal), it ends what it started: JupyterLab (which shuts its kernels down) and the server.
JupyterLab's terminals get an `ollama` command too: the real one when it is installed, otherwise the
course's own CLI (lessons_lib.ollama_cli) talking to that same server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from . import edition
from .connect import connect
from .ollama_cli.launcher import Launcher, real_ollama, terminal_env

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
# The signals that end `make lab` besides Ctrl+C (SIGINT); Windows has only SIGTERM.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
JUPYTER_STOP_S = 20  # JupyterLab's own shutdown (kernels, terminals) before it is killed


class Stopped(Exception):
    """SIGTERM or SIGHUP arrived: stop as Ctrl+C stops."""


def _raise_stopped(signum: int, _frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


@contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Within: SIGTERM and SIGHUP raise `Stopped`, so `finally` blocks run (their default ends the process at once).
    On leaving, every handler (SIGINT's too, which the clean-up ignores) is as it was."""
    previous = {signal.SIGINT: signal.getsignal(signal.SIGINT)}
    previous.update({number: signal.signal(number, _raise_stopped) for number in STOP_SIGNALS})
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def end_process(process: subprocess.Popen[bytes], timeout: float = JUPYTER_STOP_S) -> None:
    """SIGTERM (JupyterLab then shuts its kernels and terminals down), SIGKILL if it is still there after `timeout`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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


def main(jupyter_args: Sequence[str] = ()) -> int:
    """Run JupyterLab (with `jupyter_args` after its command line) until it ends or this process is stopped."""
    try:
        lang = edition.use_environment()  # `make lab EDITION=pl`
    except ValueError as exc:  # `make lab EDITION=de`: say what exists, no traceback
        print(exc, file=sys.stderr)
        return 2
    with stop_signals_raise():
        try:
            return _run(lang, list(jupyter_args))
        except (KeyboardInterrupt, Stopped):  # while the server was starting
            return 0


def _run(lang: str, jupyter_args: list[str]) -> int:
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
    command = jupyter_command(folder) + jupyter_args
    if "--allow-root" in command:
        print(edition.text("lab.root"), flush=True)
    jupyter: subprocess.Popen[bytes] | None = None
    try:
        jupyter = subprocess.Popen(command, env=env)
        return jupyter.wait()
    except (KeyboardInterrupt, Stopped):
        return 0
    finally:
        for number in (signal.SIGINT, *STOP_SIGNALS):  # a second signal must not cut the clean-up short
            signal.signal(number, signal.SIG_IGN)
        if jupyter is not None:
            end_process(jupyter)
        connection.close()
        if launcher is not None:
            launcher.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
