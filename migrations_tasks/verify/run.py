"""``db.verify``: prove the live database is what the migrations say, and safe.

Four checks (:mod:`.checks`), and the request they need on the live database: **one**, whatever the number
of migrations, scripts and rules (:mod:`.request`: the verify scripts of :mod:`.scripts`, the ledger, the
critical tables, the advisories of :mod:`.lints` and the live catalog of :mod:`.drift`). Nothing is
written, so the request is sent as a read (a transport may retry it).

Drift then applies the local migrations the ledger lists as applied to a throwaway database
(:mod:`.throwaway`, started in the background while the live request runs) over a direct connection that
applies hosted Supabase's rules as the sandbox's API does, and compares catalogs.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .. import catalog
from ..catalog import as_json
from ..config.settings import Settings
from ..engine import Engine
from ..errors import MigrationFailed, MigrationsTasksError, ProtocolError
from ..history import ledger
from ..history.migrations import LocalMigrations
from ..history.status import build
from ..progress import Notify
from ..secret import Secret
from ..transport.database import Database
from . import checks, lints
from .request import decode_findings, decode_ledger, request_sql
from .results import ERROR, FAIL, PASS, SKIPPED, CriticalResult, DriftResult, VerifyResult
from .scripts import decode_scripts, load_scripts
from .throwaway import Throwaway, throwaway_database
from .throwaway import connect as connect_throwaway


def verify(
    db: Database,
    local: LocalMigrations,
    settings: Settings,
    *,
    drift: bool | None = None,
    notify: Notify | None = None,
    waiting: Collection[str] = (),
) -> VerifyResult:
    """Run the four checks: one request on ``db``, plus drift on a throwaway database (``waiting``: see history)."""
    say = notify or (lambda message: None)
    started = time.perf_counter()
    before = db.requests
    result = VerifyResult(target=db.description)
    scripts = load_scripts(settings.verify.verify_dir)
    run_drift, why_not = checks.drift_wanted(settings, drift)
    known = set(lints.RULES)
    for silence in settings.verify.silence:
        if not any(fnmatch.fnmatchcase(rule, silence.rule) for rule in known):
            result.warnings.append(f"migrations.verify.silence: no advisory rule matches {silence.rule!r}.")

    info = Throwaway()
    background: _Background | None = None
    if run_drift:
        admin = settings.drift_db_url.reveal() if settings.drift_db_url else None
        background = _Background(throwaway_database(admin, info))
    try:
        rows = db.execute(request_sql(scripts, settings, catalog=run_drift), write=False)
        result.requests = db.requests - before
        if len(rows) != 1:
            raise ProtocolError(f"db.verify's request returned {len(rows)} rows instead of one.")
        row = rows[0]
        result.server_version = str(row.get("server_version") or "")
        history = decode_ledger(row)
        result.plan = build(local.migrations, history)
        result.scripts = decode_scripts(row.get("scripts"), scripts)
        result.critical = [
            CriticalResult(str(c["table"]), bool(c["exists"]), tuple(c.get("missing") or ()))
            for c in as_json(row.get("critical")) or []
        ]
        result.findings = decode_findings(row.get("findings"), settings.verify.silence)
        if background is not None:
            say("drift: applying the migrations to a throwaway database ...")
            result.drift = _run_drift(background, info, local, history, settings, catalog.Snapshot.from_row(row))
        else:
            result.drift = DriftResult(SKIPPED, message=why_not)
    finally:
        if background is not None:
            background.close()
    result.checks = [
        checks.history(result.plan, waiting),
        checks.expectations(result),
        checks.advisories(result),
        checks.drift(result.drift),
    ]
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
    info: Throwaway,
    local: LocalMigrations,
    history: ledger.Ledger,
    settings: Settings,
    live: catalog.Snapshot,
) -> DriftResult:
    out = DriftResult()
    try:
        url = background.result()
    except MigrationsTasksError as exc:
        return DriftResult(
            ERROR,
            message=" ".join(filter(None, ["could not get a throwaway database:", exc.message, exc.hint])),
            seconds=time.perf_counter() - background.started,
        )
    try:
        out.where = info.where
        applied = history.versions()
        subset = tuple(m for m in local.migrations if m.version in applied)
        remote_only = sorted(applied - {m.version for m in local.migrations})
        if remote_only:
            out.notes.append(
                "remote-only migrations have no file to apply, so their objects show as only in "
                f"the database: {', '.join(remote_only)}"
            )
        secret = Secret(url)
        scratch = connect_throwaway(secret, timeout=settings.request_timeout)
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
            rows = scratch.execute(catalog.request(vs.drift_schemas, vs.drift_ignore_schemas), write=False)
        finally:
            scratch.close()
        out.differences = catalog.compare(catalog.Snapshot.from_row(rows[0]), live)
        out.notes.append("not compared: " + "; ".join(catalog.NOT_COMPARED) + " (docs/drift.md)")
        out.status = FAIL if out.differences else PASS
        return out
    finally:
        out.seconds = time.perf_counter() - background.started
        background.close()
