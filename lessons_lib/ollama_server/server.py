"""Starting and stopping the embedded server: in this process (`serve`) or as a child process.

`OLLAMA_HOST` means what it means to `ollama serve`; the models live in `WORKBOOK_MODELS` (default:
the course's cache), never in the learner's real Ollama store. The child process is
what lessons use: a crash there cannot take the notebook kernel with it, and `stop()` (also run
at interpreter exit) always ends it.
"""

from __future__ import annotations

import atexit
import ipaddress
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import httpx

DEFAULT_PORT = 11434
READY_LINE = "Listening on "


@dataclass(frozen=True)
class HostPort:
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def parse_host(value: str | None, default_port: int = DEFAULT_PORT) -> HostPort:
    """OLLAMA_HOST as Ollama reads it: `host`, `host:port`, `:port`, `http://host:port`."""
    text = (value or "").strip()
    if not text:
        return HostPort("127.0.0.1", default_port)
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    host = parts.hostname or "127.0.0.1"
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"OLLAMA_HOST has an invalid port: {value!r}") from exc
    if port is None:
        port = {"https": 443, "http": 80}[parts.scheme] if "://" in (value or "") else default_port
    return HostPort(host, port)


def ollama_address(host: str | None = None) -> HostPort:
    """`host`, else OLLAMA_HOST, else 127.0.0.1:11434: where Ollama listens, read as Ollama reads it."""
    return parse_host(host if host is not None else os.environ.get("OLLAMA_HOST"))


def serve(host: str | None = None, models: str | os.PathLike[str] | None = None, *, log_level: str = "info") -> None:
    """Run the server in this process until interrupted (what `python -m ... serve` does)."""
    import uvicorn

    from .engine import Engine
    from .routes import create_app
    from .store import Store, default_models_dir, ensure_bundled_model, ensure_shelf_models, is_course_store

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    address = ollama_address(host)
    store = Store(models or default_models_dir())
    bundled = ensure_bundled_model(store)
    if is_course_store(store):  # tests' and pods' own stores hold only what they put there
        ensure_shelf_models(store)
    engine = Engine()
    try:
        loopback = ipaddress.ip_address(address.host).is_loopback
    except ValueError:
        loopback = address.host == "localhost"
    app = create_app(store, engine, loopback_only=loopback)
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address.host, address.port))
        sock.listen(2048)  # before "Listening on": a client that reads that line may connect at once
    except OSError as exc:
        sys.exit(f"Error: listen tcp {address.host}:{address.port}: bind: {exc.strerror}")
    bound = HostPort(address.host, sock.getsockname()[1])
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    print(f"Models in {store.root}" + (f" ({bundled.name.display} ready)" if bundled else ""), flush=True)
    print(f"{READY_LINE}{bound.host}:{bound.port}", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        engine.close()


class EmbeddedServer:
    """The server as a child process on a free loopback port.

    >>> with EmbeddedServer() as server:
    ...     ollama.Client(host=server.url).list()
    """

    def __init__(
        self,
        models: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        env: dict[str, str] | None = None,
        startup_timeout: float = 120.0,
    ):
        from .store import default_models_dir

        self.models = Path(models) if models else default_models_dir()
        self.address = HostPort(host, port)
        self.env = env or {}
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log: TextIO | None = None
        self.log_path = Path(tempfile.gettempdir()) / f"workbook-ollama-{os.getpid()}-{id(self):x}.log"

    @property
    def url(self) -> str:
        return self.address.url

    def start(self) -> EmbeddedServer:
        if self.process is not None:
            return self
        from .store import MODELS_ENV

        env = {
            **os.environ,
            **self.env,
            "OLLAMA_HOST": f"{self.address.host}:{self.address.port}",
            MODELS_ENV: str(self.models),
        }
        with open(self.log_path, "w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "lessons_lib.ollama_server", "serve"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        atexit.register(self.stop)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            ready = [
                line for line in self.log_path.read_text(encoding="utf-8").splitlines() if line.startswith(READY_LINE)
            ]
            if ready:  # the child prints the address it bound once it listens
                host, _, port = ready[0][len(READY_LINE) :].strip().rpartition(":")
                self.address = HostPort(host, int(port))
                break
            time.sleep(0.05)
        if self.process.poll() is not None or not self._answers():
            tail = self.log_tail()
            self.stop()
            raise RuntimeError(f"The embedded server did not start. Its log:\n{tail}")
        # From here the log lives on only as an open file, so nothing is left in the temp folder even
        # when the kernel that owns this server is killed (Jupyter kills the whole process group).
        self._log = open(self.log_path, encoding="utf-8")
        try:
            self.log_path.unlink()
        except OSError:  # Windows cannot remove an open file; stop() removes it
            pass
        return self

    def _answers(self) -> bool:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                return httpx.get(self.url + "/", timeout=2).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.1)
        return False

    def log_tail(self, lines: int = 30) -> str:
        try:
            if self._log is not None:
                self._log.seek(0)
                text = self._log.read()
            else:
                text = self.log_path.read_text(encoding="utf-8")
        except (OSError, ValueError):  # ValueError: the file was closed by stop()
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        atexit.unregister(self.stop)
        if self._log is not None:
            self._log.close()
            self._log = None
        self.log_path.unlink(missing_ok=True)  # the log is for a failed start; nothing to keep after a stop

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
