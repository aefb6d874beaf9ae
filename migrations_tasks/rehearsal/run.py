"""``db.plan``: rehearse the pending migrations on a throwaway database and report what they would do.

1. One read request to the live project (:mod:`.live`): the ledger, and the size of the tables the pending
   migrations touch. History conflicts stop here, as ``db.apply`` would stop.
2. The pending migrations are linted (:mod:`migrations_tasks.lint`).
3. A throwaway database (the drift check's, :mod:`migrations_tasks.verify.throwaway`) gets the applied
   migrations, exactly as the engine applies them; the relations that exist then are watched.
4. Each pending migration is rehearsed statement by statement (:mod:`.rehearse`), then its rollback is
   proven (:mod:`.proof`). The first migration that fails, or that does not apply again after its down
   SQL, ends the rehearsal; the ones after it are reported with their lint findings and why they were not
   rehearsed.

The live database is never written.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from ..config.settings import Settings
from ..engine import Engine
from ..engine.apply import refuse_conflicts
from ..errors import MigrationFailed, MigrationsTasksError
from ..history.migrations import LocalMigrations, Migration
from ..history.status import Status, build
from ..lint.results import Finding
from ..lint.rules import OFF, OWN_RULES
from ..lint.run import levels
from ..lint.run import lint as run_lint
from ..progress import Notify, quiet
from ..secret import Secret
from ..transport.database import Database
from ..verify.throwaway import Throwaway, connect, throwaway_database
from ..wording import first_line, plural
from . import datachecks, live, livechecks, proof
from .probe import RELATIONS_SQL, decode_relations
from .rehearse import Watch, rehearse
from .results import DataCheck, MigrationReport, PlanResult, Proof, Rehearsed, StatementReport


class CouldNotRehearse(MigrationsTasksError):
    """The throwaway database could not be brought to the live project's state (exit 3)."""


def own_finding(settings: Settings, rule: str, migration: Migration, detail: str = "") -> Finding | None:
    """Return one of db.plan's own findings about a migration at its configured level (None: off)."""
    level = levels(settings.lint)[rule]
    if level == OFF:
        return None
    spec = OWN_RULES[rule]
    message = spec.message + (f" {detail}" if detail else "")
    return Finding(str(migration.path), 1, 1, rule, level, message, spec.help, "migrations-tasks", migration.version)


def _judge(report: MigrationReport, migration: Migration, settings: Settings) -> None:
    """Add the findings the rehearsal and the proof make about a migration."""
    finding = None
    if report.proof.status is Proof.NO_DOWN_SQL:
        finding = own_finding(settings, "down-sql-missing", migration)
    elif report.proof.status is Proof.FAIL:
        what = "; ".join([*([report.proof.message] if report.proof.message else []), *report.proof.differences])
        finding = own_finding(settings, "rollback-proof-failed", migration, f"({what})")
    if finding is not None:
        report.findings.append(finding)


def _stopped(reports: Sequence[MigrationReport]) -> str:
    """Return why the rehearsal cannot go on after ``reports`` ("" when it can)."""
    if not reports:
        return ""
    last = reports[-1]
    if last.status is Rehearsed.NOT_REHEARSED:
        return last.reason
    if last.status is Rehearsed.FAILED:
        return f"{last.file} failed, so the migrations after it were not applied to the throwaway database"
    if not last.proof.in_place:
        return (
            f"{last.file} did not apply again after its down SQL, so the throwaway database no longer holds "
            "what the migrations after it expect"
        )
    return ""


def _not_rehearsed(migration: Migration, settings: Settings, reason: str) -> MigrationReport:
    """Return the report of a migration the rehearsal did not reach: its statements, and no down SQL if so."""
    report = MigrationReport(migration.version, migration.name, str(migration.path), reason=reason)
    report.statements = [StatementReport(i, st.line, first_line(st.text)) for i, st in enumerate(migration.statements)]
    if migration.down is None:
        report.proof.status = Proof.NO_DOWN_SQL
    _judge(report, migration, settings)
    return report


def _rehearse_all(
    engine: Engine, local: LocalMigrations, applied: Sequence[Migration], pending: Sequence[Migration], say: Notify
) -> list[MigrationReport]:
    """Rehearse and prove each pending migration in order; the first failure ends the rehearsal."""
    ctx, settings = engine.ctx, engine.ctx.settings
    relations, filenodes = decode_relations(ctx.db.execute(RELATIONS_SQL, write=False)[0]["relations"])
    watch = Watch(relations, filenodes)
    columns = dict(ctx.read_ledger().columns)
    reports: list[MigrationReport] = []
    for number, migration in enumerate(pending, 1):
        reason = _stopped(reports)
        if reason:
            reports.append(_not_rehearsed(migration, settings, reason))
            continue
        say(f"plan: rehearsing {migration.filename} ...")
        started = time.perf_counter()
        watch.filenodes.update(decode_relations(ctx.db.execute(RELATIONS_SQL, write=False)[0]["relations"])[1])
        before = proof.read(ctx.db, settings) if migration.down is not None else None
        report = rehearse(ctx, migration, number, columns, watch)
        if report.status is Rehearsed.OK:
            if before is None:
                report.proof.status = Proof.NO_DOWN_SQL
            else:
                upto = LocalMigrations(local.directory, (*applied, *pending[:number]))
                report.proof = proof.prove(engine, upto, migration, before)
        _judge(report, migration, settings)
        report.seconds = time.perf_counter() - started
        reports.append(report)
    return reports


def _scratch(url: str, settings: Settings) -> tuple[Engine, Database]:
    secret = Secret(url)
    scratch = connect(secret, timeout=settings.request_timeout)
    return Engine(scratch, settings.with_overrides(transport="postgres", db_url=secret)), scratch


def plan(
    db: Database, local: LocalMigrations, settings: Settings, *, include_all: bool = False, notify: Notify = quiet
) -> PlanResult:
    """Rehearse the pending migrations (see the module docstring); the live database is only read."""
    started, before = time.perf_counter(), db.requests
    levels(settings.lint)  # an unknown rule name stops here, before anything is sent
    result = PlanResult(target=db.description)
    history, result.estimates, result.server_version = live.decode(db.execute(live.request_sql(), write=False))
    current = build(local.migrations, history)
    refuse_conflicts(current, include_all)
    pending = current.to_apply(include_all)
    applied = [e.migration for e in current.with_status(Status.APPLIED) if e.migration is not None]
    exposed = settings.verify.exposed_schemas
    result.lint = run_lint(pending, settings.lint, exposed_schemas=exposed, scope="pending", every=local.migrations)
    result.applied = len(applied)
    data = _data_checks(db, pending, result, notify)
    result.requests = db.requests - before
    if pending:
        info = Throwaway()
        admin = settings.drift_db_url.reveal() if settings.drift_db_url else None
        notify("plan: building the throwaway database from the applied migrations ...")
        with throwaway_database(admin, info) as url:
            engine, scratch = _scratch(url, settings)
            try:
                result.where = info.where
                _apply_history(engine, local, applied)
                result.migrations = _rehearse_all(engine, local, applied, pending, notify)
                for report in result.migrations:
                    for st in report.statements:
                        st.findings = result.lint.of(report.version, st.index)
                        st.data = data.get((report.version, st.index), [])
            finally:
                result.scratch_requests = scratch.requests
                scratch.close()
    result.seconds = time.perf_counter() - started
    return result


def _data_checks(
    db: Database, pending: Sequence[Migration], result: PlanResult, notify: Notify
) -> dict[tuple[str, int], list[DataCheck]]:
    """Ask the live rows, read-only, about every row-dependent pending statement; return the verdicts by statement."""
    checks = datachecks.derive(pending, frozenset(result.estimates), result.server_version)
    if not checks:
        return {}
    notify(f"plan: asking the live rows about {plural(len(checks), 'data check')} (read-only) ...")
    before = db.requests
    verdicts = livechecks.ask(db, checks)
    result.data_requests = db.requests - before
    by_statement: dict[tuple[str, int], list[DataCheck]] = {}
    for check, verdict in zip(checks, verdicts):
        by_statement.setdefault((check.version, check.index), []).append(verdict)
    return by_statement


def _apply_history(engine: Engine, local: LocalMigrations, applied: Sequence[Migration]) -> None:
    """Bring the throwaway database to the live project's state by applying the applied migrations."""
    try:
        engine.apply(LocalMigrations(local.directory, tuple(applied)), include_all=True)
    except MigrationFailed as exc:
        raise CouldNotRehearse(
            f"The applied migrations do not apply to a fresh database, so nothing could be rehearsed: {exc.message}",
            hint="Run `inv db.verify` to see how the live schema drifted from the migration files.",
        ) from None
    if not engine.read_ledger().exists:
        engine.create_ledger()  # as db.apply does before its first migration
