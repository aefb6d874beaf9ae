"""Which rows a multi-statement query answers: the last non-empty result set, as postgres-meta keeps it."""

from __future__ import annotations

from typing import Any

from conftest import Project

from migrations_tasks.transport.rowsets import answer_rows


class Column:
    def __init__(self, name: str) -> None:
        self.name = name


class Cursor:
    """A psycopg-like cursor over given result sets: (column names or None for a command, rows)."""

    def __init__(self, results: list[tuple[list[str] | None, list[tuple[Any, ...]]]]) -> None:
        self._results = results
        self._index = 0

    @property
    def description(self) -> list[Column] | None:
        names = self._results[self._index][0]
        return None if names is None else [Column(n) for n in names]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._results[self._index][1]

    def nextset(self) -> bool | None:
        self._index += 1
        return True if self._index < len(self._results) else None


def test_the_last_non_empty_result_set_wins_over_a_later_empty_one() -> None:
    cursor = Cursor([(["?column?"], [(1,)]), (["?column?"], [])])
    assert answer_rows(cursor) == [{"?column?": 1}]


def test_a_later_non_empty_result_set_replaces_an_earlier_one_and_commands_change_nothing() -> None:
    cursor = Cursor([(["a"], [(1,)]), (None, []), (["b", "c"], [(2, "x")]), (None, [])])
    assert answer_rows(cursor) == [{"b": 2, "c": "x"}]


def test_no_rows_anywhere_answers_an_empty_list() -> None:
    assert answer_rows(Cursor([(None, []), (["a"], [])])) == []


def test_the_sandbox_api_answers_the_last_non_empty_result_set(project: Project) -> None:
    status, rows = project.sandbox.call(
        "POST", f"/v1/projects/{project.ref}/database/query", {"query": "SELECT 1; SELECT 1 WHERE false"}
    )
    assert (status, rows) == (201, [{"?column?": 1}])


def test_the_direct_transport_answers_alike(project: Project) -> None:
    from migrations_tasks.secret import Secret
    from migrations_tasks.transport.postgres import PostgresDatabase

    db = PostgresDatabase(Secret(project.db_url))
    try:
        assert db.execute("SELECT 1; SELECT 1 WHERE false", write=False) == [{"?column?": 1}]
    finally:
        db.close()
