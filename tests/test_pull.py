"""/api/pull against a local registry and a local hub endpoint (real HTTP on 127.0.0.1, real GGUF bytes)."""

from __future__ import annotations

import re
from pathlib import Path

import ollama
import pytest
from fakes.registry import FaultyRegistry

from lessons_lib.bundled import bundled_gguf_path
from lessons_lib.ollama_server.protocol import ApiError
from lessons_lib.ollama_server.registry import choose_gguf, partial_files, pull_model
from lessons_lib.ollama_server.store import Store

SOURCE = "library/tiny:1"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory):
    source = Store(tmp_path_factory.mktemp("registry-store"))
    source.register_gguf(SOURCE, bundled_gguf_path(), system="Be brief.")
    with FaultyRegistry(source.root) as running:
        running.server.hub_repo = "testuser/SmolLM2-GGUF"
        running.server.hub_files = {
            "smollm2-135m-instruct-Q8_0.gguf": bundled_gguf_path(),
            "smollm2-135m-instruct-q4_k_m.gguf": bundled_gguf_path(),
        }
        yield running


@pytest.fixture()
def faults(registry: FaultyRegistry):
    server = registry.server
    server.requests.clear()
    yield server
    server.drops, server.drop_after, server.corrupt, server.hub_gated = 0, None, False, False


def _pull(store: Store, name: str, insecure: bool = True) -> list[dict]:
    lines: list[dict] = []
    pull_model(store, name, insecure, lines.append)
    return lines


def _gguf_digest(registry: FaultyRegistry) -> tuple[str, int]:
    layer = registry.store.find(SOURCE).layer("application/vnd.ollama.image.model")
    return layer["digest"], layer["size"]


def test_fresh_pull_streams_ollama_lines(registry, faults, tmp_path: Path) -> None:
    store = Store(tmp_path)
    lines = _pull(store, f"{registry.host}/{SOURCE}")
    digest, size = _gguf_digest(registry)
    statuses = [line["status"] for line in lines]
    assert statuses[0] == "pulling manifest"
    assert statuses[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    gguf_lines = [line for line in lines if line.get("digest") == digest]
    assert {line["status"] for line in gguf_lines} == {f"pulling {digest[7:19]}"}
    assert all(line["total"] == size for line in gguf_lines)
    assert "completed" not in gguf_lines[0] and gguf_lines[-1]["completed"] == size  # zero values left out
    pulled = store.find(f"{registry.host}/{SOURCE}")
    assert pulled is not None and pulled.digest == registry.store.find(SOURCE).digest  # the same manifest bytes
    assert pulled.model_path.read_bytes() == bundled_gguf_path().read_bytes()
    assert pulled.system == "Be brief." and not partial_files(store)


def test_pull_through_the_client_reports_present_layers_complete(registry, faults, client: ollama.Client) -> None:
    name = f"{registry.host}/{SOURCE}"  # its GGUF is the bundled model's, already in the server's store
    updates = list(client.pull(name, insecure=True, stream=True))
    digest, size = _gguf_digest(registry)
    gguf = [u for u in updates if u.digest == digest]
    assert [(u.completed, u.total) for u in gguf] == [(size, size)]  # one line, complete at once
    assert [u.status for u in updates][-1] == "success"
    fetched = [r[1] for r in faults.requests if "/blobs/" in r[1]]
    assert fetched and not any(path.endswith(digest) for path in fetched)  # only the small new layers came
    assert f"{name}".lower() in {m.model.lower() for m in client.list().models}
    client.delete(name)


def test_unknown_name_fails_like_ollama(registry, faults, client: ollama.Client, tmp_path: Path) -> None:
    with pytest.raises(ApiError, match="^pull model manifest: file does not exist$"):
        _pull(Store(tmp_path), f"{registry.host}/library/no-such-model:7b")
    with pytest.raises(ollama.ResponseError) as caught:
        client.pull(f"{registry.host}/library/no-such-model:7b", insecure=True)
    assert caught.value.error == "pull model manifest: file does not exist" and caught.value.status_code == 500
    with pytest.raises(ollama.ResponseError, match="file does not exist"):
        list(client.pull(f"{registry.host}/library/no-such-model:7b", insecure=True, stream=True))
    with pytest.raises(ollama.ResponseError, match="invalid model name"):
        client.pull("bad name!")


def test_dropped_connection_is_resumed_with_range(registry, faults, tmp_path: Path) -> None:
    digest, size = _gguf_digest(registry)
    faults.drop_after, faults.drops = 3_000_000, 1
    store, sent_before = Store(tmp_path), faults.bytes_sent
    _pull(store, f"{registry.host}/{SOURCE}")
    gguf_requests = [r for r in faults.requests if r[1].endswith(digest)]
    first, again = [r[2] for r in gguf_requests]
    assert first is None and 2_900_000 < int(again[6:-1]) <= 3_000_000  # only the rest was asked for again
    assert faults.bytes_sent - sent_before < size + 3_000_000 + 10_000  # not the whole file twice
    assert store.find(f"{registry.host}/{SOURCE}").model_path.stat().st_size == size


def test_interrupted_pull_leaves_no_model_and_resumes_next_time(registry, faults, tmp_path: Path) -> None:
    digest, size = _gguf_digest(registry)
    store = Store(tmp_path)
    faults.drop_after, faults.drops = 2_000_000, 99  # every attempt is cut
    with pytest.raises(ApiError, match="connection lost at .* run the same pull again to resume"):
        _pull(store, f"{registry.host}/{SOURCE}")
    assert store.list() == []
    [partial] = partial_files(store)
    kept = partial.stat().st_size
    assert 0 < kept < size
    faults.drops = 0
    faults.requests.clear()
    _pull(store, f"{registry.host}/{SOURCE}")
    assert [r[2] for r in faults.requests if r[1].endswith(digest)] == [f"bytes={kept}-"]
    assert store.find(f"{registry.host}/{SOURCE}").model_path.read_bytes() == bundled_gguf_path().read_bytes()
    assert partial_files(store) == []


def test_corrupted_blob_is_refused_and_nothing_registered(registry, faults, tmp_path: Path) -> None:
    store = Store(tmp_path)
    faults.corrupt = True
    with pytest.raises(ApiError, match="^digest mismatch, file must be downloaded again: want sha256:"):
        _pull(store, f"{registry.host}/{SOURCE}")
    assert store.list() == [] and partial_files(store) == []
    assert not any(store.has_blob(d) for d in (_gguf_digest(registry)[0],))


def test_default_registry_comes_from_the_environment(registry, faults, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WORKBOOK_REGISTRY", registry.url)
    store = Store(tmp_path)
    _pull(store, "tiny:1")  # no host: the registry Ollama names would use, here the local one
    assert store.find("tiny:1") is not None
    assert faults.requests[0][1] == "/v2/library/tiny/manifests/1"


def test_plain_http_needs_insecure(registry, faults, tmp_path: Path) -> None:
    with pytest.raises(ApiError, match="insecure"):
        _pull(Store(tmp_path), f"http://{registry.host}/{SOURCE}", insecure=False)


def test_hugging_face_pull_picks_the_file_by_quant(registry, faults, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", registry.url)
    store = Store(tmp_path)
    lines = _pull(store, "hf.co/testuser/SmolLM2-GGUF:Q8_0", insecure=False)
    assert [line["status"] for line in lines][-1] == "success"
    downloads = [r[1] for r in faults.requests if "/resolve/" in r[1]]
    assert downloads == [
        f"/testuser/SmolLM2-GGUF/resolve/{'0123456789abcdef' * 2}01234567/smollm2-135m-instruct-Q8_0.gguf"
    ]
    entry = store.find("hf.co/testuser/SmolLM2-GGUF:Q8_0")
    assert entry.name.display == "hf.co/testuser/SmolLM2-GGUF:Q8_0"
    assert entry.details()["quantization_level"] == "Q4_1"  # what the file really is, read from its header
    faults.requests.clear()
    _pull(store, "hf.co/testuser/SmolLM2-GGUF", insecure=False)  # latest = Q4_K_M, same bytes: nothing to fetch
    assert not [r for r in faults.requests if "/resolve/" in r[1]]
    assert store.find("hf.co/testuser/SmolLM2-GGUF:latest") is not None
    with pytest.raises(ApiError, match="no Q2_K GGUF file; available: Q4_K_M, Q8_0"):
        _pull(store, "hf.co/testuser/SmolLM2-GGUF:Q2_K")
    with pytest.raises(ApiError, match="^pull model manifest: file does not exist$"):
        _pull(store, "hf.co/testuser/missing-GGUF")


def test_gated_hugging_face_repo_says_how_to_get_access(registry, faults, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", registry.url)
    faults.hub_gated = True
    store = Store(tmp_path)
    with pytest.raises(ApiError, match=r"testuser/SmolLM2-GGUF is gated or private .* HF_TOKEN"):
        _pull(store, "hf.co/testuser/SmolLM2-GGUF:Q8_0")
    assert store.list() == [] and partial_files(store) == []


def test_choose_gguf_like_ollama() -> None:
    files = ["README.md", "m-Q2_K.gguf", "m-Q4_K_M.gguf", "m-q8_0.gguf", "mmproj-m-f16.gguf"]
    assert choose_gguf(files, "latest", "r") == "m-Q4_K_M.gguf"
    assert choose_gguf(files, "Q8_0", "r") == "m-q8_0.gguf"
    assert choose_gguf(files, "q2_k", "r") == "m-Q2_K.gguf"
    assert choose_gguf(["a-Q5_K_M.gguf", "a-Q6_K.gguf"], "latest", "r") == "a-Q5_K_M.gguf"
    with pytest.raises(ApiError, match="split"):
        choose_gguf(["b-Q4_K_M-00001-of-00002.gguf"], "Q4_K_M", "r")
    with pytest.raises(ApiError, match="has no GGUF files"):
        choose_gguf(["model.safetensors"], "latest", "r")


def test_repull_of_a_changed_model_removes_unused_layers(registry, faults, tmp_path: Path) -> None:
    source = registry.store
    source.register_gguf("library/tiny:edit", bundled_gguf_path(), system="First version.")
    store = Store(tmp_path)
    name = f"{registry.host}/library/tiny:edit"
    _pull(store, name)
    old_system = store.find(name).layer("application/vnd.ollama.image.system")["digest"]
    source.register_gguf("library/tiny:edit", bundled_gguf_path(), system="Second version.")
    statuses = [line["status"] for line in _pull(store, name)]
    assert statuses[-2:] == ["removing unused layers", "success"]
    assert store.find(name).system == "Second version." and not store.has_blob(old_system)


def test_prune_keeps_partial_downloads(tmp_path: Path) -> None:
    store = Store(tmp_path)
    partial = store.partial_path("sha256:" + "ab" * 32)
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"half")
    ollama_part = partial.with_name(partial.name + "-0")  # real Ollama's per-part state of the same download
    ollama_part.write_text("{}")
    unused = store.blobs / ("sha256-" + "cd" * 32)
    unused.write_bytes(b"no manifest uses me")
    store.prune()
    assert partial.exists() and ollama_part.exists()  # the next pull (ours or Ollama's) resumes it
    assert not unused.exists()


@pytest.mark.slow  # starts its own server process
def test_mirror_command_serves_a_store(tmp_path: Path) -> None:
    import subprocess
    import sys

    import httpx

    Store(tmp_path).register_gguf("library/tiny:1", bundled_gguf_path())
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lessons_lib.ollama_server",
            "mirror",
            "--host",
            "127.0.0.1:0",
            "--models",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("Registry mirror of") and "tiny:1" in first
        base = re.search(r" at (http://127\.0\.0\.1:\d+): ", first).group(1)
        manifest = httpx.get(f"{base}/v2/library/tiny/manifests/1").json()
        blob = manifest["layers"][0]
        part = httpx.get(f"{base}/v2/library/tiny/blobs/{blob['digest']}", headers={"Range": "bytes=0-3"})
        assert part.status_code == 206 and part.content == b"GGUF"
        assert httpx.get(f"{base}/v2/library/nope/manifests/1").status_code == 404
    finally:
        process.terminate()
        process.wait(timeout=10)
