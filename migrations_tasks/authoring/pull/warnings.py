"""What the proof cannot see: data, and what a reviewer may not see: names with hidden characters.

The proof runs on a throwaway database without rows, so two kinds of change pass it and still hurt:

- a column renamed in the dashboard reads as a column dropped and another added (same table, same type,
  same position): the file adds the new, empty column and comments out the drop of the old one, whose
  values are not carried over;
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
from .script import statement_text
from .steps import Step


def _renames(name: str, before: list[Mapping[str, Any]], after: list[Mapping[str, Any]]) -> list[str]:
    old = {str(c["name"]) for c in before}
    new = {str(c["name"]) for c in after}
    out = []
    for index, column in enumerate(after):
        if str(column["name"]) in old or index >= len(before):
            continue
        was = before[index]
        if str(was["name"]) not in new and was.get("type") == column.get("type"):
            out.append(
                f"{name}: column {was.get('ident') or was['name']} dropped and {column.get('ident') or column['name']} "
                f"added ({column.get('type')}, same position): probably a rename. This file adds an empty column and "
                "does not carry the values over; for a rename write ALTER TABLE ... RENAME COLUMN by hand."
            )
    return out


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


def data_warnings(source: Snapshot, target: Snapshot) -> list[str]:
    """Return the warnings for turning ``source`` (the migrations' schema) into ``target`` (the live one)."""
    out = []
    have, want = source.items("tables"), target.items("tables")
    for name in sorted(set(have) & set(want)):
        before, after = list(have[name].get("columns") or []), list(want[name].get("columns") or [])
        out += _renames(name, before, after) + _not_null(name, before, after)
    return out


def hidden_text_warnings(steps: Sequence[Step]) -> list[str]:
    """Return a warning for every statement whose names or texts hold hidden characters."""
    return [
        f"{untrusted.escape(step.summary or step.sql)}: a name or text in it holds control or invisible "
        "characters, written as escapes (U&\"...\", E'...'); check that this is the object you expect."
        for step in steps
        if statement_text(step) != step.sql
    ]
