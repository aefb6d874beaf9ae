"""Verify scripts: SQL files that raise an error when an expectation about the database fails (Sqitch style).

Each script's statements run with ``EXECUTE`` in a sub-transaction that always ends by raising, so
everything they did is rolled back; the outcome (passed, or the failing statement's number, SQLSTATE,
message, DETAIL and HINT) is kept in a transaction-local setting that the final ``SELECT`` of verify's
request returns.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalog import as_json
from ..errors import MigrationFileError
from ..history import ledger
from ..history.sqlfile import Statement, combine, parse_statements, read_text
from ..sql import quote_literal
from .results import ScriptResult

#: The prefix of the transaction-local settings verify's request keeps its outcomes in.
SETTING = "migrations_tasks"


@dataclass(frozen=True)
class VerifyScript:
    """A SQL file that raises an error when an expectation about the database fails (Sqitch style)."""

    path: Path
    statements: tuple[Statement, ...]


def load_scripts(directory: Path | None) -> list[VerifyScript]:
    """Parse every ``*.sql`` file of ``directory`` (none when it does not exist), in name order."""
    if directory is None or not directory.is_dir():
        return []
    scripts: list[VerifyScript] = []
    problems: list[MigrationFileError] = []
    for path in sorted(directory.glob("*.sql")):
        try:
            text = read_text(path)
            statements = parse_statements(text, path, hint="Fix the verify script; nothing was sent.")
            for st in statements:
                if st.transaction_control or st.no_transaction:
                    raise MigrationFileError.at(
                        path,
                        st.line,
                        st.column,
                        f"{st.transaction_control or st.no_transaction} in a verify "
                        "script: scripts run inside a transaction that is always rolled back.",
                        hint="Remove it; a verify script only reads, or raises when an expectation fails.",
                    )
            scripts.append(VerifyScript(path, tuple(statements)))
        except MigrationFileError as exc:
            problems.append(exc)
    if problems:
        raise combine(problems)
    return scripts


def _dollar_tag(prefix: str, texts: Sequence[str]) -> str:
    while True:
        tag = f"${prefix}_{secrets.token_hex(4)}$"
        if not any(tag in t for t in texts):
            return tag


def script_sql(number: int, script: VerifyScript) -> str:
    """Return a DO block running a script's statements in a sub-transaction that is always rolled back."""
    bodies = [f"      n := {i}; EXECUTE {quote_literal(s.text)};" for i, s in enumerate(script.statements, 1)]
    tag = _dollar_tag("mt_verify", bodies)
    return "\n".join(
        [
            f"DO {tag}",
            "DECLARE n int := 0; st text; msg text; det text; hnt text;",
            "BEGIN",
            "  BEGIN",
            *bodies,
            f"      RAISE EXCEPTION 'verify script passed' USING ERRCODE = '{ledger.PROBE_DONE}';",
            "  EXCEPTION WHEN OTHERS THEN",
            "    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,",
            "      hnt = PG_EXCEPTION_HINT;",
            f"    PERFORM set_config('{SETTING}.verify_{number}', json_build_object('statement', n, 'sqlstate', st,",
            "      'message', msg, 'detail', nullif(det, ''), 'hint', nullif(hnt, ''))::text, true);",
            "  END;",
            f"END {tag}",
        ]
    )


def decode_scripts(raw: Any, scripts: Sequence[VerifyScript]) -> list[ScriptResult]:
    """Turn the scripts' recorded outcomes into results."""
    values = as_json(raw) or []
    out = []
    for script, value in zip(scripts, list(values) + [None] * (len(scripts) - len(values))):
        outcome = as_json(value) if value else None
        if not outcome:
            out.append(ScriptResult(script.path, False, message="the script did not report an outcome"))
            continue
        if outcome.get("sqlstate") == ledger.PROBE_DONE:
            out.append(ScriptResult(script.path, True))
            continue
        number = int(outcome.get("statement") or 0)
        statement = script.statements[number - 1] if 0 < number <= len(script.statements) else None
        out.append(
            ScriptResult(
                script.path,
                False,
                statement,
                outcome.get("sqlstate"),
                str(outcome.get("message") or ""),
                outcome.get("detail"),
                outcome.get("hint"),
            )
        )
    return out
