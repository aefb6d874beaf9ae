"""Which schema files db.diff reads, in what order, as the Supabase CLI does (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrations_tasks.authoring.diff.sources import caveats, declared, parse_schema, schema_files
from migrations_tasks.errors import ConfigError, MigrationFileError


def tree(root: Path, *names: str) -> Path:
    """Make supabase/ under ``root`` with empty-statement schema files; return the supabase directory."""
    supabase = root / "supabase"
    for name in names:
        path = supabase / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("select 1;\n", encoding="utf-8")
    return supabase


def relative(supabase: Path) -> list[str]:
    return [p.relative_to(supabase).as_posix() for p in schema_files(supabase)]


def test_without_schema_paths_every_sql_file_under_schemas_runs_in_lexical_order(tmp_path: Path) -> None:
    supabase = tree(tmp_path, "schemas/20_b.sql", "schemas/10_a.sql", "schemas/sub/05_c.sql", "schemas/notes.txt")
    assert relative(supabase) == ["schemas/10_a.sql", "schemas/20_b.sql", "schemas/sub/05_c.sql"]


def test_schema_paths_give_the_order_with_globs_and_a_file_matched_twice_runs_once(tmp_path: Path) -> None:
    supabase = tree(tmp_path, "schemas/a_tables.sql", "schemas/b_types.sql", "schemas/c_views.sql")
    (supabase / "config.toml").write_text(
        '[db.migrations]\nschema_paths = ["./schemas/b_types.sql", "./schemas/*.sql"]\n', encoding="utf-8"
    )
    assert relative(supabase) == ["schemas/b_types.sql", "schemas/a_tables.sql", "schemas/c_views.sql"]


def test_a_schema_path_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    supabase = tree(tmp_path, "schemas/a.sql")
    (supabase / "config.toml").write_text('[db.migrations]\nschema_paths = ["./schemas/nope.sql"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"nope\.sql"):
        schema_files(supabase)


def test_a_project_without_schemas_is_not_declarative(tmp_path: Path) -> None:
    supabase = tree(tmp_path, "migrations/20250101000000_a.sql")
    (supabase / "config.toml").write_text("[db]\nport = 54322\n", encoding="utf-8")
    assert not declared(supabase)
    assert declared(tree(tmp_path, "schemas/a.sql"))


def test_a_syntax_error_names_the_schema_file_line_and_column(tmp_path: Path) -> None:
    supabase = tree(tmp_path, "schemas/a.sql")
    (supabase / "schemas" / "a.sql").write_text("select 1;\n\nselec 2;\n", encoding="utf-8")
    with pytest.raises(MigrationFileError, match=r"a\.sql:3:1"):
        parse_schema(schema_files(supabase), supabase / "schemas")


def test_data_and_renames_are_caveats_with_their_file_and_line(tmp_path: Path) -> None:
    supabase = tree(tmp_path, "schemas/a.sql")
    (supabase / "schemas" / "a.sql").write_text(
        "create table t (a int);\nINSERT into t values (1);\nalter table t\n  rename column a to b;\n", encoding="utf-8"
    )
    found = caveats(parse_schema(schema_files(supabase), supabase / "schemas"))
    assert [line.split(": ", 1)[0].rsplit("/", 1)[-1] for line in found] == ["a.sql:2", "a.sql:3"]
