"""How Ollama names things: models (`[host/][namespace/]model[:tag]`) and blobs (`sha256:<hex>`).

The grammar follows Ollama's `types/model/name.go`
(https://github.com/ollama/ollama/blob/main/types/model/name.go): defaults for the missing parts,
part-by-part validation (so no name can point outside a model store), and case-insensitive
comparison. Client helpers (catalog, models) and the embedded server share this one module.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"

_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_HOST = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*(:[0-9]+)?$")
DIGEST_PATTERN = re.compile(r"^sha256[:-]([0-9a-fA-F]{64})$")


class InvalidName(ValueError):
    """A model name that Ollama would refuse (400 `invalid model name`)."""


class InvalidDigest(ValueError):
    """A blob digest not of the form sha256:<64 hex>."""


@dataclass(frozen=True)
class ModelName:
    host: str
    namespace: str
    model: str
    tag: str

    @classmethod
    def parse(cls, text: str) -> ModelName:
        """Parse `[host/][namespace/]model[:tag]` with Ollama's defaults and rules."""
        raw = (text or "").strip()
        if "://" in raw:
            raw = raw.split("://", 1)[1]
        if not raw:
            raise InvalidName("invalid model name")
        tag = DEFAULT_TAG
        colon, slash = raw.rfind(":"), raw.rfind("/")
        if colon > slash:
            raw, tag = raw[:colon], raw[colon + 1 :]
        parts = raw.split("/")
        model = parts.pop()
        namespace = parts.pop() if parts else DEFAULT_NAMESPACE
        host = "/".join(parts) if parts else DEFAULT_HOST
        name = cls(host=host, namespace=namespace, model=model, tag=tag)
        if not name.is_valid():
            raise InvalidName("invalid model name")
        return name

    def is_valid(self) -> bool:
        return (
            0 < len(self.host) <= 350
            and bool(_HOST.fullmatch(self.host))
            and all(0 < len(p) <= 80 and _PART.fullmatch(p) for p in (self.namespace, self.model, self.tag))
            and "." not in self.namespace
            and ".." not in f"{self.host}/{self.model}/{self.tag}"
        )

    @property
    def display(self) -> str:
        """Ollama's DisplayShortest: `llama3.2:latest`, `SpeakLeash/bielik-...:Q4_K_M`."""
        if self.host != DEFAULT_HOST:
            return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"
        if self.namespace != DEFAULT_NAMESPACE:
            return f"{self.namespace}/{self.model}:{self.tag}"
        return f"{self.model}:{self.tag}"

    @property
    def full(self) -> str:
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"

    def parts(self) -> tuple[str, str, str, str]:
        return (self.host, self.namespace, self.model, self.tag)

    def same_as(self, other: ModelName) -> bool:
        return all(a.lower() == b.lower() for a, b in zip(self.parts(), other.parts()))


def normalize_digest(digest: str) -> str:
    """`sha256:<hex>` or `sha256-<hex>` -> `sha256:<hex>` (lower case); InvalidDigest otherwise."""
    match = DIGEST_PATTERN.fullmatch(digest or "")  # `$` alone lets "\n" through
    if not match:
        raise InvalidDigest("invalid digest format")
    return "sha256:" + match.group(1).lower()


def sha256_bytes(data: bytes) -> str:
    """The digest of `data` as Ollama writes it: `sha256:<hex>`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return "sha256:" + h.hexdigest()
