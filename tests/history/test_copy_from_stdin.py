"""COPY ... FROM STDIN in a file is refused before anything is sent: no request can carry its rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MigrationDir

from migrations_tasks.errors import MigrationFileError
from migrations_tasks.history import sqlfile
from migrations_tasks.history.migrations import load

PG_DUMP = """create table public.colours (id int, name text);

COPY public.colours (id, name) FROM stdin;
1\tred
2\tgreen
\\.
"""


def test_a_pg_dump_copy_block_is_refused_at_its_line_with_the_way_out(migrations: MigrationDir) -> None:
    migrations.write("1_colours.sql", PG_DUMP)
    with pytest.raises(MigrationFileError) as caught:
        load(migrations.path)
    error = caught.value
    assert error.line == 3 and error.message.startswith(f"{migrations.path / '1_colours.sql'}:3:1: COPY")
    assert "FROM STDIN" in error.message and "57014" in error.message
    assert error.hint is not None and "INSERT" in error.hint and "--inserts" in error.hint
    assert type(error) is MigrationFileError  # not a syntax error: the data lines are never parsed


@pytest.mark.parametrize(
    "text",
    [
        "  copy t from STDIN with (format csv);",
        "create table t (id int);\n\tCopy t (id)\n  from\n  stdin;",
    ],
)
def test_every_spelling_of_copy_from_stdin_is_refused(text: str) -> None:
    with pytest.raises(MigrationFileError, match=r"COPY \.\.\. FROM STDIN"):
        sqlfile.parse_statements(text, Path("f.sql"))


@pytest.mark.parametrize(
    "text",
    [
        "-- copy t from stdin;\nselect 1;",
        "/* an example:\ncopy t from stdin;\n*/ select 1;",
        "copy t to stdout;",
        "copy t from '/var/data.csv';",
        "create table copy_from_stdin_log (id int);",
    ],
)
def test_copy_in_a_comment_to_stdout_or_from_a_file_is_not_refused(text: str) -> None:
    assert sqlfile.parse_statements(text, Path("f.sql"))
