"""The batch form: one request carrying several migrations (or rollback steps), each its own transaction.

::

    /* migrations-tasks request TAG */       -- names the request in pg_stat_activity (see below)
    DO $mt_baseline$ ... $mt_baseline$;      -- remember the session the request started with
    BEGIN; <lock and guard>; <statements>; <ledger row>; <session reset>; COMMIT;
    BEGIN; <lock and guard>; ...; <session reset>; COMMIT;

Explicit ``BEGIN; ... COMMIT;`` blocks commit one by one in a multi-statement string, also when the
endpoint prefixes the query with ``SET statement_timeout=...; SET idle_session_timeout=...;``
(postgres-meta may): the prefix's implicit transaction block becomes the first explicit one. A ``DO`` block
or procedure that ``COMMIT``s would fail there with 2D000, which is why the form is plain SQL. When a
statement fails, PostgreSQL skips the rest of the string and the open block is rolled back (when the
connection closes, or by the transport): the migrations before it are committed with their ledger rows,
it is absent, the later ones never ran.

Each block ends by putting the session back as the request found it, so the next block starts from the
session it would have had in a request of its own: ``SET SESSION AUTHORIZATION DEFAULT`` (also ending a
``SET ROLE``), ``RESET ALL``, then the settings the request started with (the endpoint's
``statement_timeout``, say), remembered by the first statement; then it drops what a migration may leave
in the session besides settings (:data:`CLEAN_SQL`: temporary tables, sequences' ``currval``/``lastval``,
cached plans, prepared statements, cursors held open, ``LISTEN`` registrations, session-level advisory
locks; the migration lock is transaction-scoped, so it is not one of them). The reset runs *before* the
next ``BEGIN``, inside the block it cleans up after: a transaction's characteristics (read only, isolation
level, deferrable) are fixed when it starts, from the ``default_transaction_*`` settings of that moment, so
a reset after the next ``BEGIN`` would come too late for them. (``DISCARD ALL`` would do all of it in one
statement, but it cannot run inside a transaction block; each of these can.) One thing no statement can
undo: a custom setting (``app.flag``) once set reads ``''`` rather than NULL for the rest of a connection,
so a later migration of the batch sees ``current_setting('app.flag', true) = ''`` where a request of its
own would see NULL.

The migration lock is transaction-scoped, so it is free between two blocks of a request still running.
A reader that must know the request has finished (settling a lost answer: :func:`.send.ledger_versions`)
waits until no other session is running a query carrying the request's tag (:func:`running_sql`).

Everything here is pure: SQL text, and what an error says about the form (and whether a migration's own
statement ends transactions, read with pglast).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ..errors import SqlError
from ..history.sqlfile import Statement
from .request import Part, Request

#: The custom setting holding the session's settings as the request found them (JSON).
BASELINE_SETTING = "migrations_tasks.session"

#: Remember the settings this request's session started with (``SET`` by the endpoint or the transport).
BASELINE_SQL = (
    "DO $mt_baseline$\nBEGIN\n"
    f"  PERFORM set_config('{BASELINE_SETTING}', (SELECT coalesce(json_object_agg(name, setting), '{{}}')::text\n"
    "     FROM pg_catalog.pg_settings WHERE source = 'session' AND context IN ('user', 'superuser')), false);\n"
    "END $mt_baseline$"
)

#: Starts the comment naming a batch request; a tag (32 hex digits) follows.
TAG_MARK = "migrations-tasks request"


def baseline_sql(tag: str = "") -> str:
    """Return the batch's first statement: :data:`BASELINE_SQL`, after a comment naming request ``tag``."""
    return f"/* {TAG_MARK} {tag} */\n{BASELINE_SQL}" if tag else BASELINE_SQL


def running_sql(tag: str) -> str:
    """Return a condition true while another session runs the request tagged ``tag``."""
    return (
        "EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity WHERE pid <> pg_catalog.pg_backend_pid() "
        f"AND state <> 'idle' AND position('{TAG_MARK} {tag}' IN query) > 0)"
    )


#: Put the session back as the request found it, at the end of each block (before the next one's BEGIN).
RESET_SQL = (
    "DO $mt_session$\nDECLARE\n"
    f"  baseline text := pg_catalog.current_setting('{BASELINE_SETTING}', true);\n"
    "  item record;\nBEGIN\n"
    "  SET SESSION AUTHORIZATION DEFAULT;\n"
    "  RESET ALL;\n"
    "  FOR item IN SELECT key, value\n"
    "      FROM pg_catalog.json_each_text(coalesce(nullif(baseline, ''), '{}')::pg_catalog.json) LOOP\n"
    "    PERFORM pg_catalog.set_config(item.key, item.value, false);\n"
    "  END LOOP;\n"
    f"  PERFORM pg_catalog.set_config('{BASELINE_SETTING}', baseline, false);\n"
    "END $mt_session$"
)

#: Drop what a migration may leave in the session besides settings; each runs inside a transaction block.
CLEAN_SQL = (
    "DISCARD TEMP",
    "DISCARD SEQUENCES",
    "DISCARD PLANS",
    "DEALLOCATE ALL",
    "CLOSE ALL",
    "UNLISTEN *",
    "SELECT pg_catalog.pg_advisory_unlock_all()",
)

#: SQLSTATEs of a server that refuses explicit transaction blocks in one request.
REFUSING_STATES = frozenset({"2D000", "25001", "25P01"})


def block(request: Request) -> Request:
    """Return ``request`` as one block of a batch: its own transaction, leaving the session as it found it."""
    out = Request().add("BEGIN", role="transaction")
    for part in request.parts:
        out.add(part.text, part.statement, part.role)
    out.add(RESET_SQL, role="session reset")
    for text in CLEAN_SQL:
        out.add(text, role="session reset")
    return out.add("COMMIT", role="transaction")


def batch_request(requests: Sequence[Request], tag: str = "") -> Request:
    """Return the request carrying ``requests`` (each one migration's or step's), one block each.

    ``tag`` (hex digits) names the request in ``pg_stat_activity``, for :func:`running_sql`.
    """
    if not tag.isalnum() and tag:
        raise ValueError("a request tag is letters and digits")
    batch = Request().add(baseline_sql(tag), role="session baseline")
    for owner, request in enumerate(requests):
        batch.extend(block(request), owner)
    return batch


def refuses_the_form(error: SqlError, part: Part | None, suspects: Sequence[Statement] = ()) -> bool:
    """Return True when ``error`` says the server refuses the batch form (not that a migration failed).

    It must come from one of our own statements (or an unknown place) and be about transaction blocks or
    several statements in one request; a migration's own statement failing is a migration failure. A
    2D000 where the server did not say where is the migration's own when one of ``suspects`` (the
    statements of the step that failed) ends transactions itself (:func:`ends_transactions`): it fails the
    same way in a request of its own, where the lock, guard and ledger row share its transaction.
    """
    if part is not None and part.statement is not None:
        return False
    if error.sqlstate == "2D000" and any(ends_transactions(s.text) for s in suspects):
        return False
    return error.sqlstate in REFUSING_STATES or "cannot insert multiple commands" in error.message


#: The PL/pgSQL statements that end the transaction they run in.
_PLPGSQL_ENDS = ("PLpgSQL_stmt_commit", "PLpgSQL_stmt_rollback")


def ends_transactions(text: str) -> bool:
    """Return True when a statement may COMMIT or ROLLBACK from inside: a DO block that does, or a CALL."""
    import pglast
    from pglast import ast

    try:
        nodes = [raw.stmt for raw in pglast.parse_sql(text)]
    except pglast.parser.ParseError:
        return False
    for node in nodes:
        if isinstance(node, ast.CallStmt):  # a procedure may COMMIT; what it does is not in the file
            return True
        if isinstance(node, ast.DoStmt) and _do_ends_transactions(node):
            return True
    return False


def _do_ends_transactions(node: Any) -> bool:
    """Return True when a DO block's body COMMITs or ROLLs BACK (any word of it, in another language)."""
    import pglast

    options = {arg.defname: arg.arg.sval for arg in node.args or ()}
    body, language = str(options.get("as", "")), str(options.get("language", "plpgsql")).lower()
    if language != "plpgsql":
        return re.search(r"\b(commit|rollback)\b", body, re.IGNORECASE) is not None
    tag = "$mt_body$"
    try:
        tree = pglast.parse_plpgsql(f"CREATE FUNCTION pg_temp.f() RETURNS void LANGUAGE plpgsql AS {tag}{body}{tag}")
    except Exception:  # pglast raises several types; the server reports a body that does not parse
        return False
    return any(key in json.dumps(tree) for key in _PLPGSQL_ENDS)
