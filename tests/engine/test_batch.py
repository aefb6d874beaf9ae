"""The batch form (pure): one request, one transaction block per migration, and what its errors say."""

from __future__ import annotations

from pathlib import Path

import pytest
from pglast import parser

from migrations_tasks.config.settings import Settings
from migrations_tasks.config.targets import Target
from migrations_tasks.engine.batch import BASELINE_SQL, RESET_SQL, baseline_sql, batch_request, refuses_the_form
from migrations_tasks.engine.context import Context
from migrations_tasks.engine.request import Part, Request
from migrations_tasks.engine.results import Outcome
from migrations_tasks.engine.steps import TAG_SHAPE, Flow, Share, batch_end
from migrations_tasks.errors import MigrationsTasksError, SqlError
from migrations_tasks.history.sqlfile import Statement


def statement(text: str, line: int = 1) -> Statement:
    return Statement(text=text, line=line, column=1)


def one(version: str, *texts: str) -> Request:
    request = Request().add(f"SELECT 'lock {version}'", role="lock and guard")
    for text in texts:
        request.add(text, statement(text))
    return request.add(f"INSERT INTO ledger VALUES ('{version}')", role="ledger row")


def test_each_migration_is_its_own_transaction_block_that_resets_the_session_before_it_commits() -> None:
    batch = batch_request([one("1", "create table a (id int)"), one("2", "create table b (id int)")])
    assert batch.parts[0].text == BASELINE_SQL and batch.parts[0].owner is None
    for owner in (0, 1):
        own = [p for p in batch.parts if p.owner == owner]
        assert [p.role for p in own] == [
            "transaction",
            "lock and guard",
            "statement",
            "ledger row",
            *["session reset"] * 8,
            "transaction",
        ]
        assert own[0].text == "BEGIN" and own[-1].text == "COMMIT" and own[4].text == RESET_SQL
    assert len(parser.parse_sql(batch.sql)) == 27


def test_the_session_sql_is_valid_plpgsql() -> None:
    for sql in (BASELINE_SQL, RESET_SQL):
        assert parser.parse_sql(sql) and parser.parse_plpgsql_json(sql)


def test_an_error_position_names_the_migration_and_its_statement() -> None:
    batch = batch_request(
        [one("1", "create table a (id int)"), one("2", "select 1", "insert into\n  missing values (1)")]
    )
    position = batch.sql.index("missing") + 1
    error = SqlError("relation does not exist", sqlstate="42P01", position=position)
    part = batch.part_at(error)
    assert part is not None and part.owner == 1
    located = batch.locate(error)
    assert located is not None and located[0].text.startswith("insert into") and located[1] == 2


@pytest.mark.parametrize(
    ("sqlstate", "message", "role", "refused"),
    [
        ("2D000", "invalid transaction termination", "transaction", True),
        ("25001", "BEGIN cannot run inside a transaction block", None, True),
        ("42601", "cannot insert multiple commands into a prepared statement", "session baseline", True),
        ("2D000", "invalid transaction termination", "statement", False),  # the migration's own CALL
        ("42P01", 'relation "x" does not exist', None, False),
    ],
)
def test_only_errors_about_transaction_blocks_in_our_own_statements_refuse_the_form(
    sqlstate: str, message: str, role: str | None, refused: bool
) -> None:
    part = None
    if role is not None:
        part = Part("x", 0, 1, 1, statement("x") if role == "statement" else None, role)
    assert refuses_the_form(SqlError(message, sqlstate=sqlstate), part) is refused


class Sized:
    """A database that only knows request sizes (bytes = characters, a limit or none)."""

    requests = 0

    def __init__(self, limit: int | None) -> None:
        self.max_request_bytes = limit

    @property
    def description(self) -> str:
        return "sizes only"

    def execute(self, sql: str, *, write: bool = True) -> list[dict[str, object]]:
        raise AssertionError("planning sends nothing")

    def request_bytes(self, sql: str) -> int:
        return len(sql)

    def close(self) -> None:
        pass


class Listed(Flow):
    """Steps of given sizes; some must go alone."""

    def __init__(self, ctx: Context, sizes: list[int], alone: frozenset[int] = frozenset()) -> None:
        super().__init__(ctx, [str(i) for i in range(len(sizes))], [Request().add("x" * s) for s in sizes])
        self.lonely = alone

    def alone(self, index: int) -> bool:
        return index in self.lonely

    def one(self, index: int) -> Outcome:
        raise AssertionError

    def done(self, index: int, recorded: set[str]) -> bool:
        raise AssertionError

    def finished(self, index: int, share: Share) -> Outcome:
        raise AssertionError

    def skipped(self, index: int, share: Share) -> Outcome:
        raise AssertionError

    def failure(self, index: int, error: SqlError, sent: Request) -> MigrationsTasksError:
        raise AssertionError


def context(limit: int | None, batch_size: int = 50) -> Context:
    settings = Settings(target=Target(), migrations_dir=Path("m"), batch_size=batch_size)
    return Context(Sized(limit), settings, lambda event: None, lambda: False)


def test_a_batch_holds_at_most_batch_size_steps() -> None:
    ctx = context(None, batch_size=3)
    flow = Listed(ctx, [10] * 7)
    assert [batch_end(ctx, flow, start) for start in (0, 3, 6)] == [3, 6, 7]


def test_a_batch_stops_before_the_size_limit_and_a_step_too_big_to_share_goes_alone() -> None:
    block = len(batch_request([Request().add("x" * 100)]).sql) - len(BASELINE_SQL) - 2
    ctx = context(len(baseline_sql(TAG_SHAPE)) + 2 + block * 3)  # a real batch's baseline carries its tag
    flow = Listed(ctx, [100, 100, 100, 100, 5000, 100])
    assert batch_end(ctx, flow, 0) == 3
    assert batch_end(ctx, flow, 4) == 5  # alone: over the limit in a batch (the engine checked it fits alone)


def test_a_step_that_must_run_alone_ends_the_batch_before_it_and_goes_alone() -> None:
    ctx = context(None)
    flow = Listed(ctx, [10] * 6, alone=frozenset({2}))
    assert batch_end(ctx, flow, 0) == 2
    assert batch_end(ctx, flow, 2) == 3
    assert batch_end(ctx, flow, 3) == 6


def test_after_the_server_refused_the_form_every_step_goes_alone() -> None:
    ctx = context(None)
    ctx.batching.refused = True
    assert batch_end(ctx, Listed(ctx, [10] * 4), 0) == 1


def test_a_tagged_batch_names_itself_in_its_first_statement_and_the_wait_for_it_is_valid_sql() -> None:
    from migrations_tasks.engine.batch import running_sql
    from migrations_tasks.engine.questions import wait_until_idle_sql

    tag = "ab" * 16
    batch = batch_request([one("1", "select 1")], tag)
    assert batch.sql.startswith(f"/* migrations-tasks request {tag} */\n")
    wait = wait_until_idle_sql(running_sql(tag), 60, "the request")
    assert parser.parse_sql(batch.sql) and parser.parse_sql(wait) and parser.parse_plpgsql_json(wait)
    with pytest.raises(ValueError, match="letters and digits"):
        batch_request([one("1", "select 1")], "x'; drop table t; --")
