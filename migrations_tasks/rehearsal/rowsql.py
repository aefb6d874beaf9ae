"""The SQL of the data checks (pure): bounded counts, and the parts only the live catalog knows.

A check's count query may hold :data:`RESOLVED`: the live database replaces it, in the same read-only
request, by what a *resolve* query it is given finds in its catalog (a primary key, a constraint's
definition, the unique indexes and constraints of a table an ``INSERT`` writes into, the columns of a domain,
a partitioned table's key). A resolve query that finds nothing it needs gives NULL, and the check is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

#: The most offending rows a check counts: "more than 1,000" beyond it.
CAP = 1000
#: The most rows an UPDATE's or DELETE's row count counts: "more than 100,000" beyond it.
LOCKED_CAP = 100_000
#: Where a check's count query takes what :attr:`Check.resolve` finds in the live catalog.
RESOLVED = "@mt_resolved@"
#: Where a partition bound's condition takes the partitioned table's key.
KEY = "@mt_key@"
_VALUE = re.compile(r"\bvalue\b", re.IGNORECASE)


@dataclass(frozen=True)
class Reads:
    """The columns a check reads, of its table and of a referenced table."""

    columns: Sequence[str] = ()
    parent: str = ""
    parent_columns: Sequence[str] = ()


def bounded(body: str, cap: int = CAP) -> str:
    """Return a count of the rows of ``body`` (``FROM ... WHERE ...``) that stops at ``cap`` + 1."""
    return f"SELECT count(*) FROM (SELECT 1 {body} LIMIT {cap + 1}) s"


def literal(text: str) -> str:
    """Return ``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _names_array(names: Sequence[str]) -> str:
    return "ARRAY[" + ", ".join(literal(n) for n in names) + "]::text[]"


def primary_key_match_sql(parent: str, fks: Sequence[str]) -> str:
    """Return SQL giving ``p.<key> = c.<fk> AND ...``: the referenced table's primary key, paired in order."""
    from .names import ident

    children = "ARRAY[" + ", ".join(literal(ident(k)) for k in fks) + "]"
    return (
        f"SELECT string_agg(format('p.%I = c.%s', a.attname, ({children})[k.n]), ' AND ' ORDER BY k.n)"
        " FROM pg_catalog.pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n)"
        " JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        f" WHERE i.indrelid = pg_catalog.to_regclass({literal(parent)}) AND i.indisprimary"
        f" HAVING count(*) = {len(fks)}"
    )


def constraint_rows_sql(table: str, name: str) -> str:
    """Return SQL giving ``FROM ... WHERE ...`` of the rows a live CHECK or FOREIGN KEY constraint rejects."""
    where = f"co.conrelid = pg_catalog.to_regclass({literal(table)}) AND co.conname = {literal(name)}"
    check = (
        "SELECT format('FROM %s WHERE NOT (%s)', co.conrelid::regclass, pg_catalog.pg_get_expr(co.conbin, co.conrelid))"
        f" FROM pg_catalog.pg_constraint co WHERE {where} AND co.contype = 'c'"
    )
    foreign = (
        "SELECT format('FROM %s c WHERE %s AND NOT EXISTS (SELECT 1 FROM %s p WHERE %s)', co.conrelid::regclass,"
        " string_agg(format('c.%I IS NOT NULL', ca.attname), ' AND ' ORDER BY k.n), co.confrelid::regclass,"
        " string_agg(format('p.%I = c.%I', pa.attname, ca.attname), ' AND ' ORDER BY k.n))"
        " FROM pg_catalog.pg_constraint co"
        " CROSS JOIN LATERAL unnest(co.conkey, co.confkey) WITH ORDINALITY k(ck, fk, n)"
        " JOIN pg_catalog.pg_attribute ca ON ca.attrelid = co.conrelid AND ca.attnum = k.ck"
        " JOIN pg_catalog.pg_attribute pa ON pa.attrelid = co.confrelid AND pa.attnum = k.fk"
        f" WHERE {where} AND co.contype = 'f' GROUP BY co.conrelid, co.confrelid"
    )
    return f"SELECT coalesce(({check}), ({foreign}))"


def _listed(table: str, columns: Sequence[str], width: int) -> str:
    """Return SQL giving the columns an INSERT writes, in order: named, else the table's first ``width``."""
    if columns:
        return _names_array(columns)
    return (
        "(SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM (SELECT attname, attnum"
        f" FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass({literal(table)})"
        f" AND attnum > 0 AND NOT attisdropped ORDER BY attnum LIMIT {width}) a)::text[]"
    )


#: tgtype's bits: a row trigger, fired before, on INSERT, on UPDATE
_BEFORE_ROW = {"insert": 1 | 2 | 4, "update": 1 | 2 | 16}


def unless_triggered(table: str, event: str, sql: str) -> str:
    """Return SQL giving what ``sql`` gives, or NULL (unknown) when a BEFORE ROW trigger on ``event`` may change
    the rows the statement writes."""
    bits = _BEFORE_ROW[event]
    return (
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t"
        f" WHERE t.tgrelid = pg_catalog.to_regclass({literal(table)}) AND NOT t.tgisinternal"
        f" AND t.tgenabled <> 'D' AND t.tgtype::int & {bits} = {bits}) THEN NULL ELSE ({sql}) END"
    )


def updated_rows_sql(
    table: str, sets: Sequence[tuple[str, str]], where: str, matched_only: bool, alias: str = ""
) -> str:
    """Return SQL giving the text of a SELECT of the table's rows as an UPDATE leaves them, every column in order
    (``matched_only``: the rows it changes)."""
    cond = where or "true"
    names, values = _names_array([c for c, _ in sets]), "ARRAY[" + ", ".join(literal(v) for _, v in sets) + "]"
    rest = f" || {literal(' WHERE ' + cond)}" if matched_only else ""
    return (
        "SELECT 'SELECT ' || string_agg(CASE WHEN k.i IS NULL THEN quote_ident(a.attname::text)"
        f" WHEN {literal(cond)} = 'true' THEN format('(%s)', ({values})[k.i])"
        f" ELSE format('CASE WHEN %s THEN (%s) ELSE %I END', {literal(cond)}, ({values})[k.i], a.attname) END,"
        f" ', ' ORDER BY a.attnum) || ' FROM ' || {literal(f'{table} {alias}' if alias else table)}{rest}"
        f" FROM pg_catalog.pg_attribute a CROSS JOIN LATERAL (SELECT array_position({names}, a.attname::text) AS i) k"
        f" WHERE a.attrelid = pg_catalog.to_regclass({literal(table)}) AND a.attnum > 0 AND NOT a.attisdropped"
    )


def delete_orphans_sql(table: str, where: str, alias: str = "") -> str:
    """Return SQL giving ``FROM ... WHERE ...`` of the rows a DELETE removes that a row of another table still
    references through a foreign key that forbids it (NO ACTION, RESTRICT; SET NULL on a NOT NULL column)."""
    cond, rel = where or "true", f"pg_catalog.to_regclass({literal(table)})"
    keys = (
        "SELECT format('EXISTS (SELECT 1 FROM %s c WHERE %s%s)', co.conrelid::regclass,"
        f" string_agg(format('c.%I = {(alias or table).replace(chr(39), chr(39) * 2)}.%I', ca.attname, pa.attname),"
        " ' AND ' ORDER BY k.n),"
        f" CASE WHEN co.conrelid = co.confrelid THEN {literal(f' AND NOT coalesce(({cond}), false)')} ELSE '' END)"
        " AS cond FROM pg_catalog.pg_constraint co"
        " CROSS JOIN LATERAL unnest(co.conkey, co.confkey) WITH ORDINALITY k(ck, fk, n)"
        " JOIN pg_catalog.pg_attribute ca ON ca.attrelid = co.conrelid AND ca.attnum = k.ck"
        " JOIN pg_catalog.pg_attribute pa ON pa.attrelid = co.confrelid AND pa.attnum = k.fk"
        f" WHERE co.confrelid = {rel} AND co.contype = 'f' AND (co.confdeltype IN ('a', 'r')"
        " OR co.confdeltype = 'n' AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute na WHERE na.attrelid = co.conrelid"
        " AND na.attnum = ANY(co.conkey) AND na.attnotnull))"
        " GROUP BY co.oid, co.conrelid, co.confrelid"
    )
    return (
        f"SELECT format('FROM %s WHERE (%s) AND (%s)', {literal(f'{table} {alias}'.rstrip())}, {literal(cond)},"
        f" coalesce(string_agg(x.cond, ' OR '), 'false')) FROM ({keys}) x"
    )


def insert_source(source: str, table: str, columns: Sequence[str], width: int) -> str:
    """Return SQL giving ``(SELECT CAST(...) ...) n(<the columns it writes>)``: an INSERT's new rows, by column
    name, each value cast to its column's type as the INSERT would (``'…'`` to a uuid key, ``1`` to a bigint)
    (``source`` is SQL text, or ``(SELECT ...)``: SQL that gives it)."""
    names = _listed(table, columns, width)
    given = source if source.startswith("(SELECT ") else literal(source)
    typed = (
        "SELECT string_agg(CASE WHEN a.atttypid IS NULL THEN format('s.%I', u.c)"
        " ELSE format('CAST(s.%I AS %s)', u.c, pg_catalog.format_type(a.atttypid, a.atttypmod)) END, ', '"
        f" ORDER BY u.o) FROM unnest({names}) WITH ORDINALITY u(c, o) LEFT JOIN pg_catalog.pg_attribute a"
        f" ON a.attrelid = pg_catalog.to_regclass({literal(table)}) AND a.attname = u.c AND NOT a.attisdropped"
    )
    aliases = f"SELECT string_agg(quote_ident(c), ', ' ORDER BY o) FROM unnest({names}) WITH ORDINALITY u(c, o)"
    return f"SELECT format('(SELECT %s FROM (%s) s(%s)) n(%s)', ({typed}), {given}, ({aliases}), ({aliases}))"


def insert_conflicts_sql(table: str, columns: Sequence[str], width: int, source: str, whole: bool = False) -> str:
    """Return SQL giving ``FROM ... WHERE ...`` of an INSERT's new rows that a unique index of ``table`` refuses.

    A new row is refused when its key is already held by a live row or by another new row (NULLs apart,
    unless the index has NULLS NOT DISTINCT; a partial index's predicate on both). An index on a column the
    INSERT does not write is left out when that column gets a fresh value (identity, a sequence) or NULL.
    ``whole``: the rows are the whole table as an UPDATE leaves it, so only each other count.
    """
    names, rel = _listed(table, columns, width), f"pg_catalog.to_regclass({literal(table)})"
    keys = "(i.indkey::int2[])[0:i.indnkeyatts - 1]"
    skipped = (
        "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d"
        " ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        f" WHERE a.attrelid = i.indrelid AND a.attnum = ANY({keys}) AND NOT (a.attname::text = ANY(({names})))"
        " AND (a.attidentity <> '' OR pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%'"
        " OR (d.adbin IS NULL AND NOT i.nnd)))"
    )
    per_index = (
        "SELECT i.r, i.nnd, i.pred, k.n, '(' || pg_catalog.pg_get_indexdef(i.indexrelid, k.n, true) || ')' AS e"
        " FROM (SELECT x.*, row_number() OVER (ORDER BY x.indexrelid) AS r,"
        " coalesce((to_jsonb(x) ->> 'indnullsnotdistinct')::boolean, false) AS nnd,"
        " coalesce(pg_catalog.pg_get_expr(x.indpred, x.indrelid, true), 'true') AS pred"
        f" FROM pg_catalog.pg_index x WHERE x.indrelid = {rel} AND x.indisunique) i"
        f" CROSS JOIN LATERAL generate_series(1, i.indnkeyatts) k(n) WHERE NOT {skipped}"
    )
    held = (  # a live row holds the key already (not asked of the whole table: it holds every row)
        "''"
        if whole
        else "format(' OR EXISTS (SELECT 1 FROM (SELECT %s FROM %s WHERE %s) e WHERE %s)',"
        f" string_agg(format('%s AS v%s', e, n), ', ' ORDER BY n), {rel}, pred,"
        " string_agg(format(CASE WHEN nnd THEN 'e.v%s IS NOT DISTINCT FROM n.mt_%s_%s' ELSE 'e.v%s = n.mt_%s_%s'"
        " END, n, r, n), ' AND ' ORDER BY n))"
    )
    grouped = (
        "SELECT r, format(', %s, coalesce((%s), false) AS mt_%s_p, count(*) OVER (PARTITION BY coalesce((%s), false),"
        " %s) AS mt_%s_c', string_agg(format('%s AS mt_%s_%s', e, r, n), ', ' ORDER BY n), pred, r, pred,"
        " string_agg(e, ', ' ORDER BY n), r) AS proj,"
        " format('(n.mt_%s_p AND (n.mt_%s_c > 1%s%s))', r, r,"
        " CASE WHEN nnd THEN '' ELSE string_agg(format(' AND n.mt_%s_%s IS NOT NULL', r, n), '' ORDER BY n) END,"
        f" {held}) AS cond"
        f" FROM ({per_index}) k GROUP BY r, nnd, pred"
    )
    rows = insert_source(source, table, columns, width)
    return (
        f"SELECT format('FROM (SELECT n.*%s FROM %s) n WHERE %s', string_agg(g.proj, '' ORDER BY g.r), ({rows}),"
        f" coalesce(string_agg(g.cond, ' OR ' ORDER BY g.r), 'false')) FROM ({grouped}) g"
    )


def insert_violations_sql(table: str, columns: Sequence[str], width: int, source: str, foreign: bool = False) -> str:
    """Return SQL giving ``FROM ... WHERE ...`` of an INSERT's new rows that a NOT NULL or CHECK constraint of
    ``table`` refuses (with ``foreign``: a FOREIGN KEY); one on a column it does not write is left out."""
    names, rel = _listed(table, columns, width), f"pg_catalog.to_regclass({literal(table)})"
    not_null = (
        "SELECT CASE WHEN a.attname::text = ANY(l.names) THEN format('n.%I IS NULL', a.attname) ELSE 'true' END"
        " AS cond FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d"
        " ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        f" WHERE a.attrelid = {rel} AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull"
        " AND (a.attname::text = ANY(l.names) OR (d.adbin IS NULL AND a.attidentity = '' AND a.attgenerated = ''))"
    )
    written = (
        "NOT EXISTS (SELECT 1 FROM unnest(co.conkey) ck JOIN pg_catalog.pg_attribute ca"
        " ON ca.attrelid = co.conrelid AND ca.attnum = ck WHERE NOT (ca.attname::text = ANY(l.names)))"
    )
    check = (
        "SELECT format('NOT coalesce((%s), true)', pg_catalog.pg_get_expr(co.conbin, co.conrelid)) AS cond"
        f" FROM pg_catalog.pg_constraint co WHERE co.conrelid = {rel} AND co.contype = 'c' AND {written}"
    )
    orphans = (
        "SELECT format('(%s AND NOT EXISTS (SELECT 1 FROM %s p WHERE %s))',"
        " string_agg(format('n.%I IS NOT NULL', ca.attname), ' AND ' ORDER BY k.n), co.confrelid::regclass,"
        " string_agg(format('p.%I = n.%I', pa.attname, ca.attname), ' AND ' ORDER BY k.n)) AS cond"
        " FROM pg_catalog.pg_constraint co"
        " CROSS JOIN LATERAL unnest(co.conkey, co.confkey) WITH ORDINALITY k(ck, fk, n)"
        " JOIN pg_catalog.pg_attribute ca ON ca.attrelid = co.conrelid AND ca.attnum = k.ck"
        " JOIN pg_catalog.pg_attribute pa ON pa.attrelid = co.confrelid AND pa.attnum = k.fk"
        f" WHERE co.conrelid = {rel} AND co.contype = 'f' AND {written} GROUP BY co.oid, co.confrelid"
    )
    rows = insert_source(source, table, columns, width)
    conditions = orphans if foreign else f"{not_null} UNION ALL {check}"
    return (
        f"SELECT format('FROM %s WHERE %s', ({rows}), coalesce(string_agg(c.cond, ' OR '), 'false'))"
        f" FROM (SELECT {names} AS names) l CROSS JOIN LATERAL ({conditions}) c"
    )


def domain_rows_sql(domain: str, condition: str, live_constraint: str = "") -> str:
    """Return SQL giving ``FROM (...) mt_d``: the rows of every live column of ``domain`` where ``condition``
    (over ``VALUE``) holds; with ``live_constraint``, the condition is NOT that live domain constraint."""
    cond = literal(condition)
    if live_constraint:
        cond = (
            "(SELECT 'NOT coalesce((' || pg_catalog.pg_get_expr(co.conbin, 0) || '), true)'"
            f" FROM pg_catalog.pg_constraint co WHERE co.contypid = pg_catalog.to_regtype({literal(domain)})"
            f" AND co.conname = {literal(live_constraint)} AND co.contype = 'c')"
        )
    return (
        "SELECT format('FROM (%s) mt_d', coalesce(string_agg(format('SELECT 1 FROM %s CROSS JOIN LATERAL"
        f" (SELECT %I AS value) mt_v WHERE %s', a.attrelid::regclass, a.attname, {cond}), ' UNION ALL '),"
        " 'SELECT 1 WHERE false')) FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
        f" WHERE a.atttypid = pg_catalog.to_regtype({literal(domain)}) AND a.attnum > 0 AND NOT a.attisdropped"
        " AND c.relkind IN ('r', 'm')"
    )


def domain_find_sql(domain: str, condition: str) -> str:
    """Return the query a user runs to find the columns of ``domain`` and so the rows a condition names."""
    return (
        "SELECT attrelid::regclass, attname FROM pg_attribute"
        f" WHERE atttypid = {literal(domain)}::regtype AND attnum > 0 AND NOT attisdropped"
        f" -- then, per column c of table t: SELECT count(*) FROM t WHERE {_VALUE.sub('c', condition)}"
    )


def partition_rows_sql(parent: str, rows_of: str, condition: str) -> str:
    """Return SQL giving ``FROM <rows_of> WHERE <condition>``, the live partition key of ``parent`` written
    where the condition says :data:`KEY`; ``rows_of`` is a table, or "default" for ``parent``'s default
    partition (no rows when it has none)."""
    key = "regexp_replace(pg_catalog.pg_get_partkeydef(pt.partrelid), '^[A-Z]+ \\((.*)\\)$', '\\1')"
    where = f"replace({literal(condition)}, {literal(KEY)}, {key})"
    if rows_of == "default":
        body = (
            f"CASE WHEN pt.partdefid = 0 THEN 'FROM (SELECT) mt_none WHERE false'"
            f" ELSE format('FROM %s WHERE %s', pt.partdefid::regclass, {where}) END"
        )
    else:
        body = f"format('FROM %s WHERE %s', {literal(rows_of)}, {where})"
    return (
        f"SELECT {body} FROM pg_catalog.pg_partitioned_table pt"
        f" WHERE pt.partrelid = pg_catalog.to_regclass({literal(parent)})"
    )


def other_partitions_sql(parent: str) -> str:
    """Return SQL giving the condition "a row belongs to one of ``parent``'s live partitions" (for a new default)."""
    return (
        "SELECT coalesce(string_agg('coalesce((' || pg_catalog.pg_get_partition_constraintdef(h.inhrelid)"
        " || '), false)', ' OR '), 'false') FROM pg_catalog.pg_inherits h"
        f" WHERE h.inhparent = pg_catalog.to_regclass({literal(parent)})"
    )


def index_nulls_sql(index: str) -> str:
    """Return SQL giving ``c1 IS NULL OR ...`` over the columns of a live index (NULL: no such index)."""
    return (
        "SELECT string_agg(format('%I IS NULL', a.attname), ' OR ') FROM pg_catalog.pg_index i"
        " JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey::int2[])"
        f" WHERE i.indexrelid = pg_catalog.to_regclass({literal(index)})"
    )
