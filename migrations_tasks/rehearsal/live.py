"""``db.plan``'s one request to the live project: its ledger, and the size of the tables the pending
migrations touch (pure SQL text and decoding).

Which migrations are pending is only known from the ledger, so the request carries every local migration's
table names and keeps, on the server, those of versions the ledger does not list. The ledger may not exist:
it is read in a ``DO`` block (as db.verify does). Nothing is written, so it is sent as a read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..errors import ProtocolError
from ..history import ledger
from ..history.migrations import Migration
from ..lint import tree
from ..sql import quote_ident, text_array
from ..verify.request import LEDGER_ROWS_SQL
from ..verify.scripts import SETTING
from .results import Estimate


def touched(migration: Migration) -> list[str]:
    """Return the tables a migration's statements name, quoted as the catalog prints them."""
    names: set[str] = set()
    for statement in migration.statements:
        names |= tree.referenced(tree.parse(statement.text))
    return sorted(".".join(quote_ident(part) for part in name.split(".", 1)) for name in names if name)


def request_sql(migrations: Sequence[Migration]) -> str:
    """Return the live request: the ledger's columns and rows, and the estimates of pending tables."""
    pairs = [(m.version, name) for m in migrations for name in touched(m)]
    versions, names = text_array([v for v, _ in pairs]), text_array([n for _, n in pairs])
    rows = f"current_setting('{SETTING}.ledger', true)"
    return f"""{LEDGER_ROWS_SQL};
SELECT {ledger.COLUMNS_SQL} AS ledger_columns, {rows} AS ledger_rows,
  (SELECT coalesce(json_agg(json_build_object('table', format('%I.%I', n.nspname, c.relname),
          'rows', CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint ELSE s.n_live_tup END,
          'bytes', pg_catalog.pg_total_relation_size(c.oid))), '[]')
     FROM (SELECT DISTINCT w.name FROM unnest({versions}, {names}) AS w(version, name)
            WHERE w.version NOT IN (SELECT r->>'version' FROM json_array_elements(coalesce({rows}, '[]')::json) r)) t
     JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(t.name)
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_stat_user_tables s ON s.relid = c.oid) AS estimates;"""


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def decode(rows: Sequence[dict[str, Any]]) -> tuple[ledger.Ledger, dict[str, Estimate]]:
    """Return the ledger and the estimates by table from the request's one row."""
    if len(rows) != 1:
        raise ProtocolError(f"db.plan's request returned {len(rows)} rows instead of one.")
    row = rows[0]
    history = ledger.decode(
        [{"columns": _json(row.get("ledger_columns")) or [], "rows": _json(row.get("ledger_rows")) or []}]
    )
    estimates = {
        str(item["table"]): Estimate(
            None if item.get("rows") is None else int(item["rows"]),
            None if item.get("bytes") is None else int(item["bytes"]),
        )
        for item in _json(row.get("estimates")) or []
    }
    return history, estimates
