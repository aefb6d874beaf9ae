"""db.apply --phase against the sandbox: expand first, contract after, and the refusals before any write."""

from __future__ import annotations

import pytest
from conftest import MigrationDir, Project

from migrations_tasks.engine import Engine
from migrations_tasks.engine.results import ApplyResult
from migrations_tasks.errors import MigrationsTasksError, Refused
from migrations_tasks.history.ledger import TABLE
from migrations_tasks.history.migrations import load
from migrations_tasks.lint.phase_plan import selector
from migrations_tasks.transport.connect import connect

TABLE_SQL = "create table public.people (id int primary key, fullname text not null);\n"
EXPAND = "alter table public.people add column display_name text;\nupdate public.people set display_name = fullname;\n"
CONTRACT = "alter table public.people drop column fullname;\n"


def versions(project: Project) -> list[str]:
    return [r[0] for r in project.sql(f"SELECT version FROM {TABLE} ORDER BY version::numeric")]


def test_apply_by_phase_runs_expand_first_leaves_the_contract_pending_and_refuses_what_cannot_be_phased(
    project: Project, migrations: MigrationDir
) -> None:
    settings = project.settings(migrations.path)
    engine = Engine(connect(settings.target, settings), settings)
    migrations.write("1_people.sql", TABLE_SQL + "insert into public.people values (1, 'Ada'), (2, 'Linus');\n")
    engine.apply(load(migrations.path))
    migrations.write("2_display.sql", EXPAND)
    migrations.write("3_drop.sql", CONTRACT)

    def apply(phase: str) -> ApplyResult:
        local = load(migrations.path)
        return engine.apply(local, select=selector(engine.db, local.migrations, phase))

    with pytest.raises(Refused, match="the new release needs before it can start") as caught:
        apply("expand")  # fullname is NOT NULL without a default: the new code's inserts would fail
    assert "3_drop.sql drops public.people.fullname" in caught.value.message
    assert (caught.value.hint or "").startswith("Relax it in an expand step first: DROP NOT NULL or SET DEFAULT")
    with pytest.raises(Refused, match=r"Expand or data migrations are pending \(2\)"):
        apply("contract")
    with pytest.raises(MigrationsTasksError, match="Unknown phase 'later'"):
        apply("later")
    assert versions(project) == ["1"]  # every refusal came before any write

    migrations.write("2_display.sql", EXPAND + "alter table public.people alter column fullname drop not null;\n")
    expanded = apply("expand")
    assert versions(project) == ["1", "2"]
    assert [v for v, _ in expanded.waiting] == ["3"]
    assert "drops column fullname" in expanded.waiting[0][1]
    assert project.sql("select fullname, display_name from public.people order by id") == [
        ("Ada", "Ada"),
        ("Linus", "Linus"),
    ]
    apply("contract")
    assert versions(project) == ["1", "2", "3"]
    assert project.sql("select display_name from public.people order by id") == [("Ada",), ("Linus",)]
