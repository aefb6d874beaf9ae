"""Before the switch (deploy.prepare): what reaches the host, and shared links that stay inside the release.

End to end against the real sshd of ``sshd_fixtures`` (see test_deploy_operations.py for the sites).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from migrations_tasks.deploy import shared
from migrations_tasks.errors import ConfigError

pytest_plugins = ("sshd_fixtures", "deploy_sites")
pytest.register_assert_rewrite("sshd_fixtures", "deploy_sites")
from deploy_sites import Output, Site, failed_deploy, run_deploy, spec_for  # noqa: E402
from sshd_fixtures import SshClient  # noqa: E402

SECRETS = {".env": "S=1", ".env.local": "S=2", "sub/.env.production": "S=3", ".git/HEAD": "ref", "sub/.git": "gitdir"}


def shipped(site: Site, release: str) -> list[str]:
    root = site.path / "releases" / release
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("transfer", ["rsync", "tar"])
def test_env_files_and_git_never_reach_the_host_even_with_a_custom_exclude(
    ssh_client: SshClient, web1: Site, app_build: Any, transfer: str
) -> None:
    build = app_build(extra={**SECRETS, "sub/keep.txt": "k", "node_modules/x.js": "", ".env.example": "S="})
    spec = spec_for(ssh_client, build, web1, include=["*", ".env.example"], exclude=["node_modules"], transfer=transfer)
    result = run_deploy(spec)
    assert result.hosts[0].transfer == transfer
    assert shipped(web1, result.release) == [
        ".env.example",
        "app.py",
        "health.txt",
        "restart.py",
        "sub",
        "sub/keep.txt",
    ]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory outside every deploy path, with something in it that must survive."""
    directory = tmp_path / "outside"
    (directory / "data").mkdir(parents=True)
    (directory / "data" / "keep").write_text("precious")
    return directory


def test_a_shared_dir_under_a_symlink_in_the_build_is_refused_before_anything_is_uploaded(
    ssh_client: SshClient, web1: Site, app_build: Any, outside: Path
) -> None:
    build = app_build()
    (build / "cfg").symlink_to(outside)
    out = Output()
    with pytest.raises(ConfigError, match=r"deploy\.shared_dirs: cfg/data lies under cfg") as info:
        run_deploy(spec_for(ssh_client, build, web1, shared_dirs=["cfg/data"]), out)
    assert "nothing was uploaded" in (info.value.hint or "")
    assert (outside / "data" / "keep").read_text() == "precious"
    assert not web1.path.exists() and out.lines == []  # not even connected


def test_the_host_refuses_a_symlinked_parent_even_when_the_build_showed_none(
    ssh_client: SshClient, web1: Site, app_build: Any, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The remote step stays in the release on its own: here the local check is skipped, as if the host's
    tree differed from the build."""
    monkeypatch.setattr(shared, "refuse_symlinked_parents", lambda *args: None)
    build = app_build()
    (build / "cfg").symlink_to(outside)
    (web1.path / "shared" / "cfg" / "x").mkdir(parents=True)
    (web1.path / "shared" / "cfg" / "x" / ".env").write_text("S=1\n")
    error = failed_deploy(spec_for(ssh_client, build, web1, shared_dirs=["cfg/data"], shared_files=["cfg/x/.env"]))
    assert "cfg is a symbolic link; linking shared paths under it would reach outside the release" in error.message
    assert "Nothing was switched" in error.message and error.exit_code == 1
    assert sorted(os.listdir(outside)) == ["data"] and (outside / "data" / "keep").read_text() == "precious"
    assert web1.releases() == [] and not web1.locked() and not (web1.path / "current").exists()
