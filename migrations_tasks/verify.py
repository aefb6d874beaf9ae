"""``db.verify``: prove the live database is what the migrations say, and safe.

Four checks, and the request they need on the live database: **one**, whatever the number of
migrations, scripts and rules. That request holds

* one ``DO`` block per verify script (``supabase/verify/*.sql``): its statements run with ``EXECUTE`` in a
  sub-transaction that always ends by raising, so everything they did is rolled back; the outcome (passed,
  or the failing statement's number, SQLSTATE, message, DETAIL and HINT) is kept in a transaction-local
  setting;
* one ``DO`` block that copies the ledger's rows into another such setting (the table may not exist);
* a final ``SELECT`` returning one row of JSON: the ledger's columns and rows, the advisories
  (:mod:`migrations_tasks.lints`), the critical tables' check, the scripts' outcomes and, for drift, the live
  catalog (:mod:`migrations_tasks.drift`). It is the last statement, so the Management API returns its row.

Nothing is written: the scripts' sub-transactions are rolled back and the settings vanish when the request's
transaction ends. So the request is sent as a read (a transport may retry it).

Drift then applies the local migrations the ledger lists as applied to a throwaway database (started in
the background while the live request runs) over a direct connection, and compares catalogs.
"""

from __future__ import annotations

import fnmatch
import json
import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import drift as D
from . import ledger as L
from . import lints
from .database import Database
from .errors import MigrationFailed, MigrationFileError, MigrationsTasksError, ProtocolError, SqlSyntaxError
from .migrations import LocalMigrations, Statement, combine, read_text
from .plan import Plan, build
from .report import plural
from .settings import CriticalTable, Secret, Settings, Silence
from .sql import LineIndex, SyntaxProblem, quote_literal, split

PASS, FAIL, ERROR, SKIPPED = "pass", "fail", "error", "skipped"
CHECKS = ("history", "expectations", "advisories", "drift")
_SETTING = "migrations_tasks"


# -- verify scripts --------------------------------------------------------------------------------
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
            index = LineIndex(text)
            try:
                pieces = split(text)
            except SyntaxProblem as problem:
                line, col = index.position(problem.offset)
                raise SqlSyntaxError(f"{path}:{line}:{col}: {problem.message}", path=str(path), line=line,
                                     column=col, hint="Fix the verify script; nothing was sent.") from None
            statements = []
            for piece in pieces:
                line, col = index.position(piece.start)
                if piece.transaction_control or piece.no_transaction:
                    what = piece.transaction_control or piece.no_transaction
                    raise MigrationFileError(
                        f"{path}:{line}:{col}: {what} in a verify script: scripts run inside a transaction "
                        "that is always rolled back.", path=str(path), line=line, column=col,
                        hint="Remove it; a verify script only reads, or raises when an expectation fails.")
                statements.append(Statement(text[piece.start : piece.end], line, col))
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
    return "\n".join([
        f"DO {tag}",
        "DECLARE n int := 0; st text; msg text; det text; hnt text;",
        "BEGIN",
        "  BEGIN",
        *bodies,
        f"      RAISE EXCEPTION 'verify script passed' USING ERRCODE = '{L.PROBE_DONE}';",
        "  EXCEPTION WHEN OTHERS THEN",
        "    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,",
        "      hnt = PG_EXCEPTION_HINT;",
        f"    PERFORM set_config('{_SETTING}.verify_{number}', json_build_object('statement', n, 'sqlstate', st,",
        "      'message', msg, 'detail', nullif(det, ''), 'hint', nullif(hnt, ''))::text, true);",
        "  END;",
        f"END {tag}",
    ])


LEDGER_ROWS_SQL = f"""DO $mt_ledger$
DECLARE v text;
BEGIN
  IF to_regclass('{L.TABLE}') IS NOT NULL THEN
    EXECUTE 'SELECT coalesce(json_agg(to_jsonb(m)), ''[]'')::text FROM {L.TABLE} m' INTO v;
    PERFORM set_config('{_SETTING}.ledger', v, true);
  END IF;
END $mt_ledger$"""


def critical_sql(tables: Sequence[CriticalTable]) -> str:
    """Return an expression: the JSON array of critical tables with whether they exist and missing columns."""
    if not tables:
        return "'[]'::json"
    values = ", ".join(f"({quote_literal(t.name)}, {lints.text_array(t.columns)})" for t in tables)
    return f"""(SELECT json_agg(json_build_object('table', t.name, 'exists', to_regclass(t.name) IS NOT NULL,
   'missing', (SELECT coalesce(json_agg(u.col ORDER BY u.ord), '[]') FROM unnest(t.cols) WITH ORDINALITY u(col, ord)
               WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = to_regclass(t.name)
                                 AND a.attname = u.col AND a.attnum > 0 AND NOT a.attisdropped))) ORDER BY t.o)
  FROM (SELECT v.*, row_number() OVER () AS o FROM (VALUES {values}) v(name, cols)) t)"""


def request_sql(scripts: Sequence[VerifyScript], settings: Settings, *, catalog: bool) -> str:
    """Return verify's one request on the live database (see the module docstring)."""
    vs = settings.verify
    parts = [script_sql(i, s) for i, s in enumerate(scripts, 1)]
    parts.append(LEDGER_ROWS_SQL)
    outcomes = ", ".join(f"current_setting('{_SETTING}.verify_{i}', true)" for i in range(1, len(scripts) + 1))
    snapshot = D.snapshot_sql(vs.drift_schemas, vs.drift_ignore_schemas) if catalog else "NULL::json"
    parts.append(f"""SELECT
  current_setting('server_version') AS server_version,
  {L.COLUMNS_SQL} AS ledger_columns,
  current_setting('{_SETTING}.ledger', true) AS ledger_rows,
  to_json(ARRAY[{outcomes}]::text[]) AS scripts,
  {critical_sql(vs.critical_tables)} AS critical,
  {lints.findings_sql(vs.exposed_schemas)} AS findings,
  {snapshot} AS catalog""")
    return ";\n".join(parts) + ";"


# -- results ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScriptResult:
    """How one verify script went."""

    path: Path
    passed: bool
    statement: Statement | None = None
    sqlstate: str | None = None
    message: str = ""
    detail: str | None = None
    hint: str | None = None

    @property
    def where(self) -> str:
        """Return ``path:line`` of the failing statement (the path when none)."""
        return f"{self.path}:{self.statement.line}" if self.statement else str(self.path)


@dataclass(frozen=True)
class CriticalResult:
    """Whether a critical table exists with its columns."""

    table: str
    exists: bool
    missing: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Return True when the table and every listed column exist."""
        return self.exists and not self.missing


@dataclass(frozen=True)
class Finding:
    """One advisory finding; ``silenced`` holds the configured reason when the team accepted it."""

    rule: str
    level: str
    object: str
    relation: str
    detail: str
    remedy: str
    title: str = ""
    silenced: str | None = None


@dataclass
class DriftResult:
    """What the drift check found."""

    status: str = SKIPPED
    differences: list[D.Difference] = field(default_factory=list)
    migrations_applied: int = 0
    seconds: float = 0.0
    where: str = ""
    message: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckOutcome:
    """One check's verdict and a one-line summary."""

    name: str
    status: str
    summary: str


@dataclass
class VerifyResult:
    """Everything ``db.verify`` learned."""

    target: str
    plan: Plan | None = None
    scripts: list[ScriptResult] = field(default_factory=list)
    critical: list[CriticalResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    drift: DriftResult = field(default_factory=DriftResult)
    checks: list[CheckOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    server_version: str = ""

    @property
    def exit_code(self) -> int:
        """Return 1 when a check failed, else 3 when one could not run, else 0."""
        statuses = {c.status for c in self.checks}
        if FAIL in statuses:
            return 1
        if ERROR in statuses:
            return 3
        return 0

    @property
    def active_findings(self) -> list[Finding]:
        """Return the findings that were not silenced."""
        return [f for f in self.findings if f.silenced is None]


# -- decoding --------------------------------------------------------------------------------------
def _json(value: Any) -> Any:
    if isinstance(value, str):
        return json.loads(value) if value else None
    return value


def decode_scripts(raw: Any, scripts: Sequence[VerifyScript]) -> list[ScriptResult]:
    """Turn the scripts' recorded outcomes into results."""
    values = _json(raw) or []
    out = []
    for script, value in zip(scripts, list(values) + [None] * (len(scripts) - len(values))):
        outcome = _json(value) if value else None
        if not outcome:
            out.append(ScriptResult(script.path, False, message="the script did not report an outcome"))
            continue
        if outcome.get("sqlstate") == L.PROBE_DONE:
            out.append(ScriptResult(script.path, True))
            continue
        number = int(outcome.get("statement") or 0)
        statement = script.statements[number - 1] if 0 < number <= len(script.statements) else None
        out.append(ScriptResult(script.path, False, statement, outcome.get("sqlstate"),
                                str(outcome.get("message") or ""), outcome.get("detail"), outcome.get("hint")))
    return out


def silence_for(finding_rule: str, object_name: str, relation: str, silences: Sequence[Silence]) -> Silence | None:
    """Return the first configured silence that matches a finding's rule and object (globs allowed)."""
    for silence in silences:
        if not fnmatch.fnmatchcase(finding_rule, silence.rule):
            continue
        if fnmatch.fnmatchcase(object_name, silence.object) or fnmatch.fnmatchcase(relation, silence.object):
            return silence
    return None


def decode_findings(raw: Any, silences: Sequence[Silence]) -> list[Finding]:
    """Attach level, title, remedy and silencing to the raw findings; errors first."""
    out = []
    for item in _json(raw) or []:
        rule = lints.RULES.get(str(item.get("rule")))
        if rule is None:
            continue
        silence = silence_for(rule.name, str(item["object"]), str(item["relation"]), silences)
        out.append(Finding(rule.name, rule.level, str(item["object"]), str(item["relation"]),
                           str(item.get("detail") or ""), rule.remedy, rule.title,
                           silence.reason if silence else None))
    out.sort(key=lambda f: (lints.LEVELS.index(f.level), f.rule, f.object))
    return out


# -- the checks --------------------------------------------------------------------------------------
def _history(plan: Plan) -> CheckOutcome:
    conflicts, pending = plan.conflicts, plan.pending
    applied = [e for e in plan.entries if e.status.value == "applied"]
    if not conflicts and not pending:
        return CheckOutcome("history", PASS, f"{len(applied)} migrations applied, none pending or conflicting")
    parts = []
    for status in ("pending", "out-of-order", "remote-only", "changed"):
        versions = [e.version for e in plan.entries if e.status.value == status]
        if versions:
            parts.append(f"{len(versions)} {status} ({', '.join(versions[:5])}{', ...' if len(versions) > 5 else ''})")
    return CheckOutcome("history", FAIL, "; ".join(parts))


def _expectations(result: VerifyResult) -> CheckOutcome:
    if not result.scripts and not result.critical:
        return CheckOutcome("expectations", SKIPPED, "no verify scripts and no critical tables configured")
    failed = [s for s in result.scripts if not s.passed]
    missing = [c for c in result.critical if not c.ok]
    parts = []
    if result.scripts:
        parts.append(f"{len(result.scripts) - len(failed)} of {len(result.scripts)} verify scripts passed")
    if result.critical:
        parts.append(f"{len(result.critical) - len(missing)} of {len(result.critical)} critical tables complete")
    summary = "; ".join(parts)
    return CheckOutcome("expectations", FAIL if failed or missing else PASS, summary)


def _advisories(result: VerifyResult) -> CheckOutcome:
    active = result.active_findings
    counts = {level: sum(1 for f in active if f.level == level) for level in lints.LEVELS}
    silenced = len(result.findings) - len(active)
    summary = (f"{plural(counts['error'], 'error')}, {plural(counts['warn'], 'warning')}, {counts['info']} info"
               + (f" ({silenced} silenced)" if silenced else "") + f"; {len(lints.RULES)} rules")
    return CheckOutcome("advisories", FAIL if counts["error"] else PASS, summary)


def _drift(result: DriftResult) -> CheckOutcome:
    if result.status == SKIPPED:
        return CheckOutcome("drift", SKIPPED, result.message)
    if result.status == ERROR:
        return CheckOutcome("drift", ERROR, result.message)
    if result.message:
        return CheckOutcome("drift", result.status, result.message)
    count = len(result.differences)
    head = "no differences" if not count else f"{count} difference{'s' if count != 1 else ''}"
    return CheckOutcome("drift", FAIL if count else PASS,
                        f"{head} ({result.migrations_applied} migrations applied to {result.where} "
                        f"in {result.seconds:.1f}s)")


def drift_wanted(settings: Settings, flag: bool | None) -> tuple[bool, str]:
    """Return whether to run the drift check, and why not when not."""
    mode = settings.verify.drift
    if flag is False:
        return False, "skipped (--no-drift)"
    if mode == "off" and flag is None:
        return False, "skipped (migrations.verify.drift is off)"
    if settings.drift_db_url is None and not D.sandbox_available() and mode == "auto" and flag is None:
        return False, "skipped: the sandbox extra is not installed (pip install 'migrations-tasks[sandbox]')"
    return True, ""


Notify = Callable[[str], None]


def verify(
    db: Database,
    local: LocalMigrations,
    settings: Settings,
    *,
    drift: bool | None = None,
    notify: Notify | None = None,
) -> VerifyResult:
    """Run the four checks: one request on ``db``, plus the drift check on a throwaway database."""
    say = notify or (lambda message: None)
    started = time.perf_counter()
    before = db.requests
    result = VerifyResult(target=db.description)
    scripts = load_scripts(settings.verify.verify_dir)
    run_drift, why_not = drift_wanted(settings, drift)
    known = set(lints.RULES)
    for silence in settings.verify.silence:
        if not any(fnmatch.fnmatchcase(rule, silence.rule) for rule in known):
            result.warnings.append(f"migrations.verify.silence: no advisory rule matches {silence.rule!r}.")

    info = D.Throwaway()
    background: _Background | None = None
    if run_drift:
        admin = settings.drift_db_url.reveal() if settings.drift_db_url else None
        background = _Background(D.throwaway_database(admin, info))
    try:
        rows = db.execute(request_sql(scripts, settings, catalog=run_drift), write=False)
        result.requests = db.requests - before
        if len(rows) != 1:
            raise ProtocolError(f"db.verify's request returned {len(rows)} rows instead of one.")
        row = rows[0]
        result.server_version = str(row.get("server_version") or "")
        ledger = L.decode([{"columns": _json(row.get("ledger_columns")) or [],
                            "rows": _json(row.get("ledger_rows")) or []}])
        result.plan = build(local.migrations, ledger)
        result.scripts = decode_scripts(row.get("scripts"), scripts)
        result.critical = [CriticalResult(str(c["table"]), bool(c["exists"]), tuple(c.get("missing") or ()))
                           for c in _json(row.get("critical")) or []]
        result.findings = decode_findings(row.get("findings"), settings.verify.silence)
        if background is not None:
            say("drift: applying the migrations to a throwaway database ...")
            result.drift = _run_drift(background, info, local, ledger, settings, _json(row.get("catalog")))
        else:
            result.drift = DriftResult(SKIPPED, message=why_not)
    finally:
        if background is not None:
            background.close()
    result.checks = [_history(result.plan), _expectations(result), _advisories(result), _drift(result.drift)]
    result.requests = db.requests - before
    result.seconds = time.perf_counter() - started
    return result


class _Background:
    """Enter a context manager in a worker thread (while the live request runs); exit it once, here."""

    def __init__(self, manager: Any) -> None:
        self.manager = manager
        self.started = time.perf_counter()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="mt-drift")
        self._future = self._pool.submit(manager.__enter__)
        self._closed = False

    def result(self) -> str:
        """Wait for the context manager's value (re-raising what entering it raised)."""
        return str(self._future.result())

    def close(self) -> None:
        """Wait for entering to finish, then exit the context manager if it was entered."""
        if self._closed:
            return
        self._closed = True
        self._pool.shutdown(wait=True)
        if self._future.exception() is None:
            self.manager.__exit__(None, None, None)


def _run_drift(
    background: _Background,
    info: D.Throwaway,
    local: LocalMigrations,
    ledger: L.Ledger,
    settings: Settings,
    live_catalog: Any,
) -> DriftResult:
    from .engine import Engine
    from .postgres import PostgresDatabase

    out = DriftResult()
    try:
        url = background.result()
    except MigrationsTasksError as exc:
        return DriftResult(ERROR, message=f"could not get a throwaway database: {exc.message}",
                           seconds=time.perf_counter() - background.started)
    try:
        out.where = info.where
        applied = ledger.versions()
        subset = tuple(m for m in local.migrations if m.version in applied)
        remote_only = sorted(applied - {m.version for m in local.migrations})
        if remote_only:
            out.notes.append("remote-only migrations have no file to apply, so their objects show as only in "
                             f"the database: {', '.join(remote_only)}")
        secret = Secret(url)
        scratch = PostgresDatabase(secret, timeout=settings.request_timeout)
        try:
            engine = Engine(scratch, settings.with_overrides(transport="postgres", db_url=secret))
            try:
                engine.apply(LocalMigrations(local.directory, subset), include_all=True)
            except MigrationFailed as exc:
                out.status = FAIL
                out.message = f"the migrations do not apply to a fresh database: {exc.version} failed"
                out.notes.append(exc.message)
                return out
            out.migrations_applied = len(subset)
            vs = settings.verify
            rows = scratch.execute(f"SELECT {D.snapshot_sql(vs.drift_schemas, vs.drift_ignore_schemas)} AS catalog",
                                   write=False)
        finally:
            scratch.close()
        expected = D.normalise(_json(rows[0]["catalog"]))
        actual = D.normalise(live_catalog or {})
        out.differences = D.diff(expected, actual)
        out.status = FAIL if out.differences else PASS
        return out
    finally:
        out.seconds = time.perf_counter() - background.started
        background.close()
