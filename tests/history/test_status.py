"""Unit tests for migrations_tasks.history.status: local files vs the ledger (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrations_tasks.history import ledger as L
from migrations_tasks.history import migrations as M
from migrations_tasks.history.status import (
    CONFLICTS,
    OUT_OF_ORDER_MESSAGE,
    REMOTE_ONLY_MESSAGE,
    Comparison,
    Status,
    build,
)


def migration(version: str, text: str = "CREATE TABLE t (id int);", name: str = "change") -> M.Migration:
    path = Path(f"supabase/migrations/{version}_{name}.sql")
    statements = M.parse_statements(text, path)
    return M.Migration(version, name, path, statements, M.plan_units(statements, path))


def ledger(*rows: L.LedgerRow, exists: bool = True) -> L.Ledger:
    return L.Ledger(exists, dict(L.CLI_COLUMNS) if exists else {}, rows)


def row(version: str, statements: list[str] | None = None, name: str | None = "change") -> L.LedgerRow:
    return L.LedgerRow(version, name, tuple(statements) if statements is not None else None)


def statuses(plan: Comparison) -> list[tuple[str, Status]]:
    return [(e.version, e.status) for e in plan.entries]


A = "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n"


def test_every_local_migration_is_pending_when_the_ledger_does_not_exist() -> None:
    plan = build([migration("1"), migration("2")], ledger(exists=False))
    assert statuses(plan) == [("1", Status.PENDING), ("2", Status.PENDING)]
    assert not plan.ledger_exists
    assert plan.conflicts == []


def test_a_migration_recorded_with_the_same_statements_is_applied() -> None:
    plan = build([migration("1", A)], ledger(row("1", ["CREATE TABLE a (id int)", "CREATE TABLE b (id int)"])))
    assert statuses(plan) == [("1", Status.APPLIED)]
    assert plan.entries[0].row is not None and plan.entries[0].migration is not None


def test_a_row_in_db_push_split_form_is_applied() -> None:
    recorded = ["-- tables\nCREATE TABLE a (id int)", "CREATE TABLE b (id int)"]
    assert statuses(build([migration("1", A)], ledger(row("1", recorded)))) == [("1", Status.APPLIED)]


def test_a_row_in_apply_migration_whole_file_form_is_applied() -> None:
    recorded = ["-- tables\ncreate table a (id int);\n\ncreate table b (id int);\n"]
    assert statuses(build([migration("1", A)], ledger(row("1", recorded)))) == [("1", Status.APPLIED)]


def test_a_row_without_statements_is_never_changed() -> None:
    plan = build([migration("1", A)], ledger(row("1", None)))
    assert statuses(plan) == [("1", Status.APPLIED)]


def test_an_empty_file_recorded_with_no_statements_is_applied() -> None:
    plan = build([migration("1", "-- nothing")], ledger(row("1", [])))
    assert statuses(plan) == [("1", Status.APPLIED)]


def test_a_file_that_differs_from_its_recorded_statements_is_changed() -> None:
    plan = build([migration("1", "CREATE TABLE a (id bigint);")], ledger(row("1", ["CREATE TABLE a (id int)"])))
    assert statuses(plan) == [("1", Status.CHANGED)]
    assert plan.conflicts == list(plan.entries)


def test_a_file_that_gained_a_statement_is_changed() -> None:
    plan = build([migration("1", A)], ledger(row("1", ["CREATE TABLE a (id int)"])))
    assert statuses(plan) == [("1", Status.CHANGED)]


def test_a_local_migration_newer_than_everything_applied_is_pending() -> None:
    plan = build([migration("1"), migration("2")], ledger(row("1", None)))
    assert statuses(plan) == [("1", Status.APPLIED), ("2", Status.PENDING)]


def test_a_local_migration_older_than_the_newest_applied_is_out_of_order() -> None:
    plan = build([migration("1"), migration("2"), migration("3")], ledger(row("1", None), row("3", None)))
    assert statuses(plan) == [("1", Status.APPLIED), ("2", Status.OUT_OF_ORDER), ("3", Status.APPLIED)]


def test_out_of_order_compares_versions_numerically() -> None:
    # "9" < "10" as numbers, though "9" > "10" as text.
    plan = build([migration("9"), migration("10")], ledger(row("10", None)))
    assert statuses(plan) == [("9", Status.OUT_OF_ORDER), ("10", Status.APPLIED)]
    plan = build([migration("0002"), migration("10")], ledger(row("0002", None)))
    assert statuses(plan) == [("0002", Status.APPLIED), ("10", Status.PENDING)]


def test_a_remote_only_version_counts_as_applied_for_ordering() -> None:
    plan = build([migration("1")], ledger(row("5", None)))
    assert statuses(plan) == [("1", Status.OUT_OF_ORDER), ("5", Status.REMOTE_ONLY)]


def test_a_ledger_version_without_a_local_file_is_remote_only() -> None:
    plan = build([migration("1")], ledger(row("1", None), row("2", None, name="gone")))
    assert statuses(plan) == [("1", Status.APPLIED), ("2", Status.REMOTE_ONLY)]
    remote = plan.entries[1]
    assert remote.migration is None and remote.name == "gone"


def test_an_entry_name_falls_back_to_empty_without_file_or_name() -> None:
    plan = build([], ledger(row("2", None, name=None)))
    assert plan.entries[0].name == ""


def test_entries_are_in_numeric_version_order_across_local_and_remote() -> None:
    plan = build([migration("10"), migration("2")], ledger(row("3", None), row("2", None)))
    assert [e.version for e in plan.entries] == ["2", "3", "10"]


def test_with_status_and_pending_select_entries() -> None:
    plan = build([migration("1"), migration("2"), migration("4")], ledger(row("1", None), row("3", None)))
    assert [e.version for e in plan.with_status(Status.APPLIED, Status.REMOTE_ONLY)] == ["1", "3"]
    assert [e.version for e in plan.pending] == ["2", "4"]


def test_to_apply_without_include_all_returns_only_pending_migrations() -> None:
    plan = build([migration("1"), migration("2"), migration("4")], ledger(row("3", None)))
    assert [m.version for m in plan.to_apply(include_all=False)] == ["4"]


def test_to_apply_with_include_all_adds_out_of_order_migrations_in_version_order() -> None:
    plan = build([migration("1"), migration("2"), migration("4")], ledger(row("3", None)))
    assert [m.version for m in plan.to_apply(include_all=True)] == ["1", "2", "4"]


def test_to_apply_never_returns_applied_changed_or_remote_only_versions() -> None:
    plan = build(
        [migration("1"), migration("2", "SELECT 2;"), migration("5")],
        ledger(row("1", None), row("2", ["SELECT 1"]), row("3", None)),
    )
    assert [m.version for m in plan.to_apply(include_all=True)] == ["5"]


def test_blocking_conflicts_include_out_of_order_unless_include_all() -> None:
    plan = build([migration("1"), migration("2", "SELECT 2;")], ledger(row("2", ["SELECT 1"]), row("3", None)))
    assert statuses(plan) == [("1", Status.OUT_OF_ORDER), ("2", Status.CHANGED), ("3", Status.REMOTE_ONLY)]
    assert [e.version for e in plan.blocking_conflicts(include_all=False)] == ["1", "2", "3"]
    assert [e.version for e in plan.blocking_conflicts(include_all=True)] == ["2", "3"]


def test_blocking_conflicts_are_empty_when_only_behind() -> None:
    plan = build([migration("1"), migration("2")], ledger(row("1", None)))
    assert plan.blocking_conflicts(include_all=False) == []


@pytest.mark.parametrize("status", list(Status))
def test_conflicts_are_exactly_out_of_order_remote_only_and_changed(status: Status) -> None:
    assert (status in CONFLICTS) == (status in (Status.OUT_OF_ORDER, Status.REMOTE_ONLY, Status.CHANGED))


def test_status_values_are_what_reports_print() -> None:
    assert [s.value for s in Status] == ["applied", "pending", "out-of-order", "remote-only", "changed"]


def test_cli_messages_match_the_supabase_cli_wording() -> None:
    assert REMOTE_ONLY_MESSAGE == "Remote migration versions not found in local migrations directory."
    assert OUT_OF_ORDER_MESSAGE == (
        "Found local migration files to be inserted before the last migration on remote database."
    )
