"""db.plan's output for people: folded lock-free statements, index locks with their table, every table summed up."""

from __future__ import annotations

import json

import pytest

from migrations_tasks.output.reporter import Reporter
from migrations_tasks.rehearsal.render import markdown, migration_lines, plan_document, render_plan, summary_rows
from migrations_tasks.rehearsal.results import (
    Estimate,
    Lock,
    MigrationReport,
    PlanResult,
    Rehearsed,
    StatementReport,
)

X, SHARE, SUE = "AccessExclusiveLock", "ShareLock", "ShareUpdateExclusiveLock"


def _report(*statements: StatementReport, file: str = "20250102000000_x.sql") -> MigrationReport:
    report = MigrationReport("20250102000000", "x", file, Rehearsed.OK, list(statements))
    return report


def _st(n: int, text: str, *locks: Lock, rewritten: tuple[str, ...] = ()) -> StatementReport:
    return StatementReport(n, n + 1, text, list(locks), list(rewritten))


def _result(*reports: MigrationReport) -> PlanResult:
    estimates = {"public.todos": Estimate(200_000, 20 * 2**20), "public.items": Estimate(3_000, 400 * 1024)}
    return PlanResult("project", list(reports), estimates=estimates)


def _mixed() -> MigrationReport:
    lock_free = [_st(n, f"comment on function public.f{n}() is 'x';") for n in range(2, 33)]
    return _report(
        _st(
            0,
            "alter table public.todos alter column title type varchar(200);",
            Lock("public.todos", (X,), "public.todos"),
            Lock("public.todos_pkey", (X,), "public.todos"),
            Lock("public.todos_title_idx", (X,), "public.todos"),
            rewritten=("public.todos", "public.todos_pkey (index on public.todos)"),
        ),
        _st(1, "create index items_qty_idx on public.items (qty);", Lock("public.items", (SHARE,), "public.items")),
        *lock_free,
        _st(
            33,
            "create index concurrently todos_done_idx on public.todos (done);",
            Lock("public.todos", (SUE,), "public.todos", observed=False),
        ),
    )


def test_lock_free_statements_are_folded_into_one_count_and_verbose_shows_them() -> None:
    report = _mixed()
    lines = migration_lines(report, _result(report))
    assert "  + 31 statements that lock no existing table (--verbose shows them)" in lines
    assert not any("comment on function" in line for line in lines)
    verbose = migration_lines(report, _result(report), verbose=True)
    assert sum("comment on function" in line for line in verbose) == 31
    assert not any("statements that lock no existing table" in line for line in verbose)


def test_each_statement_that_locks_an_existing_table_is_one_line_with_its_index_locks_folded_into_the_table() -> None:
    report = _mixed()
    lines = migration_lines(report, _result(report))
    first = [line for line in lines if line.startswith("  [1] ")]
    assert first == [
        "  [1] line 1  alter table public.todos alter column title type varchar(200);  ->  AccessExclusiveLock on "
        "public.todos (~200,000 rows, 20.0 MB live) (+2 indexes) to COMMIT: blocks reads and writes, rewrites it"
    ]
    assert not any("todos_pkey" in line for line in lines)
    assert any("todos_pkey" in line for line in migration_lines(report, _result(report), verbose=True))


def test_a_concurrently_statement_says_outside_a_transaction_not_to_commit() -> None:
    report = _mixed()
    result = _result(report)
    line = next(line for line in migration_lines(report, result) if line.startswith("  [34] "))
    assert "ShareUpdateExclusiveLock on public.todos (~200,000 rows, 20.0 MB live) outside a transaction" in line
    assert "COMMIT" not in line


def test_the_summary_row_lists_every_locked_table_with_its_strongest_lock() -> None:
    report = _mixed()
    cell = summary_rows(_result(report))[0][2]
    assert cell == (
        "AccessExclusiveLock public.todos (+2 indexes) (blocks reads and writes) from [1] to COMMIT; "
        "ShareLock public.items (blocks writes) from [2] to COMMIT"
    )


def test_a_table_locked_only_by_a_concurrent_statement_is_summed_up_outside_a_transaction() -> None:
    report = _report(
        _st(
            0,
            "create index concurrently i on public.items (qty);",
            Lock("public.items", (SUE,), "public.items", observed=False),
        )
    )
    assert summary_rows(_result(report))[0][2] == "ShareUpdateExclusiveLock public.items at [1], outside a transaction"
    [migration] = plan_document(_result(report))["migrations"]
    assert migration["strongest_lock"]["held"] == "outside a transaction"
    assert migration["locked_tables"][0]["held"] == "outside a transaction"
    assert plan_document(_result(_mixed()))["migrations"][0]["strongest_lock"]["held"] == "to COMMIT"


def test_a_statement_over_many_tables_names_three_and_counts_the_rest() -> None:
    locks = [Lock(f"public.t{n}", (X,), f"public.t{n}") for n in range(160)]
    report = _report(_st(0, "lock table " + ", ".join(f"public.t{n}" for n in range(160)), *locks))
    result = _result(report)
    line = migration_lines(report, result)[1]
    assert line.endswith("; and 157 more tables (--verbose lists them)") and line.count("AccessExclusiveLock") == 3
    assert summary_rows(result)[0][2].count("AccessExclusiveLock") == 160


def test_json_keeps_every_lock_and_lists_the_locked_tables() -> None:
    report = _mixed()
    document = plan_document(_result(report))
    statements = document["migrations"][0]["statements"]
    assert len(statements) == 34 and [k["relation"] for k in statements[0]["locks"]] == [
        "public.todos",
        "public.todos_pkey",
        "public.todos_title_idx",
    ]
    tables = {t["table"]: t for t in document["migrations"][0]["locked_tables"]}
    assert tables["public.todos"]["mode"] == X and tables["public.todos"]["indexes"] == 2
    json.dumps(document)


def test_the_step_summary_escapes_hostile_table_names_in_the_locks_cell() -> None:
    hostile = 'public."x|<img src=y>"'
    report = _report(_st(0, "alter table ...", Lock(hostile, (X,), hostile)))
    text = markdown(_result(report))
    row = next(line for line in text.splitlines() if line.startswith("| 20250102000000"))
    assert "<img" not in row and row.count(" | ") == 5


def test_render_plan_prints_the_folded_plan_by_default_and_everything_with_verbose(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = _mixed()
    render_plan(Reporter(), _result(report))
    brief = capsys.readouterr().out
    render_plan(Reporter(), _result(report), verbose=True)
    full = capsys.readouterr().out
    assert "+ 31 statements" in brief and "+ 31 statements" not in full
    assert brief.count("\n") < 20 < full.count("\n")


def test_a_weaker_lock_under_a_stronger_one_shows_the_mode_in_force_and_since_when_on_its_line() -> None:
    report = _report(
        _st(0, "alter table public.items add column m int;", Lock("public.items", (X,), "public.items")),
        _st(1, "create index i on public.items (m);", Lock("public.items", (SHARE,), "public.items", held=X, since=1)),
    )
    result = _result(report)
    line = migration_lines(report, result)[2]
    assert "  ->  AccessExclusiveLock (held since [1]) on public.items (~3,000 rows, 400 kB live) to COMMIT" in line
    assert summary_rows(result)[0][2] == "AccessExclusiveLock public.items (blocks reads and writes) from [1] to COMMIT"


def test_one_folded_statement_is_named_in_the_singular() -> None:
    report = _report(_st(0, "create table public.new (id int);"))
    assert migration_lines(report, _result(report))[1:2] == [
        "  + 1 statement that locks no existing table (--verbose shows it)"
    ]
