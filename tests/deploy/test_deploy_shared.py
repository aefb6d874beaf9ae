"""Shared files and directories: the build's check before upload, and the linking script run for real with sh."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from migrations_tasks.deploy import bundle, shared
from migrations_tasks.deploy.releases import Layout
from migrations_tasks.errors import ConfigError


def run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30)


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(str(tmp_path / 'it\'s a "deploy" $(path)' / "app"))


def test_a_shared_path_under_a_symlink_that_ships_is_refused_in_the_build(tmp_path: Path) -> None:
    build = tmp_path / "build"
    (build / "assets" / "img").mkdir(parents=True)
    (build / "index.html").write_text("hi")
    (tmp_path / "outside" / "data").mkdir(parents=True)
    (build / "cfg").symlink_to(tmp_path / "outside")
    (build / "lib").symlink_to("assets")  # pointing inside the build is still a symlink
    selected = bundle.select(build)
    with pytest.raises(ConfigError) as info:
        shared.refuse_symlinked_parents(
            selected, {"shared_dirs": ["cfg/data", "assets/img"], "shared_files": ["lib/x"]}
        )
    message = str(info.value)
    assert (
        f"deploy.shared_dirs: cfg/data lies under cfg, a symbolic link in the build (-> {tmp_path}/outside)" in message
    )
    assert "deploy.shared_files: lib/x lies under lib" in message and "assets/img" not in message
    assert "nothing was uploaded" in (info.value.hint or "")
    shared.refuse_symlinked_parents(selected, {"shared_dirs": ["cfg", "assets/img/new", "new/dir"]})
    shared.refuse_symlinked_parents(bundle.select(build, exclude=("cfg",)), {"shared_dirs": ["cfg/data"]})


def test_shared_files_and_dirs_are_linked_into_the_release(layout: Layout) -> None:
    Path(layout.release("r1"), "storage", "uploads").mkdir(parents=True)  # shipped in the build: replaced
    Path(layout.shared).mkdir(parents=True)
    Path(layout.shared, ".env").write_text("SECRET=1\n")
    result = run(shared.link_script(layout, "r1", [".env"], ["storage/uploads", "cache dir"]))
    assert result.returncode == 0, result.stderr
    release = Path(layout.release("r1"))
    assert os.readlink(release / ".env") == f"{layout.shared}/.env"
    assert os.readlink(release / "storage" / "uploads") == f"{layout.shared}/storage/uploads"
    assert Path(layout.shared, "cache dir").is_dir() and (release / "cache dir").is_symlink()


def test_a_missing_shared_file_stops_before_anything_is_linked(layout: Layout) -> None:
    Path(layout.release("r1")).mkdir(parents=True)
    Path(layout.shared).mkdir(parents=True)
    result = run(shared.link_script(layout, "r1", [".env"], ["uploads"]))
    assert result.returncode == shared.MISSING_SHARED_FILE
    assert result.stderr.strip() == f"missing shared file: {layout.shared}/.env"
    assert not Path(layout.release("r1"), "uploads").exists()


@pytest.mark.parametrize(("item", "link"), [("cfg/data", "cfg"), ("a/cfg/data", "a/cfg"), ("a/cfg/x/y", "a/cfg")])
@pytest.mark.parametrize("kind", ["dirs", "files"])
def test_linking_stops_at_a_symlinked_parent_and_removes_nothing_outside_the_release(
    layout: Layout, tmp_path: Path, item: str, link: str, kind: str
) -> None:
    outside = tmp_path / "outside"
    for name in ("data/keep", "x/y/keep"):
        (outside / name).parent.mkdir(parents=True, exist_ok=True)
        (outside / name).write_text("precious")
    Path(layout.release("r1")).mkdir(parents=True)
    release = Path(layout.release("r1"))
    (release / link).parent.mkdir(parents=True, exist_ok=True)
    (release / link).symlink_to(outside)
    Path(layout.shared, item).mkdir(parents=True)
    files, dirs = ([item], []) if kind == "files" else ([], [item])
    result = run(shared.link_script(layout, "r1", files, dirs))
    assert result.returncode == shared.SYMLINKED_PARENT, result.stderr
    assert result.stderr.strip() == f"symlinked parent: {link}"
    assert (outside / "data" / "keep").read_text() == (outside / "x" / "y" / "keep").read_text() == "precious"
    assert sorted(p.name for p in outside.iterdir()) == ["data", "x"]
