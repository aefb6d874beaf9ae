"""Split, classify, normalise and quote SQL text (pure; PostgreSQL's own parser via pglast).

Nothing here does I/O. Offsets are 0-based character offsets into the text given; lines and columns
are 1-based, as editors show them.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pglast import parser as _pg

_COMMENTS = frozenset({"SQL_COMMENT", "C_COMMENT"})
_SEMICOLON = "ASCII_59"

#: Statements PostgreSQL refuses inside a transaction block, by leading keywords.
_NO_TRANSACTION: tuple[tuple[tuple[str, ...], str], ...] = (
    (("CREATE", "INDEX", "CONCURRENTLY"), "CREATE INDEX CONCURRENTLY"),
    (("CREATE", "UNIQUE", "INDEX", "CONCURRENTLY"), "CREATE INDEX CONCURRENTLY"),
    (("DROP", "INDEX", "CONCURRENTLY"), "DROP INDEX CONCURRENTLY"),
    (("VACUUM",), "VACUUM"),
    (("ALTER", "SYSTEM_P"), "ALTER SYSTEM"),
    (("CREATE", "DATABASE"), "CREATE DATABASE"),
    (("DROP", "DATABASE"), "DROP DATABASE"),
    (("CREATE", "TABLESPACE"), "CREATE TABLESPACE"),
    (("DROP", "TABLESPACE"), "DROP TABLESPACE"),
    (("CREATE", "SUBSCRIPTION"), "CREATE SUBSCRIPTION"),
    (("DROP", "SUBSCRIPTION"), "DROP SUBSCRIPTION"),
)

#: REINDEX forms that work table by table in their own transactions, by the keyword after the options.
_REINDEX_MANY = {"SYSTEM_P": "REINDEX SYSTEM", "DATABASE": "REINDEX DATABASE", "SCHEMA": "REINDEX SCHEMA"}

#: Transaction control, by leading keyword.
_TRANSACTION_CONTROL = {
    "BEGIN_P": "BEGIN",
    "START": "BEGIN",
    "COMMIT": "COMMIT",
    "END_P": "COMMIT",
    "ROLLBACK": "ROLLBACK",
    "ABORT_P": "ROLLBACK",
    "SAVEPOINT": "SAVEPOINT",
    "RELEASE": "RELEASE",
    "PREPARE": "PREPARE",  # only PREPARE TRANSACTION, checked below
}


_INTERESTING_LEADS = frozenset(
    {
        "CREATE",
        "DROP",
        "VACUUM",
        "ALTER",
        "REINDEX",
        "BEGIN",
        "START",
        "COMMIT",
        "END",
        "ROLLBACK",
        "ABORT",
        "SAVEPOINT",
        "RELEASE",
        "PREPARE",
    }
)


class SyntaxProblem(Exception):
    """The parser rejected the text; ``offset`` is a 0-based character offset."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Piece:
    """One statement of a text: where it is and what kind it is."""

    start: int
    end: int
    no_transaction: str | None = None
    transaction_control: str | None = None


def _parse_error(exc: Exception, text: str) -> SyntaxProblem:
    args: tuple[object, ...] = tuple(getattr(exc, "args", ()))
    message = str(args[0]) if args else str(exc)
    raw = args[1] if len(args) > 1 else 0
    offset = raw if isinstance(raw, int) else 0
    return SyntaxProblem(message, max(0, min(offset, len(text))))


def _token_names(text: str) -> list[str]:
    """Return the scanner names of every token of ``text`` that is not a comment ([] if unscannable)."""
    try:
        return [t.name for t in _pg.scan(text) if t.name not in _COMMENTS]
    except Exception:
        return []


def leading_keywords(statement: str, count: int = 4) -> tuple[str, ...]:
    """Return the scanner names of the first ``count`` tokens that are not comments."""
    head = statement[:256]
    if len(head) < len(statement):
        # Scanning a prefix is cheaper, but it only counts when it holds ``count`` whole tokens: a long
        # comment can fill it, and the token at the cut may be truncated.
        try:
            names = [t.name for t in _pg.scan(head) if t.name not in _COMMENTS and t.end < len(head) - 1]
        except Exception:
            names = []
        if len(names) >= count:
            return tuple(names[:count])
    return tuple(_token_names(statement)[:count])


_TWO_WORDS = re.compile(r"([A-Za-z_]+)[ \t\r\n]+([A-Za-z_]+)\b")
#: For these leading words, only these second words can make a statement one of the special kinds.
_SECOND_WORDS = {
    "CREATE": frozenset({"INDEX", "UNIQUE", "DATABASE", "TABLESPACE", "SUBSCRIPTION"}),
    "DROP": frozenset({"INDEX", "DATABASE", "TABLESPACE", "SUBSCRIPTION"}),
    "ALTER": frozenset({"SYSTEM", "TABLE"}),
}


def _cannot_be_special(text: str) -> bool:
    """Return True when the first words alone show a statement is neither kind (most statements)."""
    word = re.match(r"[A-Za-z_]+", text)
    if word and word.group(0).upper() not in _INTERESTING_LEADS:
        return True
    two = _TWO_WORDS.match(text)
    if not two:  # "CREATE TABLE", "ALTER POLICY"... are decided without the scanner
        return False
    first, second = two.group(1).upper(), two.group(2).upper()
    allowed = _SECOND_WORDS.get(first)
    if allowed is not None and second not in allowed:
        return True
    if first == "ALTER" and second == "TABLE" and "DETACH" not in text.upper():
        return True
    head = text[:300]
    # the keyword comes within the first few tokens when it is there
    return (
        second in ("INDEX", "UNIQUE") and "CONCURRENTLY" not in head.upper() and "--" not in head and "/*" not in head
    )


def _transaction_control(keys: tuple[str, ...]) -> str | None:
    """Return the transaction-control kind of a statement starting with ``keys`` (None: not one)."""
    kind = _TRANSACTION_CONTROL[keys[0]]
    if kind == "PREPARE" and keys[1:2] != ("TRANSACTION",):
        return None
    if kind == "BEGIN" and keys[0] == "START" and keys[1:2] != ("TRANSACTION",):
        return None
    if kind in ("COMMIT", "ROLLBACK") and keys[1:2] == ("PREPARED",):
        return f"{kind} PREPARED"
    if kind == "ROLLBACK" and "TO" in keys[1:3]:  # ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] x
        return "ROLLBACK TO SAVEPOINT"
    if kind == "COMMIT" and "CHAIN" in keys and "NO" not in keys:  # AND NO CHAIN is a plain COMMIT
        return "COMMIT AND CHAIN"
    return kind


def _scanned_no_transaction(statement: str, keys: tuple[str, ...]) -> str | None:
    """Return why REINDEX or DETACH PARTITION cannot run in a transaction (needs every token)."""
    if keys[0] == "REINDEX":
        names = _token_names(statement)
        if "CONCURRENTLY" in names:
            return "REINDEX CONCURRENTLY"
        target = names[1:]
        if target[:1] == ["ASCII_40"] and "ASCII_41" in target:  # REINDEX (VERBOSE) SYSTEM ...
            target = target[target.index("ASCII_41") + 1 :]
        if target[:1] and target[0] in _REINDEX_MANY:
            return _REINDEX_MANY[target[0]]
    if keys[:2] == ("ALTER", "TABLE") and "DETACH" in statement.upper():
        names = _token_names(statement)
        if "DETACH" in names and "CONCURRENTLY" in names[names.index("DETACH") :]:
            return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY"
    return None


def classify(statement: str) -> tuple[str | None, str | None]:
    """Return (no-transaction reason, transaction-control kind) for one statement."""
    if _cannot_be_special(statement.lstrip()):
        return None, None
    keys = leading_keywords(statement, 6)
    if not keys:
        return None, None
    if keys[0] in _TRANSACTION_CONTROL:
        return None, _transaction_control(keys)
    for prefix, reason in _NO_TRANSACTION:
        if keys[: len(prefix)] == prefix:
            return reason, None
    return _scanned_no_transaction(statement, keys), None


def _code_end(text: str, start: int, end: int) -> int:
    """Return where the last token of ``text[start:end]`` ends, leaving out trailing comments.

    A statement written ``SELECT 1 -- why`` with its ``;`` on the next line (or at the end of a file
    without one) would otherwise end inside a line comment, and a ``;`` appended to it would be
    commented out, running the next statement into it.
    """
    chunk = text[start:end]
    if "--" not in chunk and "/*" not in chunk:
        return end
    try:
        tokens = [t for t in _pg.scan(chunk) if t.name not in _COMMENTS]
    except Exception:
        return end
    return start + tokens[-1].end + 1 if tokens else end


def split(text: str) -> list[Piece]:
    """Split ``text`` into statements with PostgreSQL's parser; raise SyntaxProblem on bad SQL."""
    try:
        slices = _pg.split(text, with_parser=True, only_slices=True)
    except Exception as exc:  # pglast.parser.ParseError
        raise _parse_error(exc, text) from None
    pieces = []
    for sl in slices:
        start, end = sl.start or 0, sl.stop if sl.stop is not None else len(text)
        end = _code_end(text, start, end)
        no_tx, control = classify(text[start:end])
        pieces.append(Piece(start, end, no_tx, control))
    return pieces


def comment_spans(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) offsets of every ``--`` comment in ``text``; [] when it cannot be scanned."""
    try:
        tokens = _pg.scan(text)
    except Exception:
        return []
    return [(t.start, t.end + 1) for t in tokens if t.name == "SQL_COMMENT"]


def check_syntax(text: str) -> None:
    """Raise SyntaxProblem when PostgreSQL's parser rejects ``text``."""
    try:
        _pg.parse_sql_json(text)
    except Exception as exc:
        raise _parse_error(exc, text) from None


class LineIndex:
    """Map character offsets of one text to 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        """Return the 1-based line and column of a 0-based offset."""
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def line_start(self, line: int) -> int:
        """Return the offset where a 1-based line starts."""
        return self._starts[max(0, min(line, len(self._starts)) - 1)]


def _normal_dollar_body(token: str) -> str:
    tag_end = token.index("$", 1) + 1
    tag = token[:tag_end]
    body = token[tag_end : len(token) - len(tag)]
    try:
        inner = normal_tokens(body)
    except Exception:
        inner = body.split()
    return tag.lower() + " ".join(inner) + tag.lower()


def normal_tokens(text: str) -> list[str]:
    """Return the tokens of ``text`` without comments, whitespace or semicolons, case-folded
    where SQL ignores case. Two texts with equal tokens mean the same thing."""
    out: list[str] = []
    for tok in _pg.scan(text):
        name = tok.name
        if name in _COMMENTS or name == _SEMICOLON:
            continue
        piece = text[tok.start : tok.end + 1]
        if tok.kind != "NO_KEYWORD" or (name == "IDENT" and not piece.startswith('"')):
            piece = piece.lower()
        elif name == "SCONST" and piece.startswith("$"):
            piece = _normal_dollar_body(piece)
        out.append(piece)
    return out


def fingerprint(statements: Iterable[str]) -> str:
    """Return a digest of statements that ignores whitespace, comments and statement boundaries."""
    digest = hashlib.sha256()
    for statement in statements:
        # Line ends as migrations.read_text gives them: the Supabase CLI records a CRLF file's statements
        # as written, so a multi-line string literal would otherwise differ from the same file read here.
        statement = statement.replace("\r\n", "\n").replace("\r", "\n")
        try:
            tokens = normal_tokens(statement)
        except Exception:
            tokens = statement.split()
        for token in tokens:
            digest.update(token.encode("utf-8", "surrogatepass"))
            digest.update(b"\x00")
    return digest.hexdigest()


def same_statements(local: Sequence[str], recorded: Sequence[str]) -> bool:
    """Return True when ``recorded`` (a ledger's statements) is the same SQL as ``local``.

    Accepts the split form ``supabase db push`` writes, the whole-file form of Supabase's
    apply_migration, and differences only in whitespace, comments, keyword case or semicolons.
    """

    def trimmed(items: Sequence[str]) -> list[str]:
        return [s.strip().rstrip(";").rstrip() for s in items if s.strip().rstrip(";").strip()]

    if trimmed(local) == trimmed(recorded):
        return True
    return fingerprint(local) == fingerprint(recorded)


def quote_literal(value: str) -> str:
    """Quote a string as a SQL literal that reads the same whatever ``standard_conforming_strings`` is.

    A value with a backslash becomes an escape string (``E'...'``, backslashes doubled), whose meaning does
    not depend on that setting; any other value is a plain literal.
    """
    if "\x00" in value:
        raise ValueError("PostgreSQL text cannot contain NUL characters")
    if "\\" in value:
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """Quote an identifier when it needs it."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def text_array(values: Sequence[str]) -> str:
    """Return a text[] literal expression."""
    if not values:
        return "'{}'::text[]"
    return "ARRAY[" + ", ".join(quote_literal(v) for v in values) + "]::text[]"


def copy_from_stdin(text: str) -> int | None:
    """Return where the first ``COPY ... FROM STDIN`` of ``text`` starts (None: it has none).

    Its rows would come from the client after the statement, which no request of the Management API
    (nor this tool's direct connection) can send. Read with the scanner, so comments and strings do not
    count and the rows a pg_dump file puts after it need not parse.
    """
    try:
        tokens = [t for t in _pg.scan(text) if t.name not in _COMMENTS]
    except Exception:  # the scanner's errors: the parser will report the file
        return None
    first, previous = True, ""
    copy_at: int | None = None
    for token in tokens:
        if token.name == "ASCII_59":  # ;
            first, copy_at = True, None
            continue
        if first and token.name == "COPY":
            copy_at = token.start
        elif copy_at is not None and previous == "FROM" and token.name == "STDIN":
            return len(text.encode("utf-8")[:copy_at].decode("utf-8", "replace"))
        first, previous = False, token.name
    return None


def unnamed_concurrent_index(statement: str) -> bool:
    """Return True for a ``CREATE INDEX CONCURRENTLY`` without an index name."""
    import pglast
    from pglast import ast

    if "CONCURRENTLY" not in statement.upper():
        return False
    try:
        nodes = pglast.parse_sql(statement)
    except pglast.parser.ParseError:
        return False
    node = nodes[0].stmt if len(nodes) == 1 else None
    return isinstance(node, ast.IndexStmt) and bool(node.concurrent) and not node.idxname
