"""Check, apply, roll back and repair migrations through the :class:`~migrations_tasks.transport.database.Database`
protocol.

Modules: ``engine`` (the :class:`Engine` facade), ``apply``, ``rollback``, ``repair``, ``steps`` (run
migrations or rollback steps in order, several per request), ``batch`` (the SQL form of such a request),
``send`` (the one path every write takes: send, and settle a lost answer through the ledger), ``failures``
(name the failing statement), ``request`` (the SQL of one request), ``context``, ``events`` and ``results``.
"""

from __future__ import annotations

from .engine import Engine
from .events import Event, EventKind, EventSink
from .results import ApplyResult, Outcome, OutcomeStatus, RepairResult, RollbackResult, RollbackStep

__all__ = [
    "ApplyResult",
    "Engine",
    "Event",
    "EventKind",
    "EventSink",
    "Outcome",
    "OutcomeStatus",
    "RepairResult",
    "RollbackResult",
    "RollbackStep",
]
