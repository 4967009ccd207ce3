"""The native API's model listing and bookkeeping: /api/tags, /api/show, /api/ps, /api/copy, /api/delete.

A part of OllamaService (service.py), kept apart from generation: the answers Ollama's ListHandler,
ShowHandler, PsHandler, CopyHandler and DeleteHandler give (server/routes.go).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..names import InvalidName, ModelName
from .engine import Engine
from .modelfile import modelfile, parameters_text
from .prompts import capabilities
from .protocol import ApiError
from .store import ModelEntry, Store
from .wire import string_field


class ModelsApi:
    """Listing, showing, copying and deleting models, and what is loaded (needs `store`, `engine`, `find`)."""

    store: Store
    engine: Engine
    find: Callable[..., ModelEntry]

    def tags(self) -> dict[str, Any]:
        models = []
        for entry in self.store.list():
            if entry.model_path is None:
                continue
            models.append(
                {
                    "name": entry.name.display,
                    "model": entry.name.display,
                    "modified_at": entry.modified_at,
                    "size": entry.size,
                    "digest": entry.digest,
                    "details": entry.details(),
                }
            )
        return {"models": models}

    def show(self, body: dict[str, Any]) -> dict[str, Any]:
        name = string_field(body, "model") or string_field(body, "name")
        if not name:
            raise ApiError(400, "model is required")
        try:
            display = ModelName.parse(name).display
        except InvalidName as exc:
            raise ApiError(400, str(exc)) from exc
        entry = self.find(name, missing=lambda n: ApiError(404, f"model '{display}' not found"))
        info = entry.gguf()
        verbose = bool(body.get("verbose"))
        params = entry.parameters
        result: dict[str, Any] = {
            "modelfile": modelfile(entry, info),
            "parameters": parameters_text(params),
            "template": entry.template or (info.chat_template if info else "") or "",
            "details": entry.details(),
            "model_info": info.model_info(verbose) if info else {},
            "tensors": [{"name": t.name, "type": t.type, "shape": list(t.shape)} for t in info.tensors] if info else [],
            "capabilities": capabilities(info) if info else [],
            "modified_at": entry.modified_at,
        }
        if entry.system:
            result["system"] = entry.system
        if entry.license:
            result["license"] = entry.license
        if entry.messages:
            result["messages"] = entry.messages
        return result

    def ps(self) -> dict[str, Any]:
        models = []
        by_digest = {e.digest: e for e in self.store.list()}
        for lm in self.engine.loaded():
            entry = by_digest.get(lm.entry_digest)
            if entry is None:
                continue
            expires = lm.expires_at if lm.expires_at is not None else time.time() + 100 * 365 * 86400
            models.append(
                {
                    "name": entry.name.display,
                    "model": entry.name.display,
                    "size": lm.size,
                    "digest": entry.digest,
                    "details": entry.details(),
                    "expires_at": datetime.fromtimestamp(expires).astimezone().isoformat(),
                    "size_vram": lm.size if lm.on_gpu else 0,
                    "context_length": lm.params.n_ctx,
                }
            )
        return {"models": models}

    def copy(self, body: dict[str, Any]) -> None:
        source, destination = string_field(body, "source"), string_field(body, "destination")
        for label, value in (("source", source), ("destination", destination)):
            try:
                ModelName.parse(value)
            except InvalidName:
                raise ApiError(400, f'{label} "{value}" is invalid') from None
        entry = self.find(source, missing=lambda n: ApiError(404, f'model "{n}" not found'))
        self.store.copy(entry, ModelName.parse(destination))

    def delete(self, body: dict[str, Any]) -> None:
        name = string_field(body, "model") or string_field(body, "name")
        try:
            ModelName.parse(name)
        except InvalidName:
            raise ApiError(400, f'name "{name}" is invalid') from None
        entry = self.find(name)
        # Ollama's delete never unloads: a copy shares the loaded model, and what runs keeps running.
        self.store.delete(entry)
