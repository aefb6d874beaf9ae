"""The deploy tasks from the command line: `inv deploy.*` in a project with an invoke.yaml, exit codes and output.

Each test writes a throwaway project (tasks.py + invoke.yaml, exactly as the README says) and runs Invoke
in a subprocess against the real sshd of ``sshd_fixtures``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from invoke import Context
from invoke.config import Config
from invoke.exceptions import Exit
from invoke.util import yaml

from migrations_tasks.deploy import releases as rel
from migrations_tasks.deploy.parse import parse_deploy_config

pytest_plugins = ("sshd_fixtures",)
pytest.register_assert_rewrite("sshd_fixtures")
from sshd_fixtures import SshClient, Sshd, free_port, kill_apps, make_build, write_client_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def clean_env() -> dict[str, str]:
    """Return this process's environment without settings that would change what the tasks do.

    A secret canary the session may keep in the environment (MIGRATIONS_TASKS_TEST_CANARY) stays, as a CI
    secret would.
    """
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SUPABASE_", "DEPLOY_", "MIGRATIONS_")) or k == "MIGRATIONS_TASKS_TEST_CANARY"
    }


@dataclass
class Project:
    """A user's project: tasks.py, invoke.yaml, a build directory, and where it deploys."""

    root: Path
    deploy_path: Path
    port: int

    def write_config(self, section: dict[str, Any]) -> None:
        (self.root / "invoke.yaml").write_text(yaml.safe_dump({"deploy": section}))

    def inv(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = clean_env()
        env["DEPLOY_ACTOR"] = "ci-tester"
        return subprocess.run(
            [sys.executable, "-m", "invoke", *args], cwd=self.root, env=env, capture_output=True, text=True, timeout=120
        )

    def serving(self) -> str:
        return httpx.get(f"http://127.0.0.1:{self.port}/release", timeout=5).text


def section(client: SshClient, server: Sshd, deploy_project: Project, **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "hosts": [
            {
                "name": "web1",
                "host": "127.0.0.1",
                "port": server.port,
                "user": client.user,
                "path": str(deploy_project.deploy_path),
                "env": {"APP_PORT": str(deploy_project.port)},
            }
        ],
        "build_dir": "build",
        "restart": "python3 restart.py",
        # The user's ssh config shares a connection per server across tests (see sshd_fixtures).
        "ssh": {"config_file": str(client.config_file), "multiplex": False},
        # a healthy release passes the first round: the deadline only bounds a hang (deploy_sites.HEALTHY)
        "health": {"urls": [f"http://127.0.0.1:{deploy_project.port}/health"], "interval": 0.05, "deadline": 30},
    }
    spec.update(overrides)
    return spec


@pytest.fixture
def deploy_project(tmp_path: Path, ssh_client: SshClient, sshd: Sshd) -> Iterator[Project]:
    root = tmp_path / "my project"
    root.mkdir()
    (root / "tasks.py").write_text("from migrations_tasks import namespace\n\nns = namespace()\n")
    make_build(root / "build")
    made = Project(root=root, deploy_path=tmp_path / "srv" / "app", port=free_port())
    made.write_config(section(ssh_client, sshd, made))
    yield made
    kill_apps(made.deploy_path)


def expect_unhealthy(client: SshClient, server: Sshd, deploy_project: Project) -> None:
    """Give the project's health checks a short deadline: its next release answers 503 until then."""
    health = {"urls": [f"http://127.0.0.1:{deploy_project.port}/health"], "interval": 0.05, "deadline": 1.0}
    deploy_project.write_config(section(client, server, deploy_project, health=health))


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


@dataclass
class Ran:
    """What an in-process task run printed, and its exit code."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def task(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run a deploy task in this process, as `inv` would: invoke.yaml loaded from the project, cwd there."""
    from migrations_tasks.tasks import deploy as tasks

    for name in list(os.environ):
        if name not in clean_env():
            monkeypatch.delenv(name)
    monkeypatch.setenv("DEPLOY_ACTOR", "ci-tester")

    def run(deploy_project: Project, name: str, **flags: Any) -> Ran:
        config = Config(project_location=str(deploy_project.root))
        config.load_project()
        monkeypatch.chdir(deploy_project.root)
        capsys.readouterr()
        try:
            getattr(tasks, name)(Context(config), **flags)
            code = 0
        except Exit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


def test_deploy_vps_deploys_and_prints_a_table_per_host(
    deploy_project: Project, ssh_client: SshClient, sshd: Sshd
) -> None:
    own_sharing = {"config_file": str(ssh_client.config_file)}  # this tool's per-run shared connection
    deploy_project.write_config(section(ssh_client, sshd, deploy_project, ssh=own_sharing))
    result = deploy_project.inv("deploy.vps")
    assert result.returncode == 0, result.stderr
    assert "HOST  RESULT    LIVE NOW" in result.stdout and "\nDeployed " in result.stdout
    assert "[web1] live: " in result.stderr and "health #1 ok" in result.stderr
    release = os.readlink(deploy_project.deploy_path / "current").removeprefix("releases/")
    assert deploy_project.serving() == release and f"Deployed {release} to 1 host" in result.stdout


def test_an_unhealthy_release_exits_1_after_rolling_back(
    deploy_project: Project, ssh_client: SshClient, sshd: Sshd
) -> None:
    assert deploy_project.inv("deploy.vps").returncode == 0
    good = deploy_project.serving()
    make_build(deploy_project.root / "broken", health="broken")
    expect_unhealthy(ssh_client, sshd, deploy_project)
    result = deploy_project.inv("deploy.vps", "--build-dir", "broken")
    assert result.returncode == 1
    no_traceback(result)
    assert "failed and was rolled back on every host" in result.stdout
    assert "error: Deploy of " in result.stderr and "health checks failed" in result.stderr
    assert deploy_project.serving() == good


def test_health_checks_can_be_skipped_with_no_health(deploy_project: Project, task: Any) -> None:
    make_build(deploy_project.root / "broken", health="broken")
    assert task(deploy_project, "vps", build_dir="broken", health=False).returncode == 0


def test_rollback_switches_back_and_exits_3_when_there_is_nothing_left(deploy_project: Project, task: Any) -> None:
    assert task(deploy_project, "vps").returncode == 0
    first = deploy_project.serving()
    assert task(deploy_project, "vps").returncode == 0
    result = task(deploy_project, "rollback")
    assert result.returncode == 0, result.stderr
    assert deploy_project.serving() == first and "Rolled back." in result.stdout
    again = task(deploy_project, "rollback")
    assert again.returncode == 3
    assert "no earlier good release" in again.stderr and "--to RELEASE" in again.stderr


def test_a_lock_left_by_a_killed_deploy_blocks_until_an_operator_breaks_it(deploy_project: Project) -> None:
    info = rel.LockInfo(
        token="dead",
        who="alice@laptop",
        machine="laptop",
        pid=4242,
        since="2025-01-01T00:00:00Z",
        action="deploy",
        release="20250101-000000.000",
    )
    subprocess.run(["sh", "-c", rel.begin_script(rel.Layout(str(deploy_project.deploy_path)), info)], check=True)

    refused = deploy_project.inv("deploy.vps")
    assert refused.returncode == 3
    no_traceback(refused)
    assert "held by alice@laptop (pid 4242 on laptop)" in refused.stderr
    assert "inv deploy.unlock --force --host web1" in refused.stderr

    shown = deploy_project.inv("deploy.unlock")
    assert shown.returncode == 3 and "web1: locked by alice@laptop" in shown.stdout

    broken = deploy_project.inv("deploy.unlock", "--force")
    assert broken.returncode == 0 and "web1: lock broken (it was held by alice@laptop" in broken.stdout
    log = [json.loads(line) for line in (deploy_project.deploy_path / ".deploy" / "log").read_text().splitlines()]
    assert {k: log[-1][k] for k in ("action", "result", "who", "holder")} == {
        "action": "unlock",
        "result": "forced",
        "who": "ci-tester",
        "holder": "alice@laptop",
    }
    assert deploy_project.inv("deploy.vps").returncode == 0


def test_sigterm_during_a_deploy_stops_it_before_the_switch_and_releases_the_lock(deploy_project: Project) -> None:
    import signal

    assert deploy_project.inv("deploy.vps").returncode == 0
    good = deploy_project.serving()
    spec = yaml.safe_load((deploy_project.root / "invoke.yaml").read_text())
    spec["deploy"]["before_switch"] = ["echo building; sleep 1"]
    deploy_project.write_config(spec["deploy"])
    env = clean_env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "invoke", "deploy.vps"],
        cwd=deploy_project.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = ""
    for line in proc.stderr:  # wait until the before_switch command runs, then cancel like a CI job would
        seen += line
        if line.startswith("[web1] $ echo building"):
            proc.send_signal(signal.SIGTERM)
            break
    _, err = proc.communicate(timeout=60)
    err = seen + err
    assert proc.returncode == 143, err
    assert "SIGTERM received: stopping at the next safe point" in err
    assert "Stopped by SIGTERM while 'before_switch: echo building; sleep 1' ran on web1 (it was ended)" in err
    assert "nothing was switched: the live release is unchanged on every host" in err
    assert deploy_project.serving() == good and not (deploy_project.deploy_path / ".deploy" / "lock").exists()
    assert os.readlink(deploy_project.deploy_path / "current") == f"releases/{good}"
    assert sorted(p.name for p in (deploy_project.deploy_path / "releases").iterdir()) == [good]


def test_sigint_while_health_is_polled_after_the_switch_switches_back_and_exits_130(
    deploy_project: Project, ssh_client: SshClient, sshd: Sshd
) -> None:
    assert deploy_project.inv("deploy.vps").returncode == 0
    good = deploy_project.serving()
    make_build(deploy_project.root / "broken", health="broken")  # /health answers 503
    health = {"urls": [f"http://127.0.0.1:{deploy_project.port}/health"], "interval": 0.05, "deadline": 30}
    deploy_project.write_config(section(ssh_client, sshd, deploy_project, build_dir="broken", health=health))
    proc = subprocess.Popen(
        [sys.executable, "-m", "invoke", "deploy.vps"],
        cwd=deploy_project.root,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = ""
    for line in proc.stderr:
        seen += line
        if line.startswith("health: polling"):
            proc.send_signal(signal.SIGINT)  # GitHub's cancel; its SIGTERM would follow ~7.5 s later
            break
    _, err = proc.communicate(timeout=60)
    err = seen + err
    assert proc.returncode == 130, err
    assert "SIGINT asked to stop before the health checks passed" in err and "rolled back: live: " + good in err
    assert deploy_project.serving() == good and not (deploy_project.deploy_path / ".deploy" / "lock").exists()


def test_an_unknown_host_key_exits_3_with_the_next_step(
    deploy_project: Project, ssh_client: SshClient, sshd: Sshd, tmp_path: Path
) -> None:
    (tmp_path / "empty_known_hosts").write_text("")
    client_dir = tmp_path / "client"
    client_dir.mkdir()
    config_file = write_client_config(client_dir, ssh_client.keys, tmp_path / "empty_known_hosts")
    deploy_project.write_config(section(ssh_client, sshd, deploy_project, ssh={"config_file": str(config_file)}))
    result = deploy_project.inv("deploy.vps")
    assert result.returncode == 3
    no_traceback(result)
    assert "not in known_hosts; refusing to connect" in result.stderr and "ssh-keyscan" in result.stderr
    assert not deploy_project.deploy_path.exists()


def test_known_hosts_from_deploy_ssh_known_hosts_in_dotenv_are_trusted(
    deploy_project: Project, ssh_client: SshClient, sshd: Sshd, tmp_path: Path, task: Any
) -> None:
    (tmp_path / "empty_known_hosts").write_text("")
    client_dir = tmp_path / "client"
    client_dir.mkdir()
    config_file = write_client_config(client_dir, ssh_client.keys, tmp_path / "empty_known_hosts")
    deploy_project.write_config(section(ssh_client, sshd, deploy_project, ssh={"config_file": str(config_file)}))
    assert task(deploy_project, "status").returncode == 3
    (deploy_project.root / ".env").write_text(f'DEPLOY_SSH_KNOWN_HOSTS="{sshd.known_hosts_line}"\n')
    result = task(deploy_project, "status")
    assert result.returncode == 0, result.stderr
    assert "web1: nothing deployed yet." in result.stdout


def test_a_config_error_names_the_key_and_exits_3(
    deploy_project: Project, ssh_client: SshClient, sshd: Sshd, task: Any
) -> None:
    spec = section(ssh_client, sshd, deploy_project)
    spec["hosts"][0]["port"] = 99999
    deploy_project.write_config(spec)
    result = task(deploy_project, "vps")
    assert result.returncode == 3
    assert "deploy.hosts[0].port must be at most 65535" in result.stderr


def test_json_output_is_one_document_with_per_host_results(deploy_project: Project, task: Any) -> None:
    result = task(deploy_project, "vps", json=True)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["status"] == "deployed" and doc["exit_code"] == 0 and doc["rolled_back"] is False
    assert doc["hosts"][0]["host"] == "web1" and doc["hosts"][0]["live"] == doc["release"]
    status = json.loads(task(deploy_project, "status", json=True).stdout)
    assert status["hosts"][0]["current"] == doc["release"]
    assert status["hosts"][0]["releases"] == [{"release": doc["release"], "state": "live"}]


def test_a_failed_deploy_in_json_is_still_one_document(
    deploy_project: Project, task: Any, ssh_client: SshClient, sshd: Sshd
) -> None:
    assert task(deploy_project, "vps").returncode == 0
    make_build(deploy_project.root / "broken", health="broken")
    expect_unhealthy(ssh_client, sshd, deploy_project)
    result = task(deploy_project, "vps", build_dir="broken", json=True)
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["status"] == "rolled-back" and doc["rolled_back"] is True and doc["exit_code"] == 1
    assert doc["kind"] == "DeployFailed" and doc["health"]["healthy"] is False


def test_a_dry_run_creates_nothing(deploy_project: Project) -> None:
    result = deploy_project.inv("deploy.vps", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Dry run: would deploy" in result.stderr and "SCRIPT (sh on web1)" in result.stderr
    assert not deploy_project.deploy_path.exists()


def test_deploy_health_polls_urls_from_flags_without_any_deploy_config(
    tmp_path: Path, deploy_project: Project, task: Any
) -> None:
    assert task(deploy_project, "vps").returncode == 0
    bare = Project(root=tmp_path / "bare", deploy_path=tmp_path / "unused", port=deploy_project.port)
    bare.root.mkdir()
    healthy = task(bare, "health", url=[f"http://127.0.0.1:{deploy_project.port}/health"])
    assert healthy.returncode == 0 and healthy.stdout.startswith("Healthy:")
    down = task(bare, "health", url=[f"http://127.0.0.1:{free_port()}/health"], deadline="0.2", interval="0.05")
    assert down.returncode == 1
    assert "connection refused" in down.stderr and down.stdout.startswith("Unhealthy:")


def test_inv_list_does_not_import_the_deploy_machinery_the_engine_the_parser_or_a_transport(tmp_path: Path) -> None:
    heavy = ("migrations_tasks.deploy", "migrations_tasks.engine", "httpx", "pglast", "psycopg", "stamina")
    code = (
        "import sys; from migrations_tasks import namespace; namespace(); "
        f"print(sorted(m for m in sys.modules if m.startswith({heavy!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "[]"


def test_the_sample_config_in_invoke_yaml_example_is_valid() -> None:
    sample = yaml.safe_load((ROOT / "invoke.yaml.example").read_text())
    config = parse_deploy_config(sample["deploy"])
    assert config.hosts and config.health.configured
    staging = dict(sample["deploy"])
    staging.update(sample["deploy"]["environments"]["staging"])
    staging.pop("environments")
    assert parse_deploy_config(staging).hosts


def readme_block(heading: str) -> str:
    """Return the first ```sh block after ``heading`` in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text[text.index(heading) :]
    start = after.index("```sh\n") + len("```sh\n")
    return after[start : after.index("```\n", start)]


def test_the_readme_try_it_without_a_server_commands_work_as_written_from_the_repository(tmp_path: Path) -> None:
    """The block runs from the repository root, whose own invoke.yaml Invoke merges under the -f file.

    As the README says, in a shell where .venv is activated: the virtualenv's bin first on PATH.
    """
    block = readme_block("### Try it without a server")
    assert "/tmp/mt-demo" in block and "\ninv -f " in block
    script = block.replace("/tmp/mt-demo", str(tmp_path / "mt-demo"))
    env = clean_env()
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
    try:
        result = subprocess.run(
            ["sh", "-e", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
    finally:
        kill_apps(tmp_path / "mt-demo" / "app")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    no_traceback(result)
    app = tmp_path / "mt-demo" / "app"
    releases = sorted(p.name for p in (app / "releases").iterdir())
    assert len(releases) == 2 and result.stdout.count("\nDeployed ") + result.stdout.startswith("Deployed ") == 2
    assert "Rolled back." in result.stdout and os.readlink(app / "current") == f"releases/{releases[0]}"
    assert (app / "current" / "index.html").read_text() == "hello\n"


# -- signals: every task that makes session files stops in order -----------------------------------------------


def key_copies(marker: str) -> list[Path]:
    """Return the DEPLOY_SSH_KEY copies holding ``marker`` that deploys left in /tmp (where session files go)."""
    found = []
    for directory in Path("/tmp").glob("mt-deploy-*"):  # where deploy/ssh.py writes them
        with contextlib.suppress(OSError):
            if marker in (directory / "id_deploy").read_text():
                found.append(directory / "id_deploy")
    return found


class SilentServer:
    """A loopback port that accepts TCP connections and never says a word: ssh waits for its banner."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = int(self.socket.getsockname()[1])
        self.clients: list[socket.socket] = []

    def wait_for_client(self, timeout: float = 30) -> None:
        """Return once a client has connected (it then waits for a banner that never comes)."""
        self.socket.settimeout(timeout)
        self.clients.append(self.socket.accept()[0])

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.socket.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


@pytest.mark.parametrize("task", ["deploy.vps", "deploy.rollback", "deploy.status", "deploy.unlock"])
def test_sigterm_while_connecting_ends_ssh_removes_the_key_copy_and_exits_143(
    deploy_project: Project, ssh_client: SshClient, sshd: Sshd, silent: SilentServer, task: str
) -> None:
    spec = section(ssh_client, sshd, deploy_project)
    spec["hosts"][0]["port"] = silent.port
    spec["ssh"]["connect_timeout"] = 60
    deploy_project.write_config(spec)
    marker = secrets.token_hex(16)
    env = clean_env()
    env["DEPLOY_SSH_KEY"] = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{marker}\n-----END OPENSSH PRIVATE KEY-----\n"
    proc = subprocess.Popen(
        [sys.executable, "-m", "invoke", task],
        cwd=deploy_project.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ends = time.monotonic() + 30
    while not key_copies(marker) and time.monotonic() < ends:
        time.sleep(0.05)
    assert key_copies(marker), "the run's copy of DEPLOY_SSH_KEY should exist while it connects"
    silent.wait_for_client()  # ssh is waiting for the banner now
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    where = f"web1 ({ssh_client.user}@127.0.0.1:{silent.port})"
    assert f"Stopped by SIGTERM while 'connect to {where}' ran on web1 (it was ended)" in err, err
    assert "Traceback" not in err and marker not in out + err
    assert key_copies(marker) == []


def test_sigterm_stops_deploy_health_between_polls_with_exit_143() -> None:
    url = f"http://127.0.0.1:{free_port()}/health"
    proc = subprocess.Popen(
        [sys.executable, "-m", "invoke", "deploy.health", "--url", url, "--deadline", "120", "--interval", "1"],
        cwd=ROOT,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = ""
    for line in proc.stderr:
        seen += line
        if "health #1 FAIL" in line:
            proc.send_signal(signal.SIGTERM)
            break
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, seen + err
    assert "Stopped by SIGTERM while polling the health checks; no verdict." in seen + err
