"""The Ollama inside a pod, reached through RunPod's HTTP proxy: its URL, a client, pull, a speed check.

RunPod's proxy (https://docs.runpod.io/pods/configuration/expose-ports) answers at
`https://{pod_id}-{port}.proxy.runpod.net` and cuts requests after 100 seconds, so long work
(a pull) is streamed. The sandbox serves the same proxy locally (RUNPOD_PROXY_URL_TEMPLATE).
"""

from __future__ import annotations

import os
from typing import Any

from ..edition import text
from ..metrics import speed
from ..models import pull

OLLAMA_PORT = 11434
PROXY_TEMPLATE_ENV = "RUNPOD_PROXY_URL_TEMPLATE"
DEFAULT_PROXY_TEMPLATE = "https://{pod_id}-{port}.proxy.runpod.net"

# --- learner-facing strings ---------------------------------------------------------------------


def proxy_url(pod_id: str, port: int = OLLAMA_PORT) -> str:
    """RunPod's HTTP proxy address for a pod's port (or the sandbox's, via RUNPOD_PROXY_URL_TEMPLATE)."""
    template = os.environ.get(PROXY_TEMPLATE_ENV) or DEFAULT_PROXY_TEMPLATE
    return template.format(pod_id=pod_id, port=port)


def ollama_answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url + "/api/version", timeout=10).status_code == 200
    except httpx.HTTPError:
        return False


def client_for(pod_id: str, timeout: float = 95.0):
    """An ollama.Client for the pod. The timeout stays under Cloudflare's 100 s proxy limit."""
    import ollama

    return ollama.Client(host=proxy_url(pod_id), timeout=timeout)


def pull_model(client: Any, model: str, progress: bool = True, insecure: bool = False) -> str:
    """`ollama pull` on the pod, streamed (one long silent request would hit the proxy's 100 s limit);
    returns the last status line. `insecure=True` is for a workshop's plain-HTTP registry mirror, as
    `ollama pull --insecure`. The pull itself is `models.pull`, as on the learner's machine."""
    if any(m.model == model for m in client.list().models):
        return text("cloud.present", model=model)
    lines = pull(client, model, insecure=insecure, quiet=not progress)
    return next((item["status"] for item in reversed(lines) if item.get("status")), "")


def measure_speed(
    client: Any,
    model: str,
    prompt: str = "Explain in two sentences what a GPU is.",
    options: dict[str, Any] | None = None,
):
    """One non-streamed chat; its own counters give the tokens/s (metrics.speed)."""
    response = client.chat(model, [{"role": "user", "content": prompt}], options=options or {"num_predict": 64})
    return speed(response), response
