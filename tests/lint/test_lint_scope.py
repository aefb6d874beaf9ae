"""Which files db.lint lints: the pending ones after a quick ledger read, or every file."""

from __future__ import annotations

from pathlib import Path

import stamina
from conftest import MigrationDir

from migrations_tasks.config.settings import load_settings
from migrations_tasks.history.migrations import load
from migrations_tasks.lint.scope import LEDGER_DEADLINE, select


def test_an_unreachable_ledger_is_given_up_quickly_and_every_file_is_linted_with_what_was_tried(
    migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_a.sql", "select 1;\n")
    env = {"SUPABASE_API_URL": "http://127.0.0.1:9", "SUPABASE_PROJECT_REF": "a" * 20, "SUPABASE_ACCESS_TOKEN": "x"}
    settings = load_settings(None, flags={"migrations_dir": str(migrations.path)}, environ=env, dotenv_path=None)
    assert settings.retry_deadline > LEDGER_DEADLINE  # the default: 90 s, for db.apply
    stamina.set_testing(True)  # no waits; one attempt
    try:
        chosen = select(settings, load(migrations.path))
    finally:
        stamina.set_testing(False)
    assert chosen.scope == "all" and [m.version for m in chosen.migrations] == ["1"]
    assert f"gave up after 1 request in {LEDGER_DEADLINE:g}s" in chosen.warnings[0]
    assert "linting every migration file instead, nothing more sent" in chosen.warnings[0]
