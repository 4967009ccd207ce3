"""A request body read as Ollama reads it: Go's `json.NewDecoder(body).Decode(&req)` (Gin's ShouldBindJSON).

What Go's decoder does differently from Python's `json.loads`, and so what this module keeps:
- it reads the first JSON value and ignores whatever follows it (`{} trailing` is a good request);
- bytes are UTF-8 only: an invalid sequence inside a string becomes U+FFFD, one per byte, and any
  other byte that is not JSON is refused like every syntax error, in its scanner's words
  ("invalid character '¡' looking for beginning of value", "unexpected EOF");
- NaN, Infinity and the like are not JSON.

The scanner below follows encoding/json/scanner.go state by state, only to find the first error
and where the first value ends; Python's decoder then builds that value.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

SPACE = b" \t\r\n"
DIGITS = b"0123456789"
HEX = b"0123456789abcdefABCDEF"
_SURROGATE = re.compile("[\ud800-\udfff]")  # left by a \\uD83D escape without its pair
_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


class GoJSONError(ValueError):
    """The error text Go's decoder gives (`err.Error()`, which Ollama sends as {"error": ...})."""


class EmptyBody(GoJSONError):
    """Nothing but white space: Go's io.EOF, which Ollama answers with "missing request body"."""


def quote_char(c: int) -> str:
    """encoding/json's quoteChar: the byte as a Go rune literal (a byte is its Latin-1 code point)."""
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    char = chr(c)
    if char == "\\":
        inner = "\\\\"
    elif char.isprintable():  # Go's strconv.IsPrint agrees with Python on U+0000..U+00FF
        inner = char
    elif char in _ESCAPES:
        inner = _ESCAPES[char]
    elif c < 0x20 or c == 0x7F:
        inner = f"\\x{c:02x}"
    else:
        inner = f"\\u{c:04x}"
    return f"'{inner}'"


def _invalid(c: int, context: str) -> GoJSONError:
    return GoJSONError(f"invalid character {quote_char(c)} {context}")


class _Scanner:
    """encoding/json's scanner over one value: `end()` is the index just past it, or a GoJSONError."""

    def __init__(self, data: bytes):
        self.data = data
        self.i = 0

    def byte(self) -> int:
        if self.i >= len(self.data):
            raise GoJSONError("unexpected EOF")
        c = self.data[self.i]
        self.i += 1
        return c

    def non_space(self) -> int:
        c = self.byte()
        while c in SPACE:
            c = self.byte()
        return c

    def end(self) -> int:
        self.value(self.non_space())
        return self.i

    def value(self, c: int) -> None:
        if c == ord("{"):
            self.object()
        elif c == ord("["):
            self.array()
        elif c == ord('"'):
            self.string()
        elif c == ord("-") or c in DIGITS:
            self.number(c)
        elif c in b"tfn":
            literal = {ord("t"): b"true", ord("f"): b"false", ord("n"): b"null"}[c]
            for expected in literal[1:]:
                got = self.byte()
                if got != expected:
                    raise _invalid(got, f"in literal {literal.decode()} (expecting {quote_char(expected)})")
        else:
            raise _invalid(c, "looking for beginning of value")

    def object(self) -> None:
        c = self.non_space()
        if c == ord("}"):
            return
        while True:
            if c != ord('"'):
                raise _invalid(c, "looking for beginning of object key string")
            self.string()
            c = self.non_space()
            if c != ord(":"):
                raise _invalid(c, "after object key")
            self.value(self.non_space())
            c = self.non_space()
            if c == ord("}"):
                return
            if c != ord(","):
                raise _invalid(c, "after object key:value pair")
            c = self.non_space()

    def array(self) -> None:
        c = self.non_space()
        if c == ord("]"):
            return
        while True:
            self.value(c)
            c = self.non_space()
            if c == ord("]"):
                return
            if c != ord(","):
                raise _invalid(c, "after array element")
            c = self.non_space()

    def string(self) -> None:
        while True:
            c = self.byte()
            if c == ord('"'):
                return
            if c == ord("\\"):
                c = self.byte()
                if c == ord("u"):
                    for _ in range(4):
                        c = self.byte()
                        if c not in HEX:
                            raise _invalid(c, "in \\u hexadecimal character escape")
                elif c not in b'bfnrt\\/"':
                    raise _invalid(c, "in string escape code")
            elif c < 0x20:
                raise _invalid(c, "in string literal")

    def number(self, c: int) -> None:
        if c == ord("-"):
            c = self.byte()
            if c not in DIGITS:
                raise _invalid(c, "in numeric literal")
        if c != ord("0"):
            self.digits()
        if self.peek() == ord("."):
            self.i += 1
            c = self.byte()
            if c not in DIGITS:
                raise _invalid(c, "after decimal point in numeric literal")
            self.digits()
        if self.peek() in (ord("e"), ord("E")):
            self.i += 1
            c = self.byte()
            if c in b"+-":
                c = self.byte()
            if c not in DIGITS:
                raise _invalid(c, "in exponent of numeric literal")
            self.digits()

    def peek(self) -> int | None:
        return self.data[self.i] if self.i < len(self.data) else None

    def digits(self) -> None:
        while (c := self.peek()) is not None and c in DIGITS:
            self.i += 1


def _one_replacement_per_byte(exc: UnicodeError) -> tuple[str, int]:
    # Go's decoder turns each byte of an invalid UTF-8 sequence into U+FFFD; Python's "replace" may join them.
    assert isinstance(exc, UnicodeDecodeError)
    return "\ufffd", exc.start + 1


codecs.register_error("go-json-replace", _one_replacement_per_byte)


def decode(data: bytes) -> Any:
    """The first JSON value in `data` as Go's Decoder reads it; GoJSONError (EmptyBody for blanks) in Go's words."""
    if not data.strip(SPACE):
        raise EmptyBody("EOF")
    scanner = _Scanner(data)
    try:
        text = data[: scanner.end()].decode("utf-8", errors="go-json-replace")
        value = json.loads(text)
    except RecursionError:  # Go refuses nesting past 10,000 levels; Python's stack ends sooner
        raise _invalid(data[scanner.i - 1], "exceeded max depth") from None
    return _lone_surrogates_replaced(value) if "\\u" in text else value


def _lone_surrogates_replaced(value: Any) -> Any:
    """Go's decoder turns a \\u escape of half a surrogate pair into U+FFFD; Python's keeps the half."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_lone_surrogates_replaced(item) for item in value]
    if isinstance(value, dict):
        return {_lone_surrogates_replaced(k): _lone_surrogates_replaced(v) for k, v in value.items()}
    return value
