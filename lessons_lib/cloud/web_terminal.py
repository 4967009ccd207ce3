"""The pod's web terminal, in JupyterLab: `pod_terminal(session)` opens a terminal whose `ollama` talks to the pod.

RunPod's console has *Connect → Start Web Terminal*: a shell on the pod, in a new browser tab. Here the kernel
asks the Jupyter server that started it for a named terminal (`POST /api/terminals`), types one `export` line
into it over the terminal's websocket, and shows a link that opens it in a new JupyterLab tab (a workspace
holding just that terminal: JupyterLab 4 has no URL for a terminal itself). The line sets OLLAMA_HOST to the
pod, where no real Ollama is installed puts the course's `ollama` first on PATH, and starts the prompt with
"(pod <id>)". It is typed, not passed as the terminal's environment, because JupyterLab started without a
console runs login shells, and a login shell's /etc/profile resets PATH.

The server is the one whose jpserver-<pid>.json (in Jupyter's runtime folder) names the process that started
this kernel; its token is read from there, sent only to that server, and never printed. Where no Jupyter
server runs the kernel (nbclient, nbval, plain Python), the call says so in one sentence and prints the line
to paste instead. Terminals opened here are shut down when the kernel exits, as a web terminal ends with its pod.
(A kernel shut down while a sandbox pod runs is killed before its exit handlers run: ipykernel waits on its
child processes, the pod's server among them. End the pod first, as lesson 04 does.)
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..edition import text
from ..ollama_cli.launcher import Launcher, real_ollama

__all__ = ["JupyterServer", "WebTerminal", "find_server", "pod_terminal"]

PROMPT_S = 10.0  # at most this long for the new shell's prompt (typing earlier works, but echoes twice)
ECHO_S = 5.0  # at most this long for the typed line's echo
QUIET_S = 0.5  # the shell is ready when it has printed something and then nothing for this long
POWERSHELL = os.name == "nt"  # JupyterLab's terminal on Windows is PowerShell


@dataclass(frozen=True)
class JupyterServer:
    """A running Jupyter server as its jpserver-<pid>.json describes it."""

    url: str  # "http://127.0.0.1:8888/" (base_url included)
    base_url: str  # "/" or "/user/ala/" behind JupyterHub: links are made from this
    token: str = field(repr=False)

    def api(self, timeout: float = 10) -> httpx.Client:
        headers = {"Authorization": f"token {self.token}"} if self.token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def websocket(self, name: str, timeout: float) -> Any:
        import websocket  # websocket-client: a dependency of jupyter_server, present wherever a server is

        url = re.sub(r"^http", "ws", self.url.rstrip("/")) + f"/terminals/websocket/{name}"
        header = [f"Authorization: token {self.token}"] if self.token else []
        return websocket.create_connection(url, header=header, timeout=timeout)


def find_server(runtime_dir: str | os.PathLike[str] | None = None) -> JupyterServer | None:
    """The Jupyter server that started this kernel; None where there is none (nbclient, plain Python)."""
    if runtime_dir is None:
        try:
            from jupyter_core.paths import jupyter_runtime_dir
        except ImportError:
            return None
        runtime_dir = jupyter_runtime_dir()
    # The kernel's launcher: its parent, or the process jupyter_client names in JPY_PARENT_PID (the two differ
    # where a wrapper starts the kernel). Not any ancestor: a notebook run by nbclient from a JupyterLab
    # terminal descends from that server too, and must not open terminals in it.
    mine = {os.getppid()}
    if os.environ.get("JPY_PARENT_PID", "").isdigit():
        mine.add(int(os.environ["JPY_PARENT_PID"]))
    for info_file in sorted(Path(runtime_dir).glob("jpserver-*.json")):
        try:
            info = json.loads(info_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(info, dict) and info.get("pid") in mine and info.get("url"):
            return JupyterServer(info["url"], info.get("base_url") or "/", info.get("token") or "")
    return None


@dataclass
class WebTerminal:
    """What `pod_terminal` did: the terminal's name, the line it was given, the link that opens it."""

    name: str
    host: str  # the pod's Ollama, as OLLAMA_HOST
    line: str  # the line typed into the terminal (the same one to paste where none could be opened)
    shown: str  # `line` as a saved output may show it: OLLAMA_HOST only, no machine path
    link: str | None = None  # path of the JupyterLab page that shows it; None when no terminal was opened
    server: JupyterServer | None = field(default=None, repr=False)

    @property
    def opened(self) -> bool:
        return self.link is not None

    def run(self, command: str, timeout: float = 120) -> str:
        """`command` in a fresh shell given the same line: what it prints (a check that the line works)."""
        shell = ["powershell", "-NoProfile", "-Command"] if POWERSHELL else ["sh", "-c"]
        done = subprocess.run(
            [*shell, f"{self.line}\n{command}"],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            stdin=subprocess.DEVNULL,
            timeout=timeout,
        )
        return done.stdout + done.stderr

    def close(self) -> None:
        """Shut the terminal down and forget its workspace (nothing happens where none was opened)."""
        if self.server is None or self.link is None:
            return
        _OPENED.pop(self.name, None)
        try:
            with self.server.api(timeout=3) as api:
                api.delete(f"api/terminals/{self.name}")
                api.delete(f"lab/api/workspaces/{self.name}")
        except httpx.HTTPError:
            pass  # the server is going away too
        self.link = None


_OPENED: dict[str, WebTerminal] = {}
_LAUNCHER: list[Launcher] = []  # one per kernel, made on first use


def _close_all() -> None:
    for terminal in list(_OPENED.values()):
        terminal.close()
    for launcher in _LAUNCHER:
        launcher.close()


def _close_at_exit() -> None:
    """Registered on first use, so it runs before the sandbox's and the guard's own exit handlers (last in,
    first out): a kernel that takes too long to shut down is killed, and the terminal would then stay."""
    atexit.unregister(_close_all)
    atexit.register(_close_all)


def terminal_line(host: str, label: str = "") -> tuple[str, str]:
    """(the line for the terminal, the line a saved output may show) for OLLAMA_HOST=`host`.

    With `label`, the terminal's prompt starts with "(label)", as a virtualenv's does: every prompt then says
    which pod this shell's `ollama` talks to (JupyterLab may not replay the typed line when the tab opens)."""
    if POWERSHELL:
        shown = f"$env:OLLAMA_HOST = '{host}'"
        path, prompt = "; $env:PATH = '{folder};' + $env:PATH", ""
    else:
        shown = f"export OLLAMA_HOST={shlex.quote(host)}"
        label = re.sub(r"[^\w .:-]", "", label)  # inside double quotes: nothing the shell would expand
        path, prompt = ' PATH={folder}:"$PATH"', f'; PS1="({label}) $PS1"' if label else ""
    if real_ollama():
        return shown + prompt, shown
    if not _LAUNCHER:
        _LAUNCHER.append(Launcher())
        _close_at_exit()
    folder = str(_LAUNCHER[0].folder)
    return shown + path.format(folder=folder if POWERSHELL else shlex.quote(folder)) + prompt, shown


def pod_terminal(session: Any, server: JupyterServer | None = None) -> WebTerminal:
    """Connect → Start Web Terminal: a JupyterLab terminal whose `ollama` talks to `session`'s pod.

    `session` is a running `PodSession` (anything with `pod_id` and `url`). Shows a link to the terminal
    (or, with no Jupyter server, the line to paste) and returns what it did."""
    if getattr(session, "url", None) is None or getattr(session, "pod_id", None) is None:
        raise RuntimeError(text("pod.err_not_started"))
    name = "pod_" + re.sub(r"\W", "_", str(session.pod_id))  # terminal names are \w+ in the server's routes
    line, shown = terminal_line(session.url, label=f"pod {session.pod_id}")
    terminal = _OPENED.get(name) or WebTerminal(name, session.url, line, shown)
    server = server or find_server()
    if server is None:
        return _paste_instead(terminal, text("pod.terminal_no_server"))
    try:
        _open(server, terminal)
    except (httpx.HTTPError, OSError, _NotOpened) as exc:
        return _paste_instead(terminal, text("pod.terminal_failed", error=_reason(exc)))
    _show(terminal)
    return terminal


class _NotOpened(Exception):
    pass


def _reason(exc: BaseException) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return str(exc) or type(exc).__name__


def _open(server: JupyterServer, terminal: WebTerminal) -> None:
    """Make the terminal, unless one of that name runs (then it may be busy, and nothing is typed into it)."""
    with server.api() as api:
        if api.get(f"api/terminals/{terminal.name}").status_code != 200:  # POSTing a name twice orphans a shell
            made = api.post("api/terminals", json={"name": terminal.name})
            if made.status_code == 404:
                raise _NotOpened(text("pod.terminal_off"))
            made.raise_for_status()
            _type(server, terminal.name, terminal.line)
        api.put(f"lab/api/workspaces/{terminal.name}", json=_workspace(terminal.name)).raise_for_status()
    terminal.server, terminal.link = server, f"{server.base_url}lab/workspaces/{terminal.name}"
    _OPENED[terminal.name] = terminal
    _close_at_exit()


def _type(server: JupyterServer, name: str, line: str) -> None:
    """Type `line` into terminal `name` once its shell has started (after its startup files)."""
    import websocket

    try:
        ws = server.websocket(name, timeout=QUIET_S)
        try:
            _read(ws, lambda out: bool(out), PROMPT_S)  # the prompt
            ws.send(json.dumps(["stdin", line + "\r"]))
            _read(ws, lambda out: "OLLAMA_HOST" in out, ECHO_S)
        finally:
            ws.close()
    except websocket.WebSocketException as exc:
        raise _NotOpened(str(exc) or type(exc).__name__) from exc


def _read(ws: Any, done: Callable[[str], bool], limit: float) -> str:
    """The terminal's output until `done(output)` holds and it has been quiet for QUIET_S, or `limit` s."""
    import websocket

    out, deadline = "", time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            message = json.loads(ws.recv())
        except websocket.WebSocketTimeoutException:
            if done(out):
                break
            continue
        if isinstance(message, list) and message and message[0] == "stdout":
            out += message[1]
    return out


def _workspace(name: str) -> dict[str, Any]:
    """A JupyterLab workspace showing only terminal `name`, as JupyterLab saves one (sidebars closed)."""
    closed = {"collapsed": True, "visible": True, "widgets": []}
    return {
        "data": {
            "layout-restorer:data": {
                "main": {
                    "dock": {"type": "tab-area", "currentIndex": 0, "widgets": [f"terminal:{name}"]},
                    "current": f"terminal:{name}",
                },
                "left": closed,
                "right": closed,
                "down": {"size": 0, "collapsed": True, "widgets": []},
            },
            f"terminal:{name}": {"data": {"name": name}},
        },
        "metadata": {"id": name},
    }


def _show(terminal: WebTerminal) -> None:
    said, label = text("pod.terminal_opened", name=terminal.name), text("pod.terminal_link")
    if "ipykernel" not in sys.modules:
        print(f"{said}\n{terminal.link}")
        return
    from html import escape

    from IPython.display import display

    html = (
        f'<p><a href="{escape(terminal.link or "")}" target="_blank" rel="noopener">&#9654; {escape(label)}</a> '
        f"<code>{escape(terminal.name)}</code></p><p>{escape(said)}</p>"
    )
    display({"text/plain": said, "text/html": html}, raw=True)


def _paste_instead(terminal: WebTerminal, why: str) -> WebTerminal:
    print(why)
    print(f"{terminal.shown}    {text('pod.terminal_paste')}")
    return terminal
