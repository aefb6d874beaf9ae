"""Unit tests for migrations_tasks.history.migrations: discovering, reading, parsing and planning files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import write_file as write

from migrations_tasks.errors import MigrationFileError, SqlSyntaxError
from migrations_tasks.history import migrations as M
from migrations_tasks.history import sqlfile


def units_of(text: str) -> list[tuple[list[str], bool]]:
    path = Path("20240101000000_test.sql")
    statements = sqlfile.parse_statements(text, path)
    return [([s.text for s in u.statements], u.transactional) for u in M.plan_units(statements, path)]


# -- discovery --------------------------------------------------------------------------------------


def test_discover_lists_files_named_like_the_supabase_cli_expects(tmp_path: Path) -> None:
    write(tmp_path, "20240101000000_create_users.sql")
    write(tmp_path, "20240102000000_add index.sql")
    files, warnings = M.discover(tmp_path)
    assert [(f.version, f.name) for f in files] == [
        ("20240101000000", "create_users"),
        ("20240102000000", "add index"),
    ]
    assert warnings == []


def test_discover_accepts_an_empty_name_after_the_underscore(tmp_path: Path) -> None:
    write(tmp_path, "1_.sql")
    files, _ = M.discover(tmp_path)
    assert [(f.version, f.name) for f in files] == [("1", "")]


@pytest.mark.parametrize(
    "name",
    ["README.md", "20240101000000.sql", "20240101000000_x.SQL", "v1_init.sql", "_x.sql", "1_x.sql.bak", "1-x.sql"],
)
def test_discover_warns_about_and_skips_files_that_do_not_match(tmp_path: Path, name: str) -> None:
    write(tmp_path, name)
    files, warnings = M.discover(tmp_path)
    assert files == []
    assert len(warnings) == 1
    assert name in warnings[0]
    assert "<version>_<name>.sql" in warnings[0]


def test_discover_skips_hidden_files_silently(tmp_path: Path) -> None:
    write(tmp_path, ".DS_Store", "")
    write(tmp_path, ".20240101000000_draft.sql.swp", "")
    write(tmp_path, "20240101000000_real.sql")
    files, warnings = M.discover(tmp_path)
    assert [f.name for f in files] == ["real"]
    assert warnings == []


def test_discover_orders_versions_numerically_not_as_text(tmp_path: Path) -> None:
    for name in ("10_ten.sql", "0002_two.sql", "9_nine.sql", "20240101000000_late.sql"):
        write(tmp_path, name)
    files, _ = M.discover(tmp_path)
    assert [f.version for f in files] == ["0002", "9", "10", "20240101000000"]


def test_discover_refuses_duplicate_versions(tmp_path: Path) -> None:
    write(tmp_path, "20240101000000_a.sql")
    write(tmp_path, "20240101000000_b.sql")
    with pytest.raises(MigrationFileError) as info:
        M.discover(tmp_path)
    assert "Duplicate migration version 20240101000000" in str(info.value)
    assert "20240101000000_a.sql" in str(info.value) and "20240101000000_b.sql" in str(info.value)


def test_discover_treats_versions_with_leading_zeros_as_duplicates(tmp_path: Path) -> None:
    write(tmp_path, "001_a.sql")
    write(tmp_path, "1_b.sql")
    with pytest.raises(MigrationFileError, match="Duplicate migration version"):
        M.discover(tmp_path)


def test_discover_refuses_a_directory_named_like_a_migration(tmp_path: Path) -> None:
    (tmp_path / "20240101000000_x.sql").mkdir()
    with pytest.raises(MigrationFileError) as info:
        M.discover(tmp_path)
    assert "is a directory" in str(info.value)
    assert info.value.path == str(tmp_path / "20240101000000_x.sql")


def test_discover_refuses_a_broken_symlink(tmp_path: Path) -> None:
    (tmp_path / "20240101000000_x.sql").symlink_to(tmp_path / "gone.sql")
    with pytest.raises(MigrationFileError, match="broken symbolic link"):
        M.discover(tmp_path)


def test_discover_follows_a_working_symlink(tmp_path: Path) -> None:
    target = write(tmp_path, "shared.txt", "SELECT 1;")
    (tmp_path / "20240101000000_x.sql").symlink_to(target)
    files, _ = M.discover(tmp_path)
    assert [f.version for f in files] == ["20240101000000"]


def test_discover_refuses_a_version_with_too_many_digits(tmp_path: Path) -> None:
    write(tmp_path, "1" * (M.MAX_VERSION_DIGITS + 1) + "_x.sql")
    with pytest.raises(MigrationFileError) as info:
        M.discover(tmp_path)
    assert f"at most {M.MAX_VERSION_DIGITS}" in str(info.value)
    assert "YYYYMMDDHHMMSS" in str(info.value)


def test_discover_accepts_a_version_with_the_maximum_number_of_digits(tmp_path: Path) -> None:
    write(tmp_path, "1" * M.MAX_VERSION_DIGITS + "_x.sql")
    files, _ = M.discover(tmp_path)
    assert len(files) == 1


def test_discover_reports_a_missing_directory_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(MigrationFileError) as info:
        M.discover(tmp_path / "supabase" / "migrations")
    assert "does not exist" in str(info.value)
    assert "--migrations-dir" in str(info.value)


def test_discover_refuses_a_file_given_as_the_directory(tmp_path: Path) -> None:
    path = write(tmp_path, "migrations")
    with pytest.raises(MigrationFileError, match="is not a directory"):
        M.discover(path)


def test_discover_accepts_non_ascii_file_names(tmp_path: Path) -> None:
    write(tmp_path, "20240101000000_créer_tâches_✓.sql")
    files, _ = M.discover(tmp_path)
    assert files[0].name == "créer_tâches_✓"


def test_discover_refuses_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    fd = os.open(os.fsencode(tmp_path) + b"/20240101000000_\xff.sql", os.O_CREAT | os.O_WRONLY, 0o644)
    os.close(fd)
    with pytest.raises(MigrationFileError, match="not valid UTF-8"):
        M.discover(tmp_path)


def test_discover_reports_every_problem_at_once(tmp_path: Path) -> None:
    (tmp_path / "1_dir.sql").mkdir()
    (tmp_path / "2_link.sql").symlink_to(tmp_path / "gone")
    write(tmp_path, "3_a.sql")
    write(tmp_path, "03_b.sql")
    with pytest.raises(MigrationFileError) as info:
        M.discover(tmp_path)
    message = str(info.value)
    assert message.startswith("3 migration files have problems")
    assert "1_dir.sql" in message and "2_link.sql" in message and "Duplicate" in message
    assert len(info.value.problems) == 3  # type: ignore[attr-defined]


def test_combined_problems_keep_a_hint_only_when_it_fits_them_all(tmp_path: Path) -> None:
    (tmp_path / "1_dir.sql").mkdir()
    (tmp_path / "2_link.sql").symlink_to(tmp_path / "gone")
    with pytest.raises(MigrationFileError) as info:
        M.discover(tmp_path)
    assert info.value.hint is None
    same = [MigrationFileError("a", hint="Fix the SQL."), MigrationFileError("b", hint="Fix the SQL.")]
    assert sqlfile.combine(same).hint == "Fix the SQL."


# -- loading ----------------------------------------------------------------------------------------


def test_load_reports_syntax_errors_at_the_right_line_of_a_crlf_file(tmp_path: Path) -> None:
    write(tmp_path, "1_crlf.sql", b"SELECT 1;\r\n\r\nSELEC 2;\r\n")
    with pytest.raises(SqlSyntaxError) as info:
        M.load(tmp_path)
    assert (info.value.line, info.value.column) == (3, 1)


def test_load_reports_several_broken_files_together(tmp_path: Path) -> None:
    write(tmp_path, "1_ok.sql")
    write(tmp_path, "2_bad.sql", "SELEC 1;")
    write(tmp_path, "3_worse.sql", "SELECT 1;\nCREATE TABLE (;")
    write(tmp_path, "4_latin1.sql", "-- café".encode("latin-1"))
    with pytest.raises(MigrationFileError) as info:
        M.load(tmp_path)
    message = str(info.value)
    assert message.startswith("3 migration files have problems")
    assert f"{tmp_path / '2_bad.sql'}:1:1:" in message
    assert f"{tmp_path / '3_worse.sql'}:2:14:" in message
    assert f"{tmp_path / '4_latin1.sql'}:1: not valid UTF-8" in message


def test_load_parses_files_in_version_order_with_their_statements(tmp_path: Path) -> None:
    write(tmp_path, "10_second.sql", "CREATE TABLE b (id int);")
    write(tmp_path, "2_first.sql", "CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);")
    local = M.load(tmp_path)
    assert [m.version for m in local.migrations] == ["2", "10"]
    first = local.migrations[0]
    assert first.texts == ["CREATE TABLE a (id int)", "INSERT INTO a VALUES (1)"]
    assert first.filename == "2_first.sql"
    assert first.atomic and not first.empty
    assert local.by_version()["10"].name == "second"
    assert local.warnings == ()


@pytest.mark.parametrize("text", ["", "\n\n", "-- nothing yet\n/* later; */\n"])
def test_load_records_an_empty_or_comment_only_file_with_a_warning(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "20240101000000_placeholder.sql", text)
    local = M.load(tmp_path)
    (migration,) = local.migrations
    assert migration.empty
    assert migration.statements == () and migration.units == ()
    assert any(str(path) in w and "no SQL statements" in w for w in local.warnings)


def test_load_keeps_discovery_warnings(tmp_path: Path) -> None:
    write(tmp_path, "notes.txt", "x")
    write(tmp_path, "1_a.sql")
    assert any("notes.txt" in w for w in M.load(tmp_path).warnings)


def test_parse_file_keeps_a_bom_and_crlf_file_identical_to_its_lf_twin(tmp_path: Path) -> None:
    lf = write(tmp_path, "1_lf.sql", "CREATE TABLE a (id int);\nCOMMENT ON TABLE a IS 'x\ny';\n")
    crlf = write(tmp_path, "2_crlf.sql", b"\xef\xbb\xbfCREATE TABLE a (id int);\r\nCOMMENT ON TABLE a IS 'x\r\ny';\r\n")
    one = M.parse_file(M.MigrationFileName(lf, "1", "lf"))
    two = M.parse_file(M.MigrationFileName(crlf, "2", "crlf"))
    assert one.texts == two.texts


def test_version_key_orders_numerically_then_by_text() -> None:
    versions = ["10", "0002", "2", "1"]
    assert sorted(versions, key=M.version_key) == ["1", "0002", "2", "10"]
    assert M.version_key("not-a-number") == (-1, "not-a-number")


# -- unit planning ----------------------------------------------------------------------------------


def test_an_ordinary_file_is_one_transactional_unit() -> None:
    assert units_of("CREATE TABLE a (id int);\nCREATE TABLE b (id int);") == [
        (["CREATE TABLE a (id int)", "CREATE TABLE b (id int)"], True),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "BEGIN;\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\nCOMMIT;\n",
        "START TRANSACTION;\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\nEND;\n",
        "begin transaction;\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\ncommit work;\n",
        "BEGIN;\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\nCOMMIT AND NO CHAIN;\n",
    ],
)
def test_a_self_wrapped_file_merges_into_one_transactional_unit(text: str) -> None:
    assert units_of(text) == [(["CREATE TABLE a (id int)", "CREATE TABLE b (id int)"], True)]


def test_a_self_wrapped_file_keeps_begin_and_commit_in_its_recorded_statements(tmp_path: Path) -> None:
    path = write(tmp_path, "1_wrapped.sql", "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n")
    migration = M.parse_file(M.MigrationFileName(path, "1", "wrapped"))
    assert migration.texts == ["BEGIN", "CREATE TABLE a (id int)", "COMMIT"]
    assert migration.atomic


def test_statements_around_a_single_block_merge_into_one_unit() -> None:
    text = "CREATE TABLE z (id int);\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);"
    assert units_of(text) == [
        (["CREATE TABLE z (id int)", "CREATE TABLE a (id int)", "CREATE TABLE b (id int)"], True),
    ]


def test_several_begin_commit_blocks_are_several_units_in_order() -> None:
    text = (
        "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n"
        "CREATE TABLE between (id int);\n"
        "BEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\n"
    )
    assert units_of(text) == [
        (["CREATE TABLE a (id int)"], True),
        (["CREATE TABLE between (id int)"], True),
        (["CREATE TABLE b (id int)"], True),
    ]


def test_concurrently_statements_run_alone_between_transactional_groups() -> None:
    text = (
        "CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b int;\n"
        "CREATE INDEX CONCURRENTLY a_b ON a (b);\n"
        "DROP INDEX CONCURRENTLY old_idx;\n"
        "CREATE TABLE c (id int);\n"
    )
    assert units_of(text) == [
        (["CREATE TABLE a (id int)", "ALTER TABLE a ADD COLUMN b int"], True),
        (["CREATE INDEX CONCURRENTLY a_b ON a (b)"], False),
        (["DROP INDEX CONCURRENTLY old_idx"], False),
        (["CREATE TABLE c (id int)"], True),
    ]


def test_a_file_with_only_a_concurrently_statement_is_one_non_transactional_unit(tmp_path: Path) -> None:
    path = write(tmp_path, "1_idx.sql", "CREATE INDEX CONCURRENTLY i ON t (a);")
    migration = M.parse_file(M.MigrationFileName(path, "1", "idx"))
    assert [(len(u.statements), u.transactional) for u in migration.units] == [(1, False)]
    assert not migration.atomic


def test_a_block_followed_by_a_concurrently_statement_keeps_them_apart() -> None:
    assert units_of("BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON a (id);") == [
        (["CREATE TABLE a (id int)"], True),
        (["CREATE INDEX CONCURRENTLY i ON a (id)"], False),
    ]


@pytest.mark.parametrize(
    ("text", "line", "column", "kind"),
    [
        ("CREATE TABLE a (id int);\nROLLBACK;\n", 2, 1, "ROLLBACK"),
        ("CREATE TABLE a (id int);\nABORT;\n", 2, 1, "ROLLBACK"),
        ("BEGIN;\nSAVEPOINT s;\nCREATE TABLE a (id int);\nRELEASE s;\nCOMMIT;\n", 2, 1, "SAVEPOINT"),
        ("BEGIN;\n  CREATE TABLE a (id int); ROLLBACK TO SAVEPOINT s;\nCOMMIT;\n", 2, 28, "ROLLBACK TO SAVEPOINT"),
        ("CREATE TABLE a (id int);\nPREPARE TRANSACTION 'x';\n", 2, 1, "PREPARE"),
        ("COMMIT PREPARED 'x';\n", 1, 1, "COMMIT PREPARED"),
        ("BEGIN;\nCREATE TABLE a (id int);\nCOMMIT AND CHAIN;\n", 3, 1, "COMMIT AND CHAIN"),
    ],
)
def test_rollback_savepoints_and_two_phase_commit_are_refused_with_file_and_line(
    text: str, line: int, column: int, kind: str
) -> None:
    path = Path("supabase/migrations/20240101000000_bad.sql")
    statements = sqlfile.parse_statements(text, path)
    with pytest.raises(MigrationFileError) as info:
        M.plan_units(statements, path)
    assert str(info.value).startswith(f"{path}:{line}:{column}: {kind} in a migration file")
    assert (info.value.path, info.value.line, info.value.column) == (str(path), line, column)


def test_a_concurrently_statement_inside_a_begin_block_is_refused_with_file_and_line() -> None:
    path = Path("supabase/migrations/20240101000000_idx.sql")
    text = "BEGIN;\nCREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY i ON a (id);\nCOMMIT;"
    statements = sqlfile.parse_statements(text, path)
    with pytest.raises(MigrationFileError) as info:
        M.plan_units(statements, path)
    assert str(info.value).startswith(
        f"{path}:3:1: CREATE INDEX CONCURRENTLY cannot run inside the file's BEGIN ... COMMIT block"
    )
    assert "after COMMIT" in (info.value.hint or "")


def test_refusals_in_a_file_are_reported_by_load_with_the_file_name(tmp_path: Path) -> None:
    write(tmp_path, "1_ok.sql")
    write(tmp_path, "2_rollback.sql", "CREATE TABLE a (id int);\nROLLBACK;\n")
    with pytest.raises(MigrationFileError) as info:
        M.load(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / '2_rollback.sql'}:2:1: ROLLBACK")
