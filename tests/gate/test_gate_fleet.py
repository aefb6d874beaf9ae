"""The gate over a fleet (``release.environments.<env>.targets``): apply and verify on every target, undo on all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import MigrationDir, Project, SandboxProcess
from invoke.context import Context

from migrations_tasks import gate
from migrations_tasks.config.settings import load_settings
from migrations_tasks.config.targets import FleetOptions
from migrations_tasks.errors import ConfigError
from migrations_tasks.gate.options import load_gate_options
from migrations_tasks.gate.record import RunRecord


def run_fleet_gate(
    sandbox: SandboxProcess, migrations: MigrationDir, tmp_path: Path, projects: list[Project], **options: Any
) -> tuple[RunRecord, list[str]]:
    """Run the gate without a deploy over ``projects`` (targets p0, p1, ... in the group ``all``)."""
    section = {
        "verify": {"drift": "off"},
        "targets": {f"p{i}": {"project_ref": p.ref} for i, p in enumerate(projects)},
        "target_groups": {"all": [f"p{i}" for i in range(len(projects))]},
    }
    env = {"SUPABASE_ACCESS_TOKEN": sandbox.token, "SUPABASE_API_URL": sandbox.api_url}
    flags = {"migrations_dir": str(migrations.path), "target": "all"}
    settings = load_settings({"migrations": section}, flags=flags, environ=env, dotenv_path=None)
    lines: list[str] = []
    record = gate.run(
        Context(),
        settings,
        None,
        env="fleet",
        policy="apply",
        plan_policy="off",
        record_dir=tmp_path / "records",
        say=lines.append,
        targets=settings.select("all"),
        **options,
    )
    return record, lines


def test_the_gate_applies_and_verifies_on_every_target_and_undoes_this_run_on_all_after_one_fails(
    sandbox: SandboxProcess, migrations: MigrationDir, tmp_path: Path
) -> None:
    projects: list[Project] = [sandbox.new_project() for _ in range(3)]
    for n in (1, 2):
        migrations.write(
            f"2026010100000{n}_t{n}.sql",
            f"create table public.t{n} (id int);\n-- migrate:down\n-- drop table public.t{n};\n",
        )
    projects[1].sql("create table public.t2 (id int)")  # the second target conflicts with the second migration
    record, lines = run_fleet_gate(
        sandbox, migrations, tmp_path, projects, fleet=FleetOptions(parallel=3, on_error="continue")
    )
    assert (record.status, record.exit_code) == ("rolled-back", 1), lines
    by_target = {t["target"]: t for t in record.targets}
    assert by_target["p1"]["status"] == "failed" and "already exists" in by_target["p1"]["error"]
    for name in ("p0", "p2"):
        assert by_target[name]["applied"] == ["20260101000001", "20260101000002"]
        assert by_target[name]["rolled_back"] == ["20260101000002", "20260101000001"]
    assert by_target["p1"]["applied"] == ["20260101000001"] and by_target["p1"]["rolled_back"] == ["20260101000001"]
    for project in projects:
        assert project.sql("select count(*) from supabase_migrations.schema_migrations") == [(0,)]
        project.close()
        sandbox.call("DELETE", f"/_sandbox/projects/{project.ref}")


def test_an_environment_names_its_target_group_and_fleet_options_or_is_refused() -> None:
    spec = {"release": {"environments": {"prod": {"targets": "prod", "canary": 1, "on_error": "continue"}}}}
    options = load_gate_options(spec, "prod")
    assert (options.targets, options.fleet) == ("prod", FleetOptions(4, 1, "continue"))
    with pytest.raises(ConfigError) as caught:
        load_gate_options({"release": {"environments": {"prod": {"targets": "prod", "parallel": 0}}}}, "prod")
    assert "invoke.yaml release.environments.prod.parallel must be a whole number of at least 1" in str(caught.value)


@pytest.mark.parametrize("contract", ["after-health", "next-release"])
def test_release_phases_run_on_every_target_expand_first_and_contract_after_health_or_left_waiting(
    sandbox: SandboxProcess, migrations: MigrationDir, tmp_path: Path, contract: str
) -> None:
    projects: list[Project] = [sandbox.new_project() for _ in range(2)]
    for project in projects:
        project.sql(
            "create table public.items (id int, old_name text); alter table public.items enable row level security"
        )
    migrations.write("20260101000001_expand.sql", "alter table public.items add column name text;\n")
    migrations.write("20260101000002_contract.sql", "alter table public.items drop column old_name;\n")
    record, lines = run_fleet_gate(
        sandbox, migrations, tmp_path, projects, fleet=FleetOptions(parallel=2), contract=contract
    )
    assert record.exit_code == 0, (record.error, lines)
    assert record.before_switch == ["20260101000001"]
    columns = "select string_agg(attname, ',' order by attnum) from pg_attribute "
    columns += "where attrelid = 'public.items'::regclass and attnum > 0 and not attisdropped"
    if contract == "after-health":
        assert record.after_health == ["20260101000002"] and record.waiting == []
        expected = (["20260101000001", "20260101000002"], "id,name")
    else:
        assert record.after_health == [] and record.waiting == ["20260101000002"]
        expected = (["20260101000001"], "id,old_name,name")
    for project, target in zip(projects, record.targets):
        assert target["applied"] == expected[0], target
        assert project.sql(columns) == [(expected[1],)]
        project.close()
        sandbox.call("DELETE", f"/_sandbox/projects/{project.ref}")
