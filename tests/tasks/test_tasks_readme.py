"""The README's "Try the tasks on the sandbox", run as written from a copy of the repository.

Both blocks run as a newcomer types them: the first starts the sandbox (`python -m migrations_tasks.sandbox
> .env.sandbox`) and keeps it serving; the second, in its own shell, activates `.venv`, exports
`.env.sandbox` and runs the tasks through `inv` against the sandbox. The only thing added is an `echo` of
each line's exit code. The sample outputs the README shows for db.lint, db.plan, db.pull and db.verify must
then be what those commands printed (times, refs and the pulled file's version aside).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CANARY, leaked

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
#: What the walkthrough uses from the repository (a clone has more; nothing else is read).
COPIED = ("supabase", "examples", "tasks.py", "invoke.yaml")
HEADING = "### Try the tasks on the sandbox"
#: Each line's exit code in the second block, as its comments say.
EXPECTED_CODES = [0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
#: Sample output lines that differ from run to run: times, the project, the pulled file's version.
VARYING = re.compile(r"project ([a-z]{20}|\.\.\.)|\d{14}(_remote_schema| as applied)|recording \d{14}|^\$ ")


def section(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(heading)
    following = re.search(r"^#{2,3} ", text[start + len(heading) :], re.MULTILINE)
    return text[start : start + len(heading) + following.start()] if following else text[start:]


def blocks(heading: str, *kinds: str) -> list[str]:
    """Return the fenced blocks of these kinds (``sh``, ``text``, ``""`` for none) in the section ``heading``."""
    found: list[str] = []
    kind: str | None = None  # inside a block: its kind
    for line in section(heading).splitlines(keepends=True):
        if line.startswith("```"):
            if kind is None:
                kind = line[3:].strip()
                if kind in kinds:
                    found.append("")
            else:
                kind = None
        elif kind is not None and kind in kinds:
            found[-1] += line
    return found


def copy_of_the_repository(tmp_path: Path) -> Path:
    """Copy what the walkthrough uses; `.venv` is this test's virtualenv, as `python3 dev.py demo` makes one."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repo / name)
    bin_dir = Path(sys.executable).parent
    if sys.prefix != sys.base_prefix and (bin_dir / "activate").is_file():
        (repo / ".venv").symlink_to(sys.prefix)
    else:  # no virtualenv runs these tests: an activate script doing what venv's does to PATH
        (repo / ".venv" / "bin").mkdir(parents=True)
        (repo / ".venv" / "bin" / "activate").write_text(f'PATH="{bin_dir}:$PATH"; export PATH\n')
    return repo


def newcomer_env() -> dict[str, str]:
    """A shell's environment in a fresh clone: no project settings, the virtualenv not on PATH yet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "MIGRATIONS_", "DEPLOY_"))}
    env.pop("VIRTUAL_ENV", None)
    if sys.prefix != sys.base_prefix:
        venv_bin = str(Path(sys.executable).parent)
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", os.defpath).split(os.pathsep) if p != venv_bin)
    env["MIGRATIONS_TASKS_TEST_CANARY"] = CANARY
    return env


@pytest.fixture
def first_terminal(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """Run the README's first block (the sandbox) in a copy of the repository until its 4 lines are written."""
    start = blocks(HEADING, "sh")[0]
    repo = copy_of_the_repository(tmp_path)
    log = (tmp_path / "sandbox.log").open("w")
    shell = subprocess.Popen(
        [shutil.which("bash") or "sh", "-c", start], cwd=repo, env=newcomer_env(), stderr=log, start_new_session=True
    )
    settings = repo / ".env.sandbox"
    try:
        deadline = time.monotonic() + 180
        while not (settings.is_file() and settings.read_text().count("\n") >= 4):
            assert shell.poll() is None, (tmp_path / "sandbox.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the sandbox wrote no settings in 180 s"
            time.sleep(0.2)
        lines = dict(line.split("=", 1) for line in settings.read_text().splitlines())
        yield repo, lines
    finally:
        os.killpg(shell.pid, signal.SIGINT)  # Ctrl-C in the first terminal
        try:
            shell.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(shell.pid, signal.SIGKILL)
            shell.wait()
        log.close()


def normalised(text: str) -> set[str]:
    return {re.sub(r"\d+\.\d+s\b", "N.NNs", line.rstrip()) for line in text.splitlines()}


def test_the_readme_sandbox_walkthrough_runs_as_written(first_terminal: tuple[Path, dict[str, str]]) -> None:
    repo, sandbox = first_terminal
    assert sorted(sandbox) == ["SANDBOX_DB_URL", "SUPABASE_ACCESS_TOKEN", "SUPABASE_API_URL", "SUPABASE_PROJECT_REF"]
    second = blocks(HEADING, "sh")[1]
    lines = [line for line in second.splitlines() if line.strip()]
    assert len(lines) == len(EXPECTED_CODES), "a line was added to the block: give its exit code here"
    script = "".join(f'{line}\necho "@@ exit $?"\n' for line in lines)
    result = subprocess.run(
        [shutil.which("bash") or "sh", "-c", script],
        cwd=repo,
        env=newcomer_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert not leaked(output) and sandbox["SUPABASE_ACCESS_TOKEN"] not in output
    assert "Traceback" not in output, output[-5000:]
    codes = [int(code) for code in re.findall(r"^@@ exit (\d+)$", result.stdout, re.MULTILINE)]
    assert list(zip(lines, codes)) == list(zip(lines, EXPECTED_CODES)), output[-5000:]
    assert sorted(p.name for p in (repo / "supabase" / "migrations").iterdir()) == sorted(
        p.name for p in (ROOT / "supabase" / "migrations").iterdir()
    ), "the block's last line puts the repository back as it was"
    printed = normalised(output)
    for heading in ("## `inv db.lint`", "## `inv db.plan`", "## `inv db.pull`", "## `inv db.verify`"):
        samples = blocks(heading, "", "text")
        assert samples, heading
        for sample in samples:
            shown = [line for line in normalised(sample) if line and not VARYING.search(line)]
            missing = [line for line in shown if line not in printed]
            assert missing == [], f"{heading}: the README shows lines the walkthrough did not print:\n{output}"
