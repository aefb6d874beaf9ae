"""What `inv --help TASK` says: every option's type as Invoke shows it, and help that matches the code."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import run_inv, user_project

from migrations_tasks import namespace


def arguments(task: Any) -> list[Any]:
    """Return a task's Invoke arguments (on a copy: Invoke pops each help text as it makes the argument)."""
    clone = copy.copy(task)
    clone.help = dict(task.help)
    return list(clone.get_arguments())


def every_argument() -> list[tuple[str, Any]]:
    ns = namespace()
    return [(f"{name} --{arg.names[0]}", arg) for name in ns.task_names for arg in arguments(ns[name])]


@pytest.mark.parametrize(
    ("task", "shown"),
    [
        ("db.apply", "--batch-size=INT"),
        ("db.rollback", "--batch-size=INT"),
        ("db.rollback", "--steps=INT"),
        ("sandbox.serve", "--port=INT"),
        ("sandbox.serve", "--latency-ms=INT"),
    ],
)
def test_whole_number_options_are_shown_as_int(tmp_path: Path, task: str, shown: str) -> None:
    assert shown in run_inv("--help", task, cwd=user_project(tmp_path)).stdout


def test_every_option_has_a_type_invokes_help_can_show() -> None:
    """Invoke shows STRING and INT; any other kind that takes a value (a float default) looks like a flag."""
    odd = [name for name, arg in every_argument() if arg.kind not in (str, int, bool, list)]
    assert odd == []


def test_a_whole_number_option_not_given_stays_none_so_settings_from_invoke_yaml_apply() -> None:
    ns = namespace()
    for name in ("db.apply", "db.rollback"):
        (batch,) = [a for a in arguments(ns[name]) if a.name == "batch_size"]
        assert batch.kind is int and batch.default is None and batch.value is None


def test_steps_that_is_not_a_whole_number_exits_3_naming_the_flag(tmp_path: Path) -> None:
    result = run_inv("db.rollback", "--steps", "many", cwd=user_project(tmp_path))
    assert result.returncode == 3
    assert re.search(r"error: --steps must be a whole number, not 'many'\.", result.stderr)


#: The tasks whose report is (or ends with) a table: db.check's versions, db.plan's verdicts, the deploy
#: tasks' hosts, db.targets' targets; the others print lines.
TABLES = {"db.check", "db.plan", "db.targets", "deploy.vps", "deploy.rollback", "deploy.status"}


def test_json_help_names_what_the_task_prints_without_it() -> None:
    helps = {name.split(" ")[0]: arg.help for name, arg in every_argument() if name.endswith(" --json")}
    assert {name for name, text in helps.items() if "table" in text} == TABLES
    assert "the report" in helps["db.pull"] and "table" not in helps["db.pull"]


def test_every_repeatable_option_says_it_takes_a_value() -> None:
    """Invoke shows a repeatable option (`--files`, `--host`, `--url`) like a flag; its help says what it takes."""
    lists = {name: arg.help for name, arg in every_argument() if arg.kind is list}
    assert len(lists) >= 3
    assert [name for name, text in lists.items() if not text.startswith("takes a")] == []


@pytest.mark.parametrize(
    ("task", "says"),
    [
        ("db.plan", ["MIGRATIONS_DRIFT_DB_URL", "an embedded PostgreSQL started for this run", "one read request"]),
        ("db.pull", ["MIGRATIONS_DRIFT_DB_URL", "an embedded PostgreSQL started for this run"]),
    ],
)
def test_plan_and_pull_help_say_where_the_throwaway_database_is_and_every_exit_code(
    tmp_path: Path, task: str, says: list[str]
) -> None:
    text = " ".join(run_inv("--help", task, cwd=user_project(tmp_path)).stdout.split())
    for phrase in [*says, "Exit 0 ", "; 1 ", "; 2 ", "; 3 could not run"]:
        assert phrase in text, phrase
