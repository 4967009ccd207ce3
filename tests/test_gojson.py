"""Request bodies read as Go's encoding/json Decoder reads them (what Ollama answers with, word for word)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons_lib.ollama_server.gojson import EmptyBody, GoJSONError, decode, quote_char

# Go 1.24 encoding/json: `json.NewDecoder(bytes.NewReader(body)).Decode(&v)`, err.Error()
GO_ERRORS = {
    b"{": "unexpected EOF",
    b'{"model": "x"': "unexpected EOF",
    b"[1,": "unexpected EOF",
    b"tru": "unexpected EOF",
    b"{not json": "invalid character 'n' looking for beginning of object key string",
    b'{"a":1,}': "invalid character '}' looking for beginning of object key string",
    b'{"a" 1}': "invalid character '1' after object key",
    b'{"a":1 2}': "invalid character '2' after object key:value pair",
    b'{"a":01}': "invalid character '1' after object key:value pair",
    b"[1 2]": "invalid character '2' after array element",
    b"nulx": "invalid character 'x' in literal null (expecting 'l')",
    b'{"a":tru}': "invalid character '}' in literal true (expecting 'e')",
    b'{"t": NaN}': "invalid character 'N' looking for beginning of value",
    b'{"t": -Infinity}': "invalid character 'I' in numeric literal",
    b'{"a":1.}': "invalid character '}' after decimal point in numeric literal",
    b'{"a":1.5e}': "invalid character '}' in exponent of numeric literal",
    b'"\\x"': "invalid character 'x' in string escape code",
    b'"\\u12g4"': "invalid character 'g' in \\u hexadecimal character escape",
    b'"a\nb"': "invalid character '\\n' in string literal",
    # bytes that are not UTF-8 (or not text): a byte is shown as its Latin-1 rune, escaped when not printable
    b"\xa1": "invalid character '\u00a1' looking for beginning of value",
    b"\xff\xfe{}": "invalid character '\u00ff' looking for beginning of value",
    b"\x00{}": "invalid character '\\x00' looking for beginning of value",
    b"\x85": "invalid character '\\u0085' looking for beginning of value",
    b"\xa0": "invalid character '\\u00a0' looking for beginning of value",
    b"'x'": "invalid character '\\'' looking for beginning of value",
    b'\\"': "invalid character '\\\\' looking for beginning of value",
}


@pytest.mark.parametrize("body", list(GO_ERRORS), ids=repr)
def test_malformed_bodies_are_refused_in_gos_words(body: bytes):
    with pytest.raises(GoJSONError) as caught:
        decode(body)
    assert str(caught.value) == GO_ERRORS[body] and not isinstance(caught.value, EmptyBody)


@pytest.mark.parametrize("body", [b"", b" \n\t\r "])
def test_a_blank_body_is_gos_eof(body: bytes):
    with pytest.raises(EmptyBody):
        decode(body)


def test_what_go_takes_that_python_would_not():
    assert decode(b'{"model": "x"} and then anything') == {"model": "x"}  # the first value only
    assert decode(b"1x") == 1 and decode(b"01") == 0  # a top-level value ends before the next byte
    # invalid UTF-8 inside a string: one U+FFFD per byte, as Go's unquote does
    assert decode(b'{"a": "\xff\xe2\x82A"}') == {"a": "\ufffd\ufffd\ufffdA"}
    assert decode(b'{"a": "\\ud800 \\ud83d\\ude00"}') == {"a": "\ufffd \U0001f600"}  # half a pair
    assert decode(b'{"a": 1, "a": 2}') == {"a": 2}


def test_nesting_past_the_stack_is_refused_not_crashed():
    with pytest.raises(GoJSONError, match="exceeded max depth"):
        decode(b"[" * 100_000)


def test_quote_char_follows_gos_strconv_quote():
    assert [quote_char(c) for c in b"a\"'\\\t\x1b\x7f"] == [
        "'a'",
        "'\"'",
        "'\\''",
        "'\\\\'",
        "'\\t'",
        "'\\x1b'",
        "'\\x7f'",
    ]
    assert quote_char(0xE9) == "'\u00e9'" and quote_char(0xAD) == "'\\u00ad'"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300)
@given(value=json_values, indent=st.sampled_from([None, 0, 2]), ascii_only=st.booleans())
def test_every_json_text_reads_as_pythons_json_reads_it(value, indent, ascii_only):
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only).encode()
    assert decode(text) == json.loads(text)


@settings(max_examples=500)
@given(data=st.binary(max_size=40) | st.text(alphabet='{}[]":,0123456789.eE+-tfrulnasx\\ \n\x00\xa1', max_size=30))
def test_any_bytes_are_a_value_or_gos_error(data):
    if isinstance(data, str):
        data = data.encode()
    try:
        decode(data)
    except GoJSONError as exc:
        assert str(exc) in ("EOF", "unexpected EOF") or str(exc).startswith("invalid character '")
