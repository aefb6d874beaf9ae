"""Probable renames: a column the declared schema drops and one of the same type it adds; a table it drops
and one with the same columns it adds (pure).

A declarative file holds the end state, so a renamed column or table reads as one dropped and one added: the
values would be lost. db.diff does not guess: it reports both SQL choices and writes nothing, unless told
that they are not renamed (``--not-renamed``: drop and add), or the rename is written in a migration first.
"""

from __future__ import annotations

import re
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


#: A table's name as the catalog keys it (``schema.table``, each part quoted by PostgreSQL when it must be).
_QUALIFIED = re.compile(r'^("(?:[^"]|"")*"|[^".]+)\.("(?:[^"]|"")*"|[^".]+)$')


@dataclass(frozen=True)
class TableRename:
    """A table dropped and one with the same columns (names and types, in order) added."""

    old: str
    new: str

    @property
    def rename_sql(self) -> str:
        """Return the statements that keep the rows: SET SCHEMA and RENAME TO, as needed."""
        (old_schema, old_name), (new_schema, new_name) = _parts(self.old), _parts(self.new)
        out, table = [], self.old
        if old_schema != new_schema:
            out.append(f"ALTER TABLE {table} SET SCHEMA {new_schema};")
            table = f"{new_schema}.{old_name}"
        if old_name != new_name:
            out.append(f"ALTER TABLE {table} RENAME TO {new_name};")
        return " ".join(out)

    @property
    def replace_sql(self) -> str:
        """Return what db.diff would write: create the new table, empty, and drop the old one."""
        return f"CREATE TABLE {self.new} (...); DROP TABLE {self.old};"

    def describe(self) -> str:
        """Return the report's lines: what was seen and both choices."""
        return (
            f"table {self.old} dropped and {self.new} added with the same columns: a rename?\n"
            f"    to keep the rows, rename it: {self.rename_sql}\n"
            f"    to drop it and create an empty table: {self.replace_sql}"
        )


def _parts(name: str) -> tuple[str, str]:
    found = _QUALIFIED.match(name)
    return (found.group(1), found.group(2)) if found else ("", name)


def _shape(table: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(c["name"]), str(c.get("type"))) for c in table.get("columns") or []]


def probable_table_renames(history: Snapshot, declared: Snapshot) -> list[TableRename]:
    """Return the tables the declared schema drops and adds with the same columns, each match unique."""
    have, want = history.items("tables"), declared.items("tables")
    gone = {name: _shape(have[name]) for name in sorted(set(have) - set(want))}
    added = {name: _shape(want[name]) for name in sorted(set(want) - set(have))}
    out = []
    for name, shape in added.items():
        same = [old for old, columns in gone.items() if columns == shape]
        if len(same) == 1 and [new for new, columns in added.items() if columns == shape] == [name]:
            out.append(TableRename(same[0], name))
    return out


def _ident(column: Mapping[str, Any]) -> str:
    return str(column.get("ident") or column["name"])


def _pairs(table: str, before: list[Mapping[str, Any]], after: list[Mapping[str, Any]]) -> list[Rename]:
    old_names = {str(c["name"]) for c in before}
    new_names = {str(c["name"]) for c in after}
    gone = [c for c in before if str(c["name"]) not in new_names]
    added = [c for c in after if str(c["name"]) not in old_names]
    out = []
    for column in added:
        same = [g for g in gone if g.get("type") == column.get("type")]
        if len(same) == 1:
            out.append(Rename(table, _ident(same[0]), _ident(column), str(column.get("type"))))
    return out


def probable_renames(history: Snapshot, declared: Snapshot) -> list[Rename]:
    """Return the columns of tables both schemas have that look renamed (one of that type dropped, one added)."""
    have, want = history.items("tables"), declared.items("tables")
    out: list[Rename] = []
    for name in sorted(set(have) & set(want)):
        out += _pairs(name, list(have[name].get("columns") or []), list(want[name].get("columns") or []))
    return out
