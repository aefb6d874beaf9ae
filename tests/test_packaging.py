"""The package as PyPI gets it: the sdist and the wheel carry the LICENSE (scripts/wheel_test.py does the rest)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_sdist_and_the_wheel_carry_the_mit_license(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "MANIFEST.in", "README.md", "CHANGELOG.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("migrations_tasks", "docs"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)]
    result = subprocess.run(build, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    wheel = next(dist.glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        licenses = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        assert licenses, "the wheel carries the LICENSE"
        assert "MIT License" in archive.read(licenses[0]).decode()
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        assert "License-File: LICENSE" in archive.read(metadata).decode()
    with tarfile.open(next(dist.glob("*.tar.gz"))) as archive:
        assert any(n.count("/") == 1 and n.endswith("/LICENSE") for n in archive.getnames())
