"""`pod_terminal` without JupyterLab: finding the kernel's Jupyter server, and the paste-this-line path
that nbclient, nbval and plain Python take (one sentence and the line, no traceback, no token). The
browser test (test_browser_terminal.py) opens a real terminal."""

from __future__ import annotations

import json
import os
import types
from pathlib import Path

import pytest

from lessons_lib import edition
from lessons_lib.bundled import BUNDLED_MODEL
from lessons_lib.cloud import web_terminal
from lessons_lib.cloud.web_terminal import JupyterServer, find_server, pod_terminal
from lessons_lib.ollama_server.server import EmbeddedServer

POD = types.SimpleNamespace(pod_id="abc123xyz", url="http://127.0.0.1:9/proxy/abc123xyz-11434")


def _server_file(folder: Path, pid: int, token: str = "s3cret-token") -> None:
    info = {"url": f"http://127.0.0.1:{8000 + pid % 1000}/", "base_url": "/", "token": token, "pid": pid}
    (folder / f"jpserver-{pid}.json").write_text(json.dumps(info))


def test_without_a_jupyter_server_it_says_so_and_prints_the_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    _server_file(tmp_path, os.getpid())  # this process itself is not a server that started it
    terminal = pod_terminal(POD)
    out = capsys.readouterr().out.splitlines()
    assert out == [
        edition.text("pod.terminal_no_server"),
        f"export OLLAMA_HOST={POD.url}    {edition.text('pod.terminal_paste')}",
    ]
    assert (
        not terminal.opened and terminal.name == "pod_abc123xyz" and terminal.shown == f"export OLLAMA_HOST={POD.url}"
    )


def test_the_server_found_is_the_one_that_started_this_process(tmp_path, monkeypatch):
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    assert find_server(tmp_path) is None
    _server_file(tmp_path, os.getpid())
    assert find_server(tmp_path) is None
    _server_file(tmp_path, os.getppid(), token="parent-token")
    found = find_server(tmp_path)
    assert found is not None and found.token == "parent-token" and found.base_url == "/"
    assert "parent-token" not in repr(found)  # never printed
    monkeypatch.setenv("JPY_PARENT_PID", str(os.getpid()))  # how jupyter_client names the kernel's parent
    assert find_server(tmp_path) is not None


def test_a_server_that_does_not_answer_gives_the_line_to_paste_not_a_traceback(capsys):
    dead = JupyterServer("http://127.0.0.1:9/", "/", "s3cret-token")  # port 9: nothing listens
    terminal = pod_terminal(POD, server=dead)
    out = capsys.readouterr().out
    assert not terminal.opened
    assert out.startswith(edition.text("pod.terminal_failed", error="")[:20]) and POD.url in out
    assert "s3cret-token" not in out and "Traceback" not in out


def test_a_pod_that_is_not_running_has_no_terminal():
    with pytest.raises(RuntimeError, match="not running"):
        pod_terminal(types.SimpleNamespace(pod_id=None, url=None))


def test_the_line_gives_a_shell_an_ollama_that_talks_to_the_pod(server: EmbeddedServer, monkeypatch):
    """What the terminal is given, run in a fresh shell: the course's `ollama` (no Ollama is installed on
    this PATH) lists the server's models at the address the line names."""
    monkeypatch.setenv("PATH", os.path.dirname(os.__file__))  # no `ollama` on it
    monkeypatch.setattr(web_terminal, "_LAUNCHER", [])
    line, shown = web_terminal.terminal_line(server.url)
    assert shown == f"export OLLAMA_HOST={server.url}" and line.startswith(shown + " PATH=")
    terminal = web_terminal.WebTerminal("pod_x", server.url, line, shown)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # `sh` found; the launcher comes from the line
    listing = terminal.run("ollama list")
    assert BUNDLED_MODEL in listing and "NAME" in listing, listing
    web_terminal._close_all()
    assert not web_terminal._LAUNCHER[0].folder.exists()
