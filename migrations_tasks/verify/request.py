"""``db.verify``'s one request on the live database, and the decoding of its one row.

The request holds one ``DO`` block per verify script (:mod:`.scripts`), one that copies the ledger's rows
into a transaction-local setting (the table may not exist), and a final ``SELECT`` returning one row of
JSON: the ledger's columns and rows, the advisories (:mod:`.lints`), the critical tables' check, the
scripts' outcomes and, for drift, the live catalog (:mod:`.drift`). It is the last statement, so the
Management API returns its row. Nothing is written, so the request is sent as a read.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from typing import Any

from ..catalog import as_json
from ..catalog import snapshot as catalog_snapshot
from ..catalog.schemas import text_array
from ..config.settings import Settings
from ..config.subsections import CriticalTable, Silence
from ..history import ledger
from ..sql import quote_literal
from . import lints
from .results import Finding
from .scripts import SETTING, VerifyScript, script_sql

LEDGER_ROWS_SQL = f"""DO $mt_ledger$
DECLARE v text;
BEGIN
  IF to_regclass('{ledger.TABLE}') IS NOT NULL THEN
    EXECUTE 'SELECT coalesce(json_agg(to_jsonb(m)), ''[]'')::text FROM {ledger.TABLE} m' INTO v;
    PERFORM set_config('{SETTING}.ledger', v, true);
  END IF;
END $mt_ledger$"""


#: The ledger's columns and rows as two columns of a final ``SELECT`` (after :data:`LEDGER_ROWS_SQL` ran).
LEDGER_COLUMNS = f"{ledger.COLUMNS_SQL} AS ledger_columns,\n  current_setting('{SETTING}.ledger', true) AS ledger_rows"


def decode_ledger(row: dict[str, Any]) -> ledger.Ledger:
    """Return the ledger from a row holding :data:`LEDGER_COLUMNS`."""
    return ledger.decode(
        [{"columns": as_json(row.get("ledger_columns")) or [], "rows": as_json(row.get("ledger_rows")) or []}]
    )


def critical_sql(tables: Sequence[CriticalTable]) -> str:
    """Return an expression: the JSON array of critical tables with whether they exist and missing columns."""
    if not tables:
        return "'[]'::json"
    values = ", ".join(f"({quote_literal(t.name)}, {text_array(t.columns)})" for t in tables)
    return f"""(SELECT json_agg(json_build_object('table', t.name, 'exists', to_regclass(t.name) IS NOT NULL,
   'missing', (SELECT coalesce(json_agg(u.col ORDER BY u.ord), '[]') FROM unnest(t.cols) WITH ORDINALITY u(col, ord)
               WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = to_regclass(t.name)
                                 AND a.attname = u.col AND a.attnum > 0 AND NOT a.attisdropped))) ORDER BY t.o)
  FROM (SELECT v.*, row_number() OVER () AS o FROM (VALUES {values}) v(name, cols)) t)"""


def request_sql(scripts: Sequence[VerifyScript], settings: Settings, *, catalog: bool) -> str:
    """Return verify's one request on the live database (see the module docstring)."""
    vs = settings.verify
    parts = [script_sql(i, s) for i, s in enumerate(scripts, 1)]
    parts.append(LEDGER_ROWS_SQL)
    outcomes = ", ".join(f"current_setting('{SETTING}.verify_{i}', true)" for i in range(1, len(scripts) + 1))
    # The critical tables and advisories are read with the caller's search_path and kept for the last
    # statement, which reads the catalog with an empty one (as the throwaway's is read: names qualified).
    parts.append(f"""SELECT set_config('{SETTING}.critical', ({critical_sql(vs.critical_tables)})::text, true),
  set_config('{SETTING}.findings', ({lints.findings_sql(vs.exposed_schemas)})::text, true)""")
    snapshot = (
        catalog_snapshot.columns_sql(vs.drift_schemas, vs.drift_ignore_schemas)
        if catalog
        else "NULL::json AS catalog, NULL::json AS detail, NULL::json AS parts"
    )
    if catalog:
        parts.append(catalog_snapshot.PATH_SQL)
    parts.append(f"""SELECT
  current_setting('server_version') AS server_version,
  {LEDGER_COLUMNS},
  to_json(ARRAY[{outcomes}]::text[]) AS scripts,
  current_setting('{SETTING}.critical', true) AS critical,
  current_setting('{SETTING}.findings', true) AS findings,
  {snapshot}""")
    return ";\n".join(parts) + ";"


def silence_for(finding_rule: str, object_name: str, relation: str, silences: Sequence[Silence]) -> Silence | None:
    """Return the first configured silence that matches a finding's rule and object (globs allowed)."""
    for silence in silences:
        if not fnmatch.fnmatchcase(finding_rule, silence.rule):
            continue
        if fnmatch.fnmatchcase(object_name, silence.object) or fnmatch.fnmatchcase(relation, silence.object):
            return silence
    return None


def decode_findings(raw: Any, silences: Sequence[Silence]) -> list[Finding]:
    """Attach level, title, remedy and silencing to the raw findings; errors first."""
    out = []
    for item in as_json(raw) or []:
        rule = lints.RULES.get(str(item.get("rule")))
        if rule is None:
            continue
        silence = silence_for(rule.name, str(item["object"]), str(item["relation"]), silences)
        out.append(
            Finding(
                rule.name,
                rule.level,
                str(item["object"]),
                str(item["relation"]),
                str(item.get("detail") or ""),
                rule.remedy,
                rule.title,
                silence.reason if silence else None,
            )
        )
    out.sort(key=lambda f: (lints.LEVELS.index(f.level), f.rule, f.object))
    return out
