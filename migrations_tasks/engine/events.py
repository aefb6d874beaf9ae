"""What the engine reports while it works: one :class:`Event` per step, to an :data:`EventSink`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..history.migrations import Migration
from ..wording import TextEnum


class EventKind(TextEnum):
    """What an event says."""

    START, APPLIED = "start", "applied"
    START_ROLLBACK, ROLLED_BACK = "start-rollback", "rolled-back"
    SKIPPED, WARNING, INFO = "skipped", "warning", "info"


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
