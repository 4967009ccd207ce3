"""Turning a model's output into what the client sees: thinking split from the answer.

It works on text as it streams (a `<think>` tag can arrive split over tokens), holding back only
what might still turn out to be a tag. Stop strings are cut earlier, in the batching engine's
slots (lessons_lib.llama.slots.StopFilter), where they also end the generation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


@dataclass
class Piece:
    """Text produced by the model: visible `content` and, for thinking models, `thinking`."""

    content: str = ""
    thinking: str = ""
    logprobs: list[Any] = field(default_factory=list)  # lessons_lib.llama.logprobs.TokenLogprob, when asked


class ThinkSplitter:
    """Splits a thinking model's output into `thinking` and visible `content`.

    Follows Ollama's thinking.Parser: one <think>...</think> block at the start of the answer,
    whitespace right after either tag dropped (even when it arrives in a later chunk), partial
    tags held back until they are decided, and everything after the block plain content.
    """

    _LOOKING, _EAT_AFTER_OPEN, _THINKING, _EAT_AFTER_CLOSE, _DONE = range(5)

    def __init__(self, enabled: bool, starts_inside: bool):
        self.enabled = enabled
        self.state = self._EAT_AFTER_OPEN if starts_inside else self._LOOKING
        self.buffer = ""

    def feed(self, text: str) -> Piece:
        if not self.enabled:
            return Piece(content=text)
        self.buffer += text
        piece = Piece()
        while True:
            if self.state == self._LOOKING:
                trimmed = self.buffer.lstrip()
                if trimmed.startswith(THINK_OPEN):
                    self.buffer, self.state = trimmed[len(THINK_OPEN) :], self._EAT_AFTER_OPEN
                elif not trimmed or THINK_OPEN.startswith(trimmed):
                    break  # only whitespace or part of the tag so far: wait
                else:
                    self.state = self._DONE  # no thinking; the content keeps its whitespace
            elif self.state in (self._EAT_AFTER_OPEN, self._EAT_AFTER_CLOSE):
                self.buffer = self.buffer.lstrip()
                if not self.buffer:
                    break
                self.state = self._THINKING if self.state == self._EAT_AFTER_OPEN else self._DONE
            elif self.state == self._THINKING:
                idx = self.buffer.find(THINK_CLOSE)
                if idx >= 0:
                    piece.thinking += self.buffer[:idx]
                    self.buffer, self.state = self.buffer[idx + len(THINK_CLOSE) :], self._EAT_AFTER_CLOSE
                    continue
                partial = next(
                    (n for n in range(len(THINK_CLOSE) - 1, 0, -1) if self.buffer.endswith(THINK_CLOSE[:n])), 0
                )
                cut = len(self.buffer) - partial
                piece.thinking += self.buffer[:cut]
                self.buffer = self.buffer[cut:]
                break
            else:
                piece.content += self.buffer
                self.buffer = ""
                break
        return piece

    def flush(self) -> Piece:
        """At the end of the answer: whatever was held back waiting for a tag."""
        held, self.buffer = self.buffer, ""
        if not self.enabled or not held:
            return Piece()
        return Piece(thinking=held) if self.state in (self._THINKING, self._EAT_AFTER_OPEN) else Piece(content=held)
