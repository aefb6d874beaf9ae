"""Unit tests for migrations_tasks.history.ledger: decoding the ledger read and building its SQL (pure)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pglast import parser

from migrations_tasks.errors import LedgerError
from migrations_tasks.history import ledger as L

# Column lists as READ_SQL returns them (recorded from PostgreSQL 18).
CLI_SHAPE = [
    {"name": "version", "type": "text", "not_null": True, "has_default": False},
    {"name": "statements", "type": "text[]", "not_null": False, "has_default": False},
    {"name": "name", "type": "text", "not_null": False, "has_default": False},
]
HOSTED_SHAPE = [
    *CLI_SHAPE,
    {"name": "created_by", "type": "text", "not_null": False, "has_default": False},
    {"name": "idempotency_key", "type": "text", "not_null": False, "has_default": False},
    {"name": "rollback", "type": "text[]", "not_null": False, "has_default": False},
]


def answer(columns: Any, rows: Any) -> list[dict[str, Any]]:
    return [{"columns": columns, "rows": rows}]


def column(name: str, type_: str, *, not_null: bool = False, has_default: bool = False) -> dict[str, Any]:
    return {"name": name, "type": type_, "not_null": not_null, "has_default": has_default}


# -- decode -----------------------------------------------------------------------------------------


def test_decode_of_a_missing_table_is_an_empty_ledger_that_does_not_exist() -> None:
    ledger = L.decode(answer([], []))
    assert not ledger.exists
    assert ledger.rows == () and ledger.versions() == set()


def test_decode_of_null_columns_and_rows_is_a_missing_table() -> None:
    assert not L.decode(answer(None, None)).exists


def test_decode_reads_the_cli_shape() -> None:
    rows = [{"version": "20240101000000", "name": "init", "statements": ["CREATE TABLE a (id int)"]}]
    ledger = L.decode(answer(CLI_SHAPE, rows))
    assert ledger.exists
    assert ledger.has("statements") and ledger.has("name") and not ledger.has("rollback")
    assert ledger.rows == (L.LedgerRow("20240101000000", "init", ("CREATE TABLE a (id int)",), None),)
    assert ledger.versions() == {"20240101000000"}


def test_decode_reads_a_table_with_only_a_version_column() -> None:
    ledger = L.decode(answer([column("version", "text", not_null=True)], [{"version": "1"}, {"version": "2"}]))
    assert list(ledger.columns) == ["version"]
    assert ledger.rows == (L.LedgerRow("1"), L.LedgerRow("2"))
    assert all(r.statements is None and r.name is None for r in ledger.rows)


def test_decode_reads_the_hosted_shape_with_created_by_idempotency_key_and_rollback() -> None:
    rows = [
        {
            "version": "20240101000000",
            "name": "init",
            "statements": ["SELECT 1"],
            "created_by": "someone@example.com",
            "idempotency_key": None,
            "rollback": ["DROP TABLE a"],
        }
    ]
    ledger = L.decode(answer(HOSTED_SHAPE, rows))
    assert ledger.has("created_by") and ledger.has("idempotency_key")
    assert ledger.rows[0].rollback == ("DROP TABLE a",)


def test_decode_turns_a_bigint_version_into_text() -> None:
    columns = [column("version", "bigint", not_null=True), column("name", "text")]
    ledger = L.decode(answer(columns, [{"version": 20240101000000, "name": "init"}]))
    assert ledger.rows[0].version == "20240101000000"


def test_decode_accepts_varchar_with_length_and_varchar_arrays() -> None:
    columns = [
        column("version", "character varying(255)", not_null=True),
        column("statements", "character varying(255)[]"),
        column("name", "character varying"),
    ]
    assert L.decode(answer(columns, [])).exists


def test_decode_accepts_json_given_as_strings() -> None:
    rows = [{"version": "1", "name": "a", "statements": ["SELECT 1"]}]
    ledger = L.decode(answer(json.dumps(CLI_SHAPE), json.dumps(rows)))
    assert ledger.rows == (L.LedgerRow("1", "a", ("SELECT 1",)),)


def test_decode_skips_rows_without_a_version() -> None:
    ledger = L.decode(answer(CLI_SHAPE, [{"version": None, "name": "ghost"}, {"version": "1"}]))
    assert ledger.versions() == {"1"}


@pytest.mark.parametrize(
    ("name", "bad_type"),
    [("statements", "text"), ("statements", "jsonb"), ("version", "uuid"), ("name", "integer"), ("rollback", "text")],
)
def test_decode_refuses_a_known_column_of_the_wrong_type(name: str, bad_type: str) -> None:
    columns = [c if c["name"] != name else column(name, bad_type) for c in HOSTED_SHAPE]
    with pytest.raises(LedgerError) as info:
        L.decode(answer(columns, []))
    assert f"schema_migrations.{name} has type {bad_type}" in str(info.value)


def test_decode_refuses_a_statements_value_that_is_not_a_list_of_text() -> None:
    rows = [{"version": "1", "statements": "{CREATE TABLE a (id int)}"}]
    with pytest.raises(LedgerError) as info:
        L.decode(answer(CLI_SHAPE, rows))
    assert "statements of version 1 is not an array of text" in str(info.value)


def test_decode_refuses_a_statements_array_holding_null() -> None:
    with pytest.raises(LedgerError, match="not an array of text"):
        L.decode(answer(CLI_SHAPE, [{"version": "1", "statements": ["SELECT 1", None]}]))


def test_decode_refuses_a_table_without_a_version_column() -> None:
    with pytest.raises(LedgerError, match="has no 'version' column"):
        L.decode(answer([column("id", "integer", not_null=True, has_default=True)], []))


def test_decode_refuses_an_unknown_not_null_column_without_a_default() -> None:
    columns = [*CLI_SHAPE, column("executed_by", "text", not_null=True)]
    with pytest.raises(LedgerError) as info:
        L.decode(answer(columns, []))
    assert "executed_by" in str(info.value)
    assert "default" in (info.value.hint or "")


def test_decode_accepts_unknown_not_null_columns_that_fill_themselves() -> None:
    columns = [
        *CLI_SHAPE,
        column("executed_at", "timestamp with time zone", not_null=True, has_default=True),
        column("id", "bigint", not_null=True, has_default=True),  # identity columns count as defaults
    ]
    assert L.decode(answer(columns, [])).has("executed_at")


@pytest.mark.parametrize("rows", [[], [{"columns": []}], [{"columns": [], "rows": []}, {"columns": [], "rows": []}]])
def test_decode_refuses_an_answer_of_the_wrong_shape(rows: list[dict[str, Any]]) -> None:
    with pytest.raises(LedgerError, match="Unexpected answer"):
        L.decode(rows)


# -- SQL builders -----------------------------------------------------------------------------------


def statements_of(text: str) -> list[str]:
    return [
        text[s.stmt_location : s.stmt_location + s.stmt_len].strip() if s.stmt_len else text[s.stmt_location :].strip()
        for s in parser.parse_sql(text)
    ]


def test_create_sql_runs_exactly_the_supabase_cli_ddl_after_the_lock() -> None:
    statements = statements_of(L.create_sql())
    assert statements[0].startswith("DO $mt_lock$")
    assert statements[1:] == [
        "SET lock_timeout = '4s'",
        "CREATE SCHEMA IF NOT EXISTS supabase_migrations",
        "CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY)",
        "ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[]",
        "ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text",
    ]


def test_insert_sql_uses_only_the_columns_that_exist() -> None:
    only_version = {"version": L.Column("version", "text", True)}
    sql = L.insert_sql(only_version, version="1", name="init", statements=["SELECT 1"], rollback=["x"], created_by="ci")
    assert sql == "INSERT INTO supabase_migrations.schema_migrations (version) VALUES ('1')"


def test_insert_sql_fills_cli_columns() -> None:
    sql = L.insert_sql(L.CLI_COLUMNS, version="20240101000000", name="init", statements=["SELECT 'it''s'", "SELECT 2"])
    assert sql == (
        "INSERT INTO supabase_migrations.schema_migrations (version, name, statements) VALUES "
        "('20240101000000', 'init', ARRAY['SELECT ''it''''s''', 'SELECT 2']::text[])"
    )
    parser.parse_sql(sql)


def test_insert_sql_fills_hosted_columns_when_values_are_given() -> None:
    columns = {c["name"]: L.Column(c["name"], c["type"]) for c in HOSTED_SHAPE}
    sql = L.insert_sql(columns, version="1", name="n", statements=[], rollback=["DROP TABLE a"], created_by="ci")
    assert "(version, name, statements, rollback, created_by)" in sql
    assert "'{}'::text[]" in sql and "ARRAY['DROP TABLE a']::text[]" in sql and "'ci'" in sql
    assert "idempotency_key" not in sql
    parser.parse_sql(sql)


def test_insert_sql_leaves_out_rollback_and_created_by_without_values() -> None:
    columns = {c["name"]: L.Column(c["name"], c["type"]) for c in HOSTED_SHAPE}
    sql = L.insert_sql(columns, version="1", name="n", statements=["SELECT 1"], rollback=None, created_by=None)
    assert "rollback" not in sql and "created_by" not in sql


def test_delete_sql_quotes_the_version() -> None:
    assert L.delete_sql("1'; DROP TABLE x; --") == (
        "DELETE FROM supabase_migrations.schema_migrations WHERE version = '1''; DROP TABLE x; --'"
    )
    assert len(parser.parse_sql(L.delete_sql("1'; DROP TABLE x; --"))) == 1


@pytest.mark.parametrize(
    "sql",
    [
        L.lock_sql(60),
        L.lock_sql(0.25, "10s"),
        L.guard_absent_sql("20240101000000"),
        L.guard_present_sql("20240101000000"),
        L.probe_end_sql(),
        L.READ_SQL,
        L.create_sql(),
    ],
)
def test_generated_sql_parses_including_plpgsql_bodies(sql: str) -> None:
    assert parser.parse_sql(sql)
    if sql.startswith("DO "):
        assert parser.parse_plpgsql_json(sql)


def test_lock_sql_waits_the_given_time_then_sets_the_lock_timeout() -> None:
    sql = L.lock_sql(1.5, "10s")
    assert "set_config('lock_timeout', '1500ms', true)" in sql
    assert f"pg_advisory_xact_lock({L.LOCK_KEY})" in sql
    assert "set_config('lock_timeout', '10s', true)" in sql
    assert sql.index("1500ms") < sql.index("pg_advisory_xact_lock") < sql.index("'10s'")
    assert f"ERRCODE = '{L.LOCK_BUSY}'" in sql
    assert "1.5s" in sql


def test_lock_sql_waits_at_least_one_millisecond() -> None:
    assert "'1ms'" in L.lock_sql(0)


def test_lock_sql_quotes_the_lock_timeout() -> None:
    sql = L.lock_sql(1, "1s'; DROP TABLE x; --")
    assert "'1s''; DROP TABLE x; --'" in sql
    assert parser.parse_plpgsql_json(sql)


def test_lock_key_fits_a_bigint() -> None:
    assert -(2**63) <= L.LOCK_KEY < 2**63


def test_guards_raise_our_own_sqlstates() -> None:
    assert f"ERRCODE = '{L.ALREADY_APPLIED}'" in L.guard_absent_sql("1")
    assert "IF EXISTS" in L.guard_absent_sql("1")
    assert f"ERRCODE = '{L.NOT_APPLIED}'" in L.guard_present_sql("1")
    assert "IF NOT EXISTS" in L.guard_present_sql("1")
    assert f"ERRCODE = '{L.PROBE_DONE}'" in L.probe_end_sql()
    for code in (L.ALREADY_APPLIED, L.NOT_APPLIED, L.LOCK_BUSY, L.PROBE_DONE):
        assert len(code) == 5 and code.isalnum() and code.isupper()


@pytest.mark.parametrize("version", ["it's", "100%", "a'b%c"])
def test_guards_stay_valid_plpgsql_for_versions_with_quotes_or_percent_signs(version: str) -> None:
    for sql in (L.guard_absent_sql(version), L.guard_present_sql(version)):
        assert parser.parse_plpgsql_json(sql)


def test_guards_refuse_a_version_that_could_end_the_dollar_quoted_body() -> None:
    with pytest.raises(ValueError, match=r"cannot contain '\$'"):
        L.guard_absent_sql("1$mt_guard$; DROP TABLE users; DO $mt_guard$BEGIN")
    with pytest.raises(ValueError, match=r"cannot contain '\$'"):
        L.guard_present_sql("$")


def test_read_sql_reads_columns_from_the_catalog_and_rows_as_json() -> None:
    (statement,) = parser.parse_sql(L.READ_SQL)
    assert [t.name for t in statement.stmt.targetList] == ["columns", "rows"]
    assert "to_regclass('supabase_migrations.schema_migrations')" in L.READ_SQL


@pytest.mark.parametrize("version", ["20240101000000", "1", "v 2"])
def test_a_guard_s_refusal_names_its_version(version: str) -> None:
    assert L.guarded_version(f"migration {version} is already applied") == version
    assert L.guarded_version(f"migration {version} is not applied") == version


def test_other_messages_name_no_version() -> None:
    assert L.guarded_version('relation "x" does not exist') is None
    assert L.guarded_version("newer migrations are applied after 3: 4") is None
