"""Ask the live database the data checks (:mod:`.datachecks`), read-only: the requests, their answers.

Each request is one read-only transaction (``BEGIN TRANSACTION READ ONLY ... ROLLBACK``), sent over the
Management API's read-only endpoint when the transport has it (as ``supabase_read_only_user``), else as a
read. Each check is its own ``DO`` block, so each runs under :data:`STATEMENT_TIMEOUT` and a check that
fails to run (timeout, permission, a name that does not exist yet) is caught there and answered "unknown";
the others go on. Only counts travel back: never a row, never an error message (it may quote a value).

A request holds at most :data:`PER_REQUEST` checks (their timeouts add up under the API's query timeout) and
stays under the transport's body limit; a check too large to send alone is unknown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..errors import SqlError, TransportError
from ..sql import quote_literal
from ..transport.database import Database, Row
from .datachecks import CAP, LOCKED_CAP, RESOLVED, Check
from .results import Data, DataCheck

STATEMENT_TIMEOUT = "5s"
PER_REQUEST = 8
_KEY = "mt_check.c"


def _block(number: int, check: Check) -> str:
    """Return the DO block that answers one check under the setting ``mt_check.c<number>``."""
    probe = (
        f"  BEGIN EXECUTE {quote_literal(check.probe_sql)};\n"
        "  EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN mt_failed := SQLSTATE; END;\n"
        if check.probe_sql
        else ""
    )
    count = quote_literal(check.count_sql)
    resolve = f"  mt_resolved := ({check.resolve});\n" if check.resolve else ""
    if check.resolve:  # a part only the live catalog knows: a NULL one fails the EXECUTE (unknown)
        count = f"replace({count}, '{RESOLVED}', mt_resolved)"
    count = f"  EXECUTE {count} INTO mt_count;\n" if check.count_sql else ""
    key = quote_literal(f"{_KEY}{number}")
    return (
        "DO $mt_check$\n#variable_conflict use_column\n"
        "DECLARE mt_count bigint; mt_failed text := ''; mt_resolved text;\nBEGIN\n"
        f"{probe}{resolve}{count}"
        f"  PERFORM pg_catalog.set_config({key},"
        " json_build_array('ran', mt_failed, mt_count, mt_resolved)::text, true);\n"
        "EXCEPTION WHEN query_canceled OR others THEN\n"
        f"  PERFORM pg_catalog.set_config({key}, json_build_array('unknown', SQLSTATE)::text, true);\n"
        "END $mt_check$"
    )


def request_sql(checks: Sequence[Check]) -> str:
    """Return one read-only request asking ``checks``; its one row holds ``answers``, a JSON array."""
    parts = [
        "BEGIN TRANSACTION READ ONLY",
        f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'",
        "SET LOCAL lock_timeout = '1s'",
        "SET LOCAL search_path = public, extensions",
        *(_block(n, check) for n, check in enumerate(checks, 1)),
        f"SELECT coalesce(json_agg(pg_catalog.current_setting('{_KEY}' || i, true) ORDER BY i), '[]') AS answers"
        f" FROM generate_series(1, {len(checks)}) i",
        "ROLLBACK",
    ]
    return ";\n".join(parts) + ";"


def _why(sqlstate: str) -> str:
    return {
        "57014": f"it ran out of time (statement_timeout {STATEMENT_TIMEOUT})",
        "55P03": "a lock on the table was held by someone else (lock_timeout 1s)",
        "42501": "no permission to read the table",
        "42P01": "a table it reads does not exist yet on the live database",
        "42703": "a column it reads does not exist yet on the live database",
        "22004": "what it needs from the live catalog is not there (a table, key, constraint, index or domain),"
        " or a BEFORE trigger may change the rows the statement writes",
    }.get(sqlstate, f"it could not run ({sqlstate})" if len(sqlstate) == 5 else sqlstate)


def verdict(check: Check, answer: Any) -> DataCheck:
    """Return what one answer says about its check."""
    base = DataCheck(check.table, check.what, Data.UNKNOWN, check.sqlstate, query=check.find_sql)
    if check.unknown:
        return replace(base, reason=check.unknown)
    items = json.loads(answer) if isinstance(answer, str) and answer else answer
    if not isinstance(items, list) or not items:
        return replace(base, reason="no answer came back")
    if RESOLVED in check.find_sql:  # the live catalog's part (names and definitions, never a row's values)
        found = items[3] if items[0] == "ran" and len(items) > 3 and isinstance(items[3], str) else None
        base = replace(base, query=check.find_sql.replace(RESOLVED, found or "<what the live catalog lacks>"))
    if items[0] != "ran":
        return replace(base, reason=_why(str(items[1])))
    failed, rows = str(items[1] or ""), None if items[2] is None else int(items[2])
    if check.counts_locks:
        more = rows is not None and rows > LOCKED_CAP
        return replace(base, status=Data.COUNTED, rows=min(rows or 0, LOCKED_CAP), more=more)
    if failed or rows:
        if check.doubts.if_fails:
            return replace(base, reason=f"the live rows fail it now, but {check.doubts.if_fails}")
        more = rows is not None and rows > CAP
        sqlstate = failed or check.sqlstate
        return replace(base, status=Data.FAILS, sqlstate=sqlstate, rows=min(rows, CAP) if rows else None, more=more)
    if check.doubts.if_passes:
        return replace(base, reason=f"the live rows pass it now, but {check.doubts.if_passes}")
    return replace(base, status=Data.PASSES)


def _read_only(db: Database, sql: str) -> list[Row]:
    """Run ``sql`` on the read-only endpoint when the transport has one, else as a read."""
    run = getattr(db, "execute_read_only", None)
    return list(run(sql)) if run is not None else db.execute(sql, write=False)


def _batches(db: Database, checks: Sequence[Check]) -> list[list[Check]]:
    """Split the askable checks into requests: at most PER_REQUEST each, within the body limit."""
    limit = db.max_request_bytes
    batches: list[list[Check]] = [[]]
    for check in checks:
        if len(batches[-1]) == PER_REQUEST or (
            limit is not None and batches[-1] and db.request_bytes(request_sql([*batches[-1], check])) > limit
        ):
            batches.append([])
        batches[-1].append(check)
    return [b for b in batches if b]


def ask(db: Database, checks: Sequence[Check]) -> list[DataCheck]:
    """Ask the live database every check (read-only); return their verdicts, in order."""
    answers: dict[int, Any] = {}
    askable = [c for c in checks if not c.unknown]
    for batch in _batches(db, askable):
        sql = request_sql(batch)
        limit = db.max_request_bytes
        if limit is not None and db.request_bytes(sql) > limit:
            answers.update({id(c): ["unknown", "too large to send"] for c in batch})
            continue
        try:
            rows = _read_only(db, sql)
            got = rows[0]["answers"] if rows else []
            got = json.loads(got) if isinstance(got, str) else got
        except (SqlError, TransportError) as exc:  # the checks are unknown; the plan goes on
            reason = exc.message.splitlines()[0] if exc.message else type(exc).__name__
            answers.update({id(c): ["unknown", reason] for c in batch})
            continue
        answers.update({id(c): answer for c, answer in zip(batch, got)})
    return [verdict(c, answers.get(id(c))) for c in checks]
