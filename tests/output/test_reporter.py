"""Unit tests for migrations_tasks.output.reporter: tables, exit codes, JSON documents and error output."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from migrations_tasks.engine.render import (
    check_status,
    plan_rows,
    render_apply,
    render_check,
    render_event,
    render_partial,
)
from migrations_tasks.errors import (
    AuthError,
    HistoryConflict,
    MigrationFailed,
    MigrationFileError,
    SqlError,
    SqlSyntaxError,
)
from migrations_tasks.history import ledger as L
from migrations_tasks.history import migrations as M
from migrations_tasks.history.status import Comparison, Status, build
from migrations_tasks.output.reporter import Reporter, error_document, table
from migrations_tasks.wording import plural


def migration(version: str, name: str = "change") -> M.Migration:
    path = Path(f"supabase/migrations/{version}_{name}.sql")
    statements = M.parse_statements("CREATE TABLE t (id int);", path)
    return M.Migration(version, name, path, statements, M.plan_units(statements, path))


def plan_of(local: list[str], applied: list[str], changed: tuple[str, ...] = ()) -> Comparison:
    rows = tuple(L.LedgerRow(v, "change", ("SELECT 'different'",) if v in changed else None) for v in applied)
    return build([migration(v) for v in local], L.Ledger(True, dict(L.CLI_COLUMNS), rows))


def reporter(*, as_json: bool = False) -> tuple[Reporter, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Reporter(out=out, err=err, json=as_json), out, err


# -- small helpers ----------------------------------------------------------------------------------


def test_table_aligns_columns_under_their_headers() -> None:
    text = table(
        [["20240101000000", "init", "applied"], ["2", "a_longer_name", "PENDING"]], ["VERSION", "NAME", "STATUS"]
    )
    assert text.splitlines() == [
        "VERSION         NAME           STATUS",
        "--------------  -------------  -------",
        "20240101000000  init           applied",
        "2               a_longer_name  PENDING",
    ]


def test_table_without_rows_is_headers_and_a_rule() -> None:
    assert table([], ["A", "BB"]) == "A  BB\n-  --"


def test_table_lines_have_no_trailing_spaces() -> None:
    text = table([["1", ""]], ["VERSION", "NAME"])
    assert all(line == line.rstrip() for line in text.splitlines())


def test_plural_counts_words() -> None:
    assert [plural(n, "request") for n in (0, 1, 2)] == ["0 requests", "1 request", "2 requests"]


def test_plan_rows_mark_conflicts_in_capitals() -> None:
    plan = plan_of(["1", "2", "4"], ["1", "3", "4"], changed=("4",))
    assert plan_rows(plan) == [
        ["1", "change", "applied"],
        ["2", "change", "OUT-OF-ORDER"],
        ["3", "change", "REMOTE-ONLY"],
        ["4", "change", "CHANGED"],
    ]


# -- check exit codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "applied", "changed", "state", "code"),
    [
        ([], [], (), "in-sync", 0),
        (["1", "2"], ["1", "2"], (), "in-sync", 0),
        (["1", "2"], ["1"], (), "pending", 1),
        (["1", "2"], [], (), "pending", 1),
        (["1", "2"], ["2"], (), "conflict", 2),
        (["1"], ["1", "2"], (), "conflict", 2),
        (["1", "2"], ["1"], ("1",), "conflict", 2),
    ],
)
def test_check_status_exit_codes_are_0_in_sync_1_pending_2_conflict(
    local: list[str], applied: list[str], changed: tuple[str, ...], state: str, code: int
) -> None:
    assert check_status(plan_of(local, applied, changed)) == (state, code)


# -- render_check -----------------------------------------------------------------------------------


def test_render_check_prints_a_table_and_a_verdict_for_pending_migrations() -> None:
    rep, out, err = reporter()
    code = render_check(rep, plan_of(["1", "2"], ["1"]), requests=1, warnings=["Skipping x.txt"], target="project x")
    assert code == 1
    text = out.getvalue()
    assert "VERSION  NAME    STATUS" in text
    assert "2        change  PENDING" in text
    assert "Pending migrations: run `inv db.apply`. (1 applied, 1 pending; 1 request to project x)" in text
    assert err.getvalue() == "warning: Skipping x.txt\n"


def test_render_check_explains_each_conflict() -> None:
    rep, out, _ = reporter()
    code = render_check(
        rep, plan_of(["1", "2", "4"], ["1", "3", "4"], changed=("4",)), requests=1, warnings=[], target="t"
    )
    assert code == 2
    text = out.getvalue()
    assert "History conflict" in text
    assert "  2: older than the newest applied migration (apply with `--include-all`)" in text
    assert "  3: in the ledger but no local file" in text
    assert "  4: the file changed after it was applied" in text


def test_render_check_of_nothing_says_so() -> None:
    rep, out, _ = reporter()
    assert render_check(rep, plan_of([], []), requests=1, warnings=[], target="t") == 0
    assert out.getvalue() == "No migrations, local or applied.\n\nIn sync. (nothing; 1 request to t)\n"


def test_render_check_json_is_one_document_with_every_migration() -> None:
    rep, out, err = reporter(as_json=True)
    code = render_check(rep, plan_of(["1", "2"], ["1", "3"]), requests=1, warnings=["w"], target="project x")
    doc = json.loads(out.getvalue())
    assert code == 2
    assert doc == {
        "status": "conflict",
        "exit_code": 2,
        "target": "project x",
        "requests": 1,
        "ledger_exists": True,
        "counts": {"applied": 1, "pending": 0, "out-of-order": 1, "remote-only": 1, "changed": 0},
        "migrations": [
            {"version": "1", "name": "change", "status": "applied", "file": "supabase/migrations/1_change.sql"},
            {"version": "2", "name": "change", "status": "out-of-order", "file": "supabase/migrations/2_change.sql"},
            {"version": "3", "name": "change", "status": "remote-only", "file": None},
        ],
        "warnings": ["w"],
    }
    assert err.getvalue() == "warning: w\n"


def test_say_is_silent_in_json_mode() -> None:
    rep, out, _ = reporter(as_json=True)
    rep.say("hello")
    assert out.getvalue() == ""


# -- errors -----------------------------------------------------------------------------------------


def test_error_prints_the_message_and_the_hint_to_stderr() -> None:
    rep, out, err = reporter()
    rep.error(AuthError("The Management API rejected the access token (401).", status=401, hint="Check the token."))
    assert out.getvalue() == ""
    assert err.getvalue() == "error: The Management API rejected the access token (401).\n  hint: Check the token.\n"


def test_error_prints_a_sql_error_with_its_sqlstate_detail_and_hint() -> None:
    rep, _, err = reporter()
    rep.error(
        SqlError(
            "permission denied for table schema_migrations",
            sqlstate="42501",
            detail="Role x lacks SELECT.",
            hint="Use the postgres role.",
        )
    )
    assert err.getvalue() == (
        "error: 42501: permission denied for table schema_migrations\n"
        "DETAIL: Role x lacks SELECT.\n"
        "HINT: Use the postgres role.\n"
    )


def test_error_in_json_mode_also_prints_a_json_document() -> None:
    rep, out, err = reporter(as_json=True)
    rep.error(HistoryConflict("History conflict.", hint="Restore the files."))
    assert "error: History conflict." in err.getvalue()
    assert json.loads(out.getvalue()) == {
        "status": "error",
        "exit_code": 2,
        "error": "History conflict.",
        "kind": "HistoryConflict",
        "hint": "Restore the files.",
    }


def test_error_document_names_the_file_line_and_column_of_a_file_problem() -> None:
    doc = error_document(SqlSyntaxError("x.sql:3:7: syntax error", path="x.sql", line=3, column=7, hint="Fix it."))
    assert doc == {
        "status": "error",
        "exit_code": 3,
        "error": "x.sql:3:7: syntax error",
        "kind": "SqlSyntaxError",
        "hint": "Fix it.",
        "file": "x.sql",
        "line": 3,
        "column": 7,
    }
    assert error_document(MigrationFileError("bad"))["file"] is None


def test_error_document_of_a_failed_migration_carries_the_sqlstate() -> None:
    failure = MigrationFailed(
        "Migration 2_x.sql failed", version="2", path="2_x.sql", line=4, sql_error=SqlError("boom", sqlstate="P0001")
    )
    doc = error_document(failure)
    assert (doc["exit_code"], doc["sqlstate"], doc["file"], doc["line"]) == (1, "P0001", "2_x.sql", 4)


def test_error_document_of_a_sql_error_carries_sqlstate_and_detail() -> None:
    doc = error_document(SqlError("denied", sqlstate="42501", detail="no"))
    assert (doc["sqlstate"], doc["detail"], doc["kind"]) == ("42501", "no", "SqlError")


def test_error_documents_are_json_serialisable() -> None:
    for exc in (SqlError("x"), MigrationFileError("y", path="p"), AuthError("z", status=401)):
        json.dumps(error_document(exc))


# -- apply progress and results ---------------------------------------------------------------------


def event(kind: str, message: str = "", m: M.Migration | None = None, seconds: float = 0.0) -> Any:
    return SimpleNamespace(kind=kind, message=message, migration=m, seconds=seconds)


def outcome(version: str, status: str = "applied") -> Any:
    return SimpleNamespace(version=version, name="change", status=status, seconds=0.123456, requests=1)


def apply_result(outcomes: list[Any], *, dry_run: bool = False, sql: list[Any] | None = None) -> Any:
    return SimpleNamespace(
        outcomes=outcomes,
        applied=[o for o in outcomes if o.status == "applied"],
        dry_run=dry_run,
        sql=sql or [],
        requests=1 + len(outcomes),
        seconds=1.5,
        waiting=[],
    )


def test_render_event_completes_the_progress_line_of_an_applied_migration() -> None:
    rep, out, _ = reporter()
    render_event(rep, event("start", m=migration("1")))
    assert rep.line_open
    render_event(rep, event("applied", m=migration("1"), seconds=0.25))
    assert out.getvalue() == "  applying 1 change ... ok (0.25s)\n"
    assert not rep.line_open


def test_render_event_reports_a_skip_by_another_run() -> None:
    rep, out, _ = reporter()
    render_event(rep, event("start", m=migration("1")))
    render_event(rep, event("skipped", "already applied by another run", migration("1"), 0.5))
    assert out.getvalue() == "  applying 1 change ... skipped: already applied by another run (0.50s)\n"


def test_render_event_ends_an_open_line_before_a_warning() -> None:
    rep, out, err = reporter()
    render_event(rep, event("start", m=migration("1")))
    render_event(rep, event("warning", "The answer was lost."))
    assert out.getvalue() == "  applying 1 change ...\n"
    assert err.getvalue() == "warning: The answer was lost.\n"


def test_render_event_writes_progress_to_stderr_in_json_mode() -> None:
    rep, out, err = reporter(as_json=True)
    render_event(rep, event("start", m=migration("1")))
    render_event(rep, event("applied", m=migration("1"), seconds=0.1))
    assert out.getvalue() == ""
    assert err.getvalue() == "  applying 1 change ... ok (0.10s)\n"


def test_render_apply_summarises_what_was_applied() -> None:
    rep, out, _ = reporter()
    render_apply(rep, apply_result([outcome("1"), outcome("2", "already-applied")]), target="project x")
    assert out.getvalue() == (
        "Applied 1 migration, 1 already applied by another run in 1.50s (3 requests to project x).\n"
    )


def test_render_apply_of_nothing_says_the_database_is_up_to_date() -> None:
    rep, out, _ = reporter()
    render_apply(rep, apply_result([]), target="t")
    assert out.getvalue() == "Nothing to apply: the database is up to date (1 request to t).\n"


def test_render_apply_dry_run_prints_each_request() -> None:
    rep, out, _ = reporter()
    result = apply_result(
        [outcome("1", "would-apply")], dry_run=True, sql=[(migration("1"), ["BEGIN-ish request", "second request"])]
    )
    render_apply(rep, result, target="t")
    text = out.getvalue()
    assert "-- 1_change.sql: 2 requests\n-- request 1\nBEGIN-ish request\n-- request 2\nsecond request\n" in text
    assert "Dry run: 1 migration would be applied; nothing was written" in text


def test_render_apply_json_is_one_document() -> None:
    rep, out, _ = reporter(as_json=True)
    render_apply(rep, apply_result([outcome("1")]), target="t")
    doc = json.loads(out.getvalue())
    assert doc["status"] == "applied" and doc["exit_code"] == 0 and doc["requests"] == 2
    assert doc["migrations"] == [
        {"version": "1", "name": "change", "status": "applied", "seconds": 0.1235, "requests": 1}
    ]


def test_render_apply_json_of_a_dry_run_includes_the_sql() -> None:
    rep, out, _ = reporter(as_json=True)
    render_apply(rep, apply_result([], dry_run=True, sql=[(migration("7"), ["SQL"])]), target="t")
    doc = json.loads(out.getvalue())
    assert doc["status"] == "dry-run" and doc["sql"] == {"7": ["SQL"]}


def test_render_partial_closes_the_line_and_lists_what_stays_applied() -> None:
    rep, out, err = reporter()
    render_event(rep, event("start", m=migration("3")))
    render_partial(rep, apply_result([outcome("1"), outcome("2")]))
    assert out.getvalue() == "  applying 3 change ... FAILED\n"
    assert err.getvalue() == "2 migrations applied before the failure stay applied: 1, 2.\n"


def test_render_partial_is_silent_without_a_result_or_in_json_mode() -> None:
    rep, out, err = reporter()
    render_partial(rep, None)
    rep_json, out_json, err_json = reporter(as_json=True)
    render_partial(rep_json, apply_result([outcome("1")]))
    assert out.getvalue() == err.getvalue() == out_json.getvalue() == err_json.getvalue() == ""


def test_plan_rows_give_every_status_a_mark() -> None:
    plan = plan_of(["1", "2", "4", "5"], ["1", "3", "4"], changed=("4",))
    assert {e.status for e in plan.entries} == set(Status)
    assert [row[2] for row in plan_rows(plan)] == ["applied", "OUT-OF-ORDER", "REMOTE-ONLY", "CHANGED", "PENDING"]
