"""Where the job's requests go: Ollama-compatible or OpenAI-compatible servers, each with its slots.

An endpoint is a URL, an API kind and a model. `slots` is how many requests it serves at once:
given, else read from the server's `GET /props` `total_slots` (llama-server, and the course's
embedded server), else 1. Sending more than that only queues requests on the server; sending
fewer leaves its batching unused.

    Endpoint.ollama("http://127.0.0.1:11434", "smollm2:135m")
    Endpoint.openai("https://api.runpod.ai/v2/ENDPOINT_ID/openai/v1", "Qwen/Qwen2.5-7B-Instruct", api_key=...)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from .texts import ERR_DOWN, ERR_KIND, ERR_STATUS

__all__ = ["Endpoint", "Reply", "EndpointDown", "discover_slots"]


class EndpointDown(Exception):
    """The endpoint did not answer usefully (connection, timeout, 429, 5xx): try another one."""


@dataclass(frozen=True)
class Reply:
    text: str
    prompt_tokens: int
    completion_tokens: int
    logprobs: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Endpoint:
    url: str  # Ollama: the server root; OpenAI: the base URL ending in /v1
    model: str
    kind: str = "ollama"
    slots: int | None = None
    name: str = ""
    api_key: str | None = field(default=None, repr=False)  # never printed
    timeout: float = 300.0
    logprobs: bool = False  # ask for token logprobs (Ollama >= 0.12, vLLM); confidence comes from them

    def __post_init__(self) -> None:
        if self.kind not in ("ollama", "openai"):
            raise ValueError(ERR_KIND.format(kind=self.kind))
        if not self.name:
            object.__setattr__(self, "name", self.url)

    @classmethod
    def ollama(cls, url: str, model: str, **kw: Any) -> Endpoint:
        return cls(url.rstrip("/"), model, "ollama", **kw)

    @classmethod
    def openai(cls, url: str, model: str, **kw: Any) -> Endpoint:
        return cls(url.rstrip("/"), model, "openai", **kw)

    def with_slots(self) -> Endpoint:
        """This endpoint with `slots` filled in (asks the server once when not given)."""
        return self if self.slots else replace(self, slots=discover_slots(self))

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def request(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        max_tokens: int,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> tuple[str, dict[str, Any]]:
        """(path, JSON body) of one chat request with a schema-constrained answer."""
        if self.kind == "ollama":
            body: dict[str, Any] = {
                "model": self.model,
                "messages": messages,
                "format": schema,
                "stream": False,
                "options": {"temperature": temperature, "num_predict": max_tokens, "seed": seed},
            }
            if self.logprobs:
                body["logprobs"] = True
            return "/api/chat", body
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
            "max_tokens": max_tokens,
            "seed": seed,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "labels", "schema": schema, "strict": True},
            },
        }
        if self.logprobs:
            body["logprobs"] = True
        return "/chat/completions", body

    async def chat(
        self,
        client: httpx.AsyncClient,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        max_tokens: int,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> Reply:
        path, body = self.request(messages, schema, max_tokens, temperature, seed)
        try:
            response = await client.post(self.url + path, json=body, headers=self.headers(), timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise EndpointDown(ERR_DOWN.format(name=self.name, why=type(exc).__name__)) from None
        if response.status_code != 200:
            # 4xx other than 429 means this endpoint cannot serve the request (unknown model, bad key):
            # another endpoint may, so it counts as "down" for this job too.
            raise EndpointDown(
                ERR_DOWN.format(
                    name=self.name, why=ERR_STATUS.format(status=response.status_code, body=response.text[:200])
                )
            )
        return parse_reply(self.kind, response.json())


def parse_reply(kind: str, data: dict[str, Any]) -> Reply:
    if kind == "ollama":
        return Reply(
            (data.get("message") or {}).get("content", ""),
            int(data.get("prompt_eval_count") or 0),
            int(data.get("eval_count") or 0),
            data.get("logprobs"),
        )
    choice = (data.get("choices") or [{}])[0]
    usage = data.get("usage") or {}
    logprobs = (choice.get("logprobs") or {}).get("content")
    return Reply(
        (choice.get("message") or {}).get("content") or "",
        int(usage.get("prompt_tokens") or 0),
        int(usage.get("completion_tokens") or 0),
        logprobs,
    )


def discover_slots(endpoint: Endpoint) -> int:
    """Parallel requests the server serves: its /props `total_slots`, else 1.

    llama-server answers `GET /props` with `total_slots` (its --parallel); in router mode, and on
    the course's embedded server, `?model=` asks about one model. Real Ollama has no /props (404)
    and does not say how many slots it runs; its default OLLAMA_NUM_PARALLEL is 1 (since v0.10),
    so 1 it is: pass `slots=` for an Ollama started with more. The client's own environment says
    nothing about a server's, so it is not read.
    """
    root = endpoint.url[:-3] if endpoint.url.endswith("/v1") else endpoint.url
    try:
        response = httpx.get(root + "/props", params={"model": endpoint.model}, headers=endpoint.headers(), timeout=5)
        if response.status_code == 200:
            slots = int((response.json() or {}).get("total_slots") or 0)
            if slots > 0:
                return slots
    except (httpx.HTTPError, ValueError, TypeError, AttributeError):
        pass
    return 1
