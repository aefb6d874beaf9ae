"""Probable renames: a column the declared schema drops and one of the same type it adds; a table dropped and
one of the same shape added (pure).

A declarative file holds the end state, so a renamed column or table reads as one dropped and one added: the
values would be lost. db.diff does not guess: it reports both SQL choices and writes nothing, unless told
that they are not renamed (``--not-renamed``: drop and add), or the rename is written in a migration first.
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
    """A table gone and one of its shape new: renamed in its schema (same column types in order), or moved to
    another schema (same columns, names too)."""

    old: str
    new: str
    #: The old and new names without their schema, and the new schema, quoted.
    old_ident: str
    new_ident: str
    new_schema: str
    moved: bool

    @property
    def statements(self) -> list[str]:
        """Return the statements that keep the rows, grants, policies and constraints: a move, a rename."""
        out, name = [], self.old
        if self.moved:
            out.append(f"ALTER TABLE {name} SET SCHEMA {self.new_schema}")
            name = f"{self.new_schema}.{self.old_ident}"
        if self.old_ident != self.new_ident:
            out.append(f"ALTER TABLE {name} RENAME TO {self.new_ident}")
        return out

    @property
    def rename_sql(self) -> str:
        """Return the statements as one line."""
        return "".join(f"{statement}; " for statement in self.statements).strip()

    @property
    def replace_sql(self) -> str:
        """Return what db.diff would write instead: create the new table, empty, and drop the old one."""
        return f"CREATE TABLE {self.new} (...); DROP TABLE {self.old};"

    def describe(self) -> str:
        """Return db.diff's report lines: what was seen and both choices."""
        return (
            f"table {self.old} dropped and {self.new} added with the same columns: a rename?\n"
            f"    to keep the rows, rename it: {self.rename_sql}\n"
            f"    to drop it and create an empty table: {self.replace_sql}"
        )


def _shape(table: Mapping[str, Any], names: bool) -> tuple[Any, ...]:
    """Return what a rename keeps: kind, partition key, column types in order (a column may be renamed too:
    :func:`probable_renames` finds it once the table's rename is made) and, for a move, the column names."""
    columns = tuple((c.get("name") if names else None, c.get("type")) for c in table.get("columns") or [])
    return table.get("kind", "r"), table.get("partkey"), columns


def _unique(gone: dict[str, Any], added: dict[str, Any], name: str) -> str | None:
    """Return the one gone table with the added one's shape, if no other added table has it."""
    old = [o for o, shape in gone.items() if shape == added[name]]
    return old[0] if len(old) == 1 and [n for n, shape in added.items() if shape == added[name]] == [name] else None


def probable_table_renames(history: Snapshot, declared: Snapshot) -> list[TableRename]:
    """Return the tables that look renamed (one gone and one new table of that schema and shape) or moved
    (one gone and one new table in another schema, with the same columns)."""
    have, want = history.items("tables"), declared.items("tables")
    gone = [n for n, t in have.items() if n not in want and t.get("columns")]
    added = [n for n, t in want.items() if n not in have and t.get("columns")]
    out = []
    for name in added:
        schema = want[name].get("schema")
        found = _unique(
            {g: _shape(have[g], False) for g in gone if have[g].get("schema") == schema},
            {a: _shape(want[a], False) for a in added if want[a].get("schema") == schema},
            name,
        ) or _unique(
            {g: _shape(have[g], True) for g in gone if have[g].get("schema") != schema},
            {a: _shape(want[a], True) for a in added},
            name,
        )
        if found is not None:
            old = have[found]
            moved = old.get("schema") != schema
            out.append(
                TableRename(found, name, str(old.get("relident")), str(want[name].get("relident")), str(schema), moved)
            )
    return out
