"""One generated statement and its place in the file (pure).

Statements are ordered by phase, then by key. Objects the target has and the source lacks are created in
the order the target database created them (their object ids): a table before the foreign key that
points at it, a function before the trigger that calls it, the sequence before the column default that
reads it. Changes to existing objects come after every creation, drops last (in reverse).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Phase(enum.IntEnum):
    """Where a statement goes in the file."""

    SCHEMA = 10
    RENAME = 15  # tables and columns renamed (or moved to a schema) live: the values are kept; before the rest
    EXTENSION = 20
    TYPE = 30
    RESHAPE = 35  # column type, nullability and identity changes, before anything that may rely on them
    CREATE = 40  # new objects, in the target's creation order
    CHANGE = 50  # changed objects: defaults, functions, views, replaced constraints, indexes, triggers, policies
    FLAGS = 60  # row level security, trigger states, sequence ownership
    OWNER = 65  # schema grants a new owner needs, then owners (before the grants that assume them)
    GRANT = 70
    DROP = 90  # objects the target lacks; the key orders them (dependants first)


#: Drops by category: what depends on others goes first.
DROP_RANK = {
    "publication": 0,
    "view": 1,
    "policy": 2,
    "trigger": 3,
    "foreign key": 4,
    "constraint": 5,
    "index": 6,
    "column": 7,
    "table": 8,
    "function": 9,
    "sequence": 10,
    "enum": 11,
    "type": 11,
    "extension": 12,
    "schema": 13,
}
_OID_SPAN = 1 << 32


def drop_key(category: str, oid: int) -> int:
    """Return the order key of a drop: by category, then newest object first."""
    return DROP_RANK[category] * _OID_SPAN + (_OID_SPAN - 1 - oid)


@dataclass(frozen=True)
class Step:
    """One statement (without its final semicolon) and where it goes."""

    sql: str
    phase: Phase
    key: int = 0
    #: What it does, for the file's header and the report: "add column public.todos.priority".
    summary: str = ""
    #: It removes an object the target lacks (written commented out unless drops are asked for).
    drop: bool = False


@dataclass
class Script:
    """The statements that turn one catalog into another, and what could not be generated."""

    steps: list[Step] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)

    def add(self, sql: str, phase: Phase, key: int = 0, summary: str = "", *, drop: bool = False) -> None:
        """Append a statement."""
        self.steps.append(Step(sql, phase, key, summary, drop))

    def drop(self, sql: str, category: str, oid: int, summary: str) -> None:
        """Append the drop of an object the target lacks (``category``: a key of :data:`DROP_RANK`)."""
        self.add(sql, Phase.DROP, drop_key(category, oid), summary, drop=True)

    def extend(self, other: Script) -> None:
        """Append another script's statements and problems."""
        self.steps.extend(other.steps)
        self.unsupported.extend(other.unsupported)

    def ordered(self) -> list[Step]:
        """Return the statements in file order (stable within equal keys)."""
        return sorted(self.steps, key=lambda s: (s.phase, s.key))

    def runs(self, include_drops: bool) -> list[Step]:
        """Return the statements that run: every one but the drops, unless drops are included."""
        return [s for s in self.ordered() if include_drops or not s.drop]

    def commented(self, include_drops: bool) -> list[Step]:
        """Return the drops written commented out."""
        return [] if include_drops else [s for s in self.ordered() if s.drop]

    @property
    def empty(self) -> bool:
        """Return True when there is nothing to write."""
        return not self.steps and not self.unsupported
