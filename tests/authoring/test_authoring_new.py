"""db.new: file names the Supabase CLI accepts, an empty down block to fill, names refused when unsafe."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import run_inv, user_project

from migrations_tasks.authoring.new import create, next_version, normalise_name, taken_versions, template
from migrations_tasks.errors import Refused
from migrations_tasks.history.migrations import discover, load

NOW = datetime(2025, 11, 1, 9, 30, 59, tzinfo=timezone.utc)
#: The Supabase CLI's rule (supabase/cli, pkg/migration/file.go): what `supabase db push` picks up.
CLI_FILE_RE = re.compile(r"^([0-9]+)_(.*)\.sql$")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("add_profiles", "add_profiles"),
        ("Add Profiles", "add_profiles"),
        ("add-user  roles", "add_user_roles"),
        ("  trim me  ", "trim_me"),
        ("create_todos.sql", "create_todos"),
        ("café ünïcode", "café_ünïcode"),
    ],
)
def test_a_name_is_lower_cased_with_spaces_and_dashes_as_underscores(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("--", "is empty"),
        ("../escape", "path separator"),
        ("sub/dir", "path separator"),
        ("back\\slash", "path separator"),
        ("two\nlines", "control character"),
    ],
)
def test_an_empty_name_or_one_with_a_path_separator_is_refused_with_exit_2(raw: str, message: str) -> None:
    with pytest.raises(Refused, match=message) as caught:
        normalise_name(raw)
    assert caught.value.exit_code == 2


def test_the_version_is_the_utc_time_moved_on_one_second_past_taken_versions() -> None:
    assert next_version(NOW, set()) == "20251101093059"
    assert next_version(NOW, {"20251101093059"}) == "20251101093100"
    assert next_version(NOW, {"20251101093059", "20251101093100"}) == "20251101093101"
    local = datetime(2025, 11, 1, 10, 30, 59, tzinfo=timezone(timedelta(hours=1)))
    assert next_version(local, set()) == "20251101093059"


def test_a_version_can_be_asked_to_follow_a_newer_one() -> None:
    assert next_version(NOW, set(), after="20251231235959") == "20260101000000"
    assert next_version(NOW, set(), after="20200101000000") == "20251101093059"


def test_taken_versions_are_read_from_names_that_follow_the_rule() -> None:
    assert taken_versions(["20251101_a.sql", "notes.md", "1_b.sql", "x_1.sql"]) == {"20251101", "1"}


def test_a_new_file_is_named_as_the_supabase_cli_names_them_and_discovered_by_its_rule(tmp_path: Path) -> None:
    directory = tmp_path / "supabase" / "migrations"
    path = create(directory, "Add profiles", NOW)
    assert path == directory / "20251101093059_add_profiles.sql"
    match = CLI_FILE_RE.match(path.name)
    assert match is not None
    assert re.fullmatch(r"\d{14}", match.group(1))
    assert match.group(2) == "add_profiles"
    files, warnings = discover(directory)
    assert [(f.version, f.name) for f in files] == [("20251101093059", "add_profiles")]
    assert warnings == []


def test_a_new_file_has_no_statement_and_an_empty_down_block(tmp_path: Path) -> None:
    path = create(tmp_path, "first", NOW)
    text = path.read_text(encoding="utf-8")
    assert text == template("first", NOW)
    assert "\n-- migrate:down\n" in text
    migration = load(tmp_path).migrations[0]
    assert migration.statements == ()
    assert migration.down is None  # until it is filled, db.rollback refuses instead of only dropping the row


def test_a_taken_second_moves_the_new_file_on_one_second(tmp_path: Path) -> None:
    first = create(tmp_path, "a", NOW)
    second = create(tmp_path, "a", NOW)
    assert (first.name, second.name) == ("20251101093059_a.sql", "20251101093100_a.sql")


def test_inv_db_new_prints_the_path_of_the_new_file(tmp_path: Path) -> None:
    cwd = user_project(tmp_path)
    result = run_inv("db.new", "add todos", cwd=cwd, env={})
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.parent == Path("supabase/migrations")
    assert re.fullmatch(r"\d{14}_add_todos\.sql", path.name)
    assert (cwd / path).is_file()


def test_inv_db_new_takes_the_migrations_directory_flag_and_prints_json(tmp_path: Path) -> None:
    cwd = user_project(tmp_path)
    result = run_inv("db.new", "--name", "x", "--migrations-dir", "db/migrations", "--json", cwd=cwd, env={})
    assert result.returncode == 0, result.stderr
    assert '"status": "created"' in result.stdout
    assert len(list((cwd / "db" / "migrations").glob("*_x.sql"))) == 1
