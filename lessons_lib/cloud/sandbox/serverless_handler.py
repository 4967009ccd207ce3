"""What a sandbox Serverless worker does with a job's input, in worker-vllm's shapes.

worker-vllm (runpod-workers/worker-vllm, README "Usage") takes either
- `{"messages": [...]}` or `{"prompt": "..."}` with optional `sampling_params` (max_tokens,
  temperature, seed, ...), answering `[{"choices": [{"tokens": ["..."]}], "usage": {"input": n, "output": m}}]`;
- or `{"openai_route": "/v1/chat/completions", "openai_input": {...}}`, answering the OpenAI response.
Here the worker is an embedded server, so the request goes to its Ollama or /v1 API.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["handle"]


def _options(params: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for theirs, ours in (
        ("max_tokens", "num_predict"),
        ("temperature", "temperature"),
        ("seed", "seed"),
        ("top_p", "top_p"),
        ("top_k", "top_k"),
        ("stop", "stop"),
    ):
        if params.get(theirs) is not None:
            options[ours] = params[theirs]
    return options


def handle(http: httpx.Client, server_url: str, model: str, job_input: Any) -> Any:
    if not isinstance(job_input, dict):
        raise ValueError("input must be an object")
    route = job_input.get("openai_route")
    if route:
        body = {"model": model, **dict(job_input.get("openai_input") or {}), "stream": False}
        response = http.post(server_url + "/" + str(route).lstrip("/"), json=body)
        response.raise_for_status()
        return response.json()
    params = dict(job_input.get("sampling_params") or {})
    if job_input.get("messages"):
        body = {"model": model, "messages": job_input["messages"], "stream": False, "options": _options(params)}
        response = http.post(server_url + "/api/chat", json=body)
        response.raise_for_status()
        data = response.json()
        text = (data.get("message") or {}).get("content", "")
    elif job_input.get("prompt") is not None:
        body = {"model": model, "prompt": str(job_input["prompt"]), "stream": False, "options": _options(params)}
        response = http.post(server_url + "/api/generate", json=body)
        response.raise_for_status()
        data = response.json()
        text = data.get("response", "")
    else:
        raise ValueError("no messages, prompt or openai_route")
    return [
        {
            "choices": [{"tokens": [text]}],
            "usage": {"input": data.get("prompt_eval_count", 0), "output": data.get("eval_count", 0)},
        }
    ]
