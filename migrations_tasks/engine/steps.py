"""Run migrations (or rollback steps) in order, several per request where they can share one.

A request carries up to ``batch_size`` consecutive steps (fewer when ``request_max_bytes`` would be
passed), in the batch form of :mod:`.batch`; a step that must run alone (a migration with statements that
cannot run in a transaction) goes in a request of its own, by :meth:`Flow.one`. How each answer is read:

* success: every step committed; their progress lines are printed as the answer arrives;
* a guard says a step was done by another run (or by an attempt of ours whose answer was lost): the steps
  before it committed; one ledger read tells which later ones are done too; the run goes on after them;
* any other SQL error: the steps before the failing one committed (its position says which one failed,
  else one ledger read does), the failing one is absent, later ones never ran; the error names file,
  statement, line and SQLSTATE as for a request of its own;
* the server refuses the form itself (2D000 and the like, before anything committed): one step per request
  for the rest of the run, said once; but a 2D000 whose first step COMMITs or ROLLs BACK itself (a ``DO``
  block that does, or a ``CALL``: :func:`.batch.ends_transactions`) is that step's failure, as it would be
  in a request of its own, and batching stays on;
* a 408 (the API's per-request time limit): what committed is read from the ledger, the rest is sent in
  requests half as large, down to one step per request, whose own 408 stops the run;
* a 413 (the body is over the API's limit, which ``request_max_bytes`` did not know): nothing ran; the
  steps are sent in requests half as large, down to one step per request, whose own 413 stops the run;
* any other lost answer: the batch is sent again (:mod:`.send`); its guards make that harmless.
"""

from __future__ import annotations

import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass

from ..errors import MigrationsTasksError, QueryTimeoutError, RequestTooLargeError, SqlError
from ..history.ledger import LOCK_BUSY, guarded_version
from ..wording import plural
from .batch import baseline_sql, batch_request, block, refuses_the_form
from .context import Context
from .events import Event, EventKind
from .request import Request
from .results import Outcome
from .send import BUSY_HINT, Write, deliver, ledger_versions

#: What a request tag looks like (for sizes).
TAG_SHAPE = "0" * 32


@dataclass
class Share:
    """One batch's cost, shared by the steps it settled: seconds each, the requests it took.

    The requests are counted once, on the first step the batch settled (:meth:`take`); the others get 0,
    so the steps' counts add up to the requests sent, as in ``db.apply --json``.
    """

    seconds: float
    requests: int
    #: An attempt's answer was lost before the one that came (a guard's refusal means we committed it).
    lost: bool = False
    _taken: bool = False

    def take(self) -> int:
        """Return the batch's requests the first time, then 0."""
        taken, self._taken = self._taken, True
        return 0 if taken else self.requests


class Flow(ABC):
    """What the runner needs to know about the steps it runs: applying, or rolling back."""

    #: "migration", said in progress lines.
    noun: str = "migration"
    #: The guard's SQLSTATE when a step is already done by another run.
    refusal: str = ""

    def __init__(self, ctx: Context, versions: list[str], requests: list[Request]) -> None:
        self.ctx = ctx
        #: The version each step is about, in the order they run.
        self.versions = versions
        #: The request that does each step on its own (lock, guards, statements, ledger row).
        self.requests = requests

    @property
    def count(self) -> int:
        """Return the number of steps."""
        return len(self.versions)

    def version(self, index: int) -> str:
        """Return the version step ``index`` is about."""
        return self.versions[index]

    def request(self, index: int) -> Request:
        """Return the request that does step ``index`` on its own."""
        return self.requests[index]

    def alone(self, index: int) -> bool:
        """Return True when step ``index`` must run in requests of its own."""
        return False

    @abstractmethod
    def one(self, index: int) -> Outcome:
        """Do step ``index`` in a request of its own; return what happened."""

    @abstractmethod
    def done(self, index: int, recorded: set[str]) -> bool:
        """Return whether the ledger (its ``recorded`` versions) shows step ``index`` done."""

    @abstractmethod
    def finished(self, index: int, share: Share) -> Outcome:
        """Report step ``index`` as done by this run; return its outcome."""

    @abstractmethod
    def skipped(self, index: int, share: Share) -> Outcome:
        """Report step ``index`` as done by another run; return its outcome."""

    @abstractmethod
    def failure(self, index: int, error: SqlError, sent: Request) -> MigrationsTasksError:
        """Return the error for step ``index`` failing with ``error`` in the request ``sent``."""

    def busy(self, index: int) -> str:
        """Return what was not done when the migration lock stayed busy: "Migration 3 was not applied"."""
        return f"Migration {self.version(index)} was not done"


def run_steps(ctx: Context, flow: Flow, outcomes: list[Outcome]) -> None:
    """Do every step of ``flow`` in order, batched where possible; stop at a failure or when asked to."""
    index, stalled = 0, False
    while index < flow.count and not ctx.should_stop():
        end = index + 1 if stalled else batch_end(ctx, flow, index)
        if end - index == 1:
            outcomes.append(flow.one(index))
            index, stalled = index + 1, False
            continue
        size = ctx.batching.size
        settled = _batch(ctx, flow, range(index, end), outcomes)
        index += settled
        # a batch that settled nothing without changing how the rest is sent: its first step goes alone
        stalled = settled == 0 and size == ctx.batching.size and not ctx.batching.refused


def batch_end(ctx: Context, flow: Flow, start: int) -> int:
    """Return the end of the batch starting at ``start`` (``start + 1``: that step goes alone)."""
    size = 1 if ctx.batching.refused else ctx.batching.size
    limit = ctx.db.max_request_bytes
    total = ctx.db.request_bytes(baseline_sql(TAG_SHAPE)) if limit is not None else 0
    end = start
    while end < flow.count and end - start < size and not flow.alone(end):
        if limit is not None:
            total += ctx.db.request_bytes(block(flow.request(end)).sql)
            if total > limit:
                break
        end += 1
    return max(end, start + 1)


@dataclass(frozen=True)
class Batch:
    """Consecutive steps of a flow sent in one request: which, the request carrying them, and when it was sent."""

    flow: Flow
    #: The steps' indexes in the flow.
    members: range
    #: Their requests joined in the batch form (:func:`.batch.batch_request`), each part marked with its step.
    request: Request
    #: The request's tag: a settle read waits until no request carrying it is still running.
    tag: str
    #: ``time.perf_counter()`` and the database's request count just before it was sent.
    started: float
    requests_before: int

    @property
    def versions(self) -> list[str]:
        """Return the versions of the steps, in order."""
        return [self.flow.version(i) for i in self.members]

    def share(self, ctx: Context, *, lost: bool) -> Share:
        """Return the batch's cost so far, shared by its steps (``lost``: an attempt's answer was lost)."""
        seconds = (time.perf_counter() - self.started) / len(self.members)
        return Share(seconds, ctx.db.requests - self.requests_before, lost)


def _span(flow: Flow, members: range) -> str:
    """Return how progress lines name a batch: "3 migrations (1 to 3)"."""
    return f"{plural(len(members), flow.noun)} ({flow.version(members[0])} to {flow.version(members[-1])})"


def _batch(ctx: Context, flow: Flow, members: range, outcomes: list[Outcome]) -> int:
    """Send ``members`` in one request; record what it settled; return how many steps that is."""
    span = _span(flow, members)
    tag = uuid.uuid4().hex
    request = batch_request([flow.request(i) for i in members], tag)
    ctx.emit(Event(EventKind.INFO, f"Sending {span} in one request."))
    batch = Batch(flow, members, request, tag, time.perf_counter(), ctx.db.requests)
    try:
        delivery = deliver(ctx, Write(request.sql, f"the request carrying {span}", resendable=True))
    except QueryTimeoutError as exc:
        return _timed_out(ctx, batch, exc, outcomes)
    except RequestTooLargeError:
        ctx.batching.size = max(1, len(members) // 2)
        ctx.emit(
            Event(
                EventKind.WARNING,
                f"The API refused the request carrying {span} as too large (413); nothing ran; sending them "
                f"{ctx.batching.size} per request.",
            )
        )
        return 0
    share = batch.share(ctx, lost=delivery.lost > 0)
    if delivery.error is None:
        outcomes.extend(flow.finished(i, share) for i in members)
        return len(members)
    return _failed(ctx, batch, delivery.error, share, outcomes)


def _failed(ctx: Context, batch: Batch, error: SqlError, share: Share, outcomes: list[Outcome]) -> int:
    """Read a batch's SQL error: record what committed, go on after a guard's refusal, else raise."""
    flow, members, versions = batch.flow, batch.members, batch.versions
    if error.sqlstate == flow.refusal:
        named = guarded_version(error.message)
        first = members.start + versions.index(named) if named in versions else None
        # after a lost answer, the attempt that was lost may still be running: wait for all of it
        recorded = ledger_versions(ctx, versions, wait=share.lost, request=batch.tag)
        return _settle(ctx, batch, recorded, first, share, outcomes)
    part = batch.request.part_at(error)
    if part is not None and part.owner is not None and error.sqlstate != LOCK_BUSY:
        failing = members.start + part.owner
    else:  # the server did not say where (a guard's or a runtime error): the ledger says what committed
        recorded = ledger_versions(ctx, versions, wait=False)
        failing = next((i for i in members if not flow.done(i, recorded)), members.stop)
    outcomes.extend(flow.finished(i, share) for i in range(members.start, failing))
    if failing == members.stop:  # everything committed after all (a deferred failure of nothing of ours)
        return len(members)
    if failing == members.start and refuses_the_form(error, part, flow.request(failing).statements()):
        if not ctx.batching.refused:
            ctx.emit(
                Event(
                    EventKind.WARNING,
                    f"The server refused several {flow.noun}s in one request ({error.sqlstate}: {error.message}); "
                    f"sending one {flow.noun} per request for the rest of this run.",
                )
            )
        ctx.batching.refused = True
        return 0
    if error.sqlstate == LOCK_BUSY:
        raise MigrationsTasksError(f"{flow.busy(failing)}: {error.message}.", hint=BUSY_HINT)
    raise flow.failure(failing, error, batch.request)


def _settle(
    ctx: Context, batch: Batch, recorded: set[str], refused: int | None, share: Share, outcomes: list[Outcome]
) -> int:
    """Record a batch a guard stopped at ``refused``: ours before it, then what the ledger shows done."""
    flow = batch.flow
    settled, theirs = 0, 0
    for index in batch.members:
        if refused is not None and index < refused:
            outcomes.append(flow.finished(index, share))
        elif flow.done(index, recorded):
            outcomes.append(flow.finished(index, share) if share.lost else flow.skipped(index, share))
            theirs += 1
        else:
            break
        settled += 1
    if share.lost and theirs:
        ctx.emit(
            Event(
                EventKind.WARNING,
                f"Sending the request again found {plural(theirs, flow.noun)} already done: the ledger shows "
                "it committed (the attempt whose answer was lost did it).",
            )
        )
    return settled


def _timed_out(ctx: Context, batch: Batch, exc: QueryTimeoutError, outcomes: list[Outcome]) -> int:
    """Settle a batch that timed out through the ledger; send the rest in requests half as large."""
    flow, members = batch.flow, batch.members
    recorded = ledger_versions(ctx, batch.versions, wait=True, request=batch.tag)
    share = batch.share(ctx, lost=True)
    settled = 0
    for index in members:
        if not flow.done(index, recorded):
            break
        outcomes.append(flow.finished(index, share))
        settled += 1
    ctx.batching.size = max(1, len(members) // 2)
    ctx.emit(
        Event(
            EventKind.WARNING,
            f"The request carrying {plural(len(members), flow.noun)} got no answer ({exc.message}); the ledger "
            f"shows {settled} committed; sending the rest {ctx.batching.size} per request.",
        )
    )
    return settled
