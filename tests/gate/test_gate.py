"""The release flow end to end: sandbox project, a real app on a local (and an SSH) host, rollbacks."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
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
            # healthy: passes the first round, the deadline only bounds a hang; broken: polled until the deadline
            "health": {"interval": 0.05, "timeout": 2, "deadline": 30 if health == "ok" else 1.0},
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
    project: Project, migrations: MigrationDir, host: Host, tmp_path: Path, **options: Any
) -> tuple[gate.RunRecord, list[str]]:
    """Run the gate (``policy`` apply unless given) to ``host``, whose build answers ``health`` ("ok")."""
    lines: list[str] = []
    config = parse_deploy_config(host.spec(options.pop("health", "ok")), actor="tester@ci")
    options.setdefault("policy", "apply")
    record = gate.run(
        Context(),
        project.settings(migrations.path),
        config,
        env="test",
        record_dir=tmp_path / "records",
        say=lines.append,
        **options,
    )
    return record, lines


def tables(project: Project) -> set[str]:
    return {r[0] for r in project.sql("select tablename from pg_tables where schemaname = 'public'")}


def ledger(project: Project) -> list[str]:
    return [r[0] for r in project.sql("select version from supabase_migrations.schema_migrations order by 1")]


def actions_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """Return this process's environment as an Actions step sees it, without settings (the canary stays)."""
    settings = ("SUPABASE_", "MIGRATIONS_", "DEPLOY_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(settings) or k == "MIGRATIONS_TASKS_TEST_CANARY"}
    env.update(GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"))
    env.update(GITHUB_OUTPUT=str(tmp_path / "outputs.txt"), **values)
    return env


def inv_release(cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``inv release --env ci`` in ``cwd``."""
    command = [sys.executable, "-m", "invoke", "release", "--env", "ci"]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=timeout)


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
    second, _ = run(
        project, migrations, host, tmp_path, health="broken", undo_after_switch=True, contract="before-switch"
    )
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
    second, lines = run(project, migrations, host, tmp_path, health="broken", contract="before-switch")
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
    assert f"NOT UNDONE: 1: the failed release {record.release} may still be live on web" in gate.summary_text(record)
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
    env = actions_env(tmp_path, SUPABASE_API_URL=project.sandbox.api_url, SUPABASE_ACCESS_TOKEN=project.sandbox.token)
    try:
        result = inv_release(cwd, env)
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


# -- signals: inv release as CI cancels it (SIGINT, then SIGTERM) and as a terminal's Ctrl-C does -------------


def key_copies(text: str) -> list[Path]:
    """Return the DEPLOY_SSH_KEY copies holding ``text`` that deploys left in /tmp (where session files go)."""
    found = []
    for directory in Path("/tmp").glob("mt-deploy-*"):  # where deploy/ssh.py writes them
        with contextlib.suppress(OSError):
            if (directory / "id_deploy").read_text() == text.strip() + "\n":
                found.append(directory / "id_deploy")
    return found


GO = "go"


def held(tmp_path: Path, then: str) -> str:
    """Return a shell command that says 'held', waits until the test calls Release.let_go() (30 s at most), then
    runs ``then``: a step in flight for exactly as long as the test needs, where a fixed sleep would guess."""
    go = shlex.quote(str(tmp_path / GO))
    return f"echo held; for i in $(seq 600); do [ -e {go} ] && break; sleep 0.05; done; {then}"


class Release:
    """``inv release --env ci`` in a user's project, over a real sshd, with DEPLOY_SSH_KEY set."""

    def __init__(self, project: Project, migrations: MigrationDir, tmp_path: Path, remote: Host, **deploy: Any) -> None:
        self.cwd = user_project(tmp_path)
        migrations.write("1_items.sql", GOOD)
        spec = {**remote.spec(), **deploy}
        release = {"environments": {"ci": {"migrations": "apply", "project_ref": project.ref}}}
        (self.cwd / "invoke.yaml").write_text(
            json.dumps({"release": release, "deploy": {"environments": {"ci": spec}}})
        )
        assert remote.client is not None
        self.key = remote.client.keys.client_key.read_text()
        self.summary = tmp_path / "summary.md"
        self.env = actions_env(
            tmp_path,
            SUPABASE_API_URL=project.sandbox.api_url,
            SUPABASE_ACCESS_TOKEN=project.sandbox.token,
            DEPLOY_SSH_KEY=self.key,
        )
        self.seen = self.seen_err = ""
        self.proc: subprocess.Popen[str] | None = None
        self.go = tmp_path / GO

    def let_go(self) -> None:
        """Let the command made by held() go on."""
        self.go.touch()

    def start(self, *, own_group: bool = False) -> subprocess.Popen[str]:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "invoke", "release", "--env", "ci"],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=own_group,
        )
        self.deadline = threading.Timer(240, self.proc.kill)  # a run that hangs fails the test, not the session
        self.deadline.daemon = True  # nor does it keep the interpreter up for 240 s at exit
        self.deadline.start()
        return self.proc

    def wait_for(self, marker: str) -> None:
        """Read stdout until a line starts with ``marker``."""
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.seen += line
            if line.startswith(marker):
                return
        raise AssertionError(f"{marker!r} never came:\n{self.seen}")

    def wait_for_err(self, marker: str) -> None:
        """Read stderr until a line holds ``marker`` (``"SIGINT received"``: the run took the signal)."""
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self.seen_err += line
            if marker in line:
                return
        raise AssertionError(f"{marker!r} never came:\n{self.seen_err}")

    def finish(self) -> tuple[int, str, str, dict[str, Any]]:
        """Return the exit code, stdout, stderr and the run record."""
        assert self.proc is not None
        out, err = self.proc.communicate(timeout=120)
        self.deadline.cancel()
        out, err = self.seen + out, self.seen_err + err
        masked = "\n".join(line for line in out.splitlines() if not line.startswith("::add-mask::"))
        assert CANARY not in masked + err and "Traceback" not in err, err
        records = list((self.cwd / ".release").glob("ci-*.json"))
        assert len(records) == 1, (out, err)
        return self.proc.returncode, out, err, json.loads(records[0].read_text())


@pytest.fixture
def remote(tmp_path: Path, sshd: Sshd, ssh_client: SshClient) -> Any:
    made = Host(tmp_path, sshd, ssh_client)
    yield made
    kill_apps(made.path)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_before_switch_stops_the_release_undoes_it_and_leaves_no_key_lock_or_release(
    project: Project, migrations: MigrationDir, tmp_path: Path, remote: Host, sig: signal.Signals
) -> None:
    release = Release(project, migrations, tmp_path, remote, before_switch=["echo building; sleep 60"])
    release.start()
    release.wait_for("[web] $ echo building")
    assert key_copies(release.key), "the run's copy of DEPLOY_SSH_KEY should exist while it runs"
    assert release.proc is not None
    release.proc.send_signal(sig)
    code, out, err, record = release.finish()
    assert code == 128 + sig, err
    assert f"{sig.name} received: stopping at the next safe point" in err
    assert f"Stopped by {sig.name} while 'before_switch: echo building; sleep 60' ran on web (it was ended)" in out
    assert (record["status"], record["exit_code"], record["signal"]) == ("stopped", 128 + sig, sig.name)
    assert record["applied"] == ["1"] and record["rolled_back_migrations"] == ["1"] and ledger(project) == []
    assert [s["status"] for s in record["steps"]][-2:] == ["stopped", "undone"]
    assert key_copies(release.key) == []
    assert not (remote.path / ".deploy" / "lock").exists() and list((remote.path / "releases").iterdir()) == []
    assert "### Release to ci: stopped" in release.summary.read_text()


def test_a_second_signal_aborts_at_once_and_still_releases_the_lock_removes_the_key_and_writes_the_record(
    project: Project, migrations: MigrationDir, tmp_path: Path, remote: Host
) -> None:
    # no app start after the sleep: an aborted ssh command (no tty) may go on running remotely and would
    # start an app after the test has finished
    release = Release(project, migrations, tmp_path, remote, restart="echo restarting; sleep 60")
    release.start()
    release.wait_for("[web] restart: echo restarting")
    assert release.proc is not None
    release.proc.send_signal(signal.SIGINT)  # as GitHub cancels: SIGINT; the restart is after the switch: it runs on
    release.wait_for_err("SIGINT received")
    assert release.proc.poll() is None
    release.proc.send_signal(signal.SIGTERM)  # ... then SIGTERM: abort
    code, out, err, record = release.finish()
    assert code == 143, err
    assert (record["status"], record["error"]) == ("aborted", "Aborted by SIGTERM (a second signal).")
    assert record["kept"] == ["1"] and "aborted; nothing more was undone" in record["kept_reason"]
    assert ledger(project) == ["1"] and "Hosts switched to" in out and "Aborted: nothing more was undone." in err
    live = record["release"]  # the record says which release is live where, also when aborted
    assert live is not None and remote.live() == live and record["hosts"] == ["web"]
    assert record["release_live_on"] == record["release_still_live_on"] == ["web"] and record["live"] == {"web": live}
    assert key_copies(release.key) == [] and not (remote.path / ".deploy" / "lock").exists()
    assert "### Release to ci: aborted" in release.summary.read_text()


def deploy_first(remote: Host) -> str:
    """Put a good release live on ``remote`` (the one to go back to); return its id."""
    from migrations_tasks.deploy import deploy

    return deploy(Context(), parse_deploy_config(remote.spec(), actor="tester@ci"), notify=lambda _: None).release


def test_the_terminals_ctrl_c_reaches_only_the_release_so_a_restart_in_flight_completes_then_it_is_switched_back(
    project: Project, migrations: MigrationDir, tmp_path: Path, remote: Host
) -> None:
    good = deploy_first(remote)
    release = Release(project, migrations, tmp_path, remote, restart=held(tmp_path, "python3 restart.py"))
    proc = release.start(own_group=True)
    release.wait_for("[web] restart: echo held")
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: every process of the foreground group
    release.wait_for_err("SIGINT received")
    release.let_go()  # the restart in flight goes on only now: had the Ctrl-C reached it, it would have ended
    code, out, err, record = release.finish()
    assert code == 130, out[-3000:] + err
    assert "[web] restart: echo held" in out and "[web] rolled back: live: " + good in out
    assert (record["status"], record["signal"], record["release_rolled_back"]) == ("stopped", "SIGINT", True)
    assert remote.live() == good and record["live"] == {"web": good} and record["release"] != good
    assert record["kept"] == ["1"] and ledger(project) == ["1"]  # it went live: never undone by default
    assert key_copies(release.key) == [] and not (remote.path / ".deploy" / "lock").exists()


def test_a_cancel_while_health_is_polled_after_the_switch_switches_back_before_the_sigterm_and_exits_130(
    project: Project, migrations: MigrationDir, tmp_path: Path, remote: Host
) -> None:
    good = deploy_first(remote)
    broken = make_build(tmp_path / "broken", health="broken")  # /health answers 503
    health = {"interval": 0.05, "timeout": 2, "deadline": 30}
    release = Release(project, migrations, tmp_path, remote, build_dir=str(broken), health=health)
    proc = release.start()
    release.wait_for("health: polling")
    proc.send_signal(signal.SIGINT)  # GitHub's cancel: SIGINT, then SIGTERM about 7.5 s later
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=7.5)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    code, out, err, record = release.finish()
    assert code == 130, out[-3000:] + err
    assert remote.live() == good and record["release"] not in (None, good)
    assert (record["status"], record["signal"], record["hosts"]) == ("stopped", "SIGINT", ["web"])
    assert record["release_live_on"] == ["web"] and record["release_still_live_on"] == []
    assert record["release_rolled_back"] is True and record["live"] == {"web": good}
    assert "SIGINT asked to stop before the health checks passed" in record["error"]
    assert record["kept"] == ["1"] and ledger(project) == ["1"]
    assert f"live now: web: {good}" in out
    assert key_copies(release.key) == [] and not (remote.path / ".deploy" / "lock").exists()


def test_a_signal_after_the_switch_of_a_release_without_health_checks_completes_it_and_exits_143(
    project: Project, migrations: MigrationDir, tmp_path: Path, remote: Host
) -> None:
    restart = held(tmp_path, "python3 restart.py")
    release = Release(project, migrations, tmp_path, remote, restart=restart, health={"enabled": False})
    proc = release.start()
    release.wait_for("[web] restart: echo held")
    proc.send_signal(signal.SIGTERM)
    release.wait_for_err("SIGTERM received")
    release.let_go()
    code, out, err, record = release.finish()
    assert code == 143, out[-3000:] + err
    assert (record["status"], record["signal"]) == ("stopped", "SIGTERM")
    assert remote.live() == record["release"] and record["live"] == {"web": record["release"]}
    assert "SIGTERM asked the run to stop after the switch had begun: the release" in out
    assert ledger(project) == ["1"] and record["kept"] == [] and record["rolled_back_migrations"] == []


# -- secrets: a database password never reaches stdout, the run record or the step summary -------------------


@pytest.mark.parametrize(
    ("password", "code", "says"),
    [
        (f"Hunter2%zz{CANARY}", 3, "SUPABASE_DB_URL is not a valid PostgreSQL connection URL"),
        (f"Hunter2%25zz{CANARY}", 3, "Cannot connect to PostgreSQL"),
    ],
    ids=["raw-percent", "percent-encoded"],
)
def test_a_database_password_never_reaches_output_the_record_or_the_summary(
    tmp_path: Path, password: str, code: int, says: str
) -> None:
    cwd = user_project(tmp_path)
    (cwd / "supabase" / "migrations").mkdir(parents=True)
    (cwd / "invoke.yaml").write_text(json.dumps({"release": {"environments": {"ci": {"migrations": "apply"}}}}))
    summary = tmp_path / "summary.md"
    url = f"postgresql://postgres:{password}@127.0.0.1:{free_port()}/postgres"
    result = inv_release(cwd, actions_env(tmp_path, SUPABASE_DB_URL=url, MIGRATIONS_TRANSPORT="postgres"), 120)
    masks = [  # as the runner reads them: %25 is %
        line.removeprefix("::add-mask::").replace("%25", "%")
        for line in result.stdout.splitlines()
        if line.startswith("::add-mask::")
    ]
    shown = "\n".join(line for line in result.stdout.splitlines() if not line.startswith("::add-mask::"))
    assert result.returncode == code and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    written = [p.read_text() for p in [summary, *(cwd / ".release").glob("*.json")] if p.exists()]
    for text in (shown, result.stderr, *written):
        assert CANARY not in text and "Hunter2" not in text
    if "Cannot connect" in says:  # the run started: its record is written, the decoded password masked first
        assert written and f"Hunter2%zz{CANARY}" in masks and f"Hunter2%25zz{CANARY}" in masks, "not masked"


# -- CI: .github/workflows/deploy-staging.yml installs only pinned, hashed packages, and never with secrets -----

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / ".github" / "requirements"


def pinned(path: Path) -> dict[str, list[str]]:
    """Return each requirement of a compiled requirements file: normalised name -> its ``name==version`` lines."""
    import re

    out: dict[str, list[str]] = {}
    for entry in re.split(r"\n(?=\S)", path.read_text()):
        if entry.startswith("#") or not entry.strip():
            continue
        head = entry.splitlines()[0]
        assert re.match(r"^[A-Za-z0-9_.-]+==[^ ;\\]+", head), f"{path.name}: not pinned: {head}"
        assert "--hash=sha256:" in entry, f"{path.name}: no hash for {head}"
        name = re.split(r"==", head)[0].lower().replace("_", "-")
        out.setdefault(name, []).append(head)
    return out


def test_every_package_ci_installs_for_the_gate_is_pinned_with_hashes_and_covers_the_projects_dependencies() -> None:
    import importlib.metadata
    import re

    gate_packages = pinned(REQUIREMENTS / "staging-gate.txt")
    assert "nox" in pinned(REQUIREMENTS / "nox.txt") and "setuptools" in gate_packages
    for requirement in importlib.metadata.requires("migrations-tasks") or []:
        if "extra ==" in requirement and "'sandbox'" not in requirement and '"sandbox"' not in requirement:
            continue
        name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in gate_packages, f"{name} is a dependency but not pinned in staging-gate.txt: recompile it"
        if "[binary]" in requirement:
            assert f"{name}-binary" in gate_packages


def test_the_staging_workflow_installs_in_steps_without_secrets_and_runs_the_gate_without_installing() -> None:
    from invoke.util import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy-staging.yml").read_text())
    steps = workflow["jobs"]["gate"]["steps"]
    with_secrets = [s for s in steps if "secrets." in json.dumps(s.get("env", {}))]
    installs = [s for s in steps if "install" in s.get("run", "")]
    assert len(with_secrets) == 1 and installs
    assert not any("secrets." in json.dumps(s) for s in installs)
    assert "install" not in with_secrets[0]["run"] and "pip" not in with_secrets[0]["run"]
    assert with_secrets[0]["run"].startswith("exec .nox/staging_gate/bin/inv release ")
    runs = "\n".join(s.get("run", "") for s in installs)
    assert "--require-hashes" in runs and "nox -s staging_gate --install-only" in runs
    noxfile = (ROOT / "noxfile.py").read_text()
    assert '"--require-hashes", "--no-deps", "-r", STAGING_GATE_REQUIREMENTS' in noxfile


def test_the_sandbox_environment_never_reaches_the_database_or_drift_server_of_the_environment() -> None:
    from migrations_tasks.config.sources import sandbox_environment

    sandbox = {
        "SUPABASE_API_URL": "http://127.0.0.1:1",
        "SUPABASE_PROJECT_REF": "a" * 20,
        "SUPABASE_ACCESS_TOKEN": "t",
        "SANDBOX_DB_URL": "postgresql://supabase_admin@127.0.0.1:2/postgres",
    }
    environ = {
        "SUPABASE_DB_URL": "postgresql://elsewhere/db",
        "MIGRATIONS_DRIFT_DB_URL": "postgresql://other/db",
        "HOME": "/root",
    }
    out = sandbox_environment(sandbox, environ, None)
    assert out["MIGRATIONS_DRIFT_DB_URL"] == "" and out["SUPABASE_DB_URL"] == ""  # empty reads as unset
    assert out["HOME"] == "/root" and out["SUPABASE_PROJECT_REF"] == "a" * 20 and "SANDBOX_DB_URL" not in out


def test_the_sandbox_environment_keeps_dotenv_deploy_secrets_but_never_its_database_or_transport(
    tmp_path: Path,
) -> None:
    from migrations_tasks.config.sources import sandbox_environment

    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "DEPLOY_SSH_KEY=key-from-dotenv\nSUPABASE_DB_URL=postgresql://u:p@prod.example/db\n"
        "MIGRATIONS_TRANSPORT=postgres\nMIGRATIONS_DIR=db/migrations\n",
        encoding="utf-8",
    )
    sandbox = {"SUPABASE_API_URL": "http://127.0.0.1:1", "SANDBOX_DB_URL": "postgresql://127.0.0.1:2/postgres"}
    out = sandbox_environment(sandbox, {}, dotenv)
    assert out["DEPLOY_SSH_KEY"] == "key-from-dotenv" and out["MIGRATIONS_DIR"] == "db/migrations"
    assert out["SUPABASE_DB_URL"] == "" and out["MIGRATIONS_TRANSPORT"] == "api"
