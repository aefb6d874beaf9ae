"""Which local files ship: include/exclude patterns, symlinks, and archives unpacked safely."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from migrations_tasks.deploy import bundle
from migrations_tasks.errors import ConfigError


@pytest.fixture
def build(tmp_path: Path) -> Path:
    root = tmp_path / "build"
    for name in (
        "index.html",
        "app.py",
        "debug.log",
        "assets/app.js",
        "assets/app.js.map",
        "assets/img/a.png",
        "assets/img/deep/b.map",
        "node_modules/x/index.js",
        "src/node_modules/y.js",
        ".git/HEAD",
        "config/local.yml",
        "docs/local.yml",
        'it\'s a "file".txt',
    ):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    (root / "empty").mkdir()
    os.symlink("index.html", root / "link.html")
    return root


def shipped(root: Path, include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> list[str]:
    return list(bundle.select(root, include, exclude).entries)


def test_everything_ships_by_default_directories_before_their_contents(build: Path) -> None:
    entries = shipped(build)
    assert entries.index("assets") < entries.index("assets/img") < entries.index("assets/img/a.png")
    assert "empty" in entries and "link.html" in entries and "node_modules/x/index.js" in entries


@pytest.fixture
def secrets_build(build: Path) -> Path:
    for name in (".env", ".env.local", "sub/.env.production", "sub/.git", ".env.example", "sub/.envrc", "x.env"):
        (build / name).parent.mkdir(parents=True, exist_ok=True)
        (build / name).write_text(name)
    (build / ".env.d").mkdir()
    (build / ".env.d" / "db.conf").write_text("password")
    return build


@pytest.mark.parametrize("exclude", [(), ("node_modules",), ("*.log", "assets/")])
def test_git_and_env_files_never_ship_at_any_depth_whatever_exclude_says(
    secrets_build: Path, exclude: tuple[str, ...]
) -> None:
    entries = shipped(secrets_build, exclude=exclude)
    leaked = [e for e in entries if any(part == ".git" or part.startswith(".env") for part in e.split("/"))]
    assert leaked == [] and "x.env" in entries and "sub" in entries
    assert not [e for e in entries for pattern in exclude if pattern.strip("*/") in e]  # user excludes add up


def test_an_include_that_names_an_env_file_or_git_ships_it_and_a_wildcard_does_not(secrets_build: Path) -> None:
    named = shipped(secrets_build, include=(".env.example", "sub/.git", "index.html"))
    assert named == [".env.example", "index.html", "sub", "sub/.git"]
    assert ".env" not in shipped(secrets_build, include=("*", ".env*", "sub"))
    assert ".env.local" not in shipped(secrets_build, include=("*", ".env*", "sub"))
    assert "sub/.env.production" not in shipped(secrets_build, include=("*", ".env*", "sub"))
    assert ".env.example" not in shipped(secrets_build, include=(".env.example",), exclude=(".env.example",))


def test_a_name_pattern_matches_at_any_depth_and_drops_whole_directories(build: Path) -> None:
    entries = shipped(build, exclude=("node_modules", "*.log", ".git"))
    assert not [e for e in entries if "node_modules" in e or e.endswith(".log") or e.startswith(".git")]
    assert "src" in entries and "app.py" in entries


def test_a_pattern_with_a_slash_is_anchored_at_the_root(build: Path) -> None:
    entries = shipped(build, exclude=("config/local.yml",))
    assert "config/local.yml" not in entries and "docs/local.yml" in entries
    assert "config" in entries  # the directory itself stays


def test_double_star_crosses_directories_and_single_star_does_not(build: Path) -> None:
    assert {e for e in shipped(build, exclude=("assets/**/*.map",))} >= {"assets/app.js"}
    gone = set(shipped(build)) - set(shipped(build, exclude=("assets/**/*.map",)))
    assert gone == {"assets/app.js.map", "assets/img/deep/b.map"}
    gone_one_level = set(shipped(build)) - set(shipped(build, exclude=("assets/*.map",)))
    assert gone_one_level == {"assets/app.js.map"}


def test_a_trailing_slash_matches_directories_only(build: Path) -> None:
    (build / "cache").write_text("a file named cache")
    (build / "assets" / "cache").mkdir()
    entries = shipped(build, exclude=("cache/",))
    assert "cache" in entries and "assets/cache" not in entries


def test_include_keeps_only_matching_paths_with_their_parents_and_exclude_still_wins(build: Path) -> None:
    entries = shipped(build, include=("assets", "index.html"), exclude=("*.map",))
    assert entries == ["assets", "assets/app.js", "assets/img", "assets/img/a.png", "assets/img/deep", "index.html"]


def test_the_list_is_nul_separated_so_any_file_name_survives(build: Path) -> None:
    b = bundle.select(build)
    assert b'it\'s a "file".txt\0' in b.list_bytes()
    assert b.files == 13 and b.size > 0 and "13 files" in b.describe()  # .git/HEAD never ships


def test_a_missing_build_directory_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as info:
        bundle.select(tmp_path / "dist")
    assert "--build-dir" in (info.value.hint or "")


def test_a_tar_archive_is_unpacked_and_its_single_top_directory_is_the_build(tmp_path: Path, build: Path) -> None:
    archive = tmp_path / "app.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(build, arcname="app-1.0")
    root = bundle.extract(archive, tmp_path / "out")
    assert root.name == "app-1.0" and (root / "assets" / "img" / "a.png").read_text() == "assets/img/a.png"


def test_a_zip_archive_is_unpacked(tmp_path: Path) -> None:
    archive = tmp_path / "app.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("index.html", "hi")
        zf.writestr("assets/app.js", "js")
    root = bundle.extract(archive, tmp_path / "out")
    assert sorted(p.name for p in root.iterdir()) == ["assets", "index.html"]


@pytest.mark.parametrize("member", ["../evil", "/etc/evil", "a/../../evil"])
def test_archive_members_escaping_the_release_are_refused(tmp_path: Path, member: str) -> None:
    archive = tmp_path / "bad.tar"
    with tarfile.open(archive, "w") as tf:
        info = tarfile.TarInfo(member)
        info.size = 4
        tf.addfile(info, io.BytesIO(b"evil"))
    with pytest.raises(ConfigError, match="outside"):
        bundle.extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil").exists()


def test_archive_links_pointing_outside_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "bad.tar"
    with tarfile.open(archive, "w") as tf:
        info = tarfile.TarInfo("passwd")
        info.type, info.linkname = tarfile.SYMTYPE, "../../etc/passwd"
        tf.addfile(info)
    with pytest.raises(ConfigError, match="points outside"):
        bundle.extract(archive, tmp_path / "out")


def test_unknown_archive_types_and_empty_patterns_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "app.rar").write_text("x")
    with pytest.raises(ConfigError, match="is not a"):
        bundle.extract(tmp_path / "app.rar", tmp_path / "out")
    with pytest.raises(ConfigError, match="matches nothing"):
        bundle.compile_pattern("/")
