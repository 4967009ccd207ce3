"""Give a notebook a connected `ollama.Client`: a real Ollama if one answers, else the embedded one.

One call per kernel is enough: `connect()` remembers its connection, so every cell (and every
widget) talks to the same server, and an embedded server started here stops with the kernel.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import httpx
import ollama

from .edition import text
from .ollama_server.protocol import SERVER_HEADER
from .ollama_server.server import EmbeddedServer, ollama_address
from .paths import shown

# WORKBOOK_BACKEND=embedded makes lessons use the embedded server even when Ollama runs
# (CI and workshops want identical behaviour on every machine); =ollama forbids starting it.
BACKEND_ENV = "WORKBOOK_BACKEND"


# The `ollama` package's module-level functions, each bound to its default client (ollama/__init__.py).
MODULE_FUNCTIONS = (
    "generate",
    "chat",
    "embed",
    "embeddings",
    "pull",
    "push",
    "create",
    "delete",
    "list",
    "copy",
    "show",
    "ps",
)


def model_names(client: ollama.Client) -> list[str]:
    """Names of the models the client's server has, as `ollama list` shows them."""
    return [m.model for m in client.list().models if m.model]


@dataclass
class Connection:
    client: ollama.Client
    url: str
    backend: str  # "ollama" (a real Ollama) or "embedded"
    version: str
    message: str
    server: EmbeddedServer | None = field(default=None, repr=False)

    def model_names(self) -> list[str]:
        """Names of the models this server has, as `ollama list` shows them."""
        return model_names(self.client)

    def use_for_module_functions(self) -> None:
        """Point `ollama.chat(...)`, `ollama.generate(...)` and the other module-level functions here.

        They use a client the `ollama` package makes when it is first imported, from OLLAMA_HOST as it was
        then (see ollama/__init__.py). A server started later (the embedded one) needs this, so code
        written for a default Ollama, like the source article's, runs unchanged."""
        os.environ["OLLAMA_HOST"] = self.url
        point_module_functions(self.url)

    def close(self) -> None:
        """Stop the embedded server if this connection started it."""
        if self.server is not None:
            self.server.stop()
            self.server = None

    def __str__(self) -> str:
        return self.message


_current: Connection | None = None


def ollama_url(host: str | None = None) -> str:
    """Where Ollama is expected: `host`, else OLLAMA_HOST, else 127.0.0.1:11434 (as the client reads it)."""
    return ollama_address(host).url


def probe(url: str, timeout: float = 1.5) -> tuple[str, bool] | None:
    """(version, is_embedded) of the Ollama-compatible server at url, or None if none answers."""
    try:
        response = httpx.get(url.rstrip("/") + "/api/version", timeout=timeout)
        response.raise_for_status()
        return str(response.json().get("version", "?")), response.headers.get(SERVER_HEADER) == "embedded"
    except (httpx.HTTPError, ValueError):
        return None


def connect(
    host: str | None = None, *, models: str | os.PathLike[str] | None = None, quiet: bool = False, reuse: bool = True
) -> Connection:
    """Find a running Ollama or start the embedded server; return the connection and say which, in one line."""
    global _current
    if reuse and _current is not None and (_current.server is None or _current.server.running):
        return _current
    mode = os.environ.get(BACKEND_ENV, "auto").strip().lower()
    tried = ollama_url(host)
    found = None if mode == "embedded" else probe(tried)
    if found is not None:
        version, embedded = found
        template = "connect.existing_embedded" if embedded else "connect.real"
        connection = Connection(
            ollama.Client(host=tried),
            tried,
            "embedded" if embedded else "ollama",
            version,
            text(template, version=version, url=tried),
        )
    elif mode == "ollama":
        raise ConnectionError(text("connect.no_server", tried=tried))
    else:
        server = EmbeddedServer(models=models).start()
        version = (probe(server.url) or ("?", True))[0]
        template = "connect.forced" if mode == "embedded" else "connect.embedded"
        message = text(template, tried=tried, url=server.url, models=shown(server.models))
        connection = Connection(ollama.Client(host=server.url), server.url, "embedded", version, message, server)
    if connection.backend == "embedded":
        # `ollama.chat(...)` and the other module-level functions use a client made at import time
        # from OLLAMA_HOST; point them at the embedded server, as setting OLLAMA_HOST would have done.
        point_module_functions(connection.url)
    if not quiet:
        print(connection.message)
    _current = connection
    return connection


def current() -> Connection | None:
    """The connection `connect()` returned last, or None."""
    return _current


def point_module_functions(url: str) -> None:
    """Make `ollama.chat(...)`, `ollama.generate(...)`, ... talk to the server at `url` (no environment change)."""
    default = ollama.Client(host=url)
    for name in MODULE_FUNCTIONS:
        setattr(ollama, name, getattr(default, name))


def disconnect() -> None:
    """Forget the current connection and stop the embedded server it started, if any."""
    global _current
    if _current is not None:
        _current.close()
        _current = None
