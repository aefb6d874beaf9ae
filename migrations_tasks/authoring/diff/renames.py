"""Probable renames: a column the declared schema drops and one of the same type it adds (pure); a table
dropped and one with the same columns added in its schema.

A declarative file holds the end state, so a renamed column reads as one dropped and one added: the values
would be lost. db.diff does not guess: it reports both SQL choices and writes nothing, unless told that the
columns are not renamed (``--not-renamed``: drop and add), or the rename is written in a migration first.
db.pull, which reads a live database where a dropped and re-added column would have gone last, writes the
renames it finds ``in_place`` (a column at the old one's position, a table with the same columns) and
proves them like any other statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...catalog import Snapshot


@dataclass(frozen=True)
class Rename:
    """A column dropped and one of the same type added to the same table."""

    table: str
    old: str
    new: str
    type: str

    @property
    def rename_sql(self) -> str:
        """Return the statement that keeps the values: a rename."""
        return f"ALTER TABLE {self.table} RENAME COLUMN {self.old} TO {self.new};"

    @property
    def replace_sql(self) -> str:
        """Return what db.diff would write: drop the old column, add an empty new one."""
        return (
            f"ALTER TABLE {self.table} ADD COLUMN {self.new} {self.type}; "
            f"ALTER TABLE {self.table} DROP COLUMN {self.old};"
        )

    def describe(self) -> str:
        """Return the report's lines: what was seen and both choices."""
        return (
            f"{self.table}: column {self.old} dropped and {self.new} added ({self.type}): a rename?\n"
            f"    to keep the values, rename it: {self.rename_sql}\n"
            f"    to drop it and add an empty column: {self.replace_sql}"
        )


def _ident(column: Mapping[str, Any]) -> str:
    return str(column.get("ident") or column["name"])


def _pairs(table: str, before: list[Mapping[str, Any]], after: list[Mapping[str, Any]], in_place: bool) -> list[Rename]:
    old_names = {str(c["name"]) for c in before}
    new_names = {str(c["name"]) for c in after}
    gone = [c for c in before if str(c["name"]) not in new_names]
    added = [c for c in after if str(c["name"]) not in old_names]
    out = []
    for column in added:
        same = [g for g in gone if g.get("type") == column.get("type")]
        if in_place:  # the old column was where the new one is
            same = [g for g in same if before.index(g) == after.index(column)]
        if len(same) == 1:
            out.append(Rename(table, _ident(same[0]), _ident(column), str(column.get("type"))))
    return out


def probable_renames(history: Snapshot, declared: Snapshot, *, in_place: bool = False) -> list[Rename]:
    """Return the columns of tables both schemas have that look renamed (one of that type dropped, one added;
    ``in_place``: at the dropped one's position)."""
    have, want = history.items("tables"), declared.items("tables")
    out: list[Rename] = []
    for name in sorted(set(have) & set(want)):
        before, after = list(have[name].get("columns") or []), list(want[name].get("columns") or [])
        out += _pairs(name, before, after, in_place)
    return out


@dataclass(frozen=True)
class TableRename:
    """A table dropped and one with the same column types, in order, added in its schema."""

    old: str
    new: str
    #: The new name without its schema, quoted: what RENAME TO takes.
    new_ident: str

    @property
    def rename_sql(self) -> str:
        """Return the statement that keeps the rows, grants, policies and constraints: a rename."""
        return f"ALTER TABLE {self.old} RENAME TO {self.new_ident}"


def _shape(table: Mapping[str, Any]) -> tuple[Any, ...]:
    """Return what a rename keeps: schema, kind, partition key, column types in order (a column may be renamed
    too: :func:`probable_renames` finds it once the table's rename is made)."""
    columns = tuple(c.get("type") for c in table.get("columns") or [])
    return table.get("schema"), table.get("kind", "r"), table.get("partkey"), columns


def probable_table_renames(history: Snapshot, declared: Snapshot) -> list[TableRename]:
    """Return the tables that look renamed: exactly one dropped and one added table of that schema and shape."""
    have, want = history.items("tables"), declared.items("tables")
    gone = [(n, _shape(t)) for n, t in have.items() if n not in want and t.get("columns")]
    added = [(n, _shape(t)) for n, t in want.items() if n not in have and t.get("columns")]
    out = []
    for name, shape in added:
        old = [o for o, s in gone if s == shape]
        if len(old) == 1 and [n for n, s in added if s == shape] == [name]:
            out.append(TableRename(old[0], name, str(want[name].get("relident") or name)))
    return out
