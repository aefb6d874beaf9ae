"""What the proof cannot see: data, and what a reviewer may not see: names with hidden characters.

The proof runs on a throwaway database without rows, so two kinds of change pass it and still hurt:

- a column renamed in the dashboard reads as a column dropped and another added (same table, same type,
  same position), a renamed table as one dropped and one with the same columns added: they are written as
  renames (:func:`renaming`), which keep the values, and the warning says so (a real drop and add would be
  written by hand);
- a dropped column's down SQL adds it again, empty and at the end of the table;
- ``ADD COLUMN ... NOT NULL`` without a default on an existing table fails (23502) on a table with rows.

A name or text with control or invisible characters (a line break, a bidi override, a zero-width space)
is written as escapes (``U&"..."``, ``E'...'``): the file is right, but the reviewer should know that the
object is not named what it seems at a glance.

Pure: catalogs or steps in, one line per warning out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ... import untrusted
from ...catalog import Snapshot
from ..diff.renames import probable_renames, probable_table_renames
from .objects import schemas_and_extensions
from .script import statement_text
from .steps import Phase, Script, Step


def renaming(source: Snapshot, target: Snapshot, *, tables: bool) -> Script:
    """Return the renames db.pull writes first (see ``diff.renames``): ``tables``, else columns at a dropped
    one's position (found once the tables' renames are made)."""
    script = Script()
    if tables:
        moves = probable_table_renames(source, target)
        into = {table.new_schema for table in moves if table.moved}
        for step in schemas_and_extensions(source, target).steps if into else []:  # a schema moved into first
            if step.phase == Phase.SCHEMA and not step.drop and step.sql.removeprefix("CREATE SCHEMA ") in into:
                script.steps.append(step)
        for table in moves:
            for sql in table.statements:
                script.add(
                    sql, Phase.RENAME, 0, f"{'move' if table.moved else 'rename'} table {table.old} to {table.new}"
                )
        return script
    for column in probable_renames(source, target, in_place=True):
        sql = column.rename_sql.rstrip(";")
        script.add(sql, Phase.RENAME, 1, f"rename column {column.table}.{column.old} to {column.new}")
    return script


def rename_warnings(steps: Sequence[Step]) -> list[str]:
    """Return a warning for every rename written: the values are kept, which a real drop and add would not."""
    return [
        f"{step.summary}: a probable rename (the old one is gone, the new one has its shape), written as "
        f"{step.sql}; which keeps the values; if it was really dropped and another made, write that by hand."
        for step in steps
        if step.phase == Phase.RENAME
    ]


def _not_renamed(source: Snapshot, target: Snapshot) -> list[str]:
    return [
        f"{r.table}: column {r.old} dropped and {r.new} added ({r.type}, same position): probably a rename. This "
        "file adds an empty column and does not carry the values over; for a rename write ALTER TABLE ... "
        "RENAME COLUMN by hand."
        for r in probable_renames(source, target, in_place=True)
    ]


def _dropped(name: str, before: list[Mapping[str, Any]], after: list[Mapping[str, Any]]) -> list[str]:
    new = {str(c["name"]) for c in after}
    return [
        f"{name}: column {c.get('ident') or c['name']} is dropped; the down SQL adds it again at the end of the "
        "table, empty: it restores the shape, not the data (nor the column's position)."
        for c in before
        if str(c["name"]) not in new
    ]


def _not_null(name: str, before: list[Mapping[str, Any]], after: list[Mapping[str, Any]]) -> list[str]:
    old = {str(c["name"]) for c in before}
    return [
        f"{name}: ADD COLUMN {c.get('ident') or c['name']} is NOT NULL without a default: it fails (23502) on a "
        "table with rows; add a default, or fill the column before setting NOT NULL."
        for c in after
        if str(c["name"]) not in old
        and c.get("not_null")
        and c.get("default") is None
        and not c.get("identity")
        and not c.get("generated")
    ]


def data_warnings(source: Snapshot, target: Snapshot, *, renames: bool = True, drops: bool = True) -> list[str]:
    """Return the warnings for turning ``source`` (the migrations' schema, its renames made when ``renames``)
    into ``target`` (the live one); ``drops``: the drops run (not commented out)."""
    out = [] if renames else _not_renamed(source, target)
    have, want = source.items("tables"), target.items("tables")
    for name in sorted(set(have) & set(want)):
        before, after = list(have[name].get("columns") or []), list(want[name].get("columns") or [])
        out += _not_null(name, before, after) + (_dropped(name, before, after) if drops else [])
    return out


def hidden_text_warnings(steps: Sequence[Step]) -> list[str]:
    """Return a warning for every statement whose names or texts hold hidden characters."""
    return [
        f"{untrusted.escape(step.summary or step.sql)}: a name or text in it holds control or invisible "
        "characters, written as escapes (U&\"...\", E'...'); check that this is the object you expect."
        for step in steps
        if statement_text(step) != step.sql
    ]
