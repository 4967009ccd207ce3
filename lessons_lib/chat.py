"""Chat with a model the way lesson 02 does: streaming, history, speed, clear errors.

The chat and compare widgets call these functions and nothing else, so a cell can do exactly
what a widget does:

    conversation = Conversation(model="smollm2:135m", system="Answer briefly.")
    result = send(client, conversation, "What is a hamburger?", on_token=print)
    print(stats_line(result))
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import ollama
from markdown_it import MarkdownIt

from . import edition
from .metrics import Speed, speed

if TYPE_CHECKING:  # pandas loads only when a table is asked for
    import pandas


def text(lang: str | None, key: str, **values: Any) -> str:
    """One learner-facing string of the chat room (lessons_lib.messages.chat) in `lang`, or the current edition."""
    return edition.text(f"chat.{key}", lang=lang, **values)


# --- conversation state -----------------------------------------------------------------------


@dataclass
class Conversation:
    """A multi-turn chat: the model, the system prompt and every message so far."""

    model: str
    system: str = ""
    history: list[dict[str, str]] = field(default_factory=list)

    def request_messages(self) -> list[dict[str, str]]:
        """What `/api/chat` receives: the system prompt (if any) and then the whole history."""
        head = [{"role": "system", "content": self.system}] if self.system.strip() else []
        return head + [dict(m) for m in self.history]

    def export(self) -> list[dict[str, str]]:
        """The conversation as Ollama messages, ready for `client.chat(messages=...)` or json.dump."""
        return self.request_messages()

    def clear(self) -> None:
        self.history.clear()


@dataclass
class ChatResult:
    """One answer: its text, how it ended, and its speed (measured here and by the server)."""

    model: str
    content: str = ""
    thinking: str = ""
    ttft_s: float | None = None  # seconds from sending to the first piece of the answer
    wall_s: float = 0.0
    speed: Speed | None = None  # from the final chunk's counters; None when stopped or failed
    done_reason: str | None = None
    stopped: bool = False
    error: str | None = None  # a clear message for the learner, in the caller's language
    chunks: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def answered(self) -> bool:
        """The turn counts: no error, and not stopped before any text came (what the history keeps)."""
        return self.ok and not (self.stopped and not self.content)


# --- errors ------------------------------------------------------------------------------------


def explain_error(exc: BaseException, model: str, url: str = "", lang: str | None = None) -> str:
    """A learner-readable message for what went wrong talking to the server, with the fix."""
    if isinstance(exc, (ConnectionError, httpx.ConnectError)):
        return text(lang, "err_connect", url=url or "OLLAMA_HOST")
    if isinstance(exc, ollama.ResponseError):
        detail = str(exc.error)
        if exc.status_code == 404 and "not found" in detail:
            return text(lang, "err_missing", model=model)
        if "memory" in detail:
            return text(lang, "err_memory", model=model, detail=detail)
        return text(lang, "err_server", status=exc.status_code, detail=detail)
    if isinstance(exc, httpx.HTTPError):
        return text(lang, "err_connect", url=url or "OLLAMA_HOST")
    return text(lang, "err_other", detail=f"{type(exc).__name__}: {exc}")


def server_url(client: ollama.Client) -> str:
    """The address a client talks to, for messages: its public `base_url` where it has one (OpenAIChatClient),
    else an `ollama.Client`'s, which that client keeps only on its httpx client (the one place read here)."""
    url = getattr(client, "base_url", None) or getattr(getattr(client, "_client", None), "base_url", None)
    return str(url or "")


# --- streaming ---------------------------------------------------------------------------------


def stream_chat(
    client: ollama.Client,
    model: str,
    messages: Sequence[dict[str, str]],
    options: dict[str, Any] | None = None,
    *,
    on_token: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
    lang: str | None = None,
    **chat_kwargs: Any,
) -> ChatResult:
    """Stream one answer; call `on_token` with each piece; give up early when `stop` is set.

    Stopping closes the HTTP response, which is how the server learns to stop generating (the
    same thing Ctrl+C does in `ollama run`). Errors come back in `result.error`, never raised.
    """
    result = ChatResult(model=model)
    started = time.perf_counter()
    stream = None
    try:
        stream = client.chat(model=model, messages=list(messages), options=options or None, stream=True, **chat_kwargs)
        for chunk in stream:
            if stop is not None and stop.is_set():
                result.stopped = True
                break
            result.chunks += 1
            piece = chunk.message.content or ""
            thought = chunk.message.thinking or ""
            if (piece or thought) and result.ttft_s is None:
                result.ttft_s = time.perf_counter() - started
            result.thinking += thought
            if piece:
                result.content += piece
                if on_token is not None:
                    on_token(piece)
            if chunk.done:
                result.done_reason = chunk.done_reason
                result.speed = speed(chunk)
    except Exception as exc:  # every failure becomes a message the learner can act on
        result.error = explain_error(exc, model, server_url(client), lang)
    finally:
        if stream is not None and hasattr(stream, "close"):
            stream.close()  # closes the HTTP response: the server sees the client leave
        result.wall_s = time.perf_counter() - started
    return result


def send(
    client: ollama.Client,
    conversation: Conversation,
    prompt: str,
    options: dict[str, Any] | None = None,
    *,
    on_token: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
    lang: str | None = None,
) -> ChatResult:
    """One turn of a multi-turn chat: add the prompt, stream the answer, keep both in the history.

    A failed turn, or one stopped before any text came, leaves the history as it was; a turn
    stopped later keeps the partial answer, so the next turn sees what the learner saw.
    """
    conversation.history.append({"role": "user", "content": prompt})
    result = stream_chat(
        client, conversation.model, conversation.request_messages(), options, on_token=on_token, stop=stop, lang=lang
    )
    if result.answered:
        conversation.history.append({"role": "assistant", "content": result.content})
    else:
        conversation.history.pop()
    return result


def stats_line(result: ChatResult, lang: str | None = None) -> str:
    """'42 tokens · 85.3 tok/s · first token after 0.21 s' (tokens/s from the server's own counters)."""
    if result.ttft_s is None:  # no first token to time (stopped at once, or an empty answer)
        return text(lang, "no_answer") + (text(lang, "stopped") if result.stopped else "")
    if result.speed is not None:
        tokens, tps = result.speed.generated_tokens, result.speed.generated_tokens_per_s
    else:  # stopped early: no final chunk, so count the pieces and time them here
        tokens = result.chunks
        tps = tokens / result.wall_s if result.wall_s else 0.0
    line = text(lang, "stats", tokens=tokens, tps=tps, ttft=result.ttft_s or 0.0)
    return line + (text(lang, "stopped") if result.stopped else "")


# --- side by side ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One column of a comparison: a model and the options it runs with."""

    model: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(self.options.items()))


def compare(
    client: ollama.Client,
    prompt: str,
    runs: Iterable[Run],
    *,
    system: str = "",
    stop: threading.Event | None = None,
    on_result: Callable[[Run, ChatResult], None] | None = None,
    lang: str | None = None,
) -> list[tuple[Run, ChatResult]]:
    """The same prompt to several models or settings, one after another (one model in memory at a time)."""
    results = []
    for run in runs:
        if stop is not None and stop.is_set():
            break
        messages = Conversation(run.model, system, [{"role": "user", "content": prompt}]).request_messages()
        result = stream_chat(client, run.model, messages, run.options, stop=stop, lang=lang)
        results.append((run, result))
        if on_result is not None:
            on_result(run, result)
    return results


def compare_table(results: Sequence[tuple[Run, ChatResult]], lang: str | None = None) -> pandas.DataFrame:
    """One row per run: model, settings, answer, time to first token, tokens and tokens/s."""
    import pandas as pd

    rows = []
    for run, r in results:
        rows.append(
            {
                text(lang, "col_model"): run.model,
                text(lang, "col_settings"): run.settings,
                text(lang, "col_answer"): r.content.strip() if r.ok else "",
                text(lang, "col_ttft"): round(r.ttft_s, 2) if r.ttft_s is not None else None,
                text(lang, "col_tokens"): r.speed.generated_tokens if r.speed else r.chunks,
                text(lang, "col_tps"): round(r.speed.generated_tokens_per_s, 1) if r.speed else None,
                text(lang, "col_error"): r.error or "",
            }
        )
    return pd.DataFrame(rows)


# --- rendering ---------------------------------------------------------------------------------

# CommonMark with raw HTML switched off: a model's answer cannot inject markup into the page.
_markdown = MarkdownIt("commonmark", {"html": False})


def render_markdown(source: str) -> str:
    """An answer's Markdown as safe HTML."""
    return _markdown.render(source)
