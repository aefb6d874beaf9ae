"""The catalog question that settles a statement sent alone, outside a transaction, and the reads that ask it.

Pure: each function parses a statement (PostgreSQL's parser, via pglast) or builds the SQL of a read; the
flow that sends them is :mod:`.settle`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..history.lease import TAG_MARK
from ..history.ledger import LOCK_BUSY
from ..sql import quote_literal

#: Kinds settled by asking the catalog what to send next (none, the statement, a FINALIZE, a drop).
CONVERGING = frozenset({"reindex", "detach", "enum"})


@dataclass(frozen=True)
class Question:
    """What to ask the catalog about a statement: its kind and the objects it names.

    ``create index``: ``index`` on ``table``; ``drop index``: ``index``; ``repeat``: nothing; ``reindex``:
    ``target`` of kind ``value`` (index, table or schema); ``detach``: partition ``target`` of ``table``;
    ``enum``: label ``value`` of type ``target``.
    """

    kind: str
    index: str = ""
    #: The table as written (CREATE INDEX: the index lives in its schema; DETACH: the partitioned table).
    table: str = ""
    target: str = ""
    value: str = ""


def _parse(text: str) -> Any:
    """Return the one statement ``text`` holds, parsed (None when it does not parse or holds several)."""
    import pglast

    try:
        nodes = pglast.parse_sql(text)
    except pglast.parser.ParseError:
        return None
    return nodes[0].stmt if len(nodes) == 1 else None


def _name(parts: Any) -> str:
    """Return a qualified name written from a list of String nodes."""
    return ".".join(str(part.sval) for part in parts)


def question(text: str) -> Question | None:
    """Return the catalog question that settles ``text``, or None when it has none."""
    from pglast import ast
    from pglast.stream import RawStream

    node = _parse(text)
    if isinstance(node, ast.IndexStmt) and node.concurrent and node.idxname and node.relation is not None:
        return Question("create index", str(node.idxname), RawStream()(node.relation))
    if isinstance(node, ast.DropStmt) and node.concurrent and node.objects and len(node.objects) == 1:
        return Question("drop index", _name(node.objects[0]))
    if isinstance(node, ast.VacuumStmt):
        return Question("repeat")
    if isinstance(node, ast.ReindexStmt):
        return _reindex(node)
    if isinstance(node, ast.AlterTableStmt) and node.cmds and len(node.cmds) == 1:
        cmd = node.cmds[0]
        if getattr(cmd.def_, "concurrent", False) and cmd.def_.name is not None and node.relation is not None:
            return Question("detach", table=RawStream()(node.relation), target=RawStream()(cmd.def_.name))
    if isinstance(node, ast.AlterEnumStmt) and node.newVal is not None and node.oldVal is None:
        return Question("enum", target=_name(node.typeName), value=str(node.newVal))
    return None


def _reindex(node: Any) -> Question | None:
    """Return the question of a ``REINDEX ... CONCURRENTLY`` of an index, a table or a schema."""
    from pglast.enums import ReindexObjectType
    from pglast.stream import RawStream

    if not any(p.defname == "concurrently" for p in node.params or ()):
        return None
    kinds = {
        ReindexObjectType.REINDEX_OBJECT_INDEX: "index",
        ReindexObjectType.REINDEX_OBJECT_TABLE: "table",
        ReindexObjectType.REINDEX_OBJECT_SCHEMA: "schema",
    }
    kind = kinds.get(node.kind)
    if kind is None:
        return None
    return Question("reindex", target=RawStream()(node.relation) if node.relation else str(node.name), value=kind)


def repeatable(text: str) -> str | None:
    """Return ``text`` in a form a repeat cannot hurt (``IF NOT EXISTS``, ``IF EXISTS``), or None."""
    from pglast import ast
    from pglast.stream import RawStream

    if question(text) is None:
        return None
    node = _parse(text)
    if isinstance(node, ast.IndexStmt):
        node.if_not_exists = True
    elif isinstance(node, ast.DropStmt):
        node.missing_ok = True
    elif isinstance(node, ast.AlterEnumStmt):
        node.skipIfNewValExists = True
    return str(RawStream()(node))


def finalize_sql(asked: Question) -> str:
    """Return the statement that completes the pending detach of ``asked``'s partition."""
    return f"ALTER TABLE {asked.table} DETACH PARTITION {asked.target} FINALIZE"


def state_sql(asked: Question) -> str:
    """Return a read whose ``state`` says where ``asked``'s statement stands (see each kind's values)."""
    if asked.kind == "detach":
        return _detach_state(asked)
    if asked.kind == "enum":
        return _enum_state(asked)
    if asked.kind == "reindex":
        return leftovers_sql(asked)
    return _index_state(asked)


def _index_state(asked: Question) -> str:
    """Return a read whose ``state`` is ``valid``, ``building``, ``invalid`` or ``absent`` for CREATE INDEX."""
    return (
        "SELECT coalesce((SELECT CASE WHEN i.indisvalid THEN 'valid' WHEN EXISTS (SELECT 1 FROM "
        "pg_catalog.pg_stat_progress_create_index b WHERE b.index_relid = i.indexrelid) THEN 'building' "
        "ELSE 'invalid' END "
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid "
        f"WHERE c.relname = {quote_literal(asked.index)} AND c.relnamespace = (SELECT t.relnamespace "
        f"FROM pg_catalog.pg_class t WHERE t.oid = pg_catalog.to_regclass({quote_literal(asked.table)}))), "
        "'absent') AS state"
    )


def _detach_state(asked: Question) -> str:
    """Return a read whose ``state`` is ``attached``, ``pending`` (an interrupted detach) or ``detached``."""
    return (
        "SELECT coalesce((SELECT CASE WHEN h.inhdetachpending THEN 'pending' ELSE 'attached' END "
        "FROM pg_catalog.pg_inherits h "
        f"WHERE h.inhrelid = pg_catalog.to_regclass({quote_literal(asked.target)}) "
        f"AND h.inhparent = pg_catalog.to_regclass({quote_literal(asked.table)})), 'detached') AS state"
    )


def _enum_state(asked: Question) -> str:
    """Return a read whose ``state`` is ``present`` or ``absent`` for the enum label ``asked`` adds."""
    return (
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_enum e "
        f"WHERE e.enumtypid = pg_catalog.to_regtype({quote_literal(asked.target)}) "
        f"AND e.enumlabel = {quote_literal(asked.value)}) THEN 'present' ELSE 'absent' END AS state"
    )


def leftovers_sql(asked: Question) -> str:
    """Return a read whose ``state`` is the first INVALID ``_ccnew``/``_ccold`` index a REINDEX left ('' if none).

    A ``REINDEX CONCURRENTLY`` that failed or was cancelled leaves its new (``_ccnew``) or, after the swap,
    its old (``_ccold``) index INVALID on the table; the name is schema-qualified, ready for a DROP.
    """
    target = quote_literal(asked.target)
    where = {
        "index": "i.indrelid = (SELECT x.indrelid FROM pg_catalog.pg_index x "
        f"WHERE x.indexrelid = pg_catalog.to_regclass({target}))",
        "table": f"i.indrelid = pg_catalog.to_regclass({target})",
        "schema": f"c.relnamespace = pg_catalog.to_regnamespace({target})",
    }[asked.value]
    return (
        "SELECT coalesce((SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) "
        "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE NOT i.indisvalid AND c.relname ~ '_cc(new|old)[0-9]*$' AND {where} "
        "ORDER BY c.relname LIMIT 1), '') AS state"
    )


def wait_until_idle_sql(running: str, seconds: float, what: str) -> str:
    """Return a statement that waits until ``running`` (a condition on pg_stat_activity) is false, else raises
    LOCK_BUSY saying ``what`` is still running: the one wait before a settle reads the catalog."""
    return (
        "DO $mt_wait$\nBEGIN\n"
        f"  FOR i IN 1..{max(1, int(seconds * 5))} LOOP\n"
        "    PERFORM pg_catalog.pg_stat_clear_snapshot();\n"
        f"    EXIT WHEN NOT {running};\n"
        "    PERFORM pg_catalog.pg_sleep(0.2);\n"
        "  END LOOP;\n"
        "  PERFORM pg_catalog.pg_stat_clear_snapshot();\n"
        f"  IF {running} THEN\n"
        f"    RAISE EXCEPTION '{what} is still running after {seconds:g}s' USING ERRCODE = '{LOCK_BUSY}';\n"
        "  END IF;\nEND $mt_wait$"
    )


def idle_sql(holder: str, seconds: float) -> str:
    """Return a statement that waits until no other session runs a part of ``holder``'s lease (else LOCK_BUSY)."""
    running = (
        "EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity WHERE pid <> pg_catalog.pg_backend_pid() "
        f"AND state <> 'idle' AND position({quote_literal(f'{TAG_MARK} {holder} ')} IN query) > 0)"
    )
    return wait_until_idle_sql(running, seconds, "the statement")
