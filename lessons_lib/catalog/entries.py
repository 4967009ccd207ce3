"""What the catalog records about a teaching model: its shape, languages, licence and variants."""

from __future__ import annotations

from dataclasses import dataclass

from ..memory import ModelShape

ERR_UNKNOWN_QUANT = "{model} has no {quant!r} variant; known quantizations: {known}"


@dataclass(frozen=True)
class Variant:
    quant: str
    ollama_name: str
    size_bytes: int
    source: str


@dataclass(frozen=True)
class CatalogModel:
    key: str
    display_name: str
    family: str
    params_b: float
    languages: tuple[str, ...]
    shape: ModelShape
    context_max: int
    variants: tuple[Variant, ...]  # the first one is what the plain name pulls
    license: str
    thinking: bool = False
    instruct: bool = True  # False for a base (pretrained) model: it continues text, it does not answer
    notes: str = ""
    aliases: tuple[str, ...] = ()  # other Ollama names for the default variant, e.g. "llama3.1:latest"

    @property
    def default(self) -> Variant:
        """The variant Ollama pulls for the plain name."""
        return self.variants[0]

    def variant(self, quant: str | None = None) -> Variant:
        """The variant with this quantization (any case); the default one when quant is None."""
        if quant is None:
            return self.default
        for v in self.variants:
            if v.quant.lower() == quant.lower():
                return v
        known = ", ".join(dict.fromkeys(v.quant for v in self.variants))
        raise KeyError(ERR_UNKNOWN_QUANT.format(model=self.key, quant=quant, known=known))
