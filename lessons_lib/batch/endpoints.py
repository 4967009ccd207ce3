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

from .confidence import TOP_LOGPROBS
from .texts import ERR_DOWN, ERR_KIND, ERR_NO_MODEL, ERR_REFUSED, ERR_STATUS, ERR_UNREACHABLE

__all__ = ["Endpoint", "Reply", "EndpointDown", "discover_slots", "check_endpoint"]


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
    logprobs: bool = True  # ask for token logprobs (Ollama >= 0.12, llama-server, vLLM, OpenAI): the confidence

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
                body.update(logprobs=True, top_logprobs=TOP_LOGPROBS)
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
            body.update(logprobs=True, top_logprobs=TOP_LOGPROBS)
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

    async def embed(self, client: httpx.AsyncClient, texts: list[str]) -> tuple[list[list[float]], int]:
        """(vectors, prompt tokens): Ollama's `POST /api/embed`, or OpenAI's `POST /embeddings`."""
        path = "/api/embed" if self.kind == "ollama" else "/embeddings"
        try:
            response = await client.post(
                self.url + path,
                json={"model": self.model, "input": texts},
                headers=self.headers(),
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise EndpointDown(ERR_DOWN.format(name=self.name, why=type(exc).__name__)) from None
        if response.status_code != 200:
            why = ERR_STATUS.format(status=response.status_code, body=response.text[:200])
            raise EndpointDown(ERR_DOWN.format(name=self.name, why=why))
        data = response.json()
        if self.kind == "ollama":
            return data.get("embeddings") or [], int(data.get("prompt_eval_count") or 0)
        rows = sorted(data.get("data") or [], key=lambda d: d.get("index", 0))
        return [d["embedding"] for d in rows], int((data.get("usage") or {}).get("prompt_tokens") or 0)


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


def check_endpoint(endpoint: Endpoint, timeout: float = 10.0) -> str | None:
    """None when the endpoint may serve the job, else one line saying what is wrong and what to do.

    Ollama: `POST /api/show` for the model (404 when it is not pulled); OpenAI-compatible servers:
    `GET /models` (vLLM, llama-server, OpenAI, RunPod's /openai/v1 list their models there). Only
    what no retry can mend leaves the endpoint out: nothing listening (or no connection within
    `timeout`), a refused key (401, 403), a model it does not have. A busy or waking server (429,
    5xx, a slow answer) is alive: the router's retries wait for it.
    """
    try:
        if endpoint.kind == "ollama":
            response = httpx.post(
                endpoint.url + "/api/show", json={"model": endpoint.model}, headers=endpoint.headers(), timeout=timeout
            )
            if response.status_code == 404:
                return ERR_NO_MODEL.format(name=endpoint.name, model=endpoint.model)
        else:
            response = httpx.get(endpoint.url + "/models", headers=endpoint.headers(), timeout=timeout)
            if response.status_code == 200:
                listed = {str(m.get("id")) for m in (response.json() or {}).get("data") or [] if isinstance(m, dict)}
                if listed and endpoint.model not in listed:
                    return ERR_NO_MODEL.format(name=endpoint.name, model=endpoint.model)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        return ERR_UNREACHABLE.format(name=endpoint.name, why=type(exc).__name__)
    except (httpx.HTTPError, ValueError, AttributeError):
        return None  # it answered, slowly or oddly: the job's requests will tell
    if response.status_code in (401, 403):
        return ERR_REFUSED.format(name=endpoint.name, status=response.status_code)
    return None


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
