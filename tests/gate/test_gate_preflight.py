"""The gate's preflight: db.lint + db.plan before applying, under the environment's plan policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import MigrationDir, Project
from invoke.context import Context
from test_gate import ledger

from migrations_tasks import gate
from migrations_tasks.errors import ConfigError
from migrations_tasks.untrusted import markdown

SAFE = (
    "create table public.items (id int primary key);\nalter table public.items enable row level security;\n"
    "-- migrate:down\n-- drop table public.items;\n"
)
UNSAFE = "create table public.open_door (id int primary key);\n-- migrate:down\n-- drop table public.open_door;\n"


def release(
    project: Project, migrations: MigrationDir, settings: Any, tmp_path: Path, plan: str, **config: Any
) -> gate.RunRecord:
    lines: list[str] = []
    return gate.run(
        Context(),
        settings(migrations.path, **config),
        None,
        env="test",
        policy="apply",
        plan_policy=plan,
        record_dir=tmp_path / "records",
        say=lines.append,
    )


def test_an_unsafe_plan_stops_the_release_before_anything_is_applied(
    project: Project, migrations: MigrationDir, verify_settings: Any, tmp_path: Path
) -> None:
    migrations.write("1_open.sql", UNSAFE)
    record = release(project, migrations, verify_settings, tmp_path, "block")
    assert (record.status, record.exit_code) == ("failed", 1)
    assert [(s.name, s.status) for s in record.steps] == [("db.check", "ok"), ("db.lint + db.plan", "failed")]
    assert "supabase-rls-not-enabled" in (record.error or "") and "nothing was applied" in (record.error or "")
    assert record.plan is not None and record.plan["status"] == "fails"
    assert project.sql("select to_regclass('supabase_migrations.schema_migrations')") == [(None,)]


def test_a_warn_policy_records_the_plan_and_goes_on(
    project: Project, migrations: MigrationDir, verify_settings: Any, tmp_path: Path
) -> None:
    migrations.write("1_open.sql", UNSAFE)
    record = release(project, migrations, verify_settings, tmp_path, "warn")
    plan_step = record.steps[1]
    assert plan_step.name == "db.lint + db.plan" and "plan: warn, going on" in plan_step.detail
    assert record.steps[2].name == "db.apply" and record.applied == ["1"]


def test_a_safe_plan_is_recorded_and_the_release_applies(
    project: Project, migrations: MigrationDir, verify_settings: Any, tmp_path: Path
) -> None:
    migrations.write("1_items.sql", SAFE)
    record = release(project, migrations, verify_settings, tmp_path, "block")
    assert (record.status, record.exit_code) == ("ok", 0), record.error
    assert [s.name for s in record.steps][:3] == ["db.check", "db.lint + db.plan", "db.apply"]
    assert record.plan is not None and record.plan["migrations"][0]["rollback_proof"]["status"] == "pass"
    assert ledger(project) == ["1"]


def test_the_plan_policy_is_read_per_environment() -> None:
    assert gate.load_gate_options(None, "staging").plan == "block"
    config = {"release": {"environments": {"staging": {"plan": False}, "qa": {"plan": "warn"}}}}
    assert gate.load_gate_options(config, "staging").plan == "off"
    assert gate.load_gate_options(config, "qa").plan == "warn"
    with pytest.raises(ConfigError, match="plan must be 'block', 'strict', 'warn' or 'off', not 'maybe'"):
        gate.load_gate_options({"release": {"environments": {"qa": {"plan": "maybe"}}}}, "qa")


def unreachable_throwaway(migrations_dir: Path, *, project: Project) -> Any:
    from migrations_tasks.config.settings import load_settings

    env = {**project.env, "MIGRATIONS_DRIFT_DB_URL": "postgresql://postgres:pw@127.0.0.1:9/postgres"}
    flags = {"migrations_dir": str(migrations_dir), "transport": "api"}
    return load_settings({"migrations": {}}, flags=flags, environ=env, dotenv_path=None)


def test_a_warn_policy_records_a_plan_that_cannot_run_as_a_warning_and_the_release_goes_on(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_items.sql", SAFE)
    record = release(project, migrations, lambda d: unreachable_throwaway(d, project=project), tmp_path, "warn")
    plan_step = record.steps[1]
    assert plan_step.status == "ok" and "could not run" in plan_step.detail and "going on" in plan_step.detail
    assert record.plan is not None and record.plan["status"] == "could not run"
    assert (record.steps[2].name, record.steps[2].status) == ("db.apply", "ok")  # db.verify's drift then needs it


def test_a_block_policy_stops_on_a_plan_that_cannot_run_with_one_line_and_nothing_applied(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_items.sql", SAFE)
    record = release(project, migrations, lambda d: unreachable_throwaway(d, project=project), tmp_path, "block")
    assert (record.status, record.exit_code) == ("failed", 3)
    assert (record.error or "").startswith("db.plan could not run: ") and "\n" not in (record.error or "")
    assert "nothing was applied" in (record.error or "")
    assert project.sql("select to_regclass('supabase_migrations.schema_migrations')") == [(None,)]


def test_a_plan_that_needs_a_review_applies_under_block_and_stops_under_strict(
    project: Project, migrations: MigrationDir, verify_settings: Any, tmp_path: Path
) -> None:
    from migrations_tasks.engine import Engine
    from migrations_tasks.history.migrations import load
    from migrations_tasks.transport.connect import connect

    migrations.write("1_items.sql", SAFE)
    db = connect(verify_settings(migrations.path).target)
    try:
        Engine(db, verify_settings(migrations.path)).apply(load(migrations.path))
    finally:
        db.close()
    project.sql("insert into public.items select generate_series(1, 500); analyze public.items")
    migrations.write(
        "2_note.sql",
        "alter table public.items add column note text;\n"
        "-- migrate:down\n-- alter table public.items drop column note;\n",
    )
    stopped = release(project, migrations, verify_settings, tmp_path, "strict")
    assert (stopped.status, stopped.exit_code) == ("failed", 1) and ledger(project) == ["1"]
    assert "db.plan: review (review: " in (stopped.error or "") and "AccessExclusiveLock on public.items" in (
        stopped.error or ""
    )
    went = release(project, migrations, verify_settings, tmp_path, "block")
    assert (went.status, went.exit_code) == ("ok", 0), went.error
    assert went.plan is not None and went.plan["status"] == "review" and ledger(project) == ["1", "2"]


def test_a_data_check_that_fails_on_live_rows_stops_the_release_with_an_annotation_and_a_summary(
    project: Project,
    migrations: MigrationDir,
    verify_settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from migrations_tasks.engine import Engine
    from migrations_tasks.history.migrations import load
    from migrations_tasks.transport.connect import connect

    migrations.write("1_items.sql", SAFE.replace("(id int primary key)", "(id int primary key, note text)"))
    db = connect(verify_settings(migrations.path).target)
    try:
        Engine(db, verify_settings(migrations.path)).apply(load(migrations.path))
    finally:
        db.close()
    project.sql("insert into public.items select g, case when g > 2 then 'n' end from generate_series(1, 50) g")
    migrations.write("2_note.sql", "alter table public.items alter column note set not null;\n")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    record = release(project, migrations, verify_settings, tmp_path, "block")
    assert (record.status, record.exit_code) == ("failed", 1) and ledger(project) == ["1"]
    text = "fails on live rows: 2 rows violate NOT NULL on public.items.note (23502)"
    assert text in (record.error or "")
    out = capsys.readouterr()
    assert f",line=1,title=db.plan%3A data check::{text}" in out.out + out.err
    assert markdown(text) in summary.read_text()  # escaped as every summary message is
