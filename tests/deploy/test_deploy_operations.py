"""Deploy, health and rollback (deploy.operations), end to end against real sshd servers on 127.0.0.1.

Each test deploys the tiny app of ``sshd_fixtures`` into its own deploy path, whose name holds spaces,
quotes and ``$(...)`` so that every quoting mistake would show. The restart command (``python3
restart.py``) starts the release's app on the site's port; ``GET /release`` says which release serves.
"""

from __future__ import annotations

import os
import signal
import tarfile
from pathlib import Path
from typing import Any

import pytest
from invoke import Context, MockContext

from migrations_tasks.deploy.operations import deploy, rollback
from migrations_tasks.deploy.parse import parse_deploy_config
from migrations_tasks.deploy.results import DeployResult, HostStatus
from migrations_tasks.deploy.runtime import Runtime
from migrations_tasks.errors import ConfigError, Interrupted, NoRollbackTarget, RollbackIncomplete

DEPLOYED, FAILED_LIVE, NOT_SWITCHED, ROLLED_BACK = (
    HostStatus.DEPLOYED,
    HostStatus.FAILED_LIVE,
    HostStatus.NOT_SWITCHED,
    HostStatus.ROLLED_BACK,
)

# The real sshd fixtures (sshd, sshd2, ssh_keys, ssh_client, app_build) and the deploy sites (sites, web1,
# web2) load as plugins; the helpers are imported by name, after registering the modules for assertion
# rewriting as the plugin loader would.
pytest_plugins = ("sshd_fixtures", "deploy_sites")
pytest.register_assert_rewrite("sshd_fixtures", "deploy_sites")
from deploy_sites import UNHEALTHY, Output, Site, Sites, failed_deploy, run_deploy, spec_for  # noqa: E402
from sshd_fixtures import SshClient  # noqa: E402

# -- deploying ------------------------------------------------------------------------------------------------


def test_a_first_deploy_uploads_links_shared_files_switches_restarts_and_serves_the_release(
    ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
    shared = web1.path / "shared"
    shared.mkdir(parents=True)
    (shared / ".env").write_text("SECRET=1\n")
    build = app_build(extra={".git/HEAD": "ref: main", "node_modules/big.js": "x", "public/index.html": "hi"})
    spec = spec_for(
        ssh_client,
        build,
        web1,
        shared_files=[".env"],
        shared_dirs=["storage/uploads"],
        exclude=[".git", "node_modules"],
        ssh={"config_file": str(ssh_client.config_file)},
        before_switch=['test -L .env && test "$RELEASE_PATH" = "$(pwd)" && echo built > built.txt'],
    )
    out = Output()
    result = run_deploy(spec, out)

    assert result.status == "deployed" and result.ok and not result.rolled_back
    assert result.deployed_to == ("web1",)
    host = result.hosts[0]
    assert (host.status, host.previous, host.live, host.transfer) == (DEPLOYED, None, result.release, "rsync")
    assert result.health is not None and result.health.healthy
    release = web1.path / "releases" / result.release
    assert web1.current() == result.release and web1.serving() == result.release
    assert (release / "built.txt").read_text() == "built\n"
    assert os.readlink(release / ".env") == str(shared / ".env")
    assert (shared / "storage" / "uploads").is_dir() and (release / "storage" / "uploads").is_symlink()
    assert (release / "public" / "index.html").exists()
    assert not (release / ".git").exists() and not (release / "node_modules").exists()
    assert web1.states() == {result.release: "live"}
    assert not web1.locked()
    [entry] = web1.log()
    assert {k: entry[k] for k in ("action", "release", "result", "who", "host")} == {
        "action": "deploy",
        "release": result.release,
        "result": "ok",
        "who": "tester@ci",
        "host": "web1",
    }
    assert f"[web1] live: {result.release} (was nothing)" in out.lines


def test_a_second_deploy_goes_live_and_keeps_the_first_as_the_previous_release(
    ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
    first = run_deploy(spec_for(ssh_client, app_build(), web1))
    second = run_deploy(spec_for(ssh_client, app_build(), web1))
    assert second.release > first.release
    assert second.hosts[0].previous == first.release
    assert web1.serving() == second.release
    assert web1.states() == {first.release: "live", second.release: "live"}
    assert [e["result"] for e in web1.log()] == ["ok", "ok"]


def test_failing_health_rolls_back_automatically_and_the_previous_release_serves_again(
    ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
    good = run_deploy(spec_for(ssh_client, app_build(), web1))
    out = Output()
    error = failed_deploy(spec_for(ssh_client, app_build(health="broken"), web1, health=UNHEALTHY), out)

    result = error.result
    assert isinstance(result, DeployResult)
    assert error.exit_code == 1 and result.status == "rolled-back" and result.rolled_back
    assert result.hosts[0].status == ROLLED_BACK and result.hosts[0].live == good.release
    assert result.health is not None and not result.health.healthy
    assert "503, expected 200" in error.message
    assert web1.current() == good.release and web1.serving() == good.release
    assert web1.states()[result.release] == "failed"
    assert not web1.locked()
    rollback_entry, deploy_entry = web1.log()[-2:]
    assert rollback_entry["action"] == "rollback" and rollback_entry["release"] == good.release
    assert rollback_entry["reason"].startswith("automatic: health checks failed")
    assert (deploy_entry["action"], deploy_entry["result"]) == ("deploy", "rolled-back")
    assert any("health #1 FAIL" in line for line in out.lines)


def test_health_checks_can_be_skipped_for_one_deploy(ssh_client: SshClient, web1: Site, app_build: Any) -> None:
    result = run_deploy(spec_for(ssh_client, app_build(health="broken"), web1), check_health=False)
    assert result.status == "deployed" and result.health is None


def test_a_manual_rollback_switches_back_marks_the_left_release_and_later_rollbacks_skip_it(
    ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
    spec = spec_for(ssh_client, app_build(), web1)
    first, second = run_deploy(spec), run_deploy(spec)
    config = parse_deploy_config(spec, actor="oncall")

    result = rollback(Context(), config, notify=lambda _: None)
    assert result.status == "rolled-back"
    assert (result.hosts[0].live, result.hosts[0].previous) == (first.release, second.release)
    assert web1.serving() == first.release
    assert web1.states() == {first.release: "live", second.release: "failed"}
    assert web1.log()[-1]["reason"] == "manual" and web1.log()[-1]["who"] == "oncall"

    with pytest.raises(NoRollbackTarget, match="marked failed"):
        rollback(Context(), config, notify=lambda _: None)
    assert web1.current() == first.release and not web1.locked()

    forward = rollback(Context(), config, to=second.release, notify=lambda _: None)  # a roll forward, by name
    assert forward.hosts[0].live == second.release and web1.serving() == second.release
    assert web1.states() == {first.release: "live", second.release: "live"}  # going forward marks nothing


def test_keep_releases_prunes_old_releases_but_never_the_live_or_the_previous_one(
    ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
    spec = spec_for(ssh_client, app_build(), web1, keep_releases=1, restart=None)
    r1 = run_deploy(spec, check_health=False)
    r2 = run_deploy(spec, check_health=False)
    assert web1.releases() == [r1.release, r2.release]  # r1 is the previous release: kept
    r3 = run_deploy(spec, check_health=False)
    assert r3.hosts[0].pruned == (r1.release,)
    assert web1.releases() == [r2.release, r3.release]
    assert set(web1.states()) == {r2.release, r3.release}


def test_an_upload_without_rsync_uses_a_tar_stream_over_ssh(ssh_client: SshClient, web1: Site, app_build: Any) -> None:
    build = app_build(extra={'it\'s "odd" name.txt': "x", "cache/tmp.bin": "x", "empty/.keep": ""})
    result = run_deploy(spec_for(ssh_client, build, web1, transfer="tar", exclude=["cache/"]))
    assert result.hosts[0].transfer == "tar"
    release = web1.path / "releases" / result.release
    assert (release / 'it\'s "odd" name.txt').exists() and (release / "empty" / ".keep").exists()
    assert not (release / "cache").exists()
    assert web1.serving() == result.release


def test_two_hosts_are_deployed_together_and_reported_per_host(
    ssh_client: SshClient, web1: Site, web2: Site, app_build: Any
) -> None:
    result = run_deploy(spec_for(ssh_client, app_build(), web1, web2, ssh={"config_file": str(ssh_client.config_file)}))
    assert [(h.host, h.status) for h in result.hosts] == [("web1", DEPLOYED), ("web2", DEPLOYED)]
    assert web1.serving() == web2.serving() == result.release
    assert result.health is not None and len(result.health.targets) == 2


def test_one_unhealthy_host_rolls_every_host_back(
    ssh_client: SshClient, web1: Site, web2: Site, app_build: Any
) -> None:
    good = run_deploy(spec_for(ssh_client, app_build(), web1, web2))
    hosts = [web1.host(ssh_client), web2.host(ssh_client, env={"APP_BROKEN": "1"})]
    error = failed_deploy(spec_for(ssh_client, app_build(), hosts=hosts, health=UNHEALTHY))
    assert isinstance(error.result, DeployResult)
    assert [h.status for h in error.result.hosts] == [ROLLED_BACK, ROLLED_BACK]
    assert web1.current() == web2.current() == good.release
    assert web1.serving() == web2.serving() == good.release
    assert "web2 http://127.0.0.1" in error.message


def test_a_restart_failing_on_one_host_rolls_every_host_back(
    ssh_client: SshClient, web1: Site, web2: Site, app_build: Any
) -> None:
    restart = (
        'if [ -e broken-restart ] && [ -n "$FAIL_HERE" ]; then echo "cannot start" >&2; exit 9; fi\npython3 restart.py'
    )
    good = run_deploy(spec_for(ssh_client, app_build(), web1, web2, restart=restart))
    hosts = [web1.host(ssh_client), web2.host(ssh_client, env={"FAIL_HERE": "1"})]
    error = failed_deploy(spec_for(ssh_client, app_build(extra={"broken-restart": ""}), hosts=hosts, restart=restart))
    assert isinstance(error.result, DeployResult) and error.result.status == "rolled-back"
    assert "restart failed" in error.message and "cannot start" in error.message
    assert [h.status for h in error.result.hosts] == [ROLLED_BACK, ROLLED_BACK]
    assert web1.serving() == web2.serving() == good.release  # web1 had restarted the new release: back too
    assert error.result.health is None


def test_a_failed_first_deploy_has_nothing_to_roll_back_to_and_says_so(
    ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
    with pytest.raises(RollbackIncomplete) as info:
        run_deploy(spec_for(ssh_client, app_build(health="broken"), web1, health=UNHEALTHY))
    error = info.value
    assert error.exit_code == 4 and isinstance(error.result, DeployResult)
    assert error.result.status == "rollback-failed" and error.result.hosts[0].status == FAILED_LIVE
    assert "no previous release to roll back to" in error.message
    assert web1.current() == error.result.release and not web1.locked()


def test_a_rollback_that_fails_too_is_reported_as_not_rolled_back(
    ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
    restart = 'if [ -e "$SHARED_PATH/fail-restart" ]; then echo "restart refused" >&2; exit 9; fi\npython3 restart.py'
    good = run_deploy(spec_for(ssh_client, app_build(), web1, restart=restart))
    (web1.path / "shared" / "fail-restart").write_text("")
    with pytest.raises(RollbackIncomplete) as info:
        run_deploy(spec_for(ssh_client, app_build(), web1, restart=restart))
    result = info.value.result
    assert isinstance(result, DeployResult) and result.status == "rollback-failed"
    host = result.hosts[0]
    assert host.status == FAILED_LIVE and host.error is not None and "restart refused" in host.error
    assert web1.current() == good.release  # switched back; only the restart of it failed
    assert "inv deploy.status" in (info.value.hint or "")
    assert not web1.locked()


def test_no_host_switches_until_every_host_is_prepared(
    ssh_client: SshClient, web1: Site, web2: Site, app_build: Any
) -> None:
    good = run_deploy(spec_for(ssh_client, app_build(), web1, web2))
    hosts = [web1.host(ssh_client), web2.host(ssh_client, env={"FAIL_HERE": "1"})]
    spec = spec_for(ssh_client, app_build(), hosts=hosts, before_switch=['test -z "$FAIL_HERE" || exit 7'])
    error = failed_deploy(spec)
    assert isinstance(error.result, DeployResult)
    assert error.result.status == "failed" and not error.result.rolled_back
    assert [h.status for h in error.result.hosts] == [NOT_SWITCHED, NOT_SWITCHED]
    assert web1.current() == web2.current() == good.release
    assert web1.releases() == web2.releases() == [good.release]  # the new release was removed everywhere
    assert not web1.locked() and not web2.locked()


def test_a_failing_command_before_the_switch_switches_nothing_and_releases_the_lock(
    ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
    good = run_deploy(spec_for(ssh_client, app_build(), web1))
    out = Output()
    error = failed_deploy(
        spec_for(ssh_client, app_build(), web1, before_switch=["echo 'npm ERR! missing script: build' >&2; exit 3"]),
        out,
    )
    assert error.exit_code == 1
    assert "before_switch" in error.message and "npm ERR! missing script: build" in error.message
    assert "Nothing was switched" in error.message
    assert web1.current() == good.release and web1.releases() == [good.release]
    assert not web1.locked()
    entry = web1.log()[-1]
    assert (entry["result"], entry["stage"]) == ("failed", "prepare")
    assert "npm ERR! missing script: build" in out.stream.getvalue()  # the command's output was shown


def test_a_missing_shared_file_stops_the_deploy_before_the_switch(
    ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
    error = failed_deploy(spec_for(ssh_client, app_build(), web1, shared_files=["config/.env"]))
    assert "shared file" in error.message and "config/.env" in error.message
    assert error.hint is not None and "Create it on the host" in error.hint
    assert not (web1.path / "current").exists()


# -- the local host, archives, dry runs ---------------------------------------------------------------------


def test_a_local_host_deploys_and_rolls_back_through_the_same_code_path_without_ssh(
    ssh_client: SshClient, sites: Sites, app_build: Any
) -> None:
    box = sites.make("box", None)
    spec = spec_for(ssh_client, app_build(extra={".env": "SUPABASE_ACCESS_TOKEN=local-secret"}), box)
    first = run_deploy(spec)
    second = run_deploy(spec)
    assert box.serving() == second.release and second.hosts[0].transfer == "rsync"
    assert not (box.path / "releases" / second.release / ".env").exists()  # a local .env is never shipped
    rollback(Context(), parse_deploy_config(spec), notify=lambda _: None)
    assert box.serving() == first.release
    assert box.states() == {first.release: "live", second.release: "failed"}


def test_a_stop_request_before_the_switch_changes_nothing(ssh_client: SshClient, sites: Sites, app_build: Any) -> None:
    box = sites.make("box", None)
    spec = spec_for(ssh_client, app_build(), box)
    good = run_deploy(spec)
    asked = iter([0, signal.SIGTERM])  # nothing before the first host, then a SIGTERM arrives
    with pytest.raises(Interrupted) as info:
        run_deploy(spec, runtime=Runtime(should_stop=lambda: next(asked, signal.SIGTERM)))
    assert info.value.exit_code == 143 and "nothing was switched" in info.value.message
    assert box.current() == good.release and box.releases() == [good.release]
    assert not box.locked() and box.log()[-1]["result"] == "stopped"


def test_nothing_is_shipped_unless_a_build_dir_or_archive_is_named(ssh_client: SshClient, web1: Site) -> None:
    spec = spec_for(ssh_client, Path("unused"), web1)
    del spec["build_dir"]
    with pytest.raises(ConfigError, match="Nothing says what to ship") as info:
        deploy(MockContext(), parse_deploy_config(spec))  # refused before any command runs
    assert "--build-dir" in (info.value.hint or "")


def test_an_archive_ships_like_a_directory(ssh_client: SshClient, sites: Sites, app_build: Any, tmp_path: Path) -> None:
    build = app_build(extra={"notes.log": "x"})
    archive = tmp_path / "app-1.2.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(build, arcname="app-1.2")
    box = sites.make("box", None)
    spec = spec_for(ssh_client, build, box, archive=str(archive), exclude=["*.log"], transfer="tar")
    del spec["build_dir"]
    result = run_deploy(spec)
    release = box.path / "releases" / result.release
    assert (release / "app.py").exists() and not (release / "notes.log").exists()
    assert box.serving() == result.release


def test_a_dry_run_prints_every_command_local_and_remote_and_runs_none(
    ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
    spec = spec_for(
        ssh_client,
        app_build(),
        web1,
        transfer="tar",
        shared_dirs=["uploads"],
        before_switch=["npm ci"],
        ssh={"config_file": str(ssh_client.config_file)},
    )
    out = Output()
    config = parse_deploy_config(spec, actor="tester")
    result = deploy(MockContext(), config, dry_run=True, notify=out.lines.append, release_id="20250101-000000.000")
    assert result.status == "dry-run"
    text = "\n".join(out.lines)
    commands = [line.split("\n    $ ", 1)[1].splitlines()[0] for line in out.lines if "\n    $ " in line]
    scripts = "\n".join(line.removeprefix("    | ") for line in text.splitlines() if line.startswith("    | "))
    assert any(" -f -N " in c for c in commands)  # the shared connection
    assert any(c.startswith("tar --null") for c in commands)  # the local pack
    assert all(c.startswith(("ssh ", "tar ")) for c in commands)
    for expected in (
        "mkdir -- ",
        "tar -xzf -",
        "ln -s -- ",
        "npm ci",
        "mv -T -- ",
        "python3 restart.py",
        "unlocked yes",
    ):
        assert expected in scripts
    assert "would poll" in text
    assert not web1.path.exists()
