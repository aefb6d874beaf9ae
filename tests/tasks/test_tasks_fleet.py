"""db.targets: the targets and groups of invoke.yaml, and a GitHub Actions matrix of them (no database needed).

What the tasks refuse about --target is in test_bad_input.py (docs/bad-input.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_inv, user_project

REFS = [chr(ord("a") + i) * 20 for i in range(7)]


def project_with_targets(tmp_path: Path, extra: str = "") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    root = user_project(tmp_path)
    targets = "\n".join(f"    r{i}: {{project_ref: {ref}}}" for i, ref in enumerate(REFS))
    (root / "invoke.yaml").write_text(
        f"migrations:\n  targets:\n{targets}\n    eu: {{project_ref: {'z' * 20}, token_env: TOKEN_EU}}\n"
        f"  target_groups:\n    all: [{', '.join(f'r{i}' for i in range(7))}]\n{extra}",
        encoding="utf-8",
    )
    return root


def test_db_targets_lists_targets_and_prints_a_github_matrix_per_target_or_per_chunk(tmp_path: Path) -> None:
    root = project_with_targets(tmp_path)
    listed = run_inv("db.targets", cwd=root)
    assert listed.returncode == 0, listed.stderr
    assert (
        listed.stdout.splitlines()[2].split() == ["r0", "api", REFS[0], "all", "set"]
        or "SUPABASE_ACCESS_TOKEN" in listed.stdout
    )
    assert "TOKEN_EU (the access token of target eu)" in listed.stdout
    single = json.loads(run_inv("db.targets", "--github-matrix", "--target", "all", cwd=root).stdout)
    assert single == {"include": [{"target": f"r{i}", "name": f"r{i}"} for i in range(7)]}
    chunked = json.loads(run_inv("db.targets", "--github-matrix", "--target", "all", "--chunk", "3", cwd=root).stdout)
    assert [e["target"] for e in chunked["include"]] == ["r0,r1,r2", "r3,r4,r5", "r6"]
