"""SQL that watches a rehearsal from inside its own transaction, and the decoding of what it saw (pure).

* :data:`RELATIONS_SQL` lists the relations that exist before the pending migrations run (every schema but
  PostgreSQL's own and the ledger's), with each one's file node;
* :func:`probe_sql`, sent right after each statement in the same request, saves in a session setting the
  relation locks this backend holds, their file nodes and the sequential scans counted so far. It takes no
  lock on a user table. Locks are held until COMMIT, so a statement's own locks are the difference with the
  previous probe; a file node that changed means the relation was rewritten;
* :func:`baseline_sql`, sent right before each statement, saves the sequential scans counted so far on every
  table. PostgreSQL's per-transaction counters also hold counts not yet flushed from earlier work of the
  session, so a statement scanned a table only when its count grew past this baseline;
* :func:`collect_sql` reads the saved probes back in one read request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SETTING = "mt_plan"

RELATIONS_SQL = """SELECT coalesce(json_agg(json_build_array(c.oid::bigint, format('%I.%I', n.nspname, c.relname),
         c.relkind::text, t.name, pg_catalog.pg_relation_filenode(c.oid)::bigint)), '[]') AS relations
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN LATERAL (SELECT format('%I.%I', tn.nspname, tc.relname) AS name FROM pg_catalog.pg_index i
                     JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
                     JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
                     WHERE i.indexrelid = c.oid) t ON true
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'supabase_migrations')
   AND n.nspname !~ '^pg_temp_' AND n.nspname !~ '^pg_toast_temp_'
   AND c.relkind IN ('r', 'p', 'i', 'I', 'S', 'v', 'm', 'f', 't')"""

#: The sequential scans are read per locked relation with the function behind pg_stat_xact_user_tables: a join
#: with that view (an aggregate over every table) could be planned as a nested loop, recomputing it for each
#: lock, which took minutes per statement once a migration held thousands of locks.
_PROBE = """(SELECT coalesce(json_agg(json_build_array(l.relation::bigint, l.mode,
        pg_catalog.pg_relation_filenode(l.relation)::bigint,
        CASE WHEN c.relkind IN ('r', 't', 'm', 'p') THEN pg_catalog.pg_stat_get_xact_numscans(l.relation) ELSE 0 END
        )), '[]')::text
   FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation
  WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' AND l.granted
    AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database()))"""


@dataclass(frozen=True)
class Relation:
    """A relation that existed before the pending migrations: its name, kind and table (for an index)."""

    oid: int
    name: str
    kind: str
    table: str  # the relation itself, or the table of an index

    @property
    def label(self) -> str:
        """Return its name, saying what it is when it is not a table."""
        return self.name if self.table == self.name else f"{self.name} (index on {self.table})"


@dataclass(frozen=True)
class Held:
    """One probe's view of one relation: the modes held, its file node and its sequential scans so far."""

    modes: frozenset[str]
    filenode: int | None
    scans: int


def key(migration: int, statement: int) -> str:
    """Return the setting name a probe saves to."""
    return f"{SETTING}.m{migration}_s{statement}"


#: The setting holding the last probe of the request; a probe that saw the same saves :data:`SAME` instead.
_LAST = f"{SETTING}.last"
#: What a probe saves when it saw exactly what the probe before it saw (no new lock, rewrite or scan): a
#: migration of thousands of statements over the same tables would otherwise send its whole lock list back
#: after every statement.
SAME = "="


def probe_sql(name: str) -> str:
    """Return the statement that saves what the transaction holds now under ``name`` (:data:`SAME` when it is
    what the probe before it in the request saw)."""
    return (
        f"SELECT pg_catalog.set_config('{name}', CASE WHEN p.same THEN '{SAME}' ELSE p.v END, false),"
        f" pg_catalog.set_config('{_LAST}', p.v, false)"
        f" FROM (SELECT x.v, x.v = pg_catalog.current_setting('{_LAST}', true) AS same"
        f" FROM (SELECT {_PROBE} AS v) x OFFSET 0) p"
    )


_BASELINE = """(SELECT coalesce(json_agg(json_build_array(s.relid::bigint, s.seq_scan)), '[]')::text
   FROM pg_catalog.pg_stat_xact_user_tables s WHERE s.seq_scan > 0)"""


def baseline_sql(name: str) -> str:
    """Return the statement that saves the sequential scans counted so far under ``name`` (and forgets the last
    probe of an earlier request)."""
    return f"SELECT pg_catalog.set_config('{name}', {_BASELINE}, false), pg_catalog.set_config('{_LAST}', '', false)"


def decode_baseline(raw: Any) -> dict[int, int]:
    """Return a baseline's sequential scans by table oid."""
    items = json.loads(raw) if isinstance(raw, str) else raw or []
    return {int(oid): int(scans or 0) for oid, scans in items}


def collect_sql(names: Sequence[str]) -> str:
    """Return a read of the saved probes, in order (NULL where a probe did not run).

    The names travel as one array literal, not one argument each: a function takes at most 100 arguments
    (54023), and a migration may have thousands of statements.
    """
    literal = "{" + ",".join(names) + "}"  # names are key()'s: letters, digits, '.' and '_' only
    return (
        "SELECT coalesce(json_agg(pg_catalog.current_setting(k.name, true) ORDER BY k.n), '[]') AS probes"
        f" FROM unnest('{literal}'::text[]) WITH ORDINALITY AS k(name, n)"
    )


def decode_relations(raw: Any) -> tuple[dict[int, Relation], dict[int, int | None]]:
    """Return the relations of :data:`RELATIONS_SQL` by oid, and their file nodes."""
    items = json.loads(raw) if isinstance(raw, str) else raw or []
    relations: dict[int, Relation] = {}
    nodes: dict[int, int | None] = {}
    for oid, name, kind, table, filenode in items:
        relations[int(oid)] = Relation(int(oid), str(name), str(kind), str(table or name))
        nodes[int(oid)] = None if filenode is None else int(filenode)
    return relations, nodes


def decode_probe(raw: Any, known: Mapping[int, Relation]) -> dict[int, Held]:
    """Return one probe's view of the relations in ``known`` (a probe lists every lock held so far: this runs
    once per statement over them all, so it is kept tight)."""
    items = json.loads(raw) if isinstance(raw, str) else raw or []
    modes: dict[int, set[str]] = {}
    rest: dict[int, tuple[int | None, int]] = {}
    for oid, mode, filenode, scans in items:
        if oid not in known:
            continue
        found = modes.get(oid)
        if found is None:
            modes[oid] = {mode}
            rest[oid] = (filenode, scans or 0)
        else:
            found.add(mode)
    return {oid: Held(frozenset(found), *rest[oid]) for oid, found in modes.items()}
