"""The chat and compare widgets on any OpenAI-compatible server: LM Studio, llama-server, vLLM, Ollama's /v1.

    from lessons_lib.openai_chat import OpenAIChatClient
    ChatWidget(client=OpenAIChatClient("http://localhost:1234/v1"))   # LM Studio's local server

`lessons_lib.chat` speaks to an `ollama.Client`. This adapter gives it the two calls it makes,
`list()` and `chat(..., stream=True)`, over the `openai` client (`GET /models`, `POST
/chat/completions` streamed), so every widget and function of lesson 02 works unchanged.

What differs from Ollama, and how it is bridged:
- Ollama's final chunk carries the server's own counters (`eval_count`, `eval_duration`). An
  OpenAI stream carries only token counts, and only when asked (`stream_options.include_usage`,
  https://platform.openai.com/docs/api-reference/chat/create). The durations are therefore
  measured here, on the client: prompt time up to the first token, generation time after it.
- Options keep Ollama's names in the widgets; `OPTION_NAMES` maps those the OpenAI API has.
- Errors become `ollama.ResponseError` (or `ConnectionError`) with the server's status and text,
  so `chat.explain_error` gives the learner the same advice as for Ollama.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import ollama
import openai

NS = 1_000_000_000

# Ollama option -> OpenAI chat-completions parameter (the ones both APIs have).
OPTION_NAMES = {
    "temperature": "temperature",
    "top_p": "top_p",
    "num_predict": "max_tokens",
    "seed": "seed",
    "stop": "stop",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
}


class OpenAIChatClient:
    """What `lessons_lib.chat` needs of an `ollama.Client`, served by an OpenAI-compatible server."""

    def __init__(self, base_url: str, api_key: str = "not-needed-locally", *, timeout: float = 120.0):
        # Local servers take any key; a real one comes from the environment, never from a cell's text.
        self.base_url = base_url.rstrip("/")
        self._openai = openai.OpenAI(base_url=self.base_url, api_key=api_key, timeout=timeout, max_retries=0)

    def list(self) -> ollama.ListResponse:
        """The server's models (`GET /models`), in the shape of Ollama's `list()`."""
        try:
            ids = [m.id for m in self._openai.models.list()]
        except openai.APIError as exc:
            raise _as_ollama_error(exc) from exc
        return ollama.ListResponse(models=[ollama.ListResponse.Model(model=i) for i in ids])

    def chat(
        self,
        model: str,
        messages: Sequence[dict[str, str]],
        options: dict[str, Any] | None = None,
        stream: bool = True,
        **_: Any,
    ) -> Iterator[ollama.ChatResponse]:
        """Stream one answer as Ollama chat chunks; the last one is `done` with measured counters."""
        if not stream:
            raise ValueError("OpenAIChatClient streams only (the chat widgets always stream)")
        params = {OPTION_NAMES[k]: v for k, v in (options or {}).items() if k in OPTION_NAMES}
        return self._stream(model, messages, params)

    def _stream(
        self, model: str, messages: Sequence[dict[str, str]], params: dict[str, Any]
    ) -> Iterator[ollama.ChatResponse]:
        started = time.perf_counter()
        first: float | None = None
        usage = None
        pieces = 0  # counted here in case the server sends no usage (then one piece is about one token)
        finish: str | None = None
        try:
            # Plain role/content dicts and Ollama-named options mapped above are what the API takes.
            response = self._openai.chat.completions.create(  # type: ignore[call-overload]
                model=model,
                messages=list(messages),
                stream=True,
                stream_options={"include_usage": True},
                **params,
            )
        except openai.APIError as exc:
            raise _as_ollama_error(exc) from exc
        try:
            for event in response:
                usage = event.usage or usage
                for choice in event.choices:
                    piece = choice.delta.content or ""
                    thought = getattr(choice.delta, "reasoning_content", None) or ""
                    if (piece or thought) and first is None:
                        first = time.perf_counter()
                    finish = choice.finish_reason or finish
                    if piece or thought:
                        pieces += 1
                        yield ollama.ChatResponse(
                            model=model,
                            done=False,
                            message=ollama.Message(role="assistant", content=piece, thinking=thought or None),
                        )
        except openai.APIError as exc:
            raise _as_ollama_error(exc) from exc
        finally:
            response.close()  # the server sees the client leave, as with Ollama's stream
        ended = time.perf_counter()
        first = first if first is not None else ended
        yield ollama.ChatResponse(
            model=model,
            done=True,
            done_reason=finish or "stop",
            message=ollama.Message(role="assistant", content=""),
            prompt_eval_count=usage.prompt_tokens if usage else None,
            prompt_eval_duration=int((first - started) * NS),
            eval_count=usage.completion_tokens if usage else pieces,
            eval_duration=int((ended - first) * NS),
            total_duration=int((ended - started) * NS),
        )


def _as_ollama_error(exc: openai.APIError) -> Exception:
    """The OpenAI client's error as the one `chat.explain_error` understands for Ollama."""
    if isinstance(exc, openai.APIConnectionError):
        return ConnectionError(str(exc))
    status = getattr(exc, "status_code", 500)
    body = getattr(exc, "body", None)
    detail = body.get("message") if isinstance(body, dict) and body.get("message") else exc.message
    if status == 404 and "not found" not in str(detail).lower():
        detail = f"model not found: {detail}"
    return ollama.ResponseError(str(detail), status)


def first_answering(urls: Sequence[str], timeout: float = 1.0) -> str | None:
    """The first of these OpenAI-compatible base URLs whose server answers `GET /models` with a model."""
    for url in urls:
        try:
            if OpenAIChatClient(url, timeout=timeout).list().models:
                return url
        except (ConnectionError, ollama.ResponseError):
            continue
    return None
