"""What a deploy, a rollback or a status probe did, per host: typed values for tasks and release flows.

A release flow (``inv release``) calls :func:`migrations_tasks.deploy.deploy` and reads a
:class:`DeployResult`: which release, on which hosts, whether it was rolled back, and the health result.
A failed deploy raises :class:`~migrations_tasks.errors.DeployFailed` whose ``result`` is the same value.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .health import HealthResult


class _Word(str, enum.Enum):
    """A status word: equal to its text, printed as its text (in f-strings and tables too)."""

    def __str__(self) -> str:
        return str(self.value)


class HostStatus(_Word):
    """What happened on one host (``HostOutcome.status``)."""

    DEPLOYED = "deployed"  # the new release is live
    ROLLED_BACK = "rolled-back"  # it was switched to, then switched back to the previous release
    NOT_SWITCHED = "not-switched"  # the live release never changed on this host
    FAILED_LIVE = "failed-live"  # the failed release is still live: no previous release, or rollback failed
    PLANNED = "dry-run"  # nothing ran
    UNCHANGED = "unchanged"  # (rollback) the target was already live


class DeployStatus(_Word):
    """How a whole deploy or rollback ended (``DeployResult.status``, ``RollbackResult.status``)."""

    DEPLOYED = "deployed"
    FAILED = "failed"  # nothing switched anywhere
    ROLLED_BACK = "rolled-back"  # every host is back on its previous release
    ROLLBACK_FAILED = "rollback-failed"  # some host may be serving the failed release
    DRY_RUN = "dry-run"


@dataclass(frozen=True)
class HostOutcome:
    """What happened on one host."""

    host: str
    status: HostStatus
    #: The release this run deployed (or, for a rollback, switched to).
    release: str | None
    #: What was live before this run.
    previous: str | None = None
    #: What is live now, as far as this run knows.
    live: str | None = None
    transfer: str | None = None
    pruned: tuple[str, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "status": self.status.value,
            "release": self.release,
            "previous": self.previous,
            "live": self.live,
            "transfer": self.transfer,
            "pruned": list(self.pruned),
            "error": self.error,
        }


@dataclass(frozen=True)
class DeployResult:
    """The outcome of ``deploy``: the release, per-host outcomes, health, and whether it was rolled back."""

    release: str
    status: DeployStatus
    hosts: tuple[HostOutcome, ...]
    health: HealthResult | None = None
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Return whether the release is live and healthy everywhere (or a dry run went through)."""
        return self.status in (DeployStatus.DEPLOYED, DeployStatus.DRY_RUN)

    @property
    def rolled_back(self) -> bool:
        """Return whether an automatic rollback happened on some host."""
        return any(h.status == HostStatus.ROLLED_BACK for h in self.hosts)

    @property
    def deployed_to(self) -> tuple[str, ...]:
        """Return the hosts where the release is live."""
        return tuple(h.host for h in self.hosts if h.status == HostStatus.DEPLOYED)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": "deploy",
            "status": self.status.value,
            "release": self.release,
            "rolled_back": self.rolled_back,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "hosts": [h.to_dict() for h in self.hosts],
            "health": self.health.to_dict() if self.health else None,
        }


@dataclass(frozen=True)
class RollbackResult:
    """The outcome of ``rollback``: per host, the release switched to and the one left (marked failed)."""

    status: DeployStatus
    hosts: tuple[HostOutcome, ...]
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in (DeployStatus.ROLLED_BACK, DeployStatus.DRY_RUN)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": "rollback",
            "status": self.status.value,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "hosts": [h.to_dict() for h in self.hosts],
        }


@dataclass(frozen=True)
class HostReport:
    """A host's releases as ``deploy.status`` shows them."""

    host: str
    exists: bool
    current: str | None
    releases: tuple[tuple[str, str], ...] = ()
    lock_holder: Mapping[str, str] | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "exists": self.exists,
            "current": self.current,
            "releases": [{"release": r, "state": s} for r, s in self.releases],
            "lock": dict(self.lock_holder) if self.lock_holder is not None else None,
            "note": self.note,
        }


@dataclass(frozen=True)
class UnlockOutcome:
    """What ``unlock`` found (and, with force, removed) on one host."""

    host: str
    holder: Mapping[str, str] | None
    removed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "holder": dict(self.holder) if self.holder is not None else None,
            "removed": self.removed,
        }


@dataclass(frozen=True)
class StatusReport:
    """Every host's status."""

    hosts: tuple[HostReport, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"hosts": [h.to_dict() for h in self.hosts]}
