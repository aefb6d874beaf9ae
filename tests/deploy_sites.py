"""Deploy sites for the end-to-end deploy tests: a deploy path on a real sshd (or the local host) and its app.

Load it as a plugin next to ``sshd_fixtures`` (fixtures ``sites``, ``web1``, ``web2``) and import the
helpers you use (``Site``, ``spec_for``, ``run_deploy``, ``failed_deploy``, ``Output``).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from invoke import Context
from sshd_fixtures import SshClient, Sshd, free_port, kill_apps

from migrations_tasks.deploy import releases as rel
from migrations_tasks.deploy.operations import deploy
from migrations_tasks.deploy.parse import parse_deploy_config
from migrations_tasks.deploy.results import DeployResult
from migrations_tasks.errors import DeployFailed


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
        spec: dict[str, Any] = {
            "name": self.name,
            "path": str(self.path),
            "env": {"APP_PORT": str(self.port)},
            "health_urls": [
                {"url": f"http://127.0.0.1:{self.port}/health", "json_field": "status", "json_value": "ok"}
            ],
        }
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
        site = Site(name=name, path=self.tmp / f'srv {name} it\'s "q" $(x)' / "app", port=free_port(), server=server)
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


#: Health checks for a release that is healthy: it passes the first round, so the deadline is only a bound
#: for a hang, generous enough that a loaded machine's slow answer is never taken for an unhealthy release.
HEALTHY = {"interval": 0.05, "timeout": 2, "deadline": 30}
#: For a release whose /health answers 503: polling lasts until the deadline, which is all the test waits for.
UNHEALTHY = {"interval": 0.05, "timeout": 2, "deadline": 1.0}


def spec_for(
    client: SshClient, build: Path, *sites_: Site, hosts: list[dict[str, Any]] | None = None, **overrides: Any
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "hosts": hosts or [s.host(client) for s in sites_],
        "build_dir": str(build),
        "restart": "python3 restart.py",
        # The user's ssh config shares one connection per server across tests (see sshd_fixtures); tests that
        # exercise this tool's own per-run connection sharing pass ssh={"config_file": ...} instead.
        "ssh": {"config_file": str(client.config_file), "multiplex": False},
        "health": HEALTHY,
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
