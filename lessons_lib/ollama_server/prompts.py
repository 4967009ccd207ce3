"""Prompts for a loaded model: chat messages through the model's own template, raw text, the context
fit, and Ollama's `format` as a llama.cpp grammar.

The template is the GGUF's Jinja `tokenizer.chat_template`, rendered as llama-cpp-python renders it.
"""

from __future__ import annotations

import logging
from typing import Any

from ..llama import gguf_file
from ..llama.batch_model import NativeModel
from ..llama.sampling import GrammarError, grammar_for_format
from .protocol import ApiError
from .text import THINK_CLOSE, THINK_OPEN

log = logging.getLogger("lessons_lib.ollama_server")


def capabilities(info: gguf_file.GGUFInfo) -> list[str]:
    """What a GGUF's chat template supports, as Ollama 0.33 reads it (server/images.go,
    chatTemplateHasToolSupport and chatTemplateHasThinkingSupport)."""
    template = info.chat_template or ""
    caps = ["completion"]
    if "tools" in template or "tool_call" in template:
        caps.append("tools")
    splits = "content.split('</think>')" in template or 'content.split("</think>")' in template
    if (THINK_OPEN in template and THINK_CLOSE in template) or (
        splits and "reasoning_content" not in template and "<SPECIAL_12>" not in template
    ):
        caps.append("thinking")
    return caps


def chat_formatter(info: gguf_file.GGUFInfo) -> Any:
    """The model's own Jinja chat template as llama-cpp-python renders it; None without one."""
    if not info.chat_template:
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    vocab = info.metadata.get("tokenizer.ggml.tokens") or []

    def token(key: str) -> str:
        i = info.metadata.get(key)
        return vocab[i] if isinstance(i, int) and 0 <= i < len(vocab) else ""

    return Jinja2ChatFormatter(
        info.chat_template,
        eos_token=token("tokenizer.ggml.eos_token_id"),
        bos_token=token("tokenizer.ggml.bos_token_id"),
    )


def chat_prompt(
    model: NativeModel,
    formatter: Any,
    messages: list[dict[str, Any]],
    tools: list[Any] | None = None,
    think: bool | None = None,
    level: str | None = None,
) -> list[int]:
    """Messages -> prompt tokens, through the model's own chat template (`formatter`, from chat_formatter).

    `think` reaches the template as `enable_thinking` and a level as `reasoning_effort`, the
    variables llama-server's Jinja chat templates read (Ollama 0.33 renders GGUF templates there).
    """
    clean = [{k: v for k, v in m.items() if v is not None} for m in messages]
    for m in clean:
        m.setdefault("content", "")
    if formatter is not None:
        extra: dict[str, Any] = {}
        if think is not None:
            extra["enable_thinking"] = bool(think)
        if level is not None:
            extra["reasoning_effort"] = level
        try:
            text = formatter(messages=clean, tools=tools or None, **extra).prompt
        except Exception as exc:  # a template error is the model's problem, not the learner's
            raise ApiError(500, f"chat template failed: {exc}") from exc
    else:
        # No template in the GGUF: Ollama's default TEMPLATE is `{{ .Prompt }}` (a base model continues the text).
        # Its legacy rendering fills .Prompt with each user turn and .Response with the answer after it; the
        # template never reads .System, so system messages drop out (ollama template/template.go, Execute).
        text = "".join(m["content"] for m in clean if m.get("role") != "system" and isinstance(m["content"], str))
    if not isinstance(text, str):
        raise ApiError(500, "chat template failed: it did not produce text")
    return model.tokenize(text, add_special=formatter is None, parse_special=True)


def raw_prompt(model: NativeModel, prompt: str) -> list[int]:
    return model.tokenize(prompt, add_special=True, parse_special=True)


def fit_context(tokens: list[int], n_ctx: int, num_keep: int) -> list[int]:
    """Ollama's truncate: keep the first num_keep tokens and the end, silently (it only logs)."""
    if len(tokens) < n_ctx:
        return tokens
    keep = max(0, min(num_keep, n_ctx // 2))
    room = n_ctx - keep - max(1, n_ctx // 8)  # leave space to answer
    log.warning("truncating input prompt: limit=%d prompt=%d keep=%d", n_ctx, len(tokens), keep)
    return tokens[:keep] + tokens[len(tokens) - room :]


def grammar(fmt: Any) -> str | None:
    """Ollama's `format`: "json" or a JSON schema -> GBNF text for llama.cpp's grammar sampler."""
    try:
        return grammar_for_format(fmt)
    except GrammarError as exc:
        raise ApiError(400, f"invalid format: {exc}") from exc
