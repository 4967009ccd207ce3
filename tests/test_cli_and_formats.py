"""`python -m lessons_lib.ollama_server serve` as a learner starts it, and the GGUF header reader."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import gguf
import httpx
import pytest

from lessons_lib.bundled import bundled_gguf_path
from lessons_lib.llama import gguf_file


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow  # starts its own server process
def test_serve_honours_ollama_host_and_ollama_models(tmp_path):
    port = free_port()
    env = {**os.environ, "OLLAMA_HOST": f"127.0.0.1:{port}", "WORKBOOK_MODELS": str(tmp_path / "models")}
    process = subprocess.Popen(
        [sys.executable, "-m", "lessons_lib.ollama_server", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline, tags = time.monotonic() + 60, None
        while time.monotonic() < deadline and tags is None:
            try:
                tags = httpx.get(f"http://127.0.0.1:{port}/api/tags", timeout=2).json()
            except httpx.HTTPError:
                time.sleep(0.2)
        assert tags is not None, "server did not answer on OLLAMA_HOST's port"
        assert [m["name"] for m in tags["models"]] == ["smollm2:135m"]
        manifest = tmp_path / "models/manifests/registry.ollama.ai/library/smollm2/135m"
        assert manifest.is_file()
        assert len(list((tmp_path / "models/blobs").glob("sha256-*"))) >= 3  # model, license, config
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=15)
    assert f"Listening on 127.0.0.1:{port}" in out


@pytest.mark.slow  # starts its own server process
def test_serve_reports_a_busy_port_plainly(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "OLLAMA_HOST": f"127.0.0.1:{port}", "WORKBOOK_MODELS": str(tmp_path)}
        result = subprocess.run(
            [sys.executable, "-m", "lessons_lib.ollama_server", "serve"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"listen tcp 127.0.0.1:{port}: bind:" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow  # reads every tensor of the 98 MB model with the gguf package
def test_fast_header_reader_agrees_with_gguf_reader():
    path = bundled_gguf_path()
    mine = gguf_file.read(path)
    reference = gguf.GGUFReader(str(path))
    for key, field in reference.fields.items():
        if key.startswith("GGUF."):
            continue
        value = field.contents()
        assert mine.metadata[key] == (value.tolist() if hasattr(value, "tolist") else value), key
    assert [(t.name, t.type, t.shape, t.n_bytes) for t in mine.tensors] == [
        (t.name, t.tensor_type.name, tuple(int(d) for d in t.shape), int(t.n_bytes)) for t in reference.tensors
    ]


@pytest.mark.slow  # starts its own server process
def test_a_killed_embedded_server_leaves_no_log_behind(tmp_path):
    # Jupyter kills a kernel's whole process group, so neither stop() nor atexit runs: the log
    # must already be gone from the temp folder once the server is up, yet still readable.
    from lessons_lib.ollama_server import EmbeddedServer

    server = EmbeddedServer(models=tmp_path).start()
    try:
        assert not server.log_path.exists()
        assert "Listening on" in server.log_tail()
        server.process.kill()
        server.process.wait()
        assert not server.log_path.exists()
    finally:
        server.stop()
