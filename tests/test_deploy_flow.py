"""Deploy, health, rollback and the lock, end to end against real sshd servers on 127.0.0.1.

Each test deploys the tiny app of ``sshd_fixtures`` into its own deploy path, whose name holds spaces,
quotes and ``$(...)`` so that every quoting mistake would show. The restart command (``python3
restart.py``) starts the release's app on the site's port; ``GET /release`` says which release serves.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from invoke import Context, MockContext

from migrations_tasks.deploy import releases as rel
from migrations_tasks.deploy.operations import deploy, rollback, status
from migrations_tasks.deploy.parse import parse_deploy_config
from migrations_tasks.deploy.results import DeployResult, HostStatus
from migrations_tasks.deploy.runtime import Runtime
from migrations_tasks.errors import (
    ConfigError,
    DeployFailed,
    DeployLockHeld,
    HostKeyError,
    Interrupted,
    NoRollbackTarget,
    RollbackIncomplete,
    SshAuthError,
    SshConnectError,
)
from migrations_tasks.secret import Secret

DEPLOYED, FAILED_LIVE, NOT_SWITCHED, ROLLED_BACK = (
    HostStatus.DEPLOYED, HostStatus.FAILED_LIVE, HostStatus.NOT_SWITCHED, HostStatus.ROLLED_BACK)

# The real sshd fixtures (sshd, sshd2, ssh_keys, ssh_client, app_build) load as a plugin; the helpers are
# imported by name, after registering the module for assertion rewriting as the plugin loader would.
pytest_plugins = ("sshd_fixtures",)
pytest.register_assert_rewrite("sshd_fixtures")
from sshd_fixtures import SshClient, Sshd, free_port, kill_apps, write_client_config  # noqa: E402


@dataclass
class Site:
    """One deploy target: a deploy path on a host and the port its app listens on."""

    name: str
    path: Path
    port: int
    server: Sshd | None  # None: the local host

    @property
    def layout(self) -> rel.Layout:
        return rel.Layout(str(self.path))

    def serving(self) -> str:
        return httpx.get(f"http://127.0.0.1:{self.port}/release", timeout=5).text

    def current(self) -> str:
        return os.readlink(self.path / "current").removeprefix("releases/")

    def states(self) -> dict[str, str]:
        directory = self.path / ".deploy" / "state"
        return {p.name: p.read_text().strip() for p in directory.iterdir()} if directory.exists() else {}

    def releases(self) -> list[str]:
        return sorted(p.name for p in (self.path / "releases").iterdir())

    def log(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (self.path / ".deploy" / "log").read_text().splitlines()]

    def locked(self) -> bool:
        return (self.path / ".deploy" / "lock").exists()

    def host(self, client: SshClient, **extra: Any) -> dict[str, Any]:
        spec: dict[str, Any] = {"name": self.name, "path": str(self.path), "env": {"APP_PORT": str(self.port)},
                                "health_urls": [{"url": f"http://127.0.0.1:{self.port}/health",
                                                 "json_field": "status", "json_value": "ok"}]}
        if self.server is None:
            spec["local"] = True
        else:
            spec.update(host="127.0.0.1", port=self.server.port, user=client.user)
        for key, value in extra.items():
            spec[key] = {**spec[key], **value} if isinstance(value, dict) and key in spec else value
        return spec


@dataclass
class Sites:
    made: list[Site] = field(default_factory=list)
    tmp: Path = Path()

    def make(self, name: str, server: Sshd | None) -> Site:
        site = Site(name=name, path=self.tmp / f"srv {name} it's \"q\" $(x)" / "app", port=free_port(),
                    server=server)
        self.made.append(site)
        return site


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[Sites]:
    made = Sites(tmp=tmp_path)
    yield made
    kill_apps(*(s.path for s in made.made))


@pytest.fixture
def web1(sites: Sites, sshd: Sshd) -> Site:
    return sites.make("web1", sshd)


@pytest.fixture
def web2(sites: Sites, sshd2: Sshd) -> Site:
    return sites.make("web2", sshd2)


def spec_for(client: SshClient, build: Path, *sites_: Site, hosts: list[dict[str, Any]] | None = None,
             **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "hosts": hosts or [s.host(client) for s in sites_],
        "build_dir": str(build),
        "restart": "python3 restart.py",
        # The user's ssh config shares one connection per server across tests (see sshd_fixtures); tests that
        # exercise this tool's own per-run connection sharing pass ssh={"config_file": ...} instead.
        "ssh": {"config_file": str(client.config_file), "multiplex": False},
        "health": {"interval": 0.05, "timeout": 2, "deadline": 0.3},
    }
    spec.update(overrides)
    return spec


@dataclass
class Output:
    lines: list[str] = field(default_factory=list)
    stream: io.StringIO = field(default_factory=io.StringIO)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + self.stream.getvalue()


def run_deploy(spec: dict[str, Any], out: Output | None = None, **kwargs: Any) -> DeployResult:
    out = out or Output()
    config = parse_deploy_config(spec, actor="tester@ci", **kwargs.pop("parse", {}))
    return deploy(Context(), config, notify=out.lines.append, stream=out.stream, **kwargs)


def failed_deploy(spec: dict[str, Any], out: Output | None = None, **kwargs: Any) -> DeployFailed:
    with pytest.raises(DeployFailed) as info:
        run_deploy(spec, out, **kwargs)
    return info.value


# -- deploying ------------------------------------------------------------------------------------------------


def test_a_first_deploy_uploads_links_shared_files_switches_restarts_and_serves_the_release(
        ssh_client: SshClient, web1: Site, app_build: Any) -> None:
    shared = web1.path / "shared"
    shared.mkdir(parents=True)
    (shared / ".env").write_text("SECRET=1\n")
    build = app_build(extra={".git/HEAD": "ref: main", "node_modules/big.js": "x", "public/index.html": "hi"})
    spec = spec_for(ssh_client, build, web1, shared_files=[".env"], shared_dirs=["storage/uploads"],
                    exclude=[".git", "node_modules"], ssh={"config_file": str(ssh_client.config_file)},
                    before_switch=['test -L .env && test "$RELEASE_PATH" = "$(pwd)" && echo built > built.txt'])
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
        "action": "deploy", "release": result.release, "result": "ok", "who": "tester@ci", "host": "web1"}
    assert f"[web1] live: {result.release} (was nothing)" in out.lines


def test_a_second_deploy_goes_live_and_keeps_the_first_as_the_previous_release(
        ssh_client: SshClient, web1: Site, app_build: Any) -> None:
    first = run_deploy(spec_for(ssh_client, app_build(), web1))
    second = run_deploy(spec_for(ssh_client, app_build(), web1))
    assert second.release > first.release
    assert second.hosts[0].previous == first.release
    assert web1.serving() == second.release
    assert web1.states() == {first.release: "live", second.release: "live"}
    assert [e["result"] for e in web1.log()] == ["ok", "ok"]


def test_failing_health_rolls_back_automatically_and_the_previous_release_serves_again(
        ssh_client: SshClient, web1: Site, app_build: Any) -> None:
    good = run_deploy(spec_for(ssh_client, app_build(), web1))
    out = Output()
    error = failed_deploy(spec_for(ssh_client, app_build(health="broken"), web1), out)

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
        ssh_client: SshClient, web1: Site, app_build: Any) -> None:
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
        ssh_client: SshClient, web1: Site, app_build: Any) -> None:
    spec = spec_for(ssh_client, app_build(), web1, keep_releases=1, restart=None)
    r1 = run_deploy(spec, check_health=False)
    r2 = run_deploy(spec, check_health=False)
    assert web1.releases() == [r1.release, r2.release]  # r1 is the previous release: kept
    r3 = run_deploy(spec, check_health=False)
    assert r3.hosts[0].pruned == (r1.release,)
    assert web1.releases() == [r2.release, r3.release]
    assert set(web1.states()) == {r2.release, r3.release}


def test_an_upload_without_rsync_uses_a_tar_stream_over_ssh(ssh_client: SshClient, web1: Site,
                                                             app_build: Any) -> None:
    build = app_build(extra={"it's \"odd\" name.txt": "x", "cache/tmp.bin": "x", "empty/.keep": ""})
    result = run_deploy(spec_for(ssh_client, build, web1, transfer="tar", exclude=["cache/"]))
    assert result.hosts[0].transfer == "tar"
    release = web1.path / "releases" / result.release
    assert (release / "it's \"odd\" name.txt").exists() and (release / "empty" / ".keep").exists()
    assert not (release / "cache").exists()
    assert web1.serving() == result.release


def test_two_hosts_are_deployed_together_and_reported_per_host(ssh_client: SshClient, web1: Site, web2: Site,
                                                                 app_build: Any) -> None:
    result = run_deploy(spec_for(ssh_client, app_build(), web1, web2,
                                 ssh={"config_file": str(ssh_client.config_file)}))
    assert [(h.host, h.status) for h in result.hosts] == [("web1", DEPLOYED), ("web2", DEPLOYED)]
    assert web1.serving() == web2.serving() == result.release
    assert result.health is not None and len(result.health.targets) == 2


def test_one_unhealthy_host_rolls_every_host_back(ssh_client: SshClient, web1: Site, web2: Site,
                                                  app_build: Any) -> None:
    good = run_deploy(spec_for(ssh_client, app_build(), web1, web2))
    hosts = [web1.host(ssh_client), web2.host(ssh_client, env={"APP_BROKEN": "1"})]
    error = failed_deploy(spec_for(ssh_client, app_build(), hosts=hosts))
    assert isinstance(error.result, DeployResult)
    assert [h.status for h in error.result.hosts] == [ROLLED_BACK, ROLLED_BACK]
    assert web1.current() == web2.current() == good.release
    assert web1.serving() == web2.serving() == good.release
    assert "web2 http://127.0.0.1" in error.message


def test_a_restart_failing_on_one_host_rolls_every_host_back(ssh_client: SshClient, web1: Site, web2: Site,
                                                              app_build: Any) -> None:
    restart = 'if [ -e broken-restart ] && [ -n "$FAIL_HERE" ]; then echo "cannot start" >&2; exit 9; fi\n' \
              "python3 restart.py"
    good = run_deploy(spec_for(ssh_client, app_build(), web1, web2, restart=restart))
    hosts = [web1.host(ssh_client), web2.host(ssh_client, env={"FAIL_HERE": "1"})]
    error = failed_deploy(spec_for(ssh_client, app_build(extra={"broken-restart": ""}), hosts=hosts,
                                   restart=restart))
    assert isinstance(error.result, DeployResult) and error.result.status == "rolled-back"
    assert "restart failed" in error.message and "cannot start" in error.message
    assert [h.status for h in error.result.hosts] == [ROLLED_BACK, ROLLED_BACK]
    assert web1.serving() == web2.serving() == good.release  # web1 had restarted the new release: back too
    assert error.result.health is None


def test_a_failed_first_deploy_has_nothing_to_roll_back_to_and_says_so(ssh_client: SshClient, web1: Site,
                                                                       app_build: Any) -> None:
    with pytest.raises(RollbackIncomplete) as info:
        run_deploy(spec_for(ssh_client, app_build(health="broken"), web1))
    error = info.value
    assert error.exit_code == 4 and isinstance(error.result, DeployResult)
    assert error.result.status == "rollback-failed" and error.result.hosts[0].status == FAILED_LIVE
    assert "no previous release to roll back to" in error.message
    assert web1.current() == error.result.release and not web1.locked()


def test_a_rollback_that_fails_too_is_reported_as_not_rolled_back(ssh_client: SshClient, web1: Site,
                                                                  app_build: Any) -> None:
    restart = 'if [ -e "$SHARED_PATH/fail-restart" ]; then echo "restart refused" >&2; exit 9; fi\n' \
              "python3 restart.py"
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


def test_no_host_switches_until_every_host_is_prepared(ssh_client: SshClient, web1: Site, web2: Site,
                                                       app_build: Any) -> None:
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
        ssh_client: SshClient, web1: Site, app_build: Any) -> None:
    good = run_deploy(spec_for(ssh_client, app_build(), web1))
    out = Output()
    error = failed_deploy(spec_for(ssh_client, app_build(), web1,
                                   before_switch=["echo 'npm ERR! missing script: build' >&2; exit 3"]), out)
    assert error.exit_code == 1
    assert "before_switch" in error.message and "npm ERR! missing script: build" in error.message
    assert "Nothing was switched" in error.message
    assert web1.current() == good.release and web1.releases() == [good.release]
    assert not web1.locked()
    entry = web1.log()[-1]
    assert (entry["result"], entry["stage"]) == ("failed", "prepare")
    assert "npm ERR! missing script: build" in out.stream.getvalue()  # the command's output was shown


def test_a_missing_shared_file_stops_the_deploy_before_the_switch(ssh_client: SshClient, web1: Site,
                                                                   app_build: Any) -> None:
    error = failed_deploy(spec_for(ssh_client, app_build(), web1, shared_files=["config/.env"]))
    assert "shared file" in error.message and "config/.env" in error.message
    assert error.hint is not None and "Create it on the host" in error.hint
    assert not (web1.path / "current").exists()


# -- the lock ------------------------------------------------------------------------------------------------------


def hold_lock(site: Site, who: str) -> None:
    info = rel.LockInfo(token="someone-else", who=who, machine="ci-runner-7", pid=999, since="2025-01-01T00:00:00Z",
                        action="deploy", release="20250101-000000.000")
    subprocess.run(["sh", "-c", rel.begin_script(site.layout, info)], check=True, capture_output=True)


def test_a_held_lock_is_a_clear_refusal_naming_its_holder_and_nothing_changes(
        ssh_client: SshClient, web1: Site, app_build: Any) -> None:
    hold_lock(web1, "bob@laptop")
    with pytest.raises(DeployLockHeld) as info:
        run_deploy(spec_for(ssh_client, app_build(), web1))
    error = info.value
    assert error.exit_code == 3 and error.holder["who"] == "bob@laptop"
    assert "held by bob@laptop (pid 999 on ci-runner-7)" in error.message
    assert "inv deploy.unlock --force --host web1" in (error.hint or "")
    assert web1.releases() == [] and web1.locked()
    assert "token=someone-else" in (web1.path / ".deploy" / "lock" / "owner").read_text()


def test_a_lock_held_on_the_second_host_releases_the_first_and_removes_its_new_release(
        ssh_client: SshClient, web1: Site, web2: Site, app_build: Any) -> None:
    hold_lock(web2, "carol@ci")
    with pytest.raises(DeployLockHeld, match="carol@ci"):
        run_deploy(spec_for(ssh_client, app_build(), web1, web2))
    assert not web1.locked() and web1.releases() == []
    assert web2.locked()


# -- connecting ------------------------------------------------------------------------------------------------------


def client_with(tmp_path: Path, client: SshClient, known: str, *, identity: Path | None = None) -> Path:
    directory = tmp_path / "client"
    directory.mkdir(exist_ok=True)
    (directory / "known_hosts").write_text(known)
    return write_client_config(directory, client.keys, directory / "known_hosts", identity=identity)


def test_an_unknown_host_key_is_refused_before_anything_changes(tmp_path: Path, ssh_client: SshClient,
                                                                web1: Site, app_build: Any) -> None:
    spec = spec_for(ssh_client, app_build(), web1, ssh={"config_file": str(client_with(tmp_path, ssh_client, ""))})
    with pytest.raises(HostKeyError) as info:
        run_deploy(spec)
    assert not info.value.changed and info.value.exit_code == 3
    assert f"ssh-keyscan -p {web1.server.port if web1.server else 0} 127.0.0.1" in (info.value.hint or "")
    assert not web1.path.exists()


def test_a_changed_host_key_is_refused_as_a_possible_attack(tmp_path: Path, ssh_client: SshClient, sshd: Sshd,
                                                            web1: Site, app_build: Any) -> None:
    key_type, key = ssh_client.keys.other_host_pub.split()[:2]
    config_file = client_with(tmp_path, ssh_client, f"[127.0.0.1]:{sshd.port} {key_type} {key}\n")
    with pytest.raises(HostKeyError) as info:
        run_deploy(spec_for(ssh_client, app_build(), web1, ssh={"config_file": str(config_file)}))
    assert info.value.changed and "CHANGED" in info.value.message
    assert not web1.path.exists()


def test_known_hosts_from_the_environment_let_ci_connect_without_a_known_hosts_file(
        tmp_path: Path, ssh_client: SshClient, web1: Site, app_build: Any) -> None:
    spec = spec_for(ssh_client, app_build(), web1, ssh={"config_file": str(client_with(tmp_path, ssh_client, ""))})
    config = parse_deploy_config(spec, known_hosts=ssh_client.known_hosts_text())
    report = status(Context(), config, notify=lambda _: None)
    assert report.hosts[0].host == "web1" and not report.hosts[0].exists


def test_a_key_the_server_does_not_accept_is_an_auth_failure(tmp_path: Path, ssh_client: SshClient, web1: Site,
                                                             app_build: Any) -> None:
    config_file = client_with(tmp_path, ssh_client, ssh_client.known_hosts_text(),
                              identity=ssh_client.keys.stranger_key)
    with pytest.raises(SshAuthError) as info:
        run_deploy(spec_for(ssh_client, app_build(), web1, ssh={"config_file": str(config_file)}))
    assert "refused the login" in info.value.message and "authorized_keys" in (info.value.hint or "")


def test_a_private_key_from_the_environment_is_used_and_never_printed(tmp_path: Path, ssh_client: SshClient,
                                                                      web1: Site, app_build: Any) -> None:
    config_file = client_with(tmp_path, ssh_client, ssh_client.known_hosts_text(),
                              identity=ssh_client.keys.stranger_key)
    key_text = ssh_client.keys.client_key.read_text()
    secret_line = key_text.splitlines()[2]
    out = Output()
    result = run_deploy(spec_for(ssh_client, app_build(), web1, ssh={"config_file": str(config_file)}), out,
                        verbose=True, parse={"private_key": Secret(key_text)})
    assert result.ok
    assert secret_line not in out.text and secret_line not in repr(result)


def test_a_refused_connection_is_reported_as_unreachable(ssh_client: SshClient, sites: Sites,
                                                         app_build: Any) -> None:
    site = sites.make("down", None)
    host = {"name": "down", "host": "127.0.0.1", "port": free_port(), "path": str(site.path)}
    with pytest.raises(SshConnectError) as info:
        run_deploy(spec_for(ssh_client, app_build(), hosts=[host]))
    assert "cannot reach 127.0.0.1" in info.value.message and "Connection refused" in info.value.message


# -- the local host, archives, dry runs ---------------------------------------------------------------------


def test_a_local_host_deploys_and_rolls_back_through_the_same_code_path_without_ssh(
        ssh_client: SshClient, sites: Sites, app_build: Any) -> None:
    box = sites.make("box", None)
    spec = spec_for(ssh_client, app_build(extra={".env": "SUPABASE_ACCESS_TOKEN=local-secret"}), box)
    first = run_deploy(spec)
    second = run_deploy(spec)
    assert box.serving() == second.release and second.hosts[0].transfer == "rsync"
    assert not (box.path / "releases" / second.release / ".env").exists()  # a local .env is never shipped
    rollback(Context(), parse_deploy_config(spec), notify=lambda _: None)
    assert box.serving() == first.release
    assert box.states() == {first.release: "live", second.release: "failed"}


def test_a_stop_request_before_the_switch_changes_nothing(ssh_client: SshClient, sites: Sites,
                                                          app_build: Any) -> None:
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


def test_an_archive_ships_like_a_directory(ssh_client: SshClient, sites: Sites, app_build: Any,
                                           tmp_path: Path) -> None:
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


def test_a_dry_run_prints_every_command_local_and_remote_and_runs_none(ssh_client: SshClient, web1: Site,
                                                                       app_build: Any) -> None:
    spec = spec_for(ssh_client, app_build(), web1, transfer="tar", shared_dirs=["uploads"],
                    before_switch=["npm ci"], ssh={"config_file": str(ssh_client.config_file)})
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
    for expected in ("mkdir -- ", "tar -xzf -", "ln -s -- ", "npm ci", "mv -T -- ", "python3 restart.py",
                     "unlocked yes"):
        assert expected in scripts
    assert "would poll" in text
    assert not web1.path.exists()
