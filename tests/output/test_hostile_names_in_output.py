"""Hostile ledger rows and live names under GitHub Actions: no forged command, summary cell, or terminal control."""

from __future__ import annotations

import pytest
from conftest import MigrationDir, Project, SandboxProcess, user_project
from hostile import (
    BASE_MIGRATION,
    PAYLOADS,
    apply_all,
    ident,
    literal,
    markdown_problems,
    names,
    out_of_band,
    run,
    terminal_problems,
    workflow_problems,
)

from migrations_tasks.gate.options import MigrationsPolicy
from migrations_tasks.gate.record import RunRecord, Step, summary_markdown


@pytest.fixture
def user(
    project: Project, sandbox: SandboxProcess, migrations: MigrationDir
) -> tuple[Project, MigrationDir, dict[str, str]]:
    migrations.write(*BASE_MIGRATION)
    apply_all(project, migrations.path)
    env = {k: v for k, v in project.env.items() if k != "SUPABASE_DB_URL"}
    env["MIGRATIONS_DRIFT_DB_URL"] = sandbox.db_url
    return project, migrations, env


def assert_inert(out: str, err: str, summary_text: str | None) -> None:
    assert workflow_problems(out + err) == [], out + err
    assert terminal_problems(out + err) == [], out + err
    if summary_text is not None:
        assert markdown_problems(summary_text) == [], summary_text


@pytest.mark.parametrize("seed", [3, 4])
def test_ledger_names_with_commands_html_and_controls_stay_text_in_check_and_verify(
    seed: int, user: tuple[Project, MigrationDir, dict[str, str]]
) -> None:
    project, migrations, env = user
    cwd = user_project(migrations.path.parent.parent)
    rows = ", ".join(
        f"('2099010100000{n}', {literal(name)}, '{{}}')" for n, name in enumerate(names(seed, 6, "public.base"))
    )
    project.sql(f"insert into supabase_migrations.schema_migrations (version, name, statements) values {rows}")
    for command in ("db.check", "db.verify"):
        code, out, err, summary = run(cwd, env, command)
        assert code in (1, 2), out + err  # the rows are in the ledger only: a conflict (check 2, verify 1)
        assert_inert(out, err, summary.read_text(encoding="utf-8") if summary.exists() else None)
        assert "PWN" in out + err, "the names are shown, escaped"


def test_a_table_named_to_forge_a_workflow_command_and_clear_the_screen_is_shown_escaped_by_verify(
    user: tuple[Project, MigrationDir, dict[str, str]],
) -> None:
    project, migrations, env = user
    cwd = user_project(migrations.path.parent.parent)
    for name in ("x\n::error title=PWN::injected", "y\x1b[2J\u202e", "z\r\n::add-mask::PWN"):
        out_of_band(project, f"create table public.{ident(name)} (id int primary key)")
    code, out, err, summary = run(cwd, env, "db.verify", "--drift")
    assert code == 1, out + err
    assert_inert(out, err, summary.read_text(encoding="utf-8") if summary.exists() else None)
    assert 'public."x\\n::error title=PWN::injected" (holds control or invisible characters' in out
    assert "y\\x1b[2J\\u202e" in out


def test_the_release_summary_keeps_one_cell_per_column_whatever_the_steps_and_errors_say() -> None:
    hostile = [*names(5, 4, "public.base"), *PAYLOADS]
    record = RunRecord(env="prod | <b>x</b>", policy=MigrationsPolicy("apply"), started_at="now")
    record.steps = [Step(name, detail=detail) for name, detail in zip(hostile, reversed(hostile))]
    record.applied, record.error, record.kept, record.kept_reason = hostile[:3], hostile[3], hostile[4:6], hostile[6]
    text = summary_markdown(record)
    assert markdown_problems(text) == []
    assert len([line for line in text.splitlines() if line.startswith("| ")]) == 1 + len(record.steps)
