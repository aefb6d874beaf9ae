"""Run a task as GitHub Actions would: the workflow variables set, the step summary and outputs in files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import CANARY


def run_in_actions(cwd: Path, env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    summary, outputs = cwd / "summary.md", cwd / "outputs.txt"
    full = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
    full.update(env, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(outputs))
    result = subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=cwd, env=full, capture_output=True, text=True, check=False
    )
    assert "Traceback" not in result.stderr
    # The token is printed once, inside ::add-mask:: (the runner hides it from then on); keep it out of
    # this test's own failure messages.
    assert result.stdout.count(CANARY) <= 1
    result.stdout = result.stdout.replace(f"::add-mask::{CANARY}", "::add-mask::<token>")
    return result, summary, outputs
