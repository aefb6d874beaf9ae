"""The `lint` part of the `migrations` section: levels per rule and squawk's PostgreSQL version."""

from __future__ import annotations

import pytest

from migrations_tasks.config.settings import load_settings
from migrations_tasks.config.subsections import LintSettings, lint_settings
from migrations_tasks.errors import ConfigError


def test_levels_are_read_and_a_yaml_off_counts_as_off() -> None:
    read = lint_settings({"rules": {"ban-drop-column": "ERROR", "prefer-robust-stmts": False}, "pg_version": 15})
    assert read == LintSettings(rules={"ban-drop-column": "error", "prefer-robust-stmts": "off"}, pg_version=15)


def test_every_problem_of_the_lint_part_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        lint_settings({"rules": {"Not A Rule": "warn", "ban-drop-column": "loud"}, "pg_version": "x", "extra": 1})
    message = str(caught.value)
    assert "unknown keys: extra" in message and "'Not A Rule', which is not a rule name" in message
    assert "rules.ban-drop-column must be error, warn or off, not 'loud'" in message
    assert "pg_version must be a whole number" in message


def test_settings_carry_the_lint_part_and_default_without_it() -> None:
    loaded = load_settings(
        {"migrations": {"lint": {"rules": {"ban-drop-table": "error"}}}},
        environ={},
        dotenv_path=None,
        require_database=False,
    )
    assert loaded.lint.rules == {"ban-drop-table": "error"} and loaded.lint.pg_version == 17
    assert load_settings(None, environ={}, dotenv_path=None, require_database=False).lint == LintSettings()
