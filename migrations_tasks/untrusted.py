"""Render text read from a database or a file for the place it goes: one function per sink (pure leaf).

Anyone who can change the live catalog (a dashboard user, an app role with DDL rights, a leaked key)
chooses the names, comments and ledger rows the tool reads back. Such a text may hold line breaks, ANSI
escapes, bidi overrides, ``::`` or Markdown, and none of it may change the meaning of what the tool
writes. Every sink has its rule here:

* :func:`escape` (one line of a message, a SQL comment, a table cell): every character that is not
  plainly visible becomes an escape (``\\n``, ``\\x1b``, ``\\u202e``), so a name can never start a line,
  end a comment, move the cursor or reorder what a reviewer reads; :func:`flagged` adds a note saying so.
* :func:`escape_lines` (the standard streams): the same, line breaks and tabs kept; and
  :func:`workflow_safe`, so that no line the tool prints reads as a GitHub workflow command
  (``::name::`` at the start of a line, ``##[name]`` anywhere) unless the tool sent it as one.
* :func:`markdown` and :func:`markdown_row` (the step summary): Markdown's special characters escaped, so a
  name stays text in one table cell.

* :func:`sql_statement` (a statement written into a generated file): every quoted identifier or literal
  with a hidden character written with escapes (``U&"..."``, ``E'...'``), so that no line break or other
  hidden character stands raw outside a function body's lines; :func:`escape` for the file's comments.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

#: Unicode categories never shown as themselves: controls, format characters (bidi overrides, zero-width
#: characters), line and paragraph separators, surrogates, private use and unassigned code points.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CANDIDATES = re.compile(r"[^ -~]")
#: A line the Actions runner reads as a command: ``::`` after leading whitespace (its TrimStart), or the
#: older ``##[`` form, which the runner finds anywhere in a line.
_WORKFLOW_START = re.compile(r"^(\s*)::")
_WORKFLOW_OLD = "##["
_MARKDOWN = {
    "\\": "\\\\",
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "|": "\\|",
    "[": "\\[",
    "]": "\\]",
    "`": "\\`",
    "*": "\\*",
    "_": "\\_",
    "~": "\\~",
    "$": "\\$",  # math
    ":": "\\:",  # https://... autolinks, :emoji:
    "@": "\\@",  # e-mail autolinks
}
_WWW = re.compile(r"(?i)(www)\.")
_MARKDOWN_RE = re.compile("[" + re.escape("".join(_MARKDOWN)) + "]")


def hidden(char: str) -> bool:
    """Return True for a character that is not shown as itself: a control, format or separator character,
    any space but the ASCII one, or a code point with no glyph."""
    if " " <= char <= "~":
        return False
    category = unicodedata.category(char)
    return category in _HIDDEN_CATEGORIES or category == "Zs"


def code_escape(char: str) -> str:
    """Return the escape that shows ``char``: ``\\n``, ``\\x1b``, ``\\u202e`` or ``\\U000e0001``."""
    if char in _NAMED:
        return _NAMED[char]
    point = ord(char)
    if point < 0x100:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def _escaped(text: str, keep: str) -> str:
    def one(match: re.Match[str]) -> str:
        char = match.group()
        return char if char in keep or not hidden(char) else code_escape(char)

    return _CANDIDATES.sub(one, text)


def escape(text: str) -> str:
    """Return ``text`` on one line with every hidden character shown as an escape."""
    return _escaped(text, "")


def escape_lines(text: str) -> str:
    """Return ``text`` with every hidden character but line feeds and tabs shown as an escape."""
    return _escaped(text, "\n\t")


def has_hidden(text: str) -> bool:
    """Return True when ``text`` holds a character :func:`escape` would show as an escape."""
    return any(hidden(char) for char in _CANDIDATES.findall(text))


def flagged(text: str) -> str:
    """Return :func:`escape` of ``text``, with a note when it held hidden characters."""
    shown = escape(text)
    return shown if shown == text else f"{shown} (holds control or invisible characters, shown escaped)"


def workflow_safe(line: str) -> str:
    """Return one line (without its line break) so that the Actions runner cannot read it as a command."""
    return workflow_safe_inside(_WORKFLOW_START.sub(lambda m: f"{m.group(1)}> ::", line, count=1))


def workflow_safe_inside(text: str) -> str:
    """Return the rest of a line (not its start) so that the Actions runner cannot read it as a command."""
    return text.replace(_WORKFLOW_OLD, "##\\x5b") if _WORKFLOW_OLD in text else text


def markdown(text: object) -> str:
    """Return ``text`` as Markdown that shows it as written, on one line (a table cell, a list item): no
    HTML, link, autolink, emphasis, math or extra cell."""
    shown = _MARKDOWN_RE.sub(lambda m: _MARKDOWN[m.group()], escape(str(text)))
    return _WWW.sub(lambda m: m.group(1) + "\\.", shown)


class Markdown(str):
    """Markdown the tool wrote itself, passed through :func:`markdown_row` as it is."""


def markdown_row(cells: Iterable[object]) -> str:
    """Return one Markdown table row; every cell but :class:`Markdown` ones is escaped."""
    return "| " + " | ".join(c if isinstance(c, Markdown) else markdown(c) for c in cells) + " |"


#: Characters PostgreSQL's scanner takes as whitespace between tokens.
_SPACES = " \t\n\r\f\v"


def _e_escape(char: str) -> str:
    """Return ``char`` as an escape inside an ``E'...'`` literal (code points, not bytes, above ASCII)."""
    point = ord(char)
    if char in "\n\r\t":
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char]
    if point < 0x80:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def escaped_literal(value: str) -> str:
    """Return ``value`` as an ``E'...'`` literal in which every hidden character is an escape."""
    body = "".join(
        "\\\\" if c == "\\" else "''" if c == "'" else _e_escape(c) if c in "\n\t" or hidden(c) else c for c in value
    )
    return f"E'{body}'"


def _u_escape(char: str) -> str:
    point = ord(char)
    return f"\\{point:04X}" if point < 0x10000 else f"\\+{point:06X}"


def escaped_ident(name: str) -> str:
    """Return ``name`` quoted as a ``U&"..."`` identifier in which every hidden character is an escape."""
    body = "".join(
        "\\\\" if c == "\\" else '""' if c == '"' else _u_escape(c) if c in "\n\t" or hidden(c) else c for c in name
    )
    return f'U&"{body}"'


def _string_value(token: str) -> str | None:
    """Return the value of a string constant token, or None for a form left as written."""
    if token.startswith("$"):
        tag = token[: token.index("$", 1) + 1]
        return token[len(tag) : len(token) - len(tag)]
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    return None  # E'...' and the rest: escapes in place (see _visible_token)


def _visible_escape_string(piece: str) -> str:
    """Return an ``E'...'`` token with its raw hidden characters (after a backslash or not) as escapes."""
    out: list[str] = []
    after_backslash = False
    for char in piece:
        if after_backslash:
            after_backslash = False
            if hidden(char):
                out[-1] = _e_escape(char)  # backslash + the character means the character
                continue
        elif char == "\\":
            after_backslash = True
        elif hidden(char):
            char = _e_escape(char)
        out.append(char)
    return "".join(out)


def _gap(text: str) -> str:
    """Return the whitespace between two tokens with line ends as line feeds and other spaces as spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(" " if c in _SPACES and c not in "\n\t" else c for c in text)


def _visible_token(name: str, piece: str) -> str:
    """Return one token with its hidden characters made visible, its meaning unchanged."""
    if name == "IDENT" and piece.startswith('"'):
        name_value = piece[1:-1].replace('""', '"')
        return escaped_ident(name_value) if has_hidden(name_value) else piece
    if name in ("SQL_COMMENT", "C_COMMENT"):
        return piece[:2] + escape(piece[2:]) if name == "SQL_COMMENT" else escape(piece)
    if name == "SCONST":
        value = _string_value(piece)
        if value is None:
            return _visible_escape_string(piece) if piece[:1] in "Ee" else piece
        if has_hidden(value.replace("\n", " ").replace("\t", " ")):
            return escaped_literal(value)
    return piece


def sql_statement(statement: str) -> str:
    """Return ``statement`` with no hidden character outside a function body's lines: quoted identifiers
    become ``U&"..."`` and literals ``E'...'`` with escapes, comments show escapes, odd whitespace is a space.

    The statement means the same; written into a file it cannot end a ``--`` comment early, turn ``\\r``
    into another name when read back, or show a reviewer reordered text. Unscannable text is returned as is.
    """
    if '"' not in statement and not has_hidden(statement.replace("\n", " ").replace("\t", " ")):
        return statement
    from pglast import parser  # only db.pull writes SQL: no task pays for the parser at start

    try:
        tokens = parser.scan(statement)
    except Exception:
        return statement
    out, at = [], 0
    for token in tokens:
        out.append(_gap(statement[at : token.start]))
        out.append(_visible_token(token.name, statement[token.start : token.end + 1]))
        at = token.end + 1
    out.append(_gap(statement[at:]))
    return "".join(out)
