"""The RunPod API key: from RUNPOD_API_KEY or a hidden prompt, handed to the SDK, never shown.

The SDK keeps the key in the module global `runpod.api_key` and sends it as a Bearer header, so
it never appears in query text or URLs. What could leak it is us: a repr, an error message, a
log line. `ApiKey` hides itself in repr/str and `redact()` scrubs any text before it is shown.
"""

from __future__ import annotations

import getpass
import os

from ..edition import text

__all__ = ["ApiKey", "get_api_key", "use_key", "redact", "ENV_KEY"]

ENV_KEY = "RUNPOD_API_KEY"
ERR_NO_KEY = (
    "No RunPod API key: set RUNPOD_API_KEY in the environment before starting Jupyter, or type it at "
    "the hidden prompt. The sandbox needs no key."
)
MASK = "rp_****"


class ApiKey:
    """A key that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        value = (value or "").strip()
        if not value:
            raise ValueError(ERR_NO_KEY)
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"ApiKey({MASK})"

    __str__ = __repr__

    def __reduce__(self):  # pickling would write it somewhere
        raise TypeError("ApiKey cannot be pickled")


def get_api_key(prompt: bool = True) -> ApiKey:
    """RUNPOD_API_KEY if set, else a hidden prompt (getpass does not echo or keep what is typed)."""
    value = os.environ.get(ENV_KEY, "").strip()
    if not value and prompt:
        value = getpass.getpass(text("cloud.key_prompt"))
    return ApiKey(value)


def use_key(key: ApiKey) -> str | None:
    """Give the SDK this key; returns the previous one so a sandbox can put it back."""
    import runpod

    previous = runpod.api_key
    runpod.api_key = key.reveal()
    return previous


def redact(text: str, *secrets: str | ApiKey | None) -> str:
    """The text with every given secret (and the SDK's current key) replaced by a mask."""
    import runpod

    values = {s.reveal() if isinstance(s, ApiKey) else s for s in (*secrets, runpod.api_key)}
    for value in sorted((v for v in values if v and len(v) >= 4), key=len, reverse=True):
        text = text.replace(value, MASK)
    return text
