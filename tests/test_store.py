"""store.py: Ollama's model names, digests and on-disk layout (manifests + sha256 blobs)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from lessons_lib.bundled import BUNDLED_MODEL, bundled_gguf_path
from lessons_lib.names import InvalidDigest, InvalidName, ModelName, normalize_digest
from lessons_lib.ollama_server import store as store_module
from lessons_lib.ollama_server.store import (
    CONFIG_MEDIA_TYPE,
    LAYER_LICENSE,
    LAYER_MODEL,
    LAYER_PARAMS,
    LAYER_SYSTEM,
    MANIFEST_MEDIA_TYPE,
    Store,
    ensure_bundled_model,
)


@pytest.fixture(scope="module")
def gguf_digest() -> str:
    h = hashlib.sha256()
    with open(bundled_gguf_path(), "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def blob_files(store: Store) -> set[str]:
    return {p.name for p in store.blobs.iterdir()} if store.blobs.exists() else set()


def all_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# -- names ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, parts, display",
    [
        ("llama3.2", ("registry.ollama.ai", "library", "llama3.2", "latest"), "llama3.2:latest"),
        ("llama3.2:1b", ("registry.ollama.ai", "library", "llama3.2", "1b"), "llama3.2:1b"),
        ("library/llama3.2:latest", ("registry.ollama.ai", "library", "llama3.2", "latest"), "llama3.2:latest"),
        (
            "registry.ollama.ai/library/llama3.2",
            ("registry.ollama.ai", "library", "llama3.2", "latest"),
            "llama3.2:latest",
        ),
        ("https://registry.ollama.ai/library/qwen3:8b", ("registry.ollama.ai", "library", "qwen3", "8b"), "qwen3:8b"),
        (
            "spychalski/bielik-7b-instruct-v0.1",
            ("registry.ollama.ai", "spychalski", "bielik-7b-instruct-v0.1", "latest"),
            "spychalski/bielik-7b-instruct-v0.1:latest",
        ),
        (
            "SpeakLeash/bielik-11b-v2.3-instruct:Q4_K_M",
            ("registry.ollama.ai", "SpeakLeash", "bielik-11b-v2.3-instruct", "Q4_K_M"),
            "SpeakLeash/bielik-11b-v2.3-instruct:Q4_K_M",
        ),
        (
            "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M",
            ("hf.co", "bartowski", "Llama-3.2-1B-Instruct-GGUF", "Q4_K_M"),
            "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M",
        ),
        (
            "localhost:5000/team/model",
            ("localhost:5000", "team", "model", "latest"),
            "localhost:5000/team/model:latest",
        ),
        ("localhost:5000/team/model:v2", ("localhost:5000", "team", "model", "v2"), "localhost:5000/team/model:v2"),
        ("smollm2:135m", ("registry.ollama.ai", "library", "smollm2", "135m"), "smollm2:135m"),
        ("_private", ("registry.ollama.ai", "library", "_private", "latest"), "_private:latest"),
    ],
)
def test_parse_fills_defaults_and_displays_shortest(text, parts, display):
    name = ModelName.parse(text)
    assert name.parts() == parts
    assert name.display == display
    assert name.full == f"{parts[0]}/{parts[1]}/{parts[2]}:{parts[3]}"
    assert ModelName.parse(name.display) == name, "the display form parses back to the same name"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        ":latest",
        "model:",
        "/model",
        "model/",
        "../../etc/passwd",
        "a/b/../../c",
        "..",
        "../x",
        "x:y:z/..",
        "library/..:latest",
        "ns/../m",
        "ns.with.dot/m",
        "hf.co/m",  # a dot in the namespace
        "bad name",
        "tab\tname",
        "model\n:latest",
        "ns\n/model",
        "host.com\n/ns/m",
        "emoji🙂",
        "m@sha256",
        "a/b/c/d",
        "-leading-dash",
        ".hidden",
        "model:-tag",
        "model:a:b",
        "m" * 81,
        "m:" + "t" * 81,
    ],
)
def test_invalid_names_are_refused(text):
    with pytest.raises(InvalidName, match="^invalid model name$"):
        ModelName.parse(text)


def test_length_limits():
    assert ModelName.parse("m" * 80).model == "m" * 80
    assert ModelName.parse("m:" + "t" * 80).tag == "t" * 80
    assert ModelName.parse("h" * 300 + "/ns/m").host == "h" * 300
    with pytest.raises(InvalidName):
        ModelName.parse("h" * 351 + "/ns/m")


def test_names_compare_case_insensitively_part_by_part():
    assert ModelName.parse("Llama3.2:Latest").same_as(ModelName.parse("llama3.2"))
    assert ModelName.parse("speakleash/Bielik:q4_k_m").same_as(ModelName.parse("SpeakLeash/bielik:Q4_K_M"))
    assert not ModelName.parse("llama3.2:1b").same_as(ModelName.parse("llama3.2:3b"))
    assert ModelName.parse("Llama3.2") != ModelName.parse("llama3.2"), "parsing keeps the case"


# -- digests -------------------------------------------------------------------------------------------
def test_normalize_digest():
    hexa = "ab" * 32
    assert normalize_digest(f"sha256:{hexa}") == f"sha256:{hexa}"
    assert normalize_digest(f"sha256-{hexa}") == f"sha256:{hexa}"
    assert normalize_digest(f"sha256:{hexa.upper()}") == f"sha256:{hexa}"


@pytest.mark.parametrize(
    "digest",
    [
        "",
        "sha256:",
        "sha256:" + "a" * 63,
        "sha256:" + "a" * 65,
        "sha256:" + "g" * 64,
        "md5:" + "a" * 64,
        "sha256_" + "a" * 64,
        "a" * 64,
        "sha256:" + "a" * 64 + "\n",
        "sha256:../../" + "a" * 58,
    ],
)
def test_bad_digests_are_refused(digest):
    with pytest.raises(InvalidDigest, match="^invalid digest format$"):
        normalize_digest(digest)
    with pytest.raises(InvalidDigest):
        Store("/nonexistent").blob_path(digest)


# -- registering the bundled GGUF -------------------------------------------------------------------------
def test_register_gguf_writes_ollamas_layout(tmp_path, gguf_digest):
    store = Store(tmp_path)
    gguf = bundled_gguf_path()
    entry = store.register_gguf(BUNDLED_MODEL, gguf)

    manifest_path = tmp_path / "manifests" / "registry.ollama.ai" / "library" / "smollm2" / "135m"
    assert manifest_path.is_file() and entry.manifest_path == manifest_path
    blob = tmp_path / "blobs" / f"sha256-{gguf_digest}"
    assert blob.is_file() and entry.model_path == blob
    assert blob.stat().st_size == gguf.stat().st_size
    if blob.stat().st_dev == gguf.stat().st_dev:
        assert blob.stat().st_ino == gguf.stat().st_ino, "same filesystem: a hard link, not a second copy"

    manifest = json.loads(manifest_path.read_bytes())
    assert manifest["schemaVersion"] == 2 and manifest["mediaType"] == MANIFEST_MEDIA_TYPE
    assert manifest["layers"] == [
        {"mediaType": LAYER_MODEL, "digest": f"sha256:{gguf_digest}", "size": gguf.stat().st_size}
    ]
    assert entry.digest == hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    assert entry.name.display == BUNDLED_MODEL
    # nothing else in the store: no temporary files left behind
    assert all_files(tmp_path) == sorted(
        [
            "manifests/registry.ollama.ai/library/smollm2/135m",
            f"blobs/sha256-{gguf_digest}",
            "blobs/" + manifest["config"]["digest"].replace(":", "-"),
        ]
    )


def test_config_blob_carries_the_details(tmp_path, gguf_digest):
    store = Store(tmp_path)
    entry = store.register_gguf("tiny", bundled_gguf_path(), parent_model="smollm2:135m")
    config_ref = entry.manifest["config"]
    assert config_ref["mediaType"] == CONFIG_MEDIA_TYPE
    config_blob = store.blob_path(config_ref["digest"])
    assert config_ref["size"] == config_blob.stat().st_size
    assert "sha256:" + hashlib.sha256(config_blob.read_bytes()).hexdigest() == config_ref["digest"]
    config = entry.config
    assert config["model_format"] == "gguf" and config["model_family"] == "llama"
    assert config["model_families"] == ["llama"]
    assert config["model_type"] == "134.52M" and config["file_type"] == "Q4_1"
    assert config["rootfs"] == {"type": "layers", "diff_ids": [f"sha256:{gguf_digest}"]}
    assert entry.details() == {
        "parent_model": "smollm2:135m",
        "format": "gguf",
        "family": "llama",
        "families": ["llama"],
        "parameter_size": "134.52M",
        "quantization_level": "Q4_1",
    }
    assert entry.size == config_ref["size"] + bundled_gguf_path().stat().st_size


def test_text_layers_are_readable_back(tmp_path):
    store = Store(tmp_path)
    entry = store.register_gguf(
        "brief", bundled_gguf_path(), parameters={"temperature": 0.1, "stop": ["x"]}, system="Be brief.", license="MIT"
    )
    assert [layer["mediaType"] for layer in entry.layers] == [LAYER_MODEL, LAYER_LICENSE, LAYER_SYSTEM, LAYER_PARAMS]
    assert entry.system == "Be brief." and entry.license == "MIT"
    assert entry.parameters == {"temperature": 0.1, "stop": ["x"]}
    assert entry.template is None and entry.messages == []
    assert entry.gguf().file_type == "Q4_1"


def test_gguf_on_another_filesystem_is_copied(tmp_path, monkeypatch, gguf_digest):
    def cross_device(src, dst):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(store_module.os, "link", cross_device)
    store = Store(tmp_path)
    entry = store.register_gguf("copied", bundled_gguf_path())
    blob = entry.model_path
    assert blob.name == f"sha256-{gguf_digest}"
    assert blob.stat().st_ino != bundled_gguf_path().stat().st_ino
    assert blob.stat().st_size == bundled_gguf_path().stat().st_size
    assert not [p for p in store.blobs.iterdir() if p.name.startswith(".partial-")]


def test_a_local_copy_is_hard_linked(tmp_path):
    source = tmp_path / "downloads" / "model.gguf"
    source.parent.mkdir()
    shutil.copyfile(bundled_gguf_path(), source)
    store = Store(tmp_path / "models")
    blob = store.register_gguf("linked", source).model_path
    assert blob.stat().st_ino == source.stat().st_ino and source.stat().st_nlink == 2


def test_register_refuses_a_file_that_is_not_gguf(tmp_path):
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"not a model")
    store = Store(tmp_path / "models")
    with pytest.raises(ValueError):
        store.register_gguf("fake", fake)
    assert not (tmp_path / "models" / "manifests").exists()
    with pytest.raises(InvalidName):
        store.register_gguf("../evil", bundled_gguf_path())


# -- lookups, copy, delete ---------------------------------------------------------------------------------
def test_find_is_case_insensitive(tmp_path):
    store = Store(tmp_path)
    store.register_gguf("SpeakLeash/tiny:Q4_1", bundled_gguf_path())
    for text in ("SpeakLeash/tiny:Q4_1", "speakleash/TINY:q4_1", "registry.ollama.ai/SPEAKLEASH/tiny:Q4_1"):
        found = store.find(text)
        assert found is not None and found.name.display == "SpeakLeash/tiny:Q4_1"
    assert store.find("speakleash/tiny") is None  # tag latest does not exist
    assert store.find("tiny:Q4_1") is None  # another namespace
    with pytest.raises(InvalidName):
        store.find("../../etc/passwd")


def test_copy_then_delete_prunes_only_unreferenced_blobs(tmp_path, gguf_digest):
    store = Store(tmp_path)
    original = store.register_gguf(BUNDLED_MODEL, bundled_gguf_path())
    before = blob_files(store)

    copy = store.copy(original, ModelName.parse("my-copy:v1"))
    assert copy.digest == original.digest and copy.manifest == original.manifest
    assert sorted(e.name.display for e in store.list()) == ["my-copy:v1", BUNDLED_MODEL]
    assert blob_files(store) == before, "a copy is a new manifest only"
    store.delete(store.find("My-Copy:V1"))
    assert [e.name.display for e in store.list()] == [BUNDLED_MODEL]
    assert blob_files(store) == before, "blobs still used by the original stay"
    assert not (tmp_path / "manifests" / "registry.ollama.ai" / "library" / "my-copy").exists()

    variant = store.register_gguf("variant", bundled_gguf_path(), system="Answer in Polish.")
    own = blob_files(store) - before
    assert len(own) == 2  # the system layer and its own config
    store.delete(variant)
    assert blob_files(store) == before
    assert store.find(BUNDLED_MODEL).model_path.is_file()

    store.delete(store.find(BUNDLED_MODEL))
    assert store.list() == [] and blob_files(store) == set()
    assert (tmp_path / "manifests").is_dir(), "the store itself stays"


def test_prune_removes_orphan_blobs_but_not_other_files(tmp_path):
    store = Store(tmp_path)
    entry = store.register_gguf("m", bundled_gguf_path())
    (store.blobs / "README").write_text("not a blob")
    orphan = store.blobs / ("sha256-" + "0" * 64)
    orphan.write_bytes(b"orphan")
    store.delete(entry)
    assert blob_files(store) == {"README"}


# -- blob writes -----------------------------------------------------------------------------------------------
def test_write_blob_stream_checks_the_digest(tmp_path):
    store = Store(tmp_path)
    data = [b"hello ", b"blob"]
    right = "sha256:" + hashlib.sha256(b"hello blob").hexdigest()
    wrong = "sha256:" + "0" * 64
    with pytest.raises(ValueError) as err:
        store.write_blob_stream(iter(data), expected=wrong)
    assert str(err.value) == f'digest mismatch, expected "{wrong}", got "{right}"'
    assert blob_files(store) == set(), "nothing kept, not even a .partial file"

    assert (
        store.write_blob_stream(iter(data), expected=right.replace(":", "-").upper().replace("SHA256", "sha256"))
        == right
    )
    assert store.blob_path(right).read_bytes() == b"hello blob"
    assert blob_files(store) == {right.replace(":", "-")}
    assert store.write_blob_stream(iter(data)) == right  # again, without a check: same blob
    assert blob_files(store) == {right.replace(":", "-")}


def test_an_interrupted_or_misaddressed_upload_leaves_nothing(tmp_path):
    store = Store(tmp_path)

    def broken():
        yield b"first part"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.write_blob_stream(broken(), expected="sha256:" + "1" * 64)
    with pytest.raises(InvalidDigest):
        store.write_blob_stream(iter([b"x"]), expected="sha256:short")
    assert blob_files(store) == set()


def test_write_blob_bytes_is_content_addressed(tmp_path):
    store = Store(tmp_path)
    digest = store.write_blob_bytes(b"{}")
    assert digest == "sha256:" + hashlib.sha256(b"{}").hexdigest()
    assert store.write_blob_bytes(b"{}") == digest and store.has_blob(digest)
    assert store.has_blob(digest.replace(":", "-")) and not store.has_blob("sha256:" + "f" * 64)
    assert blob_files(store) == {digest.replace(":", "-")}


# -- listing ---------------------------------------------------------------------------------------------------
def test_list_ignores_junk(tmp_path):
    store = Store(tmp_path)
    assert store.list() == []  # no manifests folder yet
    store.register_gguf("real", bundled_gguf_path())
    library = tmp_path / "manifests" / "registry.ollama.ai" / "library"
    (tmp_path / "manifests" / "README.txt").write_text("hi")
    (library / "real" / ".DS_Store").write_bytes(b"\x00\x01")
    (library / "real" / ".partial-abc123").write_text("{")
    (library / "broken").mkdir()
    (library / "broken" / "latest").write_text("this is not json")
    (library / "array").mkdir()
    (library / "array" / "latest").write_text("[]")
    (library / "bad name").mkdir()
    (library / "bad name" / "latest").write_text("{}")
    (library / "folder" / "latest").mkdir(parents=True)
    (tmp_path / "manifests" / "a" / "b" / "c" / "d").mkdir(parents=True)
    (tmp_path / "manifests" / "a" / "b" / "c" / "d" / "e").write_text("{}")  # too deep
    assert [e.name.display for e in store.list()] == ["real:latest"]
    assert store.find("broken") is None and store.find("array") is None  # damaged: not a model, not a crash
    store.prune()  # junk manifests must not break pruning
    assert store.find("real").model_path.is_file()


def test_list_is_newest_first(tmp_path):
    store = Store(tmp_path)
    old = store.register_gguf("old", bundled_gguf_path())
    new = store.register_gguf("new", bundled_gguf_path())
    os.utime(old.manifest_path, (1_000_000_000, 1_000_000_000))
    assert [e.name.display for e in store.list()] == ["new:latest", "old:latest"]
    assert store.find("old").modified == 1_000_000_000 and new.modified > 1_000_000_000
    assert "T" in store.find("old").modified_at


# -- the bundled model ------------------------------------------------------------------------------------------------
def test_ensure_bundled_model_is_idempotent(tmp_path, gguf_digest):
    store = Store(tmp_path)
    first = ensure_bundled_model(store)
    assert first is not None and first.name.display == BUNDLED_MODEL
    assert "Apache" in (first.license or "")
    files = all_files(tmp_path)
    mtime = first.manifest_path.stat().st_mtime_ns
    second = ensure_bundled_model(store)
    assert second.digest == first.digest
    assert all_files(tmp_path) == files and first.manifest_path.stat().st_mtime_ns == mtime
    assert [e.name.display for e in store.list()] == [BUNDLED_MODEL]


def test_ensure_bundled_model_repairs_a_missing_blob(tmp_path, gguf_digest):
    store = Store(tmp_path)
    entry = ensure_bundled_model(store)
    entry.model_path.unlink()
    again = ensure_bundled_model(store)
    assert again.model_path.is_file() and again.model_path.name == f"sha256-{gguf_digest}"
