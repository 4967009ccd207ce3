"""Request fields shared by /api/generate and /api/chat, decoded and checked as Ollama 0.33 does.

`think` (api.ThinkValue), `logprobs` / `top_logprobs`, `format` and chat messages: the same
statuses and wording as Ollama's Go decoder and handlers (api/types.go, server/routes.go).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..llama.logprobs import MAX_TOP_LOGPROBS
from .protocol import ApiError, go_json_type

THINK_LEVELS = ("high", "medium", "low", "max")
_THINK_HELP = '("high", "medium", "low", "max", true, or false)'
_MESSAGE_TEXT_FIELDS = ("role", "content", "thinking", "tool_name", "tool_call_id")


def unmarshal_error(value: Any, struct: str, field: str, go_type: str) -> ApiError:
    return ApiError(
        400, f"json: cannot unmarshal {go_json_type(value)} into Go struct field {struct}.{field} of type {go_type}"
    )


def think_value(body: dict[str, Any]) -> bool | str | None:
    """`think` as api.ThinkValue.UnmarshalJSON takes it: a bool, a level, or absent (None)."""
    think = body.get("think")
    if think is None or isinstance(think, bool):
        return think
    if isinstance(think, str):
        if think not in THINK_LEVELS:
            raise ApiError(400, f"invalid think value: {json.dumps(think)} (must be {_THINK_HELP[1:-1]})")
        return think
    raise ApiError(400, f"think must be a boolean or string {_THINK_HELP}")


@dataclass(frozen=True)
class Thinking:
    """What a request's `think` means for one model."""

    split: bool  # separate the model's thinking from its answer
    template: bool | None  # `enable_thinking` for the chat template (None: the model cannot think)
    level: str | None  # "low" | "medium" | "high" | "max", for templates that take a level


def resolve_thinking(think: bool | str | None, can_think: bool, name: str, *, relax: bool = False) -> Thinking:
    """Ollama's handlers: a thinking model thinks unless told not to; any other model refuses a truthy
    `think` with 400 `"name" does not support thinking` (the Anthropic route relaxes it to off)."""
    if not can_think:
        if think not in (None, False) and not relax:
            raise ApiError(400, f"{json.dumps(name)} does not support thinking")
        return Thinking(False, None, None)
    if think is None:
        think = True
    on = think is not False
    level = think if isinstance(think, str) else ("medium" if on else None)  # ThinkValue.String()
    return Thinking(on, on, level)


def logprobs_request(body: dict[str, Any], struct: str) -> int | None:
    """How many alternatives per token (0..20), or None when `logprobs` is off (the default)."""
    logprobs = body.get("logprobs")
    if logprobs is not None and not isinstance(logprobs, bool):
        raise unmarshal_error(logprobs, struct, "logprobs", "bool")
    top = body.get("top_logprobs")
    if top is None:
        top = 0
    if isinstance(top, bool) or not isinstance(top, (int, float)) or (isinstance(top, float) and not top.is_integer()):
        raise unmarshal_error(top, struct, "top_logprobs", "int")
    if not 0 <= top <= MAX_TOP_LOGPROBS:
        raise ApiError(400, f"top_logprobs must be between 0 and {MAX_TOP_LOGPROBS}")
    return int(top) if logprobs else None


def check_format(body: dict[str, Any]) -> Any:
    fmt = body.get("format")
    if fmt in (None, "", "json") or isinstance(fmt, dict):
        return fmt
    raise ApiError(400, f'invalid format: {json.dumps(fmt)}; expected "json" or a valid JSON Schema object')


def check_message(message: dict[str, Any]) -> dict[str, Any]:
    """One chat message as Go's decoder takes it into api.Message: its text fields must be strings."""
    for key in _MESSAGE_TEXT_FIELDS:
        value = message.get(key)
        if value is not None and not isinstance(value, str):
            raise ApiError(
                400,
                f"json: cannot unmarshal {go_json_type(value)} into Go struct field Message.messages.{key} of type string",
            )
    for key in ("images", "tool_calls"):
        value = message.get(key)
        if value is not None and not isinstance(value, list):
            raise ApiError(
                400, f"json: cannot unmarshal {go_json_type(value)} into Go struct field Message.messages.{key}"
            )
    # A field left out (or null) is Go's zero value, "", as the template sees it: {} is a message.
    return {**message, "role": message.get("role") or "", "content": message.get("content") or ""}
