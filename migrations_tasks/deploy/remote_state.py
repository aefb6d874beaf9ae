"""A host's state under its deploy path, as a probe prints it, and the pure decisions taken on it.

:func:`parse_state` reads the ``key value`` lines that :func:`~.releases.probe_script` and
:func:`~.releases.begin_script` print into a :class:`RemoteState`; :func:`rollback_target` picks the release to
switch back to (only releases whose state is ``live``) and :func:`prune_candidates` the releases to delete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ..errors import NoRollbackTarget
from .releases import FAILED, LIVE, valid_release_name


@dataclass(frozen=True)
class RemoteState:
    """What a probe found under a deploy path."""

    exists: bool = True
    current: str | None = None
    #: ``current``'s target when it is not ``releases/<name>`` (another tool's layout, a plain directory).
    current_raw: str | None = None
    releases: tuple[str, ...] = ()
    states: Mapping[str, str] = field(default_factory=dict)
    #: The lock owner's fields when the lock is held by someone else (empty if unreadable).
    holder: Mapping[str, str] | None = None
    #: Whether this probe took the lock (``begin_script``).
    locked: bool = False
    rsync: bool = False
    ignored: tuple[str, ...] = ()
    #: With ``begin_script(release_id=...)``: ``created``, ``exists`` or ``failed`` (None: not asked).
    created: str | None = None

    def good(self) -> list[str]:
        """Return releases that were live and are not marked failed, oldest first."""
        return [r for r in self.releases if self.states.get(r) == LIVE]

    def previous_good(self, *, besides: Sequence[str] = ()) -> str | None:
        """Return the newest good release other than the current one (and ``besides``)."""
        skip = {self.current, *besides}
        candidates = [r for r in self.good() if r not in skip]
        return candidates[-1] if candidates else None


def parse_state(stdout: str) -> RemoteState:
    """Return the state printed by :func:`probe_script` or :func:`begin_script`."""
    found: dict[str, Any] = {}
    releases: list[str] = []
    ignored: list[str] = []
    states: dict[str, str] = {}
    holder: dict[str, str] | None = None
    for line in stdout.splitlines():
        key, _, value = line.partition(" ")
        if key == "release":
            (releases if valid_release_name(value) else ignored).append(value)
        elif key == "state":
            name, _, word = value.partition(" ")
            states[name] = word.strip()
        elif key == "locked":
            found["locked"] = value == "yes"
            if value != "yes":
                holder = {}
        elif key == "lock" and holder is not None:
            k, _, v = value.partition("=")
            if k and k != "token":
                holder[k] = v
        else:
            found.update(_field(key, value))
    return RemoteState(releases=tuple(sorted(releases)), states=states, holder=holder, ignored=tuple(ignored), **found)


def _field(key: str, value: str) -> dict[str, Any]:
    """Return what one ``key value`` line of a probe says about a single field of :class:`RemoteState`."""
    if key == "missing":
        return {"exists": False}
    if key == "current":
        path = PurePosixPath(value)
        if len(path.parts) >= 2 and path.parts[-2] == "releases" and valid_release_name(path.name):
            return {"current": path.name}
        return {"current_raw": value}
    if key == "current-not-link":
        return {"current_raw": "(a directory, not a symlink)"}
    if key == "new-release":
        return {"created": value}
    if key == "rsync":
        return {"rsync": value == "yes"}
    return {}


def rollback_target(state: RemoteState, host: str, to: str | None = None) -> str:
    """Return the release to switch back to: ``to``, else the newest good release that is not current."""
    if to is not None:
        if not valid_release_name(to) or to not in state.releases:
            known = ", ".join(state.releases[-6:]) or "none"
            raise NoRollbackTarget(
                f"{host}: there is no release {to!r} (releases: {known}).",
                hint="Pick one of the listed releases; inv deploy.status lists them all.",
            )
        return to
    target = state.previous_good()
    if target is None:
        failed = any(state.states.get(r) == FAILED for r in state.releases if r != state.current)
        why = (
            "every other release that was live is marked failed"
            if failed
            else "no release other than the current one was ever live"
        )
        raise NoRollbackTarget(
            f"{host}: no earlier good release to roll back to ({why}); nothing was changed.",
            hint="Name one explicitly with inv deploy.rollback --to RELEASE (inv deploy.status lists them).",
        )
    return target


def prune_candidates(state: RemoteState, keep: int, *, protect: Sequence[str | None] = ()) -> list[str]:
    """Return releases to delete: all but the newest ``keep``, never current or a protected one."""
    spared = {state.current, *protect}
    newest = set(state.releases[-keep:]) if keep > 0 else set()
    return [r for r in state.releases if r not in newest and r not in spared]
