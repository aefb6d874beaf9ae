"""The pulled migration's text: a header, the statements, the drops commented out, the down block (pure).

The down SQL goes after a ``-- migrate:down`` line with every line commented (:mod:`migrations_tasks.history.down`),
so ``supabase db push`` runs only the statements above it. The text above the marker is the same with or
without the down block, so the statements the proof applied are the ones the ledger records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from ... import untrusted
from .steps import Step

MAX_SUMMARY_LINES = 40
FUNCTION_BODIES_OFF = "SET LOCAL check_function_bodies = off"
_DROPS_NOTE = (
    "-- The live database lacks the objects below. Dropping is destructive, so these statements are\n"
    "-- commented out: uncomment them (or run inv db.pull --include-drops) to drop them too.\n"
)


def _comment(text: str) -> str:
    """Return a statement (:func:`statement_text`) with every line commented (``--`` alone on empty lines)."""
    return "\n".join(f"-- {line}" if line else "--" for line in text.split("\n"))


def statement_text(step: Step) -> str:
    """Return a step's statement as the file shows it: no character in it can end a comment or hide."""
    return untrusted.sql_statement(step.sql)


def statements_sql(steps: Sequence[Step]) -> list[str]:
    """Return the statements to run, with function bodies checked only at run time when functions are made.

    Functions are created in the live database's order, and a body may use a table made after it (as
    ``pg_dump`` does, ``check_function_bodies`` is turned off for the migration's transaction).
    """
    texts = [statement_text(s) for s in steps]
    if any(t.startswith(("CREATE OR REPLACE FUNCTION", "CREATE OR REPLACE PROCEDURE")) for t in texts):
        texts.insert(0, FUNCTION_BODIES_OFF)
    return texts


def _summary(steps: Sequence[Step]) -> list[str]:
    lines = [f"--   {untrusted.escape(s.summary)}" for s in steps if s.summary]
    if len(lines) > MAX_SUMMARY_LINES:
        lines = [*lines[:MAX_SUMMARY_LINES], f"--   ... and {len(lines) - MAX_SUMMARY_LINES} more"]
    return lines


def pull_intro(name: str, stamp: str) -> list[str]:
    """Return the first lines of a pulled file's header (``stamp``: when, in UTC)."""
    return [
        f"-- {untrusted.escape(name)}: changes made in the live database, pulled by inv db.pull on {stamp}.",
        "-- db.pull writes a file only once it is proven on a throwaway database: applied on top of the",
        "-- migrations it leaves no difference from the live schema, and its down SQL restores their schema.",
        "-- The live database is recorded as having applied it (inv db.pull --no-record skips that).",
    ]


#: The first lines of a file's header, from its name and when it was made (``pull_intro``, or db.diff's).
Intro = Callable[[str, str], list[str]]


def up_text(
    name: str,
    now: datetime,
    steps: Sequence[Step],
    commented: Sequence[Step],
    warnings: Sequence[str] = (),
    intro: Intro = pull_intro,
) -> str:
    """Return the migration file up to (not including) its down block (``warnings``: see :mod:`.warnings`)."""
    stamp = now.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    header = [
        *intro(name, stamp),
        "--",
        "-- What it does:",
        *_summary(steps),
    ]
    if warnings:
        header += ["--", "-- WARNING: the proof cannot see these; read them before applying:"]
        header += [f"--   {untrusted.escape(line)}" for line in warnings]
    parts = ["\n".join(header), *(f"{sql};" for sql in statements_sql(steps))]
    if commented:
        parts.append(_DROPS_NOTE + "\n".join(_comment(f"{statement_text(s)};") for s in commented))
    return "\n\n".join(parts) + "\n\n"


def down_block(steps: Sequence[Step]) -> str:
    """Return the ``-- migrate:down`` block: every statement of the down SQL, commented."""
    body = "\n\n".join(_comment(f"{sql};") for sql in statements_sql(steps))
    return "-- migrate:down\n" + (body + "\n" if body else "")


def file_text(up: str, down: Sequence[Step]) -> str:
    """Return the whole migration file."""
    return up + down_block(down)
