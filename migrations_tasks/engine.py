"""Read the ledger, check and apply migrations through the :class:`Database` protocol.

The engine never knows which transport it has. Each migration is sent as one request holding the
migration lock, a guard that aborts when the version is already recorded, the migration's statements
and its ledger row: they commit together or not at all, and concurrent runs apply it exactly once.

Requests: one to read the ledger, one to create it when missing, one per migration (migrations that
cannot run in one transaction: one per unit, see :mod:`migrations_tasks.migrations`). A migration's
down SQL goes into the ledger's ``rollback`` column when the table has one.

Rollbacks mirror applies: one request per migration holding the lock, a guard that the version is still
recorded, the down SQL and the deletion of the row; repairs rewrite rows in one locked request. After a failure
the engine names the failing statement from the error's position; when the server gave none it
replays prefixes of the migration in requests that always roll back (a binary search, only on failure).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from . import ledger as L
from .database import Database
from .errors import (
    AmbiguousWriteError,
    ConfigError,
    HistoryConflict,
    MigrationFailed,
    MigrationsTasksError,
    Refused,
    RollbackFailed,
    SqlError,
    TransportError,
)
from .migrations import DOWN_HINT, DownSql, LocalMigrations, Migration, Statement, Unit, parse_down
from .plan import OUT_OF_ORDER_MESSAGE, REMOTE_ONLY_MESSAGE, Entry, Plan, Status, build, select_rollback
from .settings import Settings
from .sql import quote_literal, same_statements

MAX_PROBES = 12
MAX_RESENDS = 5


@dataclass(frozen=True)
class Event:
    """Something the engine reports while it works."""

    kind: str  # "start" | "applied" | "start-rollback" | "rolled-back" | "skipped" | "warning" | "info"
    message: str = ""
    migration: Migration | None = None
    seconds: float = 0.0
    version: str = ""
    name: str = ""


Notify = Callable[[Event], None]


@dataclass
class Outcome:
    """What happened to one migration in an apply."""

    version: str
    name: str
    status: str  # "applied" | "already-applied" | "would-apply"
    seconds: float = 0.0
    requests: int = 0


@dataclass
class ApplyResult:
    """What an apply did."""

    plan: Plan
    outcomes: list[Outcome] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    sql: list[tuple[Migration, list[str]]] = field(default_factory=list)

    @property
    def applied(self) -> list[Outcome]:
        """Return the migrations this run applied."""
        return [o for o in self.outcomes if o.status == "applied"]


@dataclass
class _Part:
    text: str
    start: int
    end: int
    line: int
    statement: Statement | None
    role: str = "statement"  # or "lock", "guard", "ledger row", "probe"


class Batch:
    """SQL text for one request, remembering where each statement sits in it."""

    def __init__(self) -> None:
        self.parts: list[_Part] = []
        self._length = 0
        self._lines = 1

    def add(self, text: str, statement: Statement | None = None, role: str = "statement") -> Batch:
        """Append a statement (and ``;`` plus a newline); ``role`` names what a non-migration part is."""
        chunk = text + ";\n"
        self.parts.append(_Part(text, self._length, self._length + len(text), self._lines, statement, role))
        self._length += len(chunk)
        self._lines += chunk.count("\n")
        return self

    @property
    def sql(self) -> str:
        """Return the request's SQL."""
        return "".join(p.text + ";\n" for p in self.parts)

    def part_at(self, error: SqlError) -> _Part | None:
        """Return the part an error's position or line points at."""
        for part in self.parts:
            if error.position is not None and part.start <= error.position - 1 <= part.end:
                return part
            if (error.position is None and error.line is not None
                    and part.line <= error.line <= part.line + part.text.count("\n")):
                return part
        return None

    def locate(self, error: SqlError) -> tuple[Statement, int] | None:
        """Return the migration statement an error points at, and the error's line in the file."""
        for part in self.parts:
            if part.statement is None:
                continue
            if error.position is not None and part.start <= error.position - 1 <= part.end:
                offset_lines = part.text[: error.position - 1 - part.start].count("\n")
                return part.statement, part.statement.line + offset_lines
            if error.position is None and error.line is not None:
                last = part.line + part.text.count("\n")
                if part.line <= error.line <= last:
                    return part.statement, part.statement.line + (error.line - part.line)
        return None

    def statements(self) -> list[Statement]:
        """Return the migration statements in this batch."""
        return [p.statement for p in self.parts if p.statement is not None]


def _first_line(text: str, limit: int = 100) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


class Engine:
    """Check and apply migrations against one database."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        notify: Notify | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.notify: Notify = notify or (lambda event: None)
        self.should_stop = should_stop or (lambda: False)
        #: The apply in progress (or last finished), also when it ended with an exception.
        self.result: ApplyResult | None = None
        #: The rollback in progress (or last finished), also when it ended with an exception.
        self.rollback_result: RollbackResult | None = None

    # -- reading ---------------------------------------------------------------------------------
    def read_ledger(self) -> L.Ledger:
        """Read the ledger in one request; a missing table is an empty history."""
        try:
            rows = self.db.execute(L.READ_SQL, write=False)
        except SqlError as exc:
            if exc.sqlstate in ("42P01", "3F000"):
                return L.Ledger(exists=False)
            raise
        return L.decode(rows)

    def check(self, local: LocalMigrations) -> Plan:
        """Return every version's status (one request)."""
        return build(local.migrations, self.read_ledger())

    # -- applying --------------------------------------------------------------------------------
    def create_ledger(self) -> None:
        """Create the ledger exactly as the Supabase CLI does (one request; idempotent, so resent
        after a lost answer)."""
        for attempt in range(1, 6):
            try:
                self.db.execute(L.create_sql(self.settings.lock_wait_seconds))
                return
            except AmbiguousWriteError:
                if attempt == 5:
                    raise
                self.notify(Event("warning", "The answer to the ledger creation was lost; sending it again "
                                  "(it is idempotent)."))

    def migration_batches(self, migration: Migration, columns: dict[str, L.Column]) -> list[tuple[Batch, bool]]:
        """Return the requests that apply ``migration``: (batch, records the ledger row)."""
        lock = L.lock_sql(self.settings.lock_wait_seconds, self.settings.lock_timeout)
        guarded = L.lock_sql(self.settings.lock_wait_seconds, self.settings.lock_timeout, absent=migration.version)
        insert = L.insert_sql(columns, version=migration.version, name=migration.name,
                              statements=migration.texts, created_by=self.settings.created_by,
                              rollback=migration.down.texts if migration.down else None)
        batches: list[tuple[Batch, bool]] = []
        units: Sequence[Unit] = migration.units
        for index, unit in enumerate(units):
            batch = Batch()
            last = index == len(units) - 1
            if unit.transactional:
                batch.add(guarded if index == 0 or last else lock, role="lock and guard")
            for statement in unit.statements:
                batch.add(statement.text, statement)
            records = last and unit.transactional
            if records:
                batch.add(insert, role="ledger row")
            batches.append((batch, records))
        if not batches or not batches[-1][1]:
            batches.append((Batch().add(guarded, role="lock and guard").add(insert, role="ledger row"), True))
        return batches

    def apply(
        self,
        local: LocalMigrations,
        *,
        include_all: bool = False,
        dry_run: bool = False,
    ) -> ApplyResult:
        """Apply pending migrations in version order; stop at the first failure."""
        started = time.perf_counter()
        before = self.db.requests
        ledger = self.read_ledger()
        plan = build(local.migrations, ledger)
        result = self.result = ApplyResult(plan=plan, dry_run=dry_run)
        self._refuse_conflicts(plan, include_all)
        todo = plan.to_apply(include_all)
        columns = dict(ledger.columns) if ledger.exists else dict(L.CLI_COLUMNS)
        if dry_run:
            for migration in todo:
                batches = self.migration_batches(migration, columns)
                result.sql.append((migration, [b.sql for b, _ in batches]))
                result.outcomes.append(Outcome(migration.version, migration.name, "would-apply"))
            result.requests = self.db.requests - before
            result.seconds = time.perf_counter() - started
            return result
        if todo and not ledger.exists:
            self.notify(Event("info", f"Creating the ledger table {L.TABLE} (as the Supabase CLI does)."))
            self.create_ledger()
        try:
            for migration in todo:
                if self.should_stop():
                    break
                result.outcomes.append(self._apply_one(migration, columns))
        finally:
            result.requests = self.db.requests - before
            result.seconds = time.perf_counter() - started
        return result

    def _refuse_conflicts(self, plan: Plan, include_all: bool) -> None:
        blocking = plan.blocking_conflicts(include_all)
        if not blocking:
            return
        lines: list[str] = []
        remote = [e for e in blocking if e.status is Status.REMOTE_ONLY]
        late = [e for e in blocking if e.status is Status.OUT_OF_ORDER]
        changed = [e for e in blocking if e.status is Status.CHANGED]
        hints: list[str] = []
        if remote:
            lines.append(f"{REMOTE_ONLY_MESSAGE} ({', '.join(e.version for e in remote)})")
            hints.append("restore the missing files, or mark them reverted with "
                         "`inv db.repair --status reverted VERSION`")
        if late:
            lines.append(f"{OUT_OF_ORDER_MESSAGE} ({', '.join(e.version for e in late)})")
            hints.append("rerun with --include-all to apply them anyway")
        if changed:
            lines.append("Applied migrations were edited after they were applied: "
                         + ", ".join(f"{e.version}_{e.name}.sql" for e in changed))
            hints.append("put the change in a new migration and restore the applied file "
                         "(or record the edit with `inv db.repair --status applied VERSION`)")
        raise HistoryConflict("\n".join(lines), hint="; ".join(hints) + ".")

    def _apply_one(self, migration: Migration, columns: dict[str, L.Column]) -> Outcome:
        self.notify(Event("start", migration=migration))
        started = time.perf_counter()
        before = self.db.requests
        batches = self.migration_batches(migration, columns)
        done: list[Statement] = []
        for index, (batch, records) in enumerate(batches):
            try:
                self._send(batch, migration, records)
            except _AlreadyApplied:
                if index == 0:
                    seconds = time.perf_counter() - started
                    self.notify(Event("skipped", "already applied by another run", migration, seconds))
                    return Outcome(migration.version, migration.name, "already-applied", seconds,
                                   self.db.requests - before)
                raise MigrationFailed(
                    f"{migration.path}: another run recorded migration {migration.version} while this run "
                    "was applying its parts; both ran its committed parts.",
                    version=migration.version, path=str(migration.path),
                    hint="Inspect the schema; this can only happen to migrations that run outside one "
                    "transaction.") from None
            except SqlError as exc:
                raise self._failure(migration, batch, exc, done, batches[index + 1:]) from None
            done.extend(batch.statements())
        seconds = time.perf_counter() - started
        self.notify(Event("applied", migration=migration, seconds=seconds))
        return Outcome(migration.version, migration.name, "applied", seconds, self.db.requests - before)

    def _send(self, batch: Batch, migration: Migration, records: bool, attempt: int = 1) -> None:
        try:
            self.db.execute(batch.sql)
        except SqlError as exc:
            if exc.sqlstate == L.ALREADY_APPLIED:
                raise _AlreadyApplied() from None
            if exc.sqlstate == L.LOCK_BUSY:
                raise MigrationsTasksError(
                    f"Migration {migration.version} was not applied: {exc.message}.",
                    hint="Another apply or rollback is running against this database; wait for it and "
                    "run again.") from None
            raise
        except AmbiguousWriteError as exc:
            if not records:
                raise MigrationsTasksError(
                    f"{migration.path}: the connection failed while a statement that runs outside a "
                    f"transaction was in flight ({exc.message}).",
                    hint=f"Check whether it ran, finish the migration by hand, then run "
                    f"`inv db.repair --status applied {migration.version}`.") from None
            if self.committed(migration.version):
                self.notify(Event("warning", f"The answer for {migration.version} was lost ({exc.message}); "
                                  "the ledger shows it committed.", migration))
                return
            if attempt >= MAX_RESENDS:
                raise
            self.notify(Event("warning", f"The answer for {migration.version} was lost ({exc.message}); the "
                              "ledger shows it did not commit, so it is sent again.", migration))
            self._send(batch, migration, records, attempt + 1)

    def committed(self, version: str) -> bool:
        """Return whether ``version`` is recorded, after any in-flight write of it has finished.

        Taking the migration lock first waits for a request still running on the server, so the
        answer is final; the request changes nothing and is safe to repeat.
        """
        probe = (f"{L.lock_sql(self.settings.lock_wait_seconds)};\n"
                 f"SELECT EXISTS (SELECT 1 FROM {L.TABLE} WHERE version = {quote_literal(version)}) AS found")
        try:
            rows = self.db.execute(probe, write=False)
        except SqlError as exc:
            if exc.sqlstate == L.LOCK_BUSY:
                raise MigrationsTasksError(
                    f"Could not learn whether migration {version} committed: {exc.message}.",
                    hint="Another run holds the migration lock; when it is done, run db.check.") from None
            raise
        return bool(rows and rows[0].get("found"))

    # -- failures --------------------------------------------------------------------------------
    def _failure(
        self,
        migration: Migration,
        batch: Batch,
        error: SqlError,
        done: list[Statement],
        remaining: list[tuple[Batch, bool]],
    ) -> MigrationFailed:
        located = batch.locate(error)
        probes = 0
        statements = batch.statements()
        if located is None and len(statements) == 1:
            located = statements[0], statements[0].line
        elif located is None and len(statements) > 1 and error.sqlstate:
            located, probes = self._bisect(batch, error)
        statement, line = located if located else (None, None)
        total = len(migration.statements)
        where = ""
        if statement is not None:
            number = migration.statements.index(statement) + 1
            where = f" at line {line} (statement {number} of {total})"
        parts = [f"Migration {migration.filename} failed{where}:"]
        if statement is not None:
            parts.append(f"  {_first_line(statement.text)}")
        parts.extend("  " + line_ for line_ in error.describe().splitlines())
        if error.context:
            parts.append(f"  CONTEXT: {error.context.splitlines()[0]}")
        if probes:
            parts.append(f"  (statement located with {probes} diagnostic requests, all rolled back)")
        own = batch.part_at(error)
        if located is None and own is not None and own.statement is None:
            parts.append(f"  (it failed in migrations-tasks' own {own.role} statement, not in the file's SQL)")
        elif located is None and batch.statements():
            parts.append("  (the server did not say which statement failed; it may be a deferred "
                         "constraint checked at commit)")
        if migration.atomic:
            hint = "Nothing of this migration was applied. Fix the file and run db.apply again."
        else:
            ran = ", ".join(str(s.line) for s in done) or "none"
            left = [s.line for b, _ in remaining for s in b.statements()]
            hint = (
                f"This migration runs outside a single transaction: the statements starting at lines {ran} "
                "ran and are committed; the failing unit was rolled back"
                + (f"; lines {', '.join(map(str, left))} did not run" if left else "")
                + f". Finish by hand, then record it with `inv db.repair --status applied {migration.version}`."
            )
        return MigrationFailed("\n".join(parts), version=migration.version, path=str(migration.path),
                               line=line, sql_error=error, hint=hint)

    def _bisect(self, batch: Batch, error: SqlError) -> tuple[tuple[Statement, int] | None, int]:
        """Find the first statement that fails, replaying prefixes that always roll back."""
        statements = batch.statements()
        prefix = [p for p in batch.parts if p.statement is None][:2]
        # The failing statement's index is in [low, high]; high == len(statements) means "at commit".
        low, high = 0, len(statements)
        probes = 0
        while low < high and probes < MAX_PROBES:
            middle = (low + high) // 2
            probe = Batch()
            for part in prefix:
                probe.add(part.text)
            for statement in statements[: middle + 1]:
                probe.add(statement.text, statement)
            probe.add(L.probe_end_sql())
            probes += 1
            try:
                self.db.execute(probe.sql, write=False)  # always rolled back: safe to repeat
            except TransportError:
                return None, probes  # keep the real error; locating it is only a courtesy
            except SqlError as exc:
                if exc.sqlstate == L.PROBE_DONE:
                    low = middle + 1
                    continue
                if exc.sqlstate != error.sqlstate:
                    return None, probes
                high = middle
                continue
            return None, probes  # a probe must never succeed; stop guessing
        if low == high and low < len(statements):
            return (statements[low], statements[low].line), probes
        return None, probes

    # -- rolling back ------------------------------------------------------------------------------
    def rollback(
        self,
        local: LocalMigrations,
        *,
        steps: int | None = None,
        to: str | None = None,
        version: str | None = None,
        force: bool = False,
        record_only: bool = False,
        dry_run: bool = False,
    ) -> RollbackResult:
        """Undo applied migrations, newest first, each in one atomic request; stop at the first failure.

        Each request holds the migration lock, a guard that the version is still recorded (so concurrent
        rollbacks never undo a migration twice), a guard that nothing newer is recorded (unless one
        version is rolled back with ``force``), the down SQL and the deletion of the ledger row. Every
        down SQL is found and parsed before the first request that writes.
        """
        started = time.perf_counter()
        before = self.db.requests
        ledger = self.read_ledger()
        plan = build(local.migrations, ledger)
        selection = select_rollback(plan, steps=steps, to=to, version=version, force=force)
        result = self.rollback_result = RollbackResult(dry_run=dry_run, record_only=record_only,
                                                       warnings=list(selection.warnings))
        alone = version is not None and force
        result.steps = [self._rollback_step(entry, record_only, alone, result.warnings)
                        for entry in selection.entries]
        missing = [s for s in result.steps if s.down is None and not record_only]
        if missing:
            names = ", ".join(f"{s.version} ({s.label})" for s in missing)
            raise Refused(
                f"No down SQL for {names}: nothing was rolled back.",
                hint=DOWN_HINT + " To remove only the ledger row and leave the schema as it is, rerun with "
                "--record-only.")
        if dry_run:
            result.outcomes = [Outcome(s.version, s.name, "would-roll-back") for s in result.steps]
        else:
            try:
                for step in result.steps:
                    if self.should_stop():
                        break
                    result.outcomes.append(self._rollback_one(step))
            finally:
                result.requests = self.db.requests - before
                result.seconds = time.perf_counter() - started
        result.requests = self.db.requests - before
        result.seconds = time.perf_counter() - started
        return result

    def _rollback_step(self, entry: Entry, record_only: bool, alone: bool, warnings: list[str]) -> RollbackStep:
        migration, row = entry.migration, entry.row
        assert row is not None
        label = migration.filename if migration else f"{entry.version}_{entry.name or '?'} (no local file)"
        down: DownSql | None = migration.down if migration else None
        stored = row.rollback or None
        if down is not None and stored and not same_statements(down.texts, stored):
            warnings.append(f"{entry.version}: the down SQL in {down.source} differs from the copy the ledger "
                            "stored when it was applied; using the local one.")
        if down is None and stored:
            down = parse_down("\n;\n".join(stored), origin="ledger", path=None,
                              label=f"the ledger's rollback SQL of {entry.version}")
        if entry.status is Status.CHANGED:
            warnings.append(f"{label} changed after it was applied; its down SQL may not match what was applied.")
        batch = Batch().add(L.lock_sql(self.settings.lock_wait_seconds, self.settings.lock_timeout))
        batch.add(L.guard_present_sql(entry.version))
        if not alone and entry.version.isdigit():
            batch.add(L.guard_no_newer_sql(entry.version))
        if not record_only and down is not None:
            for statement in down.statements:
                batch.add(statement.text, statement)
        batch.add(L.delete_sql(entry.version))
        return RollbackStep(entry.version, entry.name, label, migration, down, record_only, batch)

    def _rollback_one(self, step: RollbackStep) -> Outcome:
        self.notify(Event("start-rollback", version=step.version, name=step.name))
        started = time.perf_counter()
        before = self.db.requests
        status = "record-removed" if step.record_only else "rolled-back"
        try:
            self._send_rollback(step)
        except _NotApplied:
            status = "already-rolled-back"
            self.notify(Event("skipped", "already rolled back by another run", seconds=time.perf_counter() - started,
                              version=step.version, name=step.name))
        except SqlError as exc:
            raise self._rollback_failure(step, exc) from None
        else:
            self.notify(Event("rolled-back", seconds=time.perf_counter() - started, version=step.version,
                              name=step.name))
        return Outcome(step.version, step.name, status, time.perf_counter() - started, self.db.requests - before)

    def _send_rollback(self, step: RollbackStep, attempt: int = 1) -> None:
        try:
            self.db.execute(step.batch.sql)
        except SqlError as exc:
            if exc.sqlstate == L.NOT_APPLIED:
                raise _NotApplied() from None
            if exc.sqlstate == L.NEWER_APPLIED:
                raise Refused(
                    f"Migration {step.version} was not rolled back: {exc.message}.",
                    hint="Another run applied them meanwhile; check with `inv db.check` and roll back again.",
                ) from None
            if exc.sqlstate == L.LOCK_BUSY:
                raise MigrationsTasksError(
                    f"Migration {step.version} was not rolled back: {exc.message}.",
                    hint="Another apply or rollback is running against this database; wait for it and "
                    "run again.") from None
            raise
        except AmbiguousWriteError as exc:
            if not self.committed(step.version):
                self.notify(Event("warning", f"The answer for the rollback of {step.version} was lost "
                                  f"({exc.message}); the ledger shows it committed."))
                return
            if attempt >= MAX_RESENDS:
                raise
            self.notify(Event("warning", f"The answer for the rollback of {step.version} was lost ({exc.message}); "
                              "the ledger shows it did not commit, so it is sent again."))
            self._send_rollback(step, attempt + 1)

    def _rollback_failure(self, step: RollbackStep, error: SqlError) -> RollbackFailed:
        batch = step.batch
        located = batch.locate(error)
        probes = 0
        statements = batch.statements()
        if located is None and len(statements) == 1:
            located = statements[0], statements[0].line
        elif located is None and len(statements) > 1 and error.sqlstate:
            located, probes = self._bisect(batch, error)
        statement, line = located if located else (None, None)
        down = step.down
        where = ""
        if statement is not None and down is not None:
            place = f"{down.path}:{line}" if down.path is not None else down.where(statement)
            where = f" at {place}"
        parts = [f"Rollback of {step.label} failed{where}:"]
        if statement is not None:
            parts.append(f"  {_first_line(statement.text)}")
        parts.extend("  " + line_ for line_ in error.describe().splitlines())
        if error.context:
            parts.append(f"  CONTEXT: {error.context.splitlines()[0]}")
        if probes:
            parts.append(f"  (statement located with {probes} diagnostic requests, all rolled back)")
        return RollbackFailed(
            "\n".join(parts), version=step.version, path=str(down.path) if down and down.path else None,
            line=line, sql_error=error,
            hint=f"Nothing of this rollback was applied: the schema and the ledger row of {step.version} are "
            "unchanged. Fix the down SQL and run db.rollback again.")

    # -- repairing the ledger --------------------------------------------------------------------
    def repair(
        self,
        local: LocalMigrations,
        status: str,
        versions: Sequence[str],
        *,
        dry_run: bool = False,
    ) -> RepairResult:
        """Rewrite ledger rows without running migration SQL (``supabase migration repair``).

        ``applied`` records each version with the name, statements and down SQL of its local file
        (replacing a row that exists); ``reverted`` deletes the rows. One request to read the ledger,
        one (holding the migration lock) to write, plus one to create the ledger when it is missing.
        """
        if status not in ("applied", "reverted"):
            raise ConfigError(f"--status must be 'applied' or 'reverted', not {status!r}.")
        if not versions:
            raise ConfigError("Name at least one version to repair.", hint="inv db.repair --status applied 2025...")
        started = time.perf_counter()
        before = self.db.requests
        ledger = self.read_ledger()
        by_version = local.by_version()
        recorded = ledger.versions()
        result = RepairResult(status=status, dry_run=dry_run)
        unique = list(dict.fromkeys(versions))
        if status == "applied":
            missing = [v for v in unique if v not in by_version]
            if missing:
                raise Refused(f"No local migration file for {', '.join(missing)}: a row marked applied needs "
                              f"the file's name and statements ({local.directory}).",
                              hint="Restore the file, or check the version.")
        columns = dict(ledger.columns) if ledger.exists else dict(L.CLI_COLUMNS)
        batch = Batch().add(L.lock_sql(self.settings.lock_wait_seconds, self.settings.lock_timeout))
        for v in unique:
            if status == "applied":
                m = by_version[v]
                batch.add(L.delete_sql(v))
                batch.add(L.insert_sql(columns, version=v, name=m.name, statements=m.texts,
                                       rollback=m.down.texts if m.down else None,
                                       created_by=self.settings.created_by))
                result.outcomes.append(Outcome(v, m.name, "re-recorded" if v in recorded else "recorded"))
            elif v in recorded:
                batch.add(L.delete_sql(v))
                name = next((r.name or "" for r in ledger.rows if r.version == v), "")
                result.outcomes.append(Outcome(v, name, "removed"))
            else:
                result.outcomes.append(Outcome(v, "", "not-recorded"))
        result.sql = batch.sql
        writes = [o for o in result.outcomes if o.status != "not-recorded"]
        if writes and not dry_run:
            if not ledger.exists:
                self.notify(Event("info", f"Creating the ledger table {L.TABLE} (as the Supabase CLI does)."))
                self.create_ledger()
            for attempt in range(1, MAX_RESENDS + 1):
                try:
                    self.db.execute(batch.sql)
                    break
                except AmbiguousWriteError as exc:
                    if attempt == MAX_RESENDS:
                        raise
                    self.notify(Event("warning", f"The answer to the repair was lost ({exc.message}); sending it "
                                      "again (it sets the rows to the same state, so it is idempotent)."))
        result.requests = self.db.requests - before
        result.seconds = time.perf_counter() - started
        return result



class _AlreadyApplied(Exception):
    """The guard found the version in the ledger."""


class _NotApplied(Exception):
    """The guard found the version no longer in the ledger (another run rolled it back)."""


@dataclass
class RollbackStep:
    """One migration a rollback undoes: its down SQL (None when unknown) and the request that does it."""

    version: str
    name: str
    label: str
    migration: Migration | None
    down: DownSql | None
    record_only: bool
    batch: Batch


@dataclass
class RollbackResult:
    """What a rollback did (or, for a dry run, would do)."""

    dry_run: bool = False
    record_only: bool = False
    steps: list[RollbackStep] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    @property
    def done(self) -> list[Outcome]:
        """Return the migrations this run rolled back (or whose rows it removed)."""
        return [o for o in self.outcomes if o.status in ("rolled-back", "record-removed")]


@dataclass
class RepairResult:
    """What a repair wrote (or, for a dry run, would write)."""

    status: str
    dry_run: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    sql: str = ""
    requests: int = 0
    seconds: float = 0.0
