"""The release gate: check -> (lint + plan, apply) -> verify -> deploy -> health, undoing exactly what this run did.

Plain functions with a typed :class:`~.record.RunRecord`, so teams can call them from their own tasks::

    record = gate.run(c, settings, deploy_config, env="staging", policy=MigrationsPolicy.BLOCK)

Rollback is try/except style, because Invoke's post-tasks do not run after a failure:

* verify or the deploy fails after this run applied migrations -> those migrations are rolled back,
  newest first, as far as they have down SQL; the rest are named as "could not be undone";
* the deploy's health check fails after the switch -> the deploy itself switches every host back
  (:mod:`migrations_tasks.deploy`); this run's migrations are rolled back as above only when the
  environment's ``undo_after_switch`` says so (the release served traffic and may have written rows);
* the failed release may still be live on some host (``RollbackIncomplete``, exit 4) -> this run's
  migrations are never undone: that release's code may use them.

``should_stop`` (SIGINT / SIGTERM, from the task) stops the run between steps, at a migration boundary
inside ``db.apply``, and at the deploy's safe points; what this run did is then undone as above (the
status is ``stopped``, the exit code 128 + the signal). Once switching has begun the command in flight
completes, then the deploy switches every host back unless health had passed (or none is configured), and
the run still ends ``stopped`` with 128 + the signal. A KeyboardInterrupt (a second signal) aborts: nothing
more is undone, and the record keeps what the deploy left live (its ``deploy_result``).

The record (steps with results and times, applied versions, the release, what was undone or kept) is
written as JSON to ``<record_dir>/<env>-<UTC timestamp>.json`` and summarised (:mod:`.record`), also when
the run is aborted.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..config.settings import Settings
from ..config.targets import FleetOptions
from ..errors import (
    EXIT_CANNOT_RUN,
    EXIT_CONFLICT,
    EXIT_FAILED,
    EXIT_OK,
    Interrupted,
    MigrationsTasksError,
    RollbackIncomplete,
)
from ..history.status import Entry
from ..progress import Notify, ShouldStop, never
from ..transport.connect import connect
from . import compat
from .fleet import FleetGateRun
from .options import (
    CONTRACT_POLICIES,
    MIGRATIONS_POLICIES,
    PLAN_POLICIES,
    ContractPolicy,
    MigrationsPolicy,
    PlanPolicy,
)
from .record import RunRecord, RunStatus, Step, StepStatus, finish, left_waiting, now
from .steps import DeployFunction, GateRun

if TYPE_CHECKING:  # the deploy modules load when the deploy step runs
    from invoke.context import Context

    from ..deploy.config import DeployConfig


def keep_reason(
    record: RunRecord, exc: MigrationsTasksError, *, env: str, undo_after_switch: bool, phased: bool = False
) -> str | None:
    """Return why this run's migrations must stay applied after ``exc``, or None to undo them."""
    if not record.applied:
        return None
    versions = ", ".join(reversed(record.applied))
    if phased and record.release_live_on and not isinstance(exc, RollbackIncomplete):
        if not record.release_rolled_back:
            return f"the release {record.release} is live and healthy and runs on {versions}; nothing was undone."
        return (
            f"they are expand and data migrations ({versions}): the previous release, live again, runs on them, and "
            f"undoing them would drop what {record.release} wrote; nothing was undone, nothing lost."
        )
    if isinstance(exc, RollbackIncomplete):
        hosts = ", ".join(record.release_still_live_on) or "some host"
        return (
            f"the failed release {record.release} may still be live on {hosts}, and its code may use {versions}; "
            "undo them by hand (inv db.rollback) once no host runs it (inv deploy.status)."
        )
    if record.release_live_on and not undo_after_switch:
        return (
            f"{record.release} went live on {', '.join(record.release_live_on)} before it was switched back and "
            f"may have written rows that the down SQL would drop; release.environments.{env}."
            f"undo_migrations_after_switch is off. Undo them by hand if you must: inv db.rollback --steps "
            f"{len(record.applied)}."
        )
    return None


def run(
    c: Context,
    settings: Settings,
    deploy_config: DeployConfig | None,
    *,
    env: str,
    policy: MigrationsPolicy = MigrationsPolicy.BLOCK,
    plan_policy: PlanPolicy = PlanPolicy.OFF,
    record_dir: Path = Path(".release"),
    say: Notify = print,
    deploy_fn: DeployFunction | None = None,
    should_stop: ShouldStop = never,
    undo_after_switch: bool = False,
    targets: Sequence[Settings] = (),
    fleet: FleetOptions | None = None,
    contract: ContractPolicy | str = ContractPolicy.AFTER_HEALTH,
) -> RunRecord:
    """Run the whole flow; return the record (its ``exit_code`` says how it ended), written whatever happens.

    ``policy``, ``plan_policy``, ``contract``: enums, or their words. ``undo_after_switch``: undo this run's
    migrations also after a failed deploy whose release went live (``contract: before-switch`` only: a phased
    release keeps its expand migrations). ``targets``: run the migrations steps on each of them (a fleet,
    :mod:`.fleet`: ``fleet`` says how many at once, the canary, on-error) instead of ``settings``'s."""
    if policy not in MIGRATIONS_POLICIES:
        raise MigrationsTasksError(f"Unknown migrations policy {policy!r}: use 'block' or 'apply'.")
    if plan_policy not in PLAN_POLICIES:
        raise MigrationsTasksError(f"Unknown plan policy {plan_policy!r}: use 'block', 'strict', 'warn' or 'off'.")
    if contract not in CONTRACT_POLICIES:
        raise MigrationsTasksError(f"Unknown contract policy {contract!r}: use {', '.join(CONTRACT_POLICIES)}.")
    policy, plan_policy = MigrationsPolicy(policy), PlanPolicy(plan_policy)
    record = RunRecord(env=env, policy=policy, started_at=now(), contract=ContractPolicy(contract).value)
    first = targets[0] if targets else settings
    db = connect(first.target, first, on_wait=say)
    try:
        gate = (
            FleetGateRun(record, say, list(targets), fleet or FleetOptions(), db, should_stop)
            if targets
            else GateRun(record, say, settings, db, should_stop)
        )
        try:
            return _steps(gate, c, deploy_config, deploy_fn, record_dir, plan_policy)
        except MigrationsTasksError as exc:
            return _failed(gate, exc, record_dir, undo_after_switch=undo_after_switch)
    finally:
        db.close()
        if not record.finished_at:
            _abandoned(record, record_dir, sys.exc_info()[1], should_stop)


def _steps(
    gate: GateRun,
    c: Context,
    deploy_config: DeployConfig | None,
    deploy_fn: DeployFunction | None,
    record_dir: Path,
    plan_policy: PlanPolicy,
) -> RunRecord:
    """Check, lint + plan, apply (or block), verify and deploy; stop between steps when asked to."""
    record = gate.record
    conflicts, pending = gate.check()
    if conflicts:
        return finish(
            record,
            record_dir,
            RunStatus.FAILED,
            EXIT_CONFLICT,
            "History conflict: " + ", ".join(f"{e.version} {e.status.value}" for e in conflicts),
        )
    if pending and record.policy is MigrationsPolicy.BLOCK:
        record.steps.append(
            Step("db.apply", StepStatus.BLOCKED, 0.0, "pending: " + ", ".join(e.version for e in pending))
        )
        return finish(
            record,
            record_dir,
            RunStatus.BLOCKED,
            EXIT_FAILED,
            f"{len(pending)} pending migration(s) block the release; apply them first or run with --apply-migrations.",
        )
    gate.stop_point("after db.check")
    if pending and plan_policy is not PlanPolicy.OFF:
        gate.preflight(plan_policy)
        gate.stop_point("after db.lint + db.plan")
    contract = ContractPolicy(record.contract)
    _expand_phase(gate, pending, contract, record_dir)
    gate.verify()
    if contract is not ContractPolicy.BEFORE_SWITCH and record.before_switch and deploy_config is not None:
        compat.check(gate, record_dir, record.waiting)
    gate.stop_point("after db.verify, before the deploy")
    if deploy_config is None:
        record.steps.append(Step("deploy.vps", StepStatus.SKIPPED, 0.0, "no deploy section for this environment"))
    else:
        gate.deploy(c, deploy_config, deploy_fn)
    _contract_phase(gate, contract)
    signum = gate.should_stop()
    if signum:  # it came after the switch had begun, and the deploy completed: an orderly stop all the same
        _note_signal(record, signum)
        where = ", ".join(record.release_live_on) or "no host"
        late = f"after the switch had begun: the release {record.release} was completed (live on {where})"
        return finish(
            record, record_dir, RunStatus.STOPPED, 128 + signum, f"{record.signal} asked the run to stop {late}"
        )
    return finish(record, record_dir, RunStatus.OK, EXIT_OK, None)


def _expand_phase(gate: GateRun, pending: list[Entry], contract: ContractPolicy, record_dir: Path) -> None:
    """Apply what goes before the switch: expand and data migrations (every one under ``before-switch``)."""
    record = gate.record
    if not pending:
        record.steps.append(Step("db.apply", StepStatus.SKIPPED, 0.0, "nothing pending"))
        return
    gate.classify(pending)
    carry = contract is ContractPolicy.NEXT_RELEASE
    carried = left_waiting(record_dir, record.env) if carry else []
    phase = "all" if contract is ContractPolicy.BEFORE_SWITCH else "expand"
    record.waiting = gate.apply(phase, carry=carry, carried=carried)
    record.before_switch = list(record.applied)


def _contract_phase(gate: GateRun, contract: ContractPolicy) -> None:
    """Apply the waiting contract migrations once the release is healthy, or say they wait for the next one."""
    record = gate.record
    if not record.waiting:
        return
    if contract is ContractPolicy.NEXT_RELEASE:
        record.waiting_reason = "contract: next-release; the next release applies them before its switch"
        return
    before = len(record.applied)
    try:
        gate.apply("contract", name="db.apply (contract, after health)")
    finally:
        record.after_health = record.applied[before:]
        record.waiting = [v for v in record.waiting if v not in record.after_health]


def _note_signal(record: RunRecord, signum: int) -> None:
    if signum:
        record.signal = signal.Signals(signum).name


def _failed(gate: GateRun, exc: MigrationsTasksError, record_dir: Path, *, undo_after_switch: bool) -> RunRecord:
    """Undo this run as far as allowed after ``exc``, and close the record."""
    record = gate.record
    record.error = exc.message
    phased = record.contract != ContractPolicy.BEFORE_SWITCH
    reason = keep_reason(record, exc, env=record.env, undo_after_switch=undo_after_switch, phased=phased)
    if record.waiting and not record.waiting_reason:
        record.waiting_reason = (
            "never applied: the release did not complete; the next run applies them after its health check"
            if not record.after_health
            else "not applied: the contract phase failed; fix it and run again"
        )
    if reason is None:
        gate.undo()
    else:
        gate.keep(reason)
    signum = gate.should_stop()
    _note_signal(record, signum)
    if signum and not isinstance(exc, RollbackIncomplete):  # exit 4 (check the hosts) outranks a stop
        if not isinstance(exc, Interrupted):
            record.error = f"{exc.message} (while stopping for {record.signal})"
        return finish(record, record_dir, RunStatus.STOPPED, 128 + signum, record.error)
    undone = record.applied and not record.not_undone and not record.kept
    return finish(record, record_dir, RunStatus.ROLLED_BACK if undone else RunStatus.FAILED, exc.exit_code, exc.message)


def _abandoned(record: RunRecord, record_dir: Path, exc: BaseException | None, should_stop: ShouldStop) -> None:
    """Write the record of a run that ended without a verdict: a second signal, a load error, a bug."""
    if isinstance(exc, MigrationsTasksError):
        finish(record, record_dir, RunStatus.FAILED, exc.exit_code, exc.message)
        return
    signum = should_stop()
    _note_signal(record, signum)
    record.kept = [v for v in reversed(record.applied) if v not in record.rolled_back_migrations]
    if record.kept:
        record.kept_reason = (
            "the run was aborted; nothing more was undone (inv db.check and inv deploy.status show where things are)."
        )
    if isinstance(exc, KeyboardInterrupt):
        aborted_by = int(getattr(exc, "signal_number", 0)) or signum or signal.SIGINT  # tasks' SignalAbort
        error = f"Aborted by {signal.Signals(aborted_by).name} (a second signal)."
        finish(record, record_dir, RunStatus.ABORTED, 128 + aborted_by, error)
        return
    finish(record, record_dir, RunStatus.ABORTED, EXIT_CANNOT_RUN, f"Aborted by an unexpected {type(exc).__name__}.")
