"""`/api/create`: a new model from an existing one (`from`) or from uploaded GGUF blobs (`files`).

Layers are blobs, the manifest is written last (atomically), so a create that fails part way
leaves no model in the list; blobs it made that nothing uses are removed again. Quantizing goes
through `lessons_lib.llama.quantize` (llama.cpp's quantizer), like Ollama only from F16/F32/BF16.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..llama import gguf_file
from ..names import InvalidDigest, InvalidName, ModelName, normalize_digest, sha256_file
from .progress import Emit, line
from .protocol import ApiError, go_json_type
from .store import (
    LAYER_LICENSE,
    LAYER_MESSAGES,
    LAYER_MODEL,
    LAYER_PARAMS,
    LAYER_SYSTEM,
    LAYER_TEMPLATE,
    Store,
    config_for,
)

# Learner-facing messages (Ollama's wording where Ollama has one), kept together for translation.
ERR_NAME = "invalid model name"
ERR_NO_SOURCE = "neither 'from' or 'files' was specified"
ERR_DIGEST = "invalid digest format"
ERR_FILE_PATH = "file path must be relative: {name!r}"
ERR_NOT_FOUND = "model '{name}' not found"
ERR_NO_BLOB = "blob {digest} not found: upload the file first (POST /api/blobs/{digest}, or client.create_blob(path))"
ERR_NOT_GGUF = "supplied file was not in GGUF format: {name}"
ERR_ONE_GGUF = "the embedded server imports one GGUF file per model; got {count}: {names}"
ERR_ONLY_GGUF = (
    "the embedded server imports GGUF files only (got {names}); convert safetensors to GGUF with "
    "llama.cpp's convert_hf_to_gguf.py first"
)
ERR_ADAPTERS = "LoRA adapters are not supported by the embedded server"
ERR_QUANT_SOURCE = "quantization is only supported for F16 and F32 models (and BF16); {name} is {type}"
ERR_FIELD = "json: cannot unmarshal {what} into Go struct field CreateRequest.{field}"
ERR_QUANTIZE = "quantizing failed: {reason}"
QUANT_SOURCES = ("F16", "F32", "BF16")
QUANT_DIGEST = "0000000000000000000"  # what Ollama puts in its quantizing lines


@dataclass
class CreateRequest:
    name: ModelName
    source: str = ""  # `from`
    files: dict[str, str] = field(default_factory=dict)
    quantize: str = ""
    system: str | None = None
    template: str | None = None
    license: str | None = None
    parameters: dict[str, Any] | None = None
    messages: list[dict[str, Any]] | None = None


def parse_request(body: dict[str, Any]) -> CreateRequest:
    """Validate what can be refused before anything is streamed (these answer 400)."""
    raw_name = body.get("model") or body.get("name") or ""
    try:
        name = ModelName.parse(raw_name if isinstance(raw_name, str) else "")
    except InvalidName:
        raise ApiError(400, ERR_NAME) from None
    source = body.get("from") or ""
    files = body.get("files") or {}
    if not isinstance(source, str):
        raise ApiError(400, ERR_FIELD.format(what=type(source).__name__, field="from of type string"))
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise ApiError(400, ERR_FIELD.format(what="files", field="files of type map[string]string"))
    if body.get("adapters"):
        raise ApiError(400, ERR_ADAPTERS)
    if not source and not files:
        raise ApiError(400, ERR_NO_SOURCE)
    for file_name, digest in files.items():
        path = Path(file_name)
        if path.is_absolute() or ".." in path.parts or not file_name:
            raise ApiError(400, ERR_FILE_PATH.format(name=file_name))
        try:
            files[file_name] = normalize_digest(digest)
        except InvalidDigest:
            raise ApiError(400, ERR_DIGEST) from None
    parameters = body.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise ApiError(400, ERR_FIELD.format(what="parameters", field="parameters of type map[string]any"))
    messages = body.get("messages")
    if messages is not None and (not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages)):
        raise ApiError(400, ERR_FIELD.format(what="messages", field="messages of type []api.Message"))
    license_value = body.get("license")
    if isinstance(license_value, list):
        license_value = "\n\n".join(str(item) for item in license_value)
    texts = {key: body.get(key) for key in ("system", "template", "quantize")}
    for key, value in texts.items():
        if value is not None and not isinstance(value, str):
            raise ApiError(400, ERR_FIELD.format(what=go_json_type(value), field=f"{key} of type string"))
    return CreateRequest(
        name=name,
        source=source,
        files=files,
        quantize=texts["quantize"] or "",
        system=texts["system"],
        template=texts["template"],
        license=license_value or None,
        parameters=parameters,
        messages=messages,
    )


def _clean_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """Modelfile parameters as Ollama stores them: `stop` always a list, nulls dropped."""
    cleaned = {}
    for key, value in parameters.items():
        if value is None:
            continue
        cleaned[key] = [value] if key == "stop" and isinstance(value, str) else value
    return cleaned


class _Build:
    """One create in progress: remembers the blobs it added so a failure can take them back."""

    def __init__(self, store: Store, emit: Emit):
        self.store = store
        self.emit = emit
        self.added: list[str] = []

    def note(self, digest: str, existed: bool) -> None:
        if not existed:
            self.added.append(digest)

    def text_layer(self, text: str, media_type: str) -> dict[str, Any]:
        return self.store.text_layer(text, media_type, added=self.added)

    def quantize(self, model_layer: dict[str, Any], kind: str, label: str) -> dict[str, Any]:
        # Imported here: it loads llama.cpp, which a server that never quantizes need not wait for.
        from ..llama.quantize import QuantizeError, UnknownQuantization, normalize_kind, quantize

        try:
            target = normalize_kind(kind)
        except UnknownQuantization as exc:
            raise ApiError(400, str(exc)) from None
        source = self.store.blob_path(model_layer["digest"])
        header = gguf_file.read(source)
        source_type = header.file_type
        if source_type not in QUANT_SOURCES:
            raise ApiError(400, ERR_QUANT_SOURCE.format(name=label, type=source_type))
        status = f"quantizing {source_type} model to {target}"
        temp = self.store.blobs / f".partial-quantize-{uuid.uuid4().hex}.gguf"
        # llama.cpp reports per tensor; like Ollama, total/completed count the source's bytes
        sizes = {t.name: t.n_bytes for t in header.tensors}
        total_bytes, done_bytes = sum(sizes.values()), 0

        def report(done: int, _total: int, name: str) -> None:
            nonlocal done_bytes
            if done:  # `name` has just been written
                done_bytes = min(total_bytes, done_bytes + sizes.get(name, 0))
            self.emit(line(status, QUANT_DIGEST, total_bytes, done_bytes))

        try:
            quantize(source, temp, target, progress=report)
            digest = sha256_file(temp)
            existed_before = self.store.has_blob(digest)
            self.store.add_file_as_blob(temp, digest)
            self.note(digest, existed_before)
        except (QuantizeError, ValueError) as exc:
            raise ApiError(500, ERR_QUANTIZE.format(reason=exc)) from None
        finally:
            temp.unlink(missing_ok=True)
        return self.store.layer_for(digest, LAYER_MODEL)


def create_model(store: Store, request: CreateRequest, emit: Emit) -> None:
    """Do the create, reporting Ollama's progress lines through `emit`."""
    build = _Build(store, emit)
    try:
        _create(store, request, build)
    except BaseException:
        store.remove_unreferenced(build.added)
        raise


def _create(store: Store, request: CreateRequest, build: _Build) -> None:
    emit = build.emit
    kept: list[dict[str, Any]] = []  # layers carried over from `from`
    parameters: dict[str, Any] = {}
    parent = ""
    if request.source:
        try:
            base = store.find(request.source)
        except InvalidName:
            raise ApiError(400, ERR_NAME) from None
        if base is None or base.model_path is None:
            raise ApiError(404, ERR_NOT_FOUND.format(name=request.source))
        parent = base.name.display
        parameters = dict(base.parameters)
        kept = base.layers
        model_layer = base.layer(LAYER_MODEL)
        assert model_layer is not None
    else:
        model_layer = _layer_from_files(store, request.files, emit)
    label = request.source or next(iter(request.files))

    if request.quantize:
        model_layer = build.quantize(model_layer, request.quantize, label)

    overrides: dict[str, dict[str, Any]] = {}
    if request.template is not None:
        overrides[LAYER_TEMPLATE] = build.text_layer(request.template, LAYER_TEMPLATE)
    if request.system is not None:
        overrides[LAYER_SYSTEM] = build.text_layer(request.system, LAYER_SYSTEM)
    if request.license is not None:
        overrides[LAYER_LICENSE] = build.text_layer(request.license, LAYER_LICENSE)
    if request.parameters:
        parameters.update(_clean_parameters(request.parameters))
        overrides[LAYER_PARAMS] = build.text_layer(json.dumps(parameters), LAYER_PARAMS)
    if request.messages is not None:
        overrides[LAYER_MESSAGES] = build.text_layer(json.dumps(request.messages), LAYER_MESSAGES)

    layers = [model_layer]
    for layer in kept:
        media = layer.get("mediaType")
        if media != LAYER_MODEL and media not in overrides:
            layers.append(layer)
    layers.extend(overrides.values())

    for layer in layers:
        verb = "creating new layer" if layer["digest"] in build.added else "using existing layer"
        emit(line(f"{verb} {layer['digest']}"))
    info = gguf_file.read(store.blob_path(model_layer["digest"]))
    emit(line("writing manifest"))
    store.write_manifest(request.name, layers, config_for(info, [layer["digest"] for layer in layers], parent))
    emit(line("success"))


def _layer_from_files(store: Store, files: dict[str, str], emit: Emit) -> dict[str, Any]:
    ggufs = [name for name in files if name.lower().endswith(".gguf")]
    others = [name for name in files if name not in ggufs]
    if others:
        raise ApiError(400, ERR_ONLY_GGUF.format(names=", ".join(others)))
    if len(ggufs) != 1:
        raise ApiError(400, ERR_ONE_GGUF.format(count=len(ggufs), names=", ".join(ggufs)))
    digest = files[ggufs[0]]
    if not store.has_blob(digest):
        raise ApiError(400, ERR_NO_BLOB.format(digest=digest))
    emit(line("parsing GGUF"))
    try:
        gguf_file.read(store.blob_path(digest))
    except (ValueError, OSError):
        raise ApiError(400, ERR_NOT_GGUF.format(name=ggufs[0])) from None
    return store.layer_for(digest, LAYER_MODEL)
