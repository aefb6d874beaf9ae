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
