"""Finding a catalog model by key or by any Ollama name for it (case-insensitive, Ollama's defaults)."""

from __future__ import annotations

from ..names import InvalidName, ModelName
from .data import CATALOG
from .entries import CatalogModel, Variant

ERR_INVALID_NAME = "invalid model name: {name!r}"


def parse_name(name: str) -> tuple[str, str, str, str]:
    """Split an Ollama name into (host, namespace, model, tag) with Ollama's defaults, lowercased.

    The rules live in `lessons_lib.names` (one home for Ollama's name grammar); lookups in
    Ollama are case-insensitive, hence the lower case.
    """
    try:
        parsed = ModelName.parse(name)
    except InvalidName:
        raise ValueError(ERR_INVALID_NAME.format(name=name)) from None
    host, namespace, model, tag = (part.lower() for part in parsed.parts())
    return host, namespace, model, tag


def _try_parse(name: str) -> tuple[str, str, str, str] | None:
    try:
        return parse_name(name)
    except ValueError:
        return None


def resolve(name: str) -> tuple[CatalogModel, Variant] | None:
    """The catalog model and variant a catalog key or an Ollama name refers to, or None."""
    wanted = name.strip().lower()
    for model in CATALOG:
        if model.key == wanted:
            return model, model.default
    parsed = _try_parse(name)
    if parsed is None:
        return None
    for model in CATALOG:
        for v in model.variants:
            if _try_parse(v.ollama_name) == parsed:
                return model, v
        if any(_try_parse(a) == parsed for a in model.aliases):
            return model, model.default
    # No guessing from the repository alone: "gemma2" is gemma2:9b, not our gemma2:2b.
    return None


def find(name: str) -> CatalogModel | None:
    """A catalog model by key or by Ollama name (case-insensitive, ":latest" default, prefixes optional)."""
    hit = resolve(name)
    return hit[0] if hit else None


def same_name(a: str, b: str) -> bool:
    pa, pb = _try_parse(a), _try_parse(b)
    if pa is not None and pa == pb:
        return True
    ra, rb = resolve(a), resolve(b)
    # Two names for one download (llama3.1 and llama3.1:8b) count as the same model.
    return ra is not None and rb is not None and ra[0].key == rb[0].key and ra[1] == rb[1]
