"""connect(): find a running Ollama-compatible server or start the embedded one; parse_host like Ollama."""

from __future__ import annotations

import importlib
import socket
from urllib.parse import urlsplit

import httpx
import ollama
import pytest
from conftest import MODEL
from ollama._client import _parse_host as ollama_parse_host

from lessons_lib.connect import connect, disconnect, probe
from lessons_lib.edition import text
from lessons_lib.ollama_server.server import HostPort, parse_host
from lessons_lib.paths import shown

# the module itself (lessons_lib re-exports a `connect` function under the same name)
connect_module = importlib.import_module("lessons_lib.connect")


@pytest.fixture(autouse=True)
def fresh_connection(monkeypatch):
    disconnect()
    for name in ("WORKBOOK_BACKEND", "OLLAMA_HOST"):
        monkeypatch.delenv(name, raising=False)
    yield
    disconnect()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def no_new_server(monkeypatch):
    def refuse(self):
        raise AssertionError("connect() must not start an embedded server here")

    monkeypatch.setattr(connect_module.EmbeddedServer, "start", refuse)


def one_line(capsys) -> str:
    out = capsys.readouterr().out
    assert out.endswith("\n") and out.count("\n") == 1, f"exactly one line expected, got {out!r}"
    return out.rstrip("\n")


# -- starting the embedded server -------------------------------------------------------------------
@pytest.mark.slow  # starts its own server process
def test_forced_embedded_backend_starts_reuses_and_stops(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("WORKBOOK_BACKEND", "embedded")
    monkeypatch.setenv("WORKBOOK_MODELS", str(tmp_path))
    conn = connect()
    assert one_line(capsys) == conn.message == str(conn)
    assert conn.message == text("connect.forced", url=conn.url, models=shown(tmp_path))
    assert conn.backend == "embedded" and conn.server is not None and conn.server.running
    assert conn.url == conn.server.url and conn.url.startswith("http://127.0.0.1:")
    assert conn.version == httpx.get(conn.url + "/api/version").json()["version"]
    assert isinstance(conn.client, ollama.Client)
    assert [m.model for m in conn.client.list().models] == [MODEL]
    assert (tmp_path / "manifests" / "registry.ollama.ai" / "library" / "smollm2" / "135m").is_file()

    process = conn.server.process
    again = connect()
    assert again is conn and conn.server.process is process, "a second call reuses the running server"
    assert capsys.readouterr().out == ""

    disconnect()
    assert process.poll() is not None, "disconnect() ends the child process"
    assert conn.server is None
    with pytest.raises(httpx.TransportError):
        httpx.get(conn.url + "/", timeout=2)
    disconnect()  # a second disconnect is harmless


@pytest.mark.slow  # starts its own server process
def test_auto_starts_the_embedded_server_when_nothing_answers(monkeypatch, tmp_path, capsys, closed_port):
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{closed_port}")
    monkeypatch.setenv("WORKBOOK_MODELS", str(tmp_path))
    conn = connect(quiet=True)
    assert capsys.readouterr().out == ""
    tried = f"http://127.0.0.1:{closed_port}"
    assert conn.message.startswith(f"No Ollama answered at {tried}: started the course's embedded")
    assert conn.backend == "embedded" and conn.server.running and conn.url != tried
    assert conn.client.generate(model=MODEL, prompt="hi", options={"num_predict": 4, "seed": 7}).response
    process = conn.server.process
    disconnect()
    assert process.poll() is not None


# -- using a server that already runs ------------------------------------------------------------------
@pytest.mark.parametrize("backend", [None, "auto", "ollama"])
def test_a_running_server_is_used_not_started_again(server, monkeypatch, capsys, backend, no_new_server):
    if backend:
        monkeypatch.setenv("WORKBOOK_BACKEND", backend)
    monkeypatch.setenv("OLLAMA_HOST", server.url)
    conn = connect()
    line = one_line(capsys)
    assert line == conn.message
    assert "already running" in line and server.url in line
    assert conn.backend == "embedded", "the embedded server tells lessons what it is"
    assert conn.server is None and conn.url == server.url
    assert MODEL in [m.model for m in conn.client.list().models]
    assert connect() is conn
    disconnect()
    assert server.running, "disconnect() never stops a server it did not start"


def test_host_argument_wins_over_the_environment(server, monkeypatch, closed_port, capsys, no_new_server):
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{closed_port}")
    monkeypatch.setenv("WORKBOOK_BACKEND", "ollama")
    conn = connect(server.url, quiet=True)
    assert conn.url == server.url and capsys.readouterr().out == ""


def test_reuse_false_makes_a_new_connection(server, monkeypatch, no_new_server):
    monkeypatch.setenv("OLLAMA_HOST", server.url)
    first = connect(quiet=True)
    second = connect(quiet=True, reuse=False)
    assert second is not first and second.url == first.url


def test_no_server_and_backend_ollama_tells_how_to_start_ollama(monkeypatch, closed_port, capsys, no_new_server):
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{closed_port}")
    monkeypatch.setenv("WORKBOOK_BACKEND", "ollama")
    with pytest.raises(ConnectionError) as err:
        connect()
    message = str(err.value)
    assert f"http://127.0.0.1:{closed_port}" in message
    assert "ollama serve" in message and "Ollama app" in message
    assert capsys.readouterr().out == ""
    assert connect_module._current is None


def test_probe(server, closed_port):
    version, embedded = probe(server.url)
    assert embedded is True and version == httpx.get(server.url + "/api/version").json()["version"]
    assert probe(f"http://127.0.0.1:{closed_port}", timeout=0.5) is None


# -- parse_host: OLLAMA_HOST as Ollama reads it ----------------------------------------------------------
@pytest.mark.parametrize(
    "value, host, port",
    [
        (None, "127.0.0.1", 11434),
        ("", "127.0.0.1", 11434),
        (":56789", "127.0.0.1", 56789),
        ("0.0.0.0", "0.0.0.0", 11434),
        ("0.0.0.0:11435", "0.0.0.0", 11435),
        ("1.2.3.4", "1.2.3.4", 11434),
        ("1.2.3.4:56789", "1.2.3.4", 56789),
        ("http://1.2.3.4", "1.2.3.4", 80),
        ("https://1.2.3.4", "1.2.3.4", 443),
        ("https://1.2.3.4:56789", "1.2.3.4", 56789),
        ("example.com", "example.com", 11434),
        ("example.com:56789", "example.com", 56789),
        ("http://example.com", "example.com", 80),
        ("https://example.com", "example.com", 443),
        ("http://example.com:56789", "example.com", 56789),
        ("example.com/path", "example.com", 11434),
        ("[0001:002:003:0004::1]", "0001:002:003:0004::1", 11434),
        ("[0001:002:003:0004::1]:56789", "0001:002:003:0004::1", 56789),
        ("http://[0001:002:003:0004::1]", "0001:002:003:0004::1", 80),
        ("[::1]:8080", "::1", 8080),
    ],
)
def test_parse_host(value, host, port):
    parsed = parse_host(value)
    assert parsed == HostPort(host, port)
    # the same host and port as the official client derives from OLLAMA_HOST
    official = urlsplit(ollama_parse_host(value))
    assert (official.hostname, official.port) == (host, port)


def test_parse_host_urls_bracket_ipv6():
    assert parse_host("0.0.0.0").url == "http://0.0.0.0:11434"
    assert parse_host("[::1]:8080").url == "http://[::1]:8080"
    assert parse_host("[0001:002:003:0004::1]").url == "http://[0001:002:003:0004::1]:11434"
    assert parse_host(":56789").url == "http://127.0.0.1:56789"


@pytest.mark.parametrize("value", ["example.com:port", "127.0.0.1:99999"])
def test_parse_host_rejects_a_bad_port(value):
    with pytest.raises(ValueError, match="invalid port"):
        parse_host(value)


@pytest.mark.slow  # starts its own server process
def test_models_dir_in_message_is_the_one_used(monkeypatch, tmp_path, capsys):
    # WORKBOOK_MODELS with ~ is expanded the way the store expands it
    monkeypatch.setenv("WORKBOOK_BACKEND", "embedded")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("WORKBOOK_MODELS", "~/models")
    conn = connect(quiet=True)
    assert (tmp_path / "models" / "manifests").is_dir()
    assert f"models in {shown(tmp_path / 'models')})" in conn.message  # shown as the learner writes it


@pytest.mark.slow  # starts its own server process
def test_the_embedded_server_never_writes_into_the_learners_ollama_store(monkeypatch, tmp_path):
    # Ollama advises setting OLLAMA_MODELS user-wide; the course only ever reads that folder.
    learner_store = tmp_path / "ollama-models"
    learner_store.mkdir()
    monkeypatch.setenv("WORKBOOK_BACKEND", "embedded")
    monkeypatch.setenv("OLLAMA_MODELS", str(learner_store))
    monkeypatch.setenv("WORKBOOK_MODELS", str(tmp_path / "course-models"))
    conn = connect(quiet=True)
    assert conn.model_names()  # the bundled model is served from the course's folder
    assert list(learner_store.iterdir()) == []
    assert (tmp_path / "course-models" / "manifests").is_dir()


def test_paths_are_shown_the_same_on_every_machine(tmp_path, monkeypatch):
    import tempfile
    from pathlib import Path

    from lessons_lib.paths import COURSE_ROOT

    assert shown(COURSE_ROOT / "notebooks") == "notebooks"
    assert shown(Path(tempfile.gettempdir()) / "x" / "y") == "$TMPDIR/x/y"
    monkeypatch.setenv("HOME", "/nonexistent-home-for-test")
    assert shown("/nonexistent-home-for-test/.ollama/models") == "~/.ollama/models"
    assert shown("/usr/share/ollama/.ollama/models") == "/usr/share/ollama/.ollama/models"


def test_point_module_functions_rebinds_ollama_chat(monkeypatch):
    connect_module = importlib.import_module("lessons_lib.connect")

    for name in connect_module.MODULE_FUNCTIONS:
        monkeypatch.setattr(ollama, name, getattr(ollama, name))  # restored after the test
    connect_module.point_module_functions("http://127.0.0.1:9")
    assert str(ollama.chat.__self__._client.base_url).startswith("http://127.0.0.1:9")
