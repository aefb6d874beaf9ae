"""OpenSSH command lines, quoting, failure classification, and the runner over Invoke's MockContext."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
from pathlib import Path

import pytest
from invoke import MockContext, Result

from migrations_tasks.deploy import ssh
from migrations_tasks.deploy.config import Host, SshConfig
from migrations_tasks.deploy.runner import Runner
from migrations_tasks.errors import HostKeyError, RemoteCommandError, SshAuthError, SshConnectError, SshError
from migrations_tasks.secret import Secret

WEIRD = '/srv/it\'s a "dir" $(touch pwned) `x` ;&|*'
HOST = Host(name="web1", path="/srv/app", address="203.0.113.10", user="deploy", port=2222)
LOCAL = Host(name="box", path="/tmp/app")
FILES = ssh.SessionFiles(directory="/tmp/mt-deploy-x", known_hosts="/tmp/mt-deploy-x/known_hosts")


def unwrap_remote(line: str) -> tuple[list[str], str]:
    """Undo the two shells: the local one (the command line) and the remote login shell (sh -c ...)."""
    argv = shlex.split(line.rsplit(" < ", 1)[0])
    inner = shlex.split(argv[-1])
    assert inner[:2] == ["sh", "-c"] and len(inner) == 3
    return argv, inner[2]


def test_a_remote_script_survives_the_local_shell_and_the_login_shell_unchanged() -> None:
    script = f"mkdir -p -- {shlex.quote(WEIRD)} && printf '%s\\n' {shlex.quote(WEIRD)}"
    argv, recovered = unwrap_remote(ssh.command_line(HOST, SshConfig(), FILES, script))
    assert recovered == script
    assert argv[0] == "ssh" and argv[-3:-1] == ["--", "203.0.113.10"]


def test_a_local_host_runs_the_same_script_with_sh_and_no_ssh(tmp_path: Path) -> None:
    target = tmp_path / 'it\'s a "dir" $(touch pwned) `x`'
    script = f"mkdir -p -- {shlex.quote(str(target))} && cd -- {shlex.quote(str(target))} && pwd"
    line = ssh.command_line(LOCAL, SshConfig(), None, script)
    assert line.startswith("sh -c ") and "ssh" not in line.split()[0]
    out = subprocess.run(["bash", "-c", line], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == str(target)
    assert not (tmp_path / "pwned").exists()


def test_host_key_checking_and_batch_mode_come_first_so_no_later_option_can_weaken_them() -> None:
    config = SshConfig(options=(("ServerAliveInterval", "5"),), config_file="/home/me/.ssh/deploy_config")
    argv = ssh.remote_argv(HOST, config, FILES, "true")
    strict = argv.index("StrictHostKeyChecking=yes")
    assert argv.index("BatchMode=yes") > strict
    assert argv.index("ServerAliveInterval=5") > strict
    assert argv[1:3] == ["-F", "/home/me/.ssh/deploy_config"]
    assert "StrictHostKeyChecking=no" not in " ".join(argv)


def test_port_and_user_are_passed_only_when_configured_so_ssh_config_stays_in_charge() -> None:
    argv = ssh.remote_argv(HOST, SshConfig(), None, "true")
    assert argv[argv.index("-p") + 1] == "2222" and argv[argv.index("-l") + 1] == "deploy"
    bare = ssh.remote_argv(Host(name="h", path="/srv/app", address="h.example"), SshConfig(), None, "true")
    assert "-p" not in bare and "-l" not in bare


def test_commands_get_an_empty_stdin_unless_they_upload_a_file() -> None:
    plain = ssh.command_line(HOST, SshConfig(), FILES, "true")
    assert plain.endswith(" < /dev/null") and "-n" in shlex.split(plain)
    upload = ssh.command_line(HOST, SshConfig(), FILES, "tar -xzf -", stdin_file="/tmp/my build.tgz")
    assert upload.endswith(" < '/tmp/my build.tgz'") and "-n" not in shlex.split(upload.rsplit(" < ", 1)[0])


def test_commands_share_one_connection_that_a_master_opens_after_authenticating() -> None:
    argv = ssh.remote_argv(HOST, SshConfig(), FILES, "true")
    assert "ControlMaster=no" in argv and f"ControlPath={FILES.directory}/cm-%C" in argv
    master = shlex.split(ssh.master_command(HOST, SshConfig(), FILES).rsplit(" < ", 1)[0])
    assert {"-f", "-N", "ControlMaster=yes", f"ControlPersist={ssh.CONTROL_PERSIST}"} <= set(master)
    assert "ControlPath" not in " ".join(ssh.remote_argv(HOST, SshConfig(multiplex=False), FILES, "true"))


def test_configured_known_hosts_files_come_first_so_accept_new_keeps_keys_there_and_are_quoted() -> None:
    config = SshConfig(known_hosts_files=("/home/me/my hosts",), options=(("UserKnownHostsFile", "/etc/kh"),))
    argv = ssh.remote_argv(HOST, config, FILES, "true")
    assert f'UserKnownHostsFile="/home/me/my hosts" /etc/kh {FILES.known_hosts}' in argv
    assert sum(a.startswith("UserKnownHostsFile=") for a in argv) == 1


def test_session_files_are_private_and_removed_afterwards() -> None:
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\\nAAAA\\n-----END OPENSSH PRIVATE KEY-----"
    config = SshConfig(known_hosts=Secret("[h]:22 ssh-ed25519 AAAA\n"), private_key=Secret(key))
    with ssh.session_files(config) as files:
        assert files.known_hosts and files.identity
        directory = Path(files.directory)
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        assert stat.S_IMODE(os.stat(files.identity).st_mode) == 0o600
        assert Path(files.identity).read_text().splitlines()[1] == "AAAA"  # literal \n from a CI secret fixed
        argv = ssh.remote_argv(HOST, config, files, "true")
        assert argv[argv.index("-i") + 1] == files.identity and "IdentitiesOnly=yes" in argv
        assert len(files.control_path) < 100
    assert not directory.exists()


def test_rsync_gets_the_same_ssh_options_and_an_unquoted_destination() -> None:
    shell = ssh.rsync_shell(SshConfig(), FILES, HOST)
    assert shlex.split(shell)[:1] == ["ssh"] and "StrictHostKeyChecking=yes" in shell
    assert ssh.rsync_destination(HOST, "/srv/my app/") == "203.0.113.10:/srv/my app/"
    v6 = Host(name="v6", path="/srv/app", address="2001:db8::1")
    assert ssh.rsync_destination(v6, "/srv/app") == "[2001:db8::1]:/srv/app/"


# -- failures ---------------------------------------------------------------------------------------------

UNKNOWN_KEY = (
    "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\n"
    "Host key verification failed.\r\n"
)
CHANGED_KEY = (
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
    "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
    "Host key verification failed.\n"
)


@pytest.mark.parametrize(
    ("stderr", "kind"),
    [
        (UNKNOWN_KEY, HostKeyError),
        (CHANGED_KEY, HostKeyError),
        ("deploy@203.0.113.10: Permission denied (publickey).\r\n", SshAuthError),
        ("ssh: connect to host 203.0.113.10 port 2222: Connection refused\r\n", SshConnectError),
        ("ssh: Could not resolve hostname nowhere: Name or service not known\r\n", SshConnectError),
        ("ssh: connect to host 203.0.113.10 port 2222: Connection timed out\r\n", SshConnectError),
        ("something new\n", SshError),
        ('unix_listener: path "/very/long/cm-0123.abcd" too long for Unix domain socket\n', SshError),
    ],
)
def test_ssh_failures_are_classified_from_its_own_message(stderr: str, kind: type[SshError]) -> None:
    error = ssh.classify_failure(HOST, stderr)
    assert type(error) is kind
    assert error.host == "web1" and error.hint


def test_a_changed_host_key_is_told_apart_from_an_unknown_one() -> None:
    changed = ssh.classify_failure(HOST, CHANGED_KEY)
    unknown = ssh.classify_failure(HOST, UNKNOWN_KEY)
    assert isinstance(changed, HostKeyError) and changed.changed and "CHANGED" in changed.message
    assert "ssh-keygen -R '[203.0.113.10]:2222'" in (changed.hint or "")
    assert isinstance(unknown, HostKeyError) and not unknown.changed
    assert "ssh-keyscan -p 2222 203.0.113.10" in (unknown.hint or "")


# -- the runner over MockContext -----------------------------------------------------------------------------


def test_the_runner_passes_every_command_through_c_run_without_raising_or_reading_stdin() -> None:
    c = MockContext(run=Result(stdout="hello\n"))
    result = Runner(c, HOST, SshConfig(), FILES).run("echo hello", what="greet")
    assert result.ok and result.stdout == "hello\n"
    line = c.run.call_args.args[0]
    assert unwrap_remote(line)[1] == "echo hello"
    assert c.run.call_args.kwargs == {"hide": True, "warn": True, "in_stream": False}


def test_shown_commands_stream_to_the_given_stream() -> None:
    import io

    stream = io.StringIO()
    c = MockContext(run=Result())
    Runner(c, HOST, SshConfig(), FILES, stream=stream).run("npm ci", what="install", show=True)
    assert c.run.call_args.kwargs["hide"] is False
    assert c.run.call_args.kwargs["out_stream"] is stream and c.run.call_args.kwargs["err_stream"] is stream


def test_ssh_exit_255_becomes_an_ssh_error_and_other_statuses_a_remote_command_error() -> None:
    refused = MockContext(run=Result(exited=255, stderr="ssh: connect to host x port 22: Connection refused"))
    with pytest.raises(SshConnectError):
        Runner(refused, HOST, SshConfig(), FILES).run("true", what="probe")
    failing = MockContext(run=Result(exited=2, stderr="npm ERR! missing script: build\nnpm ERR! more\n"))
    with pytest.raises(RemoteCommandError) as info:
        Runner(failing, HOST, SshConfig(), FILES).run("npm run build", what="before_switch: npm run build")
    assert info.value.exit_status == 2 and "missing script" in info.value.output
    assert "web1: before_switch: npm run build failed (exit status 2)" in info.value.message


def test_a_local_host_never_turns_255_into_an_ssh_error() -> None:
    c = MockContext(run=Result(exited=255, stderr="Connection refused"))
    with pytest.raises(RemoteCommandError):
        Runner(c, LOCAL, SshConfig(), None).run("exit 255", what="odd")


def test_rsync_failures_are_ssh_errors_only_when_ssh_said_so() -> None:
    ssh_down = MockContext(
        run=Result(
            exited=12,
            stderr="ssh: connect to host x port 22: Connection refused\nrsync: connection unexpectedly closed",
        )
    )
    with pytest.raises(SshConnectError):
        Runner(ssh_down, HOST, SshConfig(), FILES).run_line("rsync ...", what="upload", transport="rsync")
    disk_full = MockContext(run=Result(exited=12, stderr="rsync: write failed: No space left on device (28)"))
    with pytest.raises(RemoteCommandError):
        Runner(disk_full, HOST, SshConfig(), FILES).run_line("rsync ...", what="upload", transport="rsync")


def test_a_dry_run_prints_the_exact_command_and_runs_nothing() -> None:
    printed: list[str] = []
    c = MockContext()  # any call to c.run would raise NotImplementedError
    runner = Runner(c, HOST, SshConfig(), FILES, dry_run=True, echo=printed.append)
    assert runner.run("rm -rf -- /srv/app/releases/old", what="prune").ok
    runner.connect()
    assert printed[0].startswith("[web1] prune\n    $ ssh ")
    assert " -- 203.0.113.10 sh -c SCRIPT < /dev/null\n" in printed[0]
    assert printed[0].endswith("\n    | rm -rf -- /srv/app/releases/old")
    assert "-f" in printed[1] and "ControlMaster=yes" in printed[1]


def test_the_readable_form_shows_the_script_with_one_level_of_quoting() -> None:
    script = f"cd -- {shlex.quote(WEIRD)}\nnpm ci"
    shown = ssh.display(HOST, SshConfig(), FILES, script, stdin_file="/tmp/r.tgz")
    prefix, _, body = shown.partition("\n    SCRIPT (sh on web1):\n")
    exact = shlex.split(ssh.command_line(HOST, SshConfig(), FILES, script, stdin_file="/tmp/r.tgz").rsplit(" < ", 1)[0])
    assert shlex.split(prefix.removesuffix(" sh -c SCRIPT < /tmp/r.tgz")) == exact[:-1]
    assert body.splitlines() == [f"    | cd -- {shlex.quote(WEIRD)}", "    | npm ci"]
    assert ssh.display(LOCAL, SshConfig(), None, "true").startswith("sh -c SCRIPT < /dev/null\n")


def test_connect_opens_the_shared_connection_and_close_ends_it() -> None:
    c = MockContext(run=Result())
    runner = Runner(c, HOST, SshConfig(), FILES)
    runner.connect()
    runner.close()
    first, second = (call.args[0] for call in c.run.call_args_list)
    assert "ControlMaster=yes" in first and " -O exit " in second
