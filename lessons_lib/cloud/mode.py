"""Sandbox or real RunPod: one call at the top of the lesson decides, and says which, in one line."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..edition import text
from .keys import ENV_KEY, ApiKey, get_api_key, use_key
from .rest import BASE_URL_ENV, REAL_API

__all__ = ["CloudMode", "open_cloud"]


@dataclass
class CloudMode:
    name: str  # "sandbox" | "real"
    message: str
    sandbox: Any = field(default=None, repr=False)
    _previous_key: str | None = field(default=None, repr=False)

    @property
    def is_sandbox(self) -> bool:
        return self.name == "sandbox"

    def close(self) -> None:
        """Stop the sandbox (terminating its pods), or forget the real key in this kernel."""
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        elif self.name == "real":
            import runpod

            runpod.api_key = self._previous_key

    def __str__(self) -> str:
        return self.message


def open_cloud(
    real: bool = False,
    *,
    time_scale: float = 60.0,
    boot_seconds: float = 20.0,
    models: str | None = None,
    key: ApiKey | None = None,
) -> CloudMode:
    """`real=False` (the default): start the sandbox. `real=True`: use RunPod with your key."""
    if not real:
        from .sandbox import Sandbox

        sandbox = Sandbox(models, time_scale=time_scale, boot_seconds=boot_seconds).start()
        mode = CloudMode("sandbox", text("cloud.sandbox", url=sandbox.url, scale=time_scale), sandbox)
    else:
        where = ENV_KEY if os.environ.get(ENV_KEY) else text("cloud.where_prompt")
        key = key or get_api_key()
        previous = use_key(key)
        url = os.environ.get(BASE_URL_ENV, REAL_API)
        mode = CloudMode("real", text("cloud.real", url=url, where=where), None, previous)
    print(mode.message)
    return mode
