"""Release phases in the gate: expand before the switch, contract after health, on a local deploy host."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import MigrationDir, Project
from invoke.context import Context
from sshd_fixtures import kill_apps
from test_gate import Host, ledger

from migrations_tasks import gate
from migrations_tasks.deploy.parse import parse_deploy_config
from migrations_tasks.engine import Engine
from migrations_tasks.errors import ConfigError
from migrations_tasks.history.migrations import load
from migrations_tasks.transport.connect import connect

PEOPLE = (
    "create table public.people (id int primary key, fullname text);\n"
    "alter table public.people enable row level security;\n"
    'create policy "read people" on public.people for select to authenticated using (true);\n'
    "insert into public.people values (1, 'Ada Lovelace'), (2, 'Linus Torvalds');\n"
    "-- migrate:down\n-- drop table public.people;\n"
)
EXPAND = (
    "alter table public.people add column display_name text;\n"
    "update public.people set display_name = fullname;\n"
    "-- migrate:down\n-- alter table public.people drop column display_name;\n"
)
CONTRACT = (
    "alter table public.people drop column fullname;\n"
    "-- migrate:down\n-- alter table public.people add column fullname text;\n"
)


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    made = Host(tmp_path)
    yield made
    kill_apps(made.path)


def run(
    project: Project, migrations: MigrationDir, host: Host, tmp_path: Path, health: str = "ok", **options: Any
) -> tuple[gate.RunRecord, None]:
    """Run the gate (policy apply, no drift check: it is not what these tests are about) to ``host``."""
    return gate.run(
        Context(),
        project.settings(migrations.path, verify={"drift": "off"}),
        parse_deploy_config(host.spec(health), actor="tester@ci"),
        env="test",
        policy="apply",
        record_dir=tmp_path / "records",
        say=lambda line: None,
        **options,
    ), None


def columns(project: Project) -> list[tuple[object, ...]]:
    return project.sql("select * from public.people order by id")


def test_a_failed_health_check_keeps_expand_never_applies_contract_and_the_next_healthy_run_contracts_after_the_switch(
    project: Project, migrations: MigrationDir, host: Host, tmp_path: Path
) -> None:
    migrations.write("1_people.sql", PEOPLE)
    first, _ = run(project, migrations, host, tmp_path)
    assert first.exit_code == 0, first.error
    migrations.write("2_display_name.sql", EXPAND)
    migrations.write("3_drop_fullname.sql", CONTRACT)

    failed, _ = run(project, migrations, host, tmp_path, health="broken", undo_after_switch=True)
    assert failed.exit_code == 1 and failed.status == "failed"
    assert failed.release_rolled_back and host.live() == first.release  # the previous release is live
    assert (failed.before_switch, failed.after_health, failed.waiting) == (["2"], [], ["3"])
    assert failed.phases["2"]["phase"] == "expand" and failed.phases["3"]["phase"] == "contract"
    assert "drops column fullname" in failed.phases["3"]["reason"]
    # expand kept although undo_migrations_after_switch is on: nothing undone, nothing lost
    assert failed.kept == ["2"] and failed.rolled_back_migrations == [] and ledger(project) == ["1", "2"]
    assert columns(project) == [(1, "Ada Lovelace", "Ada Lovelace"), (2, "Linus Torvalds", "Linus Torvalds")]
    text = gate.summary_text(failed)
    assert "before the switch (expand, data): 2" in text
    assert "WAITING (contract, not applied): 3: never applied" in text
    saved = json.loads(Path(str(failed.path)).read_text())
    assert saved["waiting"] == ["3"] and saved["contract"] == "after-health" and saved["before_switch"] == ["2"]
    assert failed.steps[1].detail == "expand phase: applied 2; waiting (contract): 3"

    healthy, _ = run(project, migrations, host, tmp_path)
    assert (healthy.status, healthy.exit_code) == ("ok", 0), healthy.error
    assert (healthy.before_switch, healthy.after_health, healthy.waiting) == ([], ["3"], [])
    names = [s.name for s in healthy.steps]
    assert names.index("db.apply (contract, after health)") > names.index("deploy.vps + deploy.health")
    assert ledger(project) == ["1", "2", "3"] and host.live() == healthy.release
    assert columns(project) == [(1, "Ada Lovelace"), (2, "Linus Torvalds")]
    assert "after health (contract): 3" in gate.summary_text(healthy)


def test_next_release_leaves_the_contract_for_the_next_release_and_a_mixed_file_stops_a_release_before_it_runs(
    project: Project, migrations: MigrationDir, host: Host, tmp_path: Path
) -> None:
    migrations.write("1_people.sql", PEOPLE)
    settings = project.settings(migrations.path)
    Engine(connect(settings.target, settings), settings).apply(load(migrations.path))  # the live release's schema
    migrations.write("2_display_name.sql", EXPAND)
    migrations.write("3_drop_fullname.sql", CONTRACT)
    record, _ = run(project, migrations, host, tmp_path, contract="next-release")
    assert (record.status, record.exit_code) == ("ok", 0), record.error
    assert (record.before_switch, record.waiting) == (["2"], ["3"]) and ledger(project) == ["1", "2"]
    assert "next release" in (record.waiting_reason or "")
    carried, _ = run(project, migrations, host, tmp_path, contract="next-release")  # the next release
    assert (carried.status, carried.before_switch, carried.waiting) == ("ok", ["3"], []), carried.error
    assert ledger(project) == ["1", "2", "3"]
    migrations.write(
        "4_mixed.sql",
        "alter table public.people add column nick text;\nalter table public.people drop column display_name;\n",
    )
    mixed, _ = run(project, migrations, host, tmp_path, contract="next-release")
    assert mixed.exit_code == 2 and "mixes expand and contract" in (mixed.error or "")
    assert ledger(project) == ["1", "2", "3"]


def test_a_bad_contract_policy_is_listed_with_the_environments_other_bad_values() -> None:
    config = {"release": {"environments": {"qa": {"contract": "whenever", "plan": "maybe"}}}}
    with pytest.raises(ConfigError) as caught:
        gate.load_gate_options(config, "qa")
    assert caught.value.exit_code == 3
    assert "qa.plan must be" in caught.value.message
    assert (
        "qa.contract must be 'after-health', 'next-release' or 'before-switch', not 'whenever'" in caught.value.message
    )
    assert gate.load_gate_options(None, "production").contract == "after-health"
