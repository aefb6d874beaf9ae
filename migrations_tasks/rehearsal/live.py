"""``db.plan``'s one request to the live project: its ledger, and the size of the tables the pending
migrations touch (pure SQL text and decoding).

Which migrations are pending is only known from the ledger, so the request names no table: it returns the
estimates of every live table, and the plan looks up those the pending migrations touch. Its size is the
same for any migration. The ledger may not exist: it is read in a ``DO`` block (as db.verify does). Nothing
is written, so it is sent as a read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..errors import ProtocolError
from ..history import ledger
from ..verify.request import LEDGER_ROWS_SQL
from ..verify.scripts import SETTING
from .results import Estimate

#: The live tables (not PostgreSQL's own): their row estimate and size. The request names no table, so its
#: size does not grow with the migrations (a body limit applies on the Management API); the answer grows
#: with the live schema only.
ESTIMATES_SQL = """(SELECT coalesce(json_agg(json_build_object('table', format('%I.%I', n.nspname, c.relname),
          'rows', CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint ELSE s.n_live_tup END,
          'bytes', pg_catalog.pg_total_relation_size(c.oid))), '[]')
     FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_stat_user_tables s ON s.relid = c.oid
    WHERE c.relkind IN ('r', 'p', 'm')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'supabase_migrations')
      AND n.nspname !~ '^pg_(toast_)?temp_')"""


def request_sql() -> str:
    """Return the live request: the ledger's columns and rows, the server's version and the table estimates."""
    rows = f"current_setting('{SETTING}.ledger', true)"
    return f"""{LEDGER_ROWS_SQL};
SELECT {ledger.COLUMNS_SQL} AS ledger_columns, {rows} AS ledger_rows,
  current_setting('server_version_num')::int AS server_version_num,
  {ESTIMATES_SQL} AS estimates;"""


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def decode(rows: Sequence[dict[str, Any]]) -> tuple[ledger.Ledger, dict[str, Estimate], int]:
    """Return the ledger, the estimates by table and the server's version number from the request's one row."""
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
    return history, estimates, int(row.get("server_version_num") or 0)
