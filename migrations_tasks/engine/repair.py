"""Rewrite ledger rows without running migration SQL (``supabase migration repair``).

``applied`` records each version with the name, statements and down SQL of its local file (replacing a row
that exists); ``reverted`` deletes the rows. One request to read the ledger, one (holding the migration
lock) to write, plus one to create the ledger when it is missing.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ConfigError, Refused
from ..history import ledger
from ..history.migrations import LocalMigrations
from .context import Context
from .request import Request
from .results import Outcome, OutcomeStatus, RepairResult
from .send import Write, create_ledger, send


def repair(
    ctx: Context, local: LocalMigrations, status: str, versions: Sequence[str], *, dry_run: bool = False
) -> RepairResult:
    """Rewrite ledger rows (see the module docstring)."""
    if status not in ("applied", "reverted"):
        raise ConfigError(f"--status must be 'applied' or 'reverted', not {status!r}.")
    if not versions:
        raise ConfigError("Name at least one version to repair.", hint="inv db.repair --status applied 2025...")
    current = ctx.read_ledger()
    by_version = local.by_version()
    recorded_versions = current.versions()
    result = RepairResult(status=status, dry_run=dry_run)
    unique = list(dict.fromkeys(versions))
    if status == "applied":
        missing = [v for v in unique if v not in by_version]
        if missing:
            raise Refused(
                f"No local migration file for {', '.join(missing)}: a row marked applied needs "
                f"the file's name and statements ({local.directory}).",
                hint="Restore the file, or check the version.",
            )
    created = {**ledger.CLI_COLUMNS, "rollback": ledger.ROLLBACK_COLUMN}  # as create_ledger makes it
    columns = dict(current.columns) if current.exists else created
    request = Request().add(ctx.lock_sql())
    for v in unique:
        if status == "applied":
            m = by_version[v]
            request.add(ledger.delete_sql(v))
            request.add(
                ledger.insert_sql(
                    columns,
                    version=v,
                    name=m.name,
                    statements=m.texts,
                    rollback=m.down.texts if m.down else None,
                    created_by=ctx.settings.created_by,
                )
            )
            again = v in recorded_versions
            result.outcomes.append(Outcome(v, m.name, OutcomeStatus.RE_RECORDED if again else OutcomeStatus.RECORDED))
        elif v in recorded_versions:
            request.add(ledger.delete_sql(v))
            name = next((r.name or "" for r in current.rows if r.version == v), "")
            result.outcomes.append(Outcome(v, name, OutcomeStatus.REMOVED))
        else:
            result.outcomes.append(Outcome(v, "", OutcomeStatus.NOT_RECORDED))
    result.sql = request.sql
    writes = [o for o in result.outcomes if o.status is not OutcomeStatus.NOT_RECORDED]
    if writes and not dry_run:
        if not current.exists:
            create_ledger(ctx)
        send(ctx, Write(request.sql, "the repair", resendable=True))
    return result
