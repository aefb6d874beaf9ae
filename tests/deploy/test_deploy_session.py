"""Connecting and the deploy lock (deploy.session), end to end against real sshd servers on 127.0.0.1.

Host keys, authentication and unreachable hosts stop a run before anything changes; a held lock is a
refusal naming its holder. The sites are those of ``deploy_sites`` (paths with spaces, quotes, ``$(...)``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from invoke import Context
from invoke.config import Config

from migrations_tasks.deploy import releases as rel
from migrations_tasks.deploy.operations import status
from migrations_tasks.deploy.parse import parse_deploy_config
from migrations_tasks.deploy.settings import load_deploy_settings
from migrations_tasks.errors import DeployLockHeld, HostKeyError, SshAuthError, SshConnectError
from migrations_tasks.secret import Secret

# The real sshd fixtures (sshd, sshd2, ssh_keys, ssh_client, app_build) and the deploy sites (sites, web1,
# web2) load as plugins; the helpers are imported by name, after registering the modules for assertion
# rewriting as the plugin loader would.
pytest_plugins = ("sshd_fixtures", "deploy_sites")
pytest.register_assert_rewrite("sshd_fixtures", "deploy_sites")
from deploy_sites import Output, Site, Sites, run_deploy, spec_for  # noqa: E402
from sshd_fixtures import SshClient, Sshd, free_port, start_sshd, write_client_config  # noqa: E402

# -- the lock ------------------------------------------------------------------------------------------------------


def hold_lock(site: Site, who: str) -> None:
    info = rel.LockInfo(
        token="someone-else",
        who=who,
        machine="ci-runner-7",
        pid=999,
        since="2025-01-01T00:00:00Z",
        action="deploy",
        release="20250101-000000.000",
    )
    subprocess.run(["sh", "-c", rel.begin_script(site.layout, info)], check=True, capture_output=True)


def test_a_held_lock_is_a_clear_refusal_naming_its_holder_and_nothing_changes(
    ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
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
    ssh_client: SshClient, web1: Site, web2: Site, app_build: Any
) -> None:
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


def test_an_unknown_host_key_is_refused_before_anything_changes(
    tmp_path: Path, ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
    spec = spec_for(ssh_client, app_build(), web1, ssh={"config_file": str(client_with(tmp_path, ssh_client, ""))})
    with pytest.raises(HostKeyError) as info:
        run_deploy(spec)
    assert not info.value.changed and info.value.exit_code == 3
    assert f"ssh-keyscan -p {web1.server.port if web1.server else 0} 127.0.0.1" in (info.value.hint or "")
    assert not web1.path.exists()


def test_a_changed_host_key_is_refused_as_a_possible_attack(
    tmp_path: Path, ssh_client: SshClient, sshd: Sshd, web1: Site, app_build: Any
) -> None:
    key_type, key = ssh_client.keys.other_host_pub.split()[:2]
    config_file = client_with(tmp_path, ssh_client, f"[127.0.0.1]:{sshd.port} {key_type} {key}\n")
    with pytest.raises(HostKeyError) as info:
        run_deploy(spec_for(ssh_client, app_build(), web1, ssh={"config_file": str(config_file)}))
    assert info.value.changed and "CHANGED" in info.value.message
    assert not web1.path.exists()


def test_known_hosts_from_the_environment_let_ci_connect_without_a_known_hosts_file(
    tmp_path: Path, ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
    spec = spec_for(ssh_client, app_build(), web1, ssh={"config_file": str(client_with(tmp_path, ssh_client, ""))})
    config = parse_deploy_config(spec, known_hosts=ssh_client.known_hosts_text())
    report = status(Context(), config, notify=lambda _: None)
    assert report.hosts[0].host == "web1" and not report.hosts[0].exists


def restart_with_host_key(server: Sshd, key: Path) -> Sshd:
    """Start the same sshd (same port, same config) again, presenting ``key`` (a swapped host key)."""
    from sshd_fixtures import wait_for_port

    config = server.log.parent / "sshd_config"
    server.stop()
    config.write_text(re.sub(r"(?m)^HostKey .*$", f"HostKey {key}", config.read_text()))
    proc = subprocess.Popen(
        [str(shutil.which("sshd")), "-D", "-e", "-f", str(config), "-p", str(server.port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(server.port, proc=proc)
    return Sshd(port=server.port, host_pub=Path(f"{key}.pub").read_text().strip(), process=proc, log=server.log)


def test_accept_new_in_ci_remembers_the_key_in_the_known_hosts_file_so_a_swapped_key_is_refused_next_run(
    tmp_path: Path, ssh_client: SshClient, ssh_keys: Any, sites: Sites, app_build: Any
) -> None:
    server = start_sshd(tmp_path / "sshd", ssh_keys, "swap")
    try:
        site = sites.make("web1", server)
        kh2 = tmp_path / "kh2"
        kh2.write_text("")
        ssh = {"config_file": str(client_with(tmp_path, ssh_client, "")), "multiplex": False}
        ssh.update(host_key_checking="accept-new", known_hosts_file=str(kh2))
        spec = spec_for(ssh_client, app_build(), site, ssh=ssh)
        unrelated = f"[127.0.0.1]:1 {' '.join(ssh_keys.other_host_pub.split()[:2])}\n"  # another host's line
        environ = {"CI": "true", "DEPLOY_SSH_KNOWN_HOSTS": unrelated}
        config = load_deploy_settings(Config(overrides={"deploy": spec}), environ=environ, dotenv_path=None)
        status(Context(), config, notify=lambda _: None)  # the first run accepts the key and keeps it
        assert server.host_pub.split()[1] in kh2.read_text()
        server = restart_with_host_key(server, ssh_keys.other_host_key)
        with pytest.raises(HostKeyError) as info:
            status(Context(), config, notify=lambda _: None)
        assert info.value.changed
    finally:
        server.stop()


def test_a_key_the_server_does_not_accept_is_an_auth_failure(
    tmp_path: Path, ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
    config_file = client_with(
        tmp_path, ssh_client, ssh_client.known_hosts_text(), identity=ssh_client.keys.stranger_key
    )
    with pytest.raises(SshAuthError) as info:
        run_deploy(spec_for(ssh_client, app_build(), web1, ssh={"config_file": str(config_file)}))
    assert "refused the login" in info.value.message and "authorized_keys" in (info.value.hint or "")


def test_a_private_key_from_the_environment_is_used_and_never_printed(
    tmp_path: Path, ssh_client: SshClient, web1: Site, app_build: Any
) -> None:
    config_file = client_with(
        tmp_path, ssh_client, ssh_client.known_hosts_text(), identity=ssh_client.keys.stranger_key
    )
    key_text = ssh_client.keys.client_key.read_text()
    secret_line = key_text.splitlines()[2]
    out = Output()
    result = run_deploy(
        spec_for(ssh_client, app_build(), web1, ssh={"config_file": str(config_file)}),
        out,
        verbose=True,
        parse={"private_key": Secret(key_text)},
    )
    assert result.ok
    assert secret_line not in out.text and secret_line not in repr(result)


def test_a_refused_connection_is_reported_as_unreachable(ssh_client: SshClient, sites: Sites, app_build: Any) -> None:
    site = sites.make("down", None)
    host = {"name": "down", "host": "127.0.0.1", "port": free_port(), "path": str(site.path)}
    with pytest.raises(SshConnectError) as info:
        run_deploy(spec_for(ssh_client, app_build(), hosts=[host]))
    assert "cannot reach 127.0.0.1" in info.value.message and "Connection refused" in info.value.message
