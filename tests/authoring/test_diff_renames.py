"""db.diff asks about a probable table rename, with both SQL choices, and has nothing to do once it is written."""

from __future__ import annotations

from pathlib import Path

from conftest import SandboxProcess
from declarative import Declarative

from migrations_tasks.authoring.diff.renames import TableRename
from migrations_tasks.authoring.diff.results import DiffStatus


def test_a_table_renamed_into_another_schema_is_moved_then_renamed() -> None:
    moved = TableRename("public.items", 'app."Things"')
    assert moved.rename_sql == 'ALTER TABLE public.items SET SCHEMA app; ALTER TABLE app.items RENAME TO "Things";'
    assert TableRename("public.items", "public.things").rename_sql == "ALTER TABLE public.items RENAME TO things;"
    assert TableRename("public.items", "app.items").rename_sql == "ALTER TABLE public.items SET SCHEMA app;"


def test_a_probable_table_rename_is_asked_with_both_choices_and_once_migrated_nothing_is_left(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    work = Declarative(sandbox, tmp_path)
    work.write({"10_t.sql": "create table public.items (id int primary key, title text);\n"})
    assert work.diff("init").status is DiffStatus.WRITTEN
    work.write({"10_t.sql": "create table public.things (id int primary key, title text);\n"})
    asked = work.diff("rename")
    assert asked.status is DiffStatus.DECIDE and asked.exit_code == 1
    assert asked.renames == [
        "table public.items dropped and public.things added with the same columns: a rename?\n"
        "    to keep the rows, rename it: ALTER TABLE public.items RENAME TO things;\n"
        "    to drop it and create an empty table: CREATE TABLE public.things (...); DROP TABLE public.items;"
    ]
    assert len(list(work.migrations.glob("*.sql"))) == 1
    (work.migrations / "20260101003000_rename_items.sql").write_text(
        "alter table public.items rename to things;\nalter index public.items_pkey rename to things_pkey;\n"
        "alter table public.things rename constraint items_id_not_null to things_id_not_null;\n"
    )
    again = work.diff("again")
    assert again.status is DiffStatus.NOTHING, (again.proof.problem, again.proof.remaining)
