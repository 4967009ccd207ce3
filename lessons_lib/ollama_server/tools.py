"""Tool calls in a model's output, parsed into `tool_calls` as Ollama's tools.Parser does.

A port of github.com/ollama/ollama tools/tools.go (v0.33): the parser looks for the model's
tool-call tag (`<tool_call>`, `[TOOL_CALLS]`, or `{` for models that call tools with bare JSON),
then for each JSON object after it that names one of the request's tools and holds its
arguments (`arguments` or `parameters`, an object or a JSON string). Text before the tag is
content; once a tag is seen the rest is tool calls. The tag comes from the chat template
(tools/template.go parseTag: the first text inside the template's branch for tool calls, cut at
`{`); here the template is the GGUF's Jinja `tokenizer.chat_template`, read the same way.
"""

from __future__ import annotations

import json
import random
import re
import string
from typing import Any

_BLOCK = re.compile(r"\{%-?\s*(.*?)\s*-?%\}", re.S)
_LITERAL = re.compile(r"""'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)\"""", re.S)
_JINJA_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "'": "'", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _JINJA_ESCAPES.get(m.group(1), m.group(0)), text)


def template_tag(template: str | None) -> str:
    """The tool-call tag of a Jinja chat template: the first text its tool-calls branch writes.

    The branch is the first `{% if ... tool_calls %}` (elif, or `{% for ... in ...tool_calls %}`,
    Jinja's form of Go's `range .ToolCalls`) whose test is not negated; its
    text is either a literal between tags or a string literal inside `{{ }}`. As in Ollama, the
    tag is cut at the first `{`, and with nothing left (or no branch found) it is `{`.
    """
    if not template:
        return "{"
    for block in _BLOCK.finditer(template):
        test = block.group(1)
        if (
            not re.match(r"(el)?if\b|for\b", test)
            or "tool_calls" not in test
            or re.search(r"\bnot\s+\S*tool_calls", test)
        ):
            continue
        rest = template[block.end() :]
        for piece in re.split(r"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})", rest, flags=re.S):
            if piece.startswith("{%") or piece.startswith("{#"):
                continue
            texts = [_unescape(a or b) for a, b in _LITERAL.findall(piece)] if piece.startswith("{{") else [piece]
            for text in texts:
                if text.strip():
                    tag = text.replace("\r\n", "\n").split("{", 1)[0].strip()
                    return tag or "{"
        break
    return "{"


def call_id() -> str:
    """Ollama's toolCallId: call_ and 8 characters of [a-z0-9]."""
    return "call_" + "".join(random.choices(string.ascii_lowercase + string.digits, k=8))


def tool_names(tools: list[dict[str, Any]]) -> list[str]:
    names = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if isinstance(name, str) and name:
            names.append(name)
    return names


class ToolParser:
    """Ollama's tools.Parser: feed it the answer as it streams, get (calls, content) back."""

    _LOOKING, _CALLING, _DONE = range(3)

    def __init__(self, tag: str, tools: list[dict[str, Any]]):
        self.tag = tag
        self.names = tool_names(tools)
        self.state = self._LOOKING
        self.buffer = ""
        self.n = 0

    def add(self, text: str) -> tuple[list[dict[str, Any]], str]:
        if self.state == self._DONE:
            return [], text
        self.buffer += text
        content = ""
        if self.state == self._LOOKING:
            i, found = self._find_tag()
            if i == -1:
                content, self.buffer = self.buffer, ""
            else:
                content, self.buffer = self.buffer[:i], self.buffer[i:]
            # a bare { or [ tag only counts when it is the first thing the model says
            if self.tag in ("{", "[") and content.strip():
                self.state = self._DONE
                out, self.buffer = content + self.buffer, ""
                return [], out
            if not found:
                return [], content
            self.state = self._CALLING
        calls = []
        while (call := self._parse_call()) is not None:
            calls.append(call)
        if self._done():
            self.state = self._DONE
            content, self.buffer = self.buffer, ""
        return calls, content

    def content(self) -> str:
        """What is left for the user at the end: the held-back text when no call was found."""
        if self.n > 0:
            return ""
        return self.buffer if self.tag in ("{", "[") else ""

    def _find_tag(self) -> tuple[int, bool]:
        i = self.buffer.find(self.tag)
        if i > -1:
            return i, True
        for n in range(min(len(self.buffer), len(self.tag)), 0, -1):
            if self.buffer.endswith(self.tag[:n]):
                return len(self.buffer) - n, False
        return -1, False

    def _parse_call(self) -> dict[str, Any] | None:
        name, end = self._find_tool()
        if name is None:
            return None
        args, i = _find_arguments(name, self.buffer)
        if args is None:
            return None
        end = max(end, i)
        call = {"id": call_id(), "function": {"index": self.n, "name": name, "arguments": args}}
        self.n += 1
        self.buffer = self.buffer[end:]
        return call

    def _find_tool(self) -> tuple[str | None, int]:
        buf = self.buffer
        if not buf or not self.names:
            return None, 0
        longest = max(len(n) for n in self.names)
        for i in range(1, min(len(buf), longest) + 1):  # a name still arriving: wait for the rest
            tail = buf[-i:]
            if any(len(tail) < len(n) and n.startswith(tail) for n in self.names):
                return None, 0
        found, start = None, -1
        for name in self.names:
            pos = buf.find(name)
            if pos == -1:
                continue
            if start != -1 and (pos > start or (pos == start and found is not None and len(name) <= len(found))):
                continue
            found, start = name, pos
        return (found, start + len(found)) if found is not None else (None, 0)

    def _done(self) -> bool:
        pair = {"{": "{}", "[": "[]"}.get(self.tag)
        if pair is None:
            return False
        count = 0
        for _, c, in_string in _scan(self.buffer):
            if in_string:
                continue
            if c == pair[0]:
                count += 1
            elif c == pair[1]:
                count -= 1
                if count == 0:
                    return True
        return False


def _scan(text: str) -> Any:
    """(index, character, inside a JSON string?) for each character that is not escaped or a quote."""
    in_string = escaped = False
    for i, c in enumerate(text):
        if escaped:
            escaped = False
            continue
        if c == "\\":
            escaped = True
            continue
        if c == '"':
            in_string = not in_string
            continue
        yield i, c, in_string


def _object_args(name: str, obj: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    def as_map(key: str) -> dict[str, Any] | None:
        value = obj.get(key)
        if isinstance(value, dict):
            return value
        if isinstance(value, str):
            try:
                parsed = json.loads(value)
            except ValueError:
                return None
            return parsed if isinstance(parsed, dict) else None
        return None

    if "name" in obj:
        for key in ("arguments", "parameters"):
            if (args := as_map(key)) is not None:
                return args, True
        return None, True
    if (args := as_map(name)) is not None:
        return args, True
    for value in obj.values():
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, dict):
                found, ok = _object_args(name, child)
                if ok:
                    return found, True
    return None, False


def _find_arguments(name: str, buffer: str) -> tuple[dict[str, Any] | None, int]:
    """The first JSON object in `buffer` that holds arguments for `name`, and where it ends."""
    start, braces = -1, 0
    for i, c, in_string in _scan(buffer):
        if in_string:
            continue
        if c == "{":
            if braces == 0:
                start = i
            braces += 1
        elif c == "}":
            braces -= 1
            if braces == 0 and start != -1:
                try:
                    data = json.loads(buffer[start : i + 1])
                except ValueError:
                    start = -1
                    continue
                if not isinstance(data, dict):
                    start = -1
                    continue
                args, found = _object_args(name, data)
                # Ollama returns the closing brace's index (the brace stays in the buffer)
                return (args, i) if found else (data, i)
            braces = max(braces, 0)
    return None, 0
