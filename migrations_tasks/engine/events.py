"""What the engine reports while it works: one :class:`Event` per step, to an :data:`EventSink`."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from ..migrations import Migration


class EventKind(str, enum.Enum):
    """What an event says."""

    START = "start"
    APPLIED = "applied"
    START_ROLLBACK = "start-rollback"
    ROLLED_BACK = "rolled-back"
    SKIPPED = "skipped"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Event:
    """Something the engine reports while it works."""

    kind: EventKind
    message: str = ""
    migration: Migration | None = None
    seconds: float = 0.0
    version: str = ""
    name: str = ""


#: Receives the engine's events (the task layer prints them, the gate says them).
EventSink = Callable[[Event], None]


def ignore(event: Event) -> None:
    """Receive an event and do nothing with it."""
