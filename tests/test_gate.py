"""The release flow end to end: sandbox project, a real app on a local (and an SSH) host, rollbacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CANARY, MigrationDir, Project, user_project
from invoke.context import Context
from sshd_fixtures import SshClient, Sshd, free_port, kill_apps, make_build

from migrations_tasks import gate
from migrations_tasks.deploy.parse import parse_deploy_config

GOOD = (
    "create table public.items (id int primary key);\nalter table public.items enable row level security;\n"
    'create policy "read items" on public.items for select to authenticated using (true);\n'
    "-- migrate:down\n-- drop table public.items;\n"
)
SECOND = (
    "alter table public.items add column label text;\n-- migrate:down\n-- alter table public.items drop column label;\n"
)
NO_DOWN = (
    "create table public.notes (id int primary key);\nalter table public.notes enable row level security;\n"
    'create policy "read notes" on public.notes for select to authenticated using (true);\n'
)
UNSAFE = "create table public.open_door (id int primary key);\n-- migrate:down\n-- drop table public.open_door;\n"


class Host:
    def __init__(self, tmp_path: Path, server: Sshd | None = None, client: SshClient | None = None) -> None:
        self.path = tmp_path / "srv" / "app"
        self.port = free_port()
        self.server, self.client = server, client
        self.builds = tmp_path / "builds"

    def spec(self, health: str = "ok") -> dict[str, Any]:
        build = make_build(
            self.builds / f"b{len(list(self.builds.glob('*'))) if self.builds.exists() else 0}", health=health
        )
        host: dict[str, Any] = {
            "name": "web",
            "path": str(self.path),
            "env": {"APP_PORT": str(self.port)},
            "health_urls": [f"http://127.0.0.1:{self.port}/health"],
        }
        spec: dict[str, Any] = {
            "hosts": [host],
            "build_dir": str(build),
            "restart": "python3 restart.py",
            "health": {"interval": 0.05, "timeout": 2, "deadline": 1.0},
        }
        if self.server is None:
            host["local"] = True
        else:
            assert self.client is not None
            host.update(host="127.0.0.1", port=self.server.port, user=self.client.user)
            spec["ssh"] = {"config_file": str(self.client.config_file), "multiplex": False}
        return spec

    def live(self) -> str | None:
        current = self.path / "current"
        return os.readlink(current).removeprefix("releases/") if current.is_symlink() else None


@pytest.fixture
def host(tmp_path: Path) -> Any:
    made = Host(tmp_path)
    yield made
    kill_apps(made.path)


def run(
    project: Project,
    migrations: MigrationDir,
    host: Host,
    tmp_path: Path,
    *,
    policy: str = "apply",
    health: str = "ok",
    **options: Any,
) -> tuple[gate.RunRecord, list[str]]:
    lines: list[str] = []
    config = parse_deploy_config(host.spec(health), actor="tester@ci")
    record = gate.run(
        Context(),
        project.settings(migrations.path),
        config,
        env="test",
        policy=policy,
        record_dir=tmp_path / "records",
        say=lines.append,
        **options,
    )
    return record, lines


def tables(project: Project) -> set[str]:
    return {r[0] for r in project.sql("select tablename from pg_tables where schemaname = 'public'")}


def ledger(project: Project) -> list[str]:
    return [r[0] for r in project.sql("select version from supabase_migrations.schema_migrations order by 1")]


def test_a_clean_run_applies_verifies_deploys_and_records_what_it_did(
    project: Project, migrations: MigrationDir, host: Host, tmp_path: Path
) -> None:
    migrations.write("1_items.sql", GOOD)
    record, _ = run(project, migrations, host, tmp_path)
    assert (record.status, record.exit_code) == ("ok", 0), record.error
    assert [s.name for s in record.steps] == ["db.check", "db.apply", "db.verify", "deploy.vps + deploy.health"]
    assert all(s.status == "ok" for s in record.steps)
    assert record.applied == ["1"] and record.release == host.live() and record.hosts == ["web"]
    saved = json.loads(Path(str(record.path)).read_text())
    assert saved["applied"] == ["1"] and saved["release"] == record.release and saved["status"] == "ok"
    assert "items" in tables(project)


def test_pending_migrations_block_the_release_under_the_block_policy(
    project: Project, migrations: MigrationDir, host: Host, tmp_path: Path
) -> None:
    migrations.write("1_items.sql", GOOD)
    record, _ = run(project, migrations, host, tmp_path, policy="block")
    assert (record.status, record.exit_code) == ("blocked", 1)
    assert "pending" in (record.error or "")
    assert record.steps[-1].name == "db.apply" and record.steps[-1].status == "blocked"
    assert host.live() is None and record.release is None
    assert "items" not in tables(project)


def test_a_verify_failure_deploys_nothing_and_undoes_this_runs_migrations(
    project: Project, migrations: MigrationDir, host: Host, tmp_path: Path
) -> None:
    migrations.write("1_open.sql", UNSAFE)  # a public table without RLS: an error-level advisory
    record, _ = run(project, migrations, host, tmp_path)
    assert record.exit_code == 1 and record.status == "rolled-back"
    assert "db.verify failed" in (record.error or "")
    assert record.rolled_back_migrations == ["1"] and record.not_undone == []
    assert host.live() is None and record.release is None
    assert "open_door" not in tables(project) and ledger(project) == []


def test_a_health_failure_rolls_the_app_and_this_runs_migrations_back_where_the_environment_allows_it(
    project: Project, migrations: MigrationDir, host: Host, tmp_path: Path
) -> None:
    migrations.write("1_items.sql", GOOD)
    first, _ = run(project, migrations, host, tmp_path)
    assert first.exit_code == 0
    migrations.write("2_label.sql", SECOND)
    second, _ = run(project, migrations, host, tmp_path, health="broken", undo_after_switch=True)
    assert second.exit_code == 1 and second.applied == ["2"]
    assert second.release_rolled_back and host.live() == first.release
    assert second.rolled_back_migrations == ["2"] and ledger(project) == ["1"]
    assert project.sql(
        "select count(*) from information_schema.columns where table_name = 'items' and column_name = 'label'"
    ) == [(0,)]
    text = gate.summary_text(second)
    assert "rolled back: 2" in text and "rolled back to the previous release" in text


def test_after_the_release_went_live_this_runs_migrations_stay_unless_the_environment_says_undo(
    project: Project, migrations: MigrationDir, host: Host, tmp_path: Path
) -> None:
    migrations.write("1_items.sql", GOOD)
    first, _ = run(project, migrations, host, tmp_path)
    migrations.write("2_label.sql", SECOND)
    second, lines = run(project, migrations, host, tmp_path, health="broken")
    assert (second.status, second.exit_code) == ("failed", 1)
    assert second.release_rolled_back and host.live() == first.release and second.release_live_on == ["web"]
    assert second.rolled_back_migrations == [] and second.kept == ["2"] and ledger(project) == ["1", "2"]
    assert "release.environments.test.undo_migrations_after_switch is off" in (second.kept_reason or "")
    assert any(line.startswith("==> db.rollback (this run's migrations): not run.") for line in lines)
    assert second.steps[-1].status == "skipped" and "may have written rows" in second.steps[-1].detail
    assert "NOT UNDONE: 2: " in gate.summary_text(second)
    saved = json.loads(Path(str(second.path)).read_text())
    assert saved["kept"] == ["2"] and "undo_migrations_after_switch is off" in saved["kept_reason"]


def test_migrations_are_never_undone_while_the_failed_release_may_still_be_live(
    project: Project, migrations: MigrationDir, host: Host, tmp_path: Path
) -> None:
    migrations.write("1_items.sql", GOOD)  # a first release failing health has nothing to roll back to: exit 4
    record, lines = run(project, migrations, host, tmp_path, health="broken", undo_after_switch=True)
    assert (record.status, record.exit_code) == ("failed", 4)
    assert record.release_still_live_on == ["web"] and host.live() == record.release
    assert record.rolled_back_migrations == [] and record.kept == ["1"] and ledger(project) == ["1"]
    assert f"the failed release {record.release} may still be live on web" in (record.kept_reason or "")
    assert "items" in tables(project)
    assert f"NOT UNDONE: 1: the failed release {record.release} may still be live on web" in gate.summary_text(
        record
    )
    assert any("not run. the failed release" in line for line in lines)


def test_migrations_without_down_sql_are_named_as_not_undone(
    project: Project, migrations: MigrationDir, host: Host, tmp_path: Path
) -> None:
    migrations.write("1_items.sql", GOOD)
    migrations.write("2_notes.sql", NO_DOWN)
    migrations.write("3_open.sql", UNSAFE)
    record, _ = run(project, migrations, host, tmp_path)
    assert record.exit_code == 1
    assert record.rolled_back_migrations == ["3"]
    assert record.not_undone == ["2", "1"]
    assert "COULD NOT BE UNDONE: 2, 1" in gate.summary_text(record)
    assert ledger(project) == ["1", "2"]


def test_the_flow_deploys_over_a_real_ssh_server(
    project: Project, migrations: MigrationDir, tmp_path: Path, sshd: Sshd, ssh_client: SshClient
) -> None:
    remote = Host(tmp_path, sshd, ssh_client)
    try:
        migrations.write("1_items.sql", GOOD)
        record, _ = run(project, migrations, remote, tmp_path)
        assert record.exit_code == 0, record.error
        assert remote.live() == record.release
    finally:
        kill_apps(remote.path)


def test_the_release_task_masks_secrets_and_writes_github_outputs(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    cwd = user_project(tmp_path)
    migrations.write("1_items.sql", GOOD)
    target = Host(tmp_path)
    spec = target.spec()
    (cwd / "invoke.yaml").write_text(
        json.dumps(
            {
                "release": {"environments": {"ci": {"migrations": "apply", "project_ref": project.ref}}},
                "deploy": {"environments": {"ci": spec}},
            }
        )
    )
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
    env.update(
        SUPABASE_API_URL=project.sandbox.api_url,
        SUPABASE_ACCESS_TOKEN=project.sandbox.token,
        GITHUB_ACTIONS="true",
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(outputs),
    )
    try:
        result = subprocess.run(
            [sys.executable, "-m", "invoke", "release", "--env", "ci"],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
    finally:
        kill_apps(target.path)
    stdout = result.stdout.replace(f"::add-mask::{CANARY}", "::add-mask::<token>")
    assert CANARY not in stdout and CANARY not in result.stderr
    assert result.returncode == 0, result.stderr[-2000:]
    assert stdout.splitlines()[0] == "::add-mask::<token>"
    assert "::group::release: db.apply" in stdout
    assert "status=ok" in outputs.read_text() and "applied=1" in outputs.read_text()
    assert "### Release to ci: ok" in summary.read_text()


def test_an_unknown_environment_is_refused_and_never_falls_back_to_the_sandbox(tmp_path: Path) -> None:
    cwd = user_project(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "release", "--env", "qa"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 3
    assert "Unknown environment 'qa'" in result.stderr and "Traceback" not in result.stderr
    staging = subprocess.run(
        [sys.executable, "-m", "invoke", "release"], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert staging.returncode == 3 and "Missing settings" in staging.stderr
    assert "sandbox" not in staging.stdout.lower()


def test_down_sql_from_the_rollbacks_directory_undoes_this_runs_migration(
    project: Project, migrations: MigrationDir, host: Host, tmp_path: Path
) -> None:
    migrations.write("1_open.sql", "create table public.open_door (id int primary key);\n")
    rollbacks = migrations.path.parent / "rollbacks"
    rollbacks.mkdir()
    (rollbacks / "1_open.sql").write_text("drop table public.open_door;\n")
    record, _ = run(project, migrations, host, tmp_path)
    assert record.exit_code == 1 and record.rolled_back_migrations == ["1"] and record.not_undone == []
    assert "open_door" not in tables(project)


# -- environments: the undo policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"), [("production", False), ("staging", True), ("sandbox", True), ("preview", False)]
)
def test_undoing_migrations_after_the_switch_is_off_for_production_and_unnamed_environments(
    env: str, expected: bool
) -> None:
    config = {"release": {"environments": {"preview": {"migrations": "apply"}}}}
    assert gate.load_gate_options(config, env).undo_after_switch is expected


def test_an_environment_can_turn_the_undo_after_the_switch_on_or_off() -> None:
    config = {
        "release": {
            "environments": {
                "production": {"undo_migrations_after_switch": True},
                "staging": {"undo_migrations_after_switch": False},
            }
        }
    }
    assert gate.load_gate_options(config, "production").undo_after_switch is True
    assert gate.load_gate_options(config, "staging").undo_after_switch is False


def test_an_undo_policy_that_is_not_a_boolean_is_refused() -> None:
    from migrations_tasks.errors import ConfigError

    config = {"release": {"environments": {"production": {"undo_migrations_after_switch": "yes please"}}}}
    with pytest.raises(ConfigError, match=r"production\.undo_migrations_after_switch must be true or false"):
        gate.load_gate_options(config, "production")
