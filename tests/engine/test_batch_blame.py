"""Who a 2D000 in a batch is blamed on: the server that refuses the form, or the migration that COMMITs."""

from __future__ import annotations

import pytest
from conftest import MigrationDir, Project

from migrations_tasks.engine import Engine, Event
from migrations_tasks.engine.batch import ends_transactions, refuses_the_form
from migrations_tasks.errors import MigrationFailed, SqlError
from migrations_tasks.history.ledger import TABLE
from migrations_tasks.history.migrations import load
from migrations_tasks.history.sqlfile import Statement
from migrations_tasks.transport.connect import connect


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("do $$ begin commit; end $$", True),
        ("do $$ begin if true then rollback; end if; end $$", True),
        ("do language plpgsql $x$ begin perform 1; commit; end $x$", True),
        ("call public.batch_job()", True),  # a procedure may COMMIT: we cannot see inside it
        ("do $$ begin perform 'commit'; end $$", False),
        ("do $$ begin execute 'select 1'; end $$", False),
        ("create table commit_log (id int)", False),
        ("select 1; commit", False),  # a plain COMMIT is the file's own block, handled by its units
    ],
)
def test_a_statement_ends_transactions_when_a_do_block_commits_or_rolls_back_or_it_is_a_call(
    text: str, ends: bool
) -> None:
    assert ends_transactions(text) is ends


def test_a_2d000_from_a_migration_that_commits_inside_a_do_block_is_not_the_server_refusing_the_form() -> None:
    error = SqlError("invalid transaction termination", sqlstate="2D000")
    own = [Statement(text="do $$ begin commit; end $$", line=1, column=1)]
    plain = [Statement(text="create table t (id int)", line=1, column=1)]
    assert refuses_the_form(error, None, plain) is True
    assert refuses_the_form(error, None, own) is False


def test_a_do_block_that_commits_first_in_a_batch_is_that_migration_s_error_and_batching_stays_on(
    project: Project, migrations: MigrationDir
) -> None:
    migrations.write("1_commits.sql", "do $$\nbegin\n  commit;\nend $$;\n")
    migrations.write("2_table.sql", "create table after_it (id int);\n")
    said: list[Event] = []
    settings = project.settings(migrations.path)
    engine = Engine(connect(settings.target, settings), settings, on_event=said.append)
    with pytest.raises(MigrationFailed) as caught:
        engine.apply(load(migrations.path))
    error = caught.value
    assert error.version == "1" and error.sql_error is not None and error.sql_error.sqlstate == "2D000"
    assert "1_commits.sql" in error.message and "COMMIT or ROLLBACK inside" in error.message
    assert not [e for e in said if "refused several" in e.message]
    # ledger read, ledger creation, the batch, one ledger read (the error had no position): not sent again alone
    assert engine.db.requests == 4
    assert project.sql(f"SELECT count(*) FROM {TABLE}") == [(0,)]
