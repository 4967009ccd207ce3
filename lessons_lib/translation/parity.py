"""The parity rule: a Polish notebook's code is the English notebook's code, but for its prose.

Code cells are compared one to one, as Python tokens (https://docs.python.org/3/library/tokenize.html):
- free to differ: comments and blank lines;
- string literals may differ only when BOTH values are prose (`is_prose`: at least two words of
  letters), and then their numbers and technical words (`technical_words`: anything with a digit,
  one of `: / _ = @ \\` or backticks, so model names, URLs, commands, options) must be the same;
  adjacent literals count as one (a long Polish sentence may be split over lines);
- a string may also differ when the two values are one message of the catalogue in English and in
  Polish, or pieces of its text (`catalogue_pair`): a table column `lessons_lib` names per edition,
  or words a self-check looks for in the library's output;
- f-strings: the same rule for their text, and the expressions inside must be identical;
- everything else (names, numbers, operators, single-word strings, IPython `!`/`%` lines) identical.
The Polish notebook's first code cell begins with the two edition lines (EDITION_HEADER), which are
removed before comparing; a cell left empty by that is dropped. Markdown cells are not compared.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import Counter
from dataclasses import dataclass

EDITION_HEADER = 'from lessons_lib import edition\nedition.use("{lang}")'

_WORD = re.compile(r"[^\W\d_]{2,}")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_TECHNICAL = re.compile(r"`[^`]*`|\S*[\d:/_=@\\]\S*")
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python 3.12 splits f-strings into tokens
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


def is_prose(value: str) -> bool:
    """Natural-language text: at least two words of letters (so not a name, a path or one word)."""
    return len(_WORD.findall(value)) >= 2


def technical_words(value: str) -> Counter[str]:
    """The parts of a sentence that must survive translation: numbers and technical words."""
    found: Counter[str] = Counter(_NUMBER.findall(value))
    for word in _TECHNICAL.findall(value):
        word = word.strip(".,;:!?()[]\"'«»„”")  # sentence punctuation around a name is not part of it
        if word and not _NUMBER.fullmatch(word) and _TECHNICAL.fullmatch(word):  # "text:" was a word, not a name
            found[word] += 1
    return found


@dataclass(frozen=True)
class Token:
    kind: int
    text: str
    line: int


def tokens(code: str) -> list[Token]:
    """The cell's significant tokens: comments and blank lines dropped, adjacent strings joined."""
    lines: list[str] = []
    magics: dict[str, str] = {}
    for line in code.splitlines():
        # IPython shell and magic lines are not Python: each becomes one name, compared verbatim.
        if line.lstrip().startswith(("!", "%")):
            name = f"_workbook_magic_{len(magics)}_"
            magics[name] = line.strip()
            line = line[: len(line) - len(line.lstrip())] + name
        lines.append(line)
    source = "\n".join(lines) + "\n"
    result: list[Token] = []
    depth = 0  # inside an f-string (Python 3.12+): its pieces become one string token
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == _FSTRING_START:
            depth += 1
            if depth == 1:
                start = tok.start
            continue
        if depth:
            if tok.type == _FSTRING_END:
                depth -= 1
                if depth == 0:
                    text = _slice(source, start, tok.end)
                    result.append(_joined(result, Token(tokenize.STRING, text, start[0])))
            continue
        if tok.type in _SKIP or (tok.type == tokenize.NEWLINE and not tok.string):
            continue
        if tok.type == tokenize.STRING:
            result.append(_joined(result, Token(tok.type, tok.string, tok.start[0])))
        else:
            result.append(Token(tok.type, magics.get(tok.string, tok.string), tok.start[0]))
    return result


def _slice(source: str, start: tuple[int, int], end: tuple[int, int]) -> str:
    lines = source.splitlines(keepends=True)
    if start[0] == end[0]:
        return lines[start[0] - 1][start[1] : end[1]]
    return lines[start[0] - 1][start[1] :] + "".join(lines[start[0] : end[0] - 1]) + lines[end[0] - 1][: end[1]]


def _joined(result: list[Token], token: Token) -> Token:
    """Implicit concatenation: "a" "b" is one literal."""
    if result and result[-1].kind == tokenize.STRING:
        previous = result.pop()
        return Token(tokenize.STRING, previous.text + " " + token.text, previous.line)
    return token


def string_parts(literal: str) -> tuple[str, list[str]]:
    """A literal's text (f-string expressions as {}) and its f-string expressions, as source."""
    node = ast.parse(literal.strip(), mode="eval").body
    if isinstance(node, ast.Constant):
        return (node.value if isinstance(node.value, str) else repr(node.value)), []
    if isinstance(node, ast.JoinedStr):
        text, expressions = [], []
        for part in node.values:
            if isinstance(part, ast.Constant):
                text.append(str(part.value))
            else:
                text.append("{}")
                expressions.append(ast.unparse(part))
        return "".join(text), expressions
    raise ValueError(f"not a string literal: {literal}")


def _literal_parts(template: str) -> list[str]:
    """A catalogue template's text between its {fields}."""
    import string

    return [text for text, _, _, _ in string.Formatter().parse(template) if text]


def catalogue_pair(english: str, translated: str, lang: str = "pl") -> bool:
    """Both are one catalogue message, or a piece of its text, in English and in `lang`: what a cell
    indexes or looks for in the library's output (a column named per edition, "standing in for")."""
    from ..messages import CATALOGUE

    if len(english.strip()) < 3 or len(translated.strip()) < 3:
        return False  # "a" and "i" are in everything
    for key, value in CATALOGUE["en"].items():
        other = CATALOGUE[lang].get(key, "")
        if (value == english and other == translated) or (
            any(english in part for part in _literal_parts(value))
            and any(translated in part for part in _literal_parts(other))
        ):
            return True
    return False


def string_difference(english: str, polish: str) -> str:
    """Why two differing string literals break the rule ("" when they may differ)."""
    en_text, en_expr = string_parts(english)
    pl_text, pl_expr = string_parts(polish)
    if en_expr != pl_expr:
        return "the f-string's expressions differ"
    if not en_expr and catalogue_pair(en_text, pl_text):
        return ""
    if not (is_prose(en_text) and is_prose(pl_text)):
        return "only prose strings (two words or more, in both editions) may differ"
    if technical_words(en_text) != technical_words(pl_text):
        missing = technical_words(en_text) - technical_words(pl_text)
        extra = technical_words(pl_text) - technical_words(en_text)
        return f"numbers and technical words must stay: missing {sorted(missing)}, added {sorted(extra)}"
    return ""


def strip_header(code: str, lang: str) -> str | None:
    """The first code cell without the edition lines, or None if they are not its first lines."""
    header = EDITION_HEADER.format(lang=lang)
    if not code.startswith(header) or code[len(header) : len(header) + 1] not in ("", "\n"):
        return None
    return code[len(header) :].lstrip("\n")


def compare_code(english: str, polish: str) -> list[str]:
    """The parity problems between two code cells' sources, one line each (empty: they match)."""
    try:
        en, pl = tokens(english), tokens(polish)
    except (tokenize.TokenError, SyntaxError, IndentationError) as exc:
        return [f"cannot tokenize: {exc}"]
    problems = []
    for a, b in zip(en, pl):
        if a.kind == b.kind == tokenize.STRING and a.text != b.text:
            why = string_difference(a.text, b.text)
            if why:
                problems.append(f"line {b.line}: {b.text[:60]} vs English {a.text[:60]}: {why}")
        elif (a.kind, a.text) != (b.kind, b.text):
            problems.append(f"line {b.line}: {b.text!r} where English has {a.text!r} (line {a.line})")
        if len(problems) >= 5:
            break
    if not problems and len(en) != len(pl):
        longer, side = (en, "English") if len(en) > len(pl) else (pl, "Polish")
        extra = longer[min(len(en), len(pl))]
        problems.append(f"the {side} cell goes on at line {extra.line}: {extra.text!r}")
    return problems
