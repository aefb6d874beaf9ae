"""Bad input to db.new and db.pull: one clear message, a documented exit code, no traceback, no secret.

Each case is a row of the "db.new and db.pull" table in docs/bad-input.md (checked here), run through
``inv`` as a user runs it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import Project, SandboxProcess, run_inv, user_project
from test_authoring_pull import EXAMPLES, apply_all

DOCS = Path(__file__).resolve().parents[2] / "docs" / "bad-input.md"


@dataclass
class Ctx:
    """A user's project directory beside a sandbox project, and the command line being built."""

    project: Project
    cwd: Path
    env: dict[str, str]
    args: list[str] = field(default_factory=list)

    @property
    def migrations(self) -> Path:
        return self.cwd / "supabase" / "migrations"

    def apply_examples(self, *extra: tuple[str, str]) -> None:
        shutil.copytree(EXAMPLES, self.migrations, dirs_exist_ok=True)
        for name, sql in extra:
            (self.migrations / name).write_text(sql, encoding="utf-8")
        apply_all(self.project, self.migrations)


@dataclass
class Case:
    id: str
    task: str
    prepare: Callable[[Ctx], object]
    code: int
    expect: str
    requests: int = 0  # the requests the case sends to the live project


def generated_column_changed(c: Ctx) -> None:
    c.apply_examples(
        ("20251103000000_totals.sql", "create table public.totals (a int, b int generated always as (a + 1) stored);")
    )
    c.project.sql("alter table public.totals drop column b, add column b int generated always as (a + 2) virtual;")


def fails_on_a_fresh_database(c: Ctx) -> None:
    c.project.sql("create table public.made_by_hand (id int);")
    c.apply_examples(("20251103000000_extend.sql", "alter table public.made_by_hand add column note text;"))


CASES = [
    Case("new-without-a-name", "db.new", lambda c: None, 1, "did not receive required positional arguments: 'name'"),
    Case("new-empty-name", "db.new", lambda c: c.args.append(""), 2, "The migration name is empty."),
    Case("new-path-separator", "db.new", lambda c: c.args.append("../escape"), 2, "contains a path separator"),
    Case(
        "new-directory-is-a-file",
        "db.new",
        lambda c: (c.args.extend(["x", "--migrations-dir", "f"]), (c.cwd / "f").write_text("")),
        3,
        "f is not a directory.",
    ),
    Case(
        "pull-name-with-separator",
        "db.pull",
        lambda c: c.args.extend(["--name", "a/b"]),
        2,
        "contains a path separator",
    ),
    Case(
        "pull-pending-migration",
        "db.pull",
        lambda c: (c.apply_examples(), (c.migrations / "20251201000000_new.sql").write_text("select 1;")),
        2,
        "needs the local migrations and the live ledger in sync",
        requests=1,
    ),
    Case(
        "pull-generation-expression-changed",
        "db.pull",
        generated_column_changed,
        1,
        "its generation differs (stored or virtual, or its type); change it by hand",
        requests=1,
    ),
    Case(
        "pull-migrations-fail-on-a-fresh-database",
        "db.pull",
        fails_on_a_fresh_database,
        1,
        "the migrations do not apply to a fresh database: 20251103000000 failed",
        requests=1,
    ),
    Case(
        "pull-drift-server-unreachable",
        "db.pull",
        lambda c: (
            c.apply_examples(),
            c.env.update(MIGRATIONS_DRIFT_DB_URL="postgresql://postgres@127.0.0.1:9/postgres"),
        ),
        3,
        "Cannot connect to MIGRATIONS_DRIFT_DB_URL",
        requests=1,
    ),
]


@pytest.fixture
def ctx(project: Project, sandbox: SandboxProcess, tmp_path: Path) -> Ctx:
    """A user's project directory, its environment (drift on the session sandbox's server) and project."""
    cwd = user_project(tmp_path)
    (cwd / "supabase" / "migrations").mkdir(parents=True)
    env = {**project.env, "MIGRATIONS_DRIFT_DB_URL": sandbox.db_url}
    del env["SUPABASE_DB_URL"]
    return Ctx(project, cwd, env)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_to_new_and_pull_gets_one_clear_message_and_a_documented_exit_code(case: Case, ctx: Ctx) -> None:
    case.prepare(ctx)
    before = ctx.project.requests()
    result = run_inv(case.task, *ctx.args, cwd=ctx.cwd, env=ctx.env, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == case.code, output
    assert case.expect in output, output
    assert ctx.project.requests() - before == case.requests
    if case.task == "db.pull" and case.code:
        assert not [p for p in ctx.migrations.iterdir() if "remote_schema" in p.name], "nothing may be written"


def test_the_docs_table_of_new_and_pull_lists_exactly_these_cases_with_their_messages() -> None:
    section = DOCS.read_text(encoding="utf-8").split("## `db.new` and `db.pull`", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("`")[1]: line for line in section.splitlines() if line.startswith("| `")}
    assert sorted(rows) == sorted(c.id for c in CASES)
    for case in CASES:
        cells = [cell.strip() for cell in rows[case.id].split(" | ")]
        assert cells[-2] == str(case.code), case.id
        assert case.expect in cells[2], case.id
