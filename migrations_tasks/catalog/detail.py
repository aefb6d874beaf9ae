"""The detail of the catalog snapshot: what turning a difference into SQL needs (pure SQL text).

Under the core snapshot's object names (:mod:`.core`), :func:`detail_sql` reads names quoted by PostgreSQL
(``quote_ident``), object ids (to create objects in the order the live database created them), whether an
object was inherited from a partitioned parent, sequences, grants (without ``MAINTAIN``, PostgreSQL 17+
only, and without the owner's own privileges), comments, publication membership and table properties.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import core
from .definitions import definitions_sql
from .schemas import user_schema_condition

#: Categories whose objects carry grants, and the GRANT keyword of each.
GRANTED = {
    "tables": "TABLE",
    "views": "TABLE",
    "sequences": "SEQUENCE",
    "identity_sequences": "SEQUENCE",  # an identity column's: only its grants are its own
    "functions": "FUNCTION",
    "schema_grants": "SCHEMA",
}
SEQUENCE_FIELDS = ("type", "start", "increment", "min", "max", "cache", "cycle", "owned_by")

_CLS = "pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
_REL = "format('%I.%I', n.nspname, c.relname)"


#: The views and policies that use enum ``ty`` or a column of it (a recreated enum needs them out of the way).
_ENUM_DEPENDANTS = """(SELECT coalesce(json_agg(DISTINCT CASE WHEN d.classid = 'pg_rewrite'::regclass
          THEN (SELECT format('%I.%I', vn.nspname, vc.relname) FROM pg_catalog.pg_rewrite r
                JOIN pg_catalog.pg_class vc ON vc.oid = r.ev_class
                JOIN pg_catalog.pg_namespace vn ON vn.oid = vc.relnamespace WHERE r.oid = d.objid)
          ELSE (SELECT format('%I on %I.%I', p.polname, pn.nspname, pc.relname) FROM pg_catalog.pg_policy p
                JOIN pg_catalog.pg_class pc ON pc.oid = p.polrelid
                JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace WHERE p.oid = d.objid) END), '[]')
      FROM pg_catalog.pg_depend d
      WHERE d.classid IN ('pg_rewrite'::regclass, 'pg_policy'::regclass)
        AND ((d.refclassid = 'pg_type'::regclass AND d.refobjid IN (ty.oid, ty.typarray))
          OR (d.refclassid = 'pg_class'::regclass AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                  AND a.atttypid IN (ty.oid, ty.typarray)))))"""


def _not_member(catalog: str, oid: str) -> str:
    """Return the condition that an object does not belong to an extension."""
    return (
        f"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep WHERE dep.classid = '{catalog}'::regclass "
        f"AND dep.objid = {oid} AND dep.deptype = 'e')"
    )


def _acl(acl: str, kind: str, owner: str) -> str:
    """Return an expression: the JSON array of an object's grants as ``grantee PRIVILEGE [WITH GRANT OPTION]``."""
    entry = (
        "CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x.grantee)) END "
        "|| ' ' || x.privilege_type || CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END"
    )
    return (
        f"(SELECT coalesce(json_agg(DISTINCT {entry}), '[]') "
        f"FROM aclexplode(coalesce({acl}, acldefault('{kind}', {owner}))) x "
        f"WHERE x.grantee <> {owner} AND x.privilege_type <> 'MAINTAIN')"
    )


#: An identity column's sequence options (``SET INCREMENT BY`` and friends), else null.
_IDENTITY_OPTIONS = """(SELECT json_build_object('start', s.seqstart::text, 'increment', s.seqincrement::text,
        'min', s.seqmin::text, 'max', s.seqmax::text, 'cache', s.seqcache::text, 'cycle', s.seqcycle)
        FROM pg_catalog.pg_depend dep JOIN pg_catalog.pg_sequence s ON s.seqrelid = dep.objid
        WHERE a.attidentity <> '' AND dep.classid = 'pg_class'::regclass AND dep.refobjid = c.oid
          AND dep.refobjsubid = a.attnum AND dep.deptype = 'i' LIMIT 1)"""


def _columns_sql() -> str:
    """Return an expression: the JSON array of table ``c``'s columns with their quoted names and type ids."""
    return f"""(SELECT coalesce(json_agg(json_build_object(
        'name', a.attname, 'ident', quote_ident(a.attname), 'default_oid', d.oid::bigint,
        'local', a.attislocal, 'type_storage', t.typstorage,
        'type_oid', et.oid::bigint, 'array', t.oid <> et.oid,
        'elem', format('%I.%I', etn.nspname, et.typname),
        'collation', CASE WHEN a.attcollation <> t.typcollation THEN (SELECT format('%I.%I', cn.nspname, co.collname)
          FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
          WHERE co.oid = a.attcollation) END, 'identity_options', {_IDENTITY_OPTIONS},
        'not_null_name', (SELECT quote_ident(k.conname) FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid
          AND k.contype = 'n' AND k.conkey = ARRAY[a.attnum]
          AND k.conname <> format('%s_%s_not_null', c.relname, a.attname))) ORDER BY a.attnum), '[]')
      FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
      JOIN pg_catalog.pg_type et
        ON et.oid = CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN t.typelem ELSE t.oid END
      JOIN pg_catalog.pg_namespace etn ON etn.oid = et.typnamespace
      LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)"""


#: The parents of table ``c`` other than a partitioned one, in order.
_INHERITS = """(SELECT json_agg(format('%I.%I', pn.nspname, pc.relname) ORDER BY i.inhseqno)
        FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
        JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
        WHERE i.inhrelid = c.oid AND NOT c.relispartition)"""


def _relations_sql(user: str) -> list[str]:
    """Return the detail entries of tables, sequences and views."""
    parent = (
        "(SELECT format('%I.%I', pn.nspname, pc.relname) FROM pg_catalog.pg_inherits i "
        "JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent "
        "JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace "
        "WHERE i.inhrelid = c.oid AND c.relispartition)"
    )
    owned = (
        "(SELECT format('%I.%I.%I', tn.nspname, tc.relname, ta.attname) FROM pg_catalog.pg_depend dep "
        "JOIN pg_catalog.pg_class tc ON tc.oid = dep.refobjid "
        "JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace "
        "JOIN pg_catalog.pg_attribute ta ON ta.attrelid = tc.oid AND ta.attnum = dep.refobjsubid "
        "WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid AND dep.deptype = 'a' LIMIT 1)"
    )
    identity = (
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep WHERE dep.classid = 'pg_class'::regclass "
        "AND dep.objid = c.oid AND dep.deptype = 'i')"
    )
    not_ext = _not_member("pg_class", "c.oid")
    return [
        f"""'tables', (SELECT coalesce(json_agg(json_build_object('name', {_REL}, 'oid', c.oid::bigint,
      'schema', quote_ident(n.nspname), 'relident', quote_ident(c.relname),
      'persistence', c.relpersistence, 'partkey', CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
      'parent', {parent}, 'bound', CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
      'acl', {_acl("c.relacl", "r", "c.relowner")}, 'column_detail', {_columns_sql()},
      'replica', c.relreplident, 'replica_index', (SELECT quote_ident(ri.relname) FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_class ri ON ri.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisreplident),
      'options', (SELECT coalesce(json_agg(o ORDER BY o), '[]') FROM unnest(c.reloptions) o),
      'of_type', CASE WHEN c.reloftype <> 0 THEN c.reloftype::regtype::text END, 'inherits', {_INHERITS})), '[]')
   FROM {_CLS} WHERE c.relkind IN ('r', 'p', 'f') AND {user} AND {not_ext})""",
        f"""'sequences', (SELECT coalesce(json_agg(json_build_object('name', {_REL}, 'oid', c.oid::bigint,
      'type', format_type(s.seqtypid, NULL), 'start', s.seqstart::text, 'increment', s.seqincrement::text,
      'min', s.seqmin::text, 'max', s.seqmax::text, 'cache', s.seqcache::text, 'cycle', s.seqcycle,
      'owned_by', {owned}, 'acl', {_acl("c.relacl", "s", "c.relowner")})), '[]')
   FROM {_CLS} JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
   WHERE {user} AND {not_ext} AND {identity})""",
        f"""'identity_sequences', (SELECT coalesce(json_agg(json_build_object('name', {_REL}, 'oid', c.oid::bigint,
      'acl', {_acl("c.relacl", "s", "c.relowner")})), '[]')
   FROM {_CLS} WHERE c.relkind = 'S' AND {user} AND {not_ext} AND NOT {identity})""",
        f"""'views', (SELECT coalesce(json_agg(json_build_object('name', {_REL}, 'oid', c.oid::bigint,
      'acl', {_acl("c.relacl", "r", "c.relowner")}, 'view_columns', (SELECT coalesce(json_agg(
        format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum), '[]')
        FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))), '[]')
   FROM {_CLS} WHERE c.relkind IN ('v', 'm') AND {user} AND {not_ext})""",
    ]


def _table_parts_sql(user: str, attached: str, function_user: str) -> list[str]:
    """Return the detail entries of constraints, indexes, policies and triggers (named as drift names them)."""
    not_ext = _not_member("pg_class", "c.oid")
    return [
        f"""'constraints', (SELECT coalesce(json_agg(json_build_object('name', format('%I on %s', k.conname, {_REL}),
      'ident', quote_ident(k.conname), 'table', {_REL}, 'type', k.contype, 'oid', k.oid::bigint,
      'inherited', NOT k.conislocal OR k.conparentid <> 0)), '[]')
   FROM pg_catalog.pg_constraint k JOIN {_CLS} ON c.oid = k.conrelid
   WHERE k.contype <> 'n' AND {user} AND {not_ext})""",
        f"""'indexes', (SELECT coalesce(json_agg(json_build_object('name', format('%I.%I', n.nspname, ic.relname),
      'ident', quote_ident(ic.relname), 'schema', quote_ident(n.nspname), 'table', {_REL}, 'oid', ic.oid::bigint,
      'inherited', ic.relispartition, 'partitioned', c.relkind = 'p')), '[]')
   FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid JOIN {_CLS} ON c.oid = i.indrelid
   WHERE {user} AND {not_ext})""",
        f"""'policies', (SELECT coalesce(json_agg(json_build_object('name', format('%I on %s', p.polname, {_REL}),
      'ident', quote_ident(p.polname), 'table', {_REL}, 'oid', p.oid::bigint,
      'role_idents', (SELECT coalesce(json_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END
                                               ORDER BY 1), '[]') FROM unnest(p.polroles) r))), '[]')
   FROM pg_catalog.pg_policy p JOIN {_CLS} ON c.oid = p.polrelid WHERE {user} OR {attached})""",
        f"""'triggers', (SELECT coalesce(json_agg(json_build_object('name', format('%I on %s', t.tgname, {_REL}),
      'ident', quote_ident(t.tgname), 'table', {_REL}, 'oid', t.oid::bigint, 'inherited', t.tgparentid <> 0)), '[]')
   FROM pg_catalog.pg_trigger t JOIN {_CLS} ON c.oid = t.tgrelid
   JOIN pg_catalog.pg_proc f ON f.oid = t.tgfoid JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace
   WHERE NOT t.tgisinternal AND ({user} OR {function_user}))""",
    ]


def _objects_sql(user: str) -> list[str]:
    """Return the detail entries of functions, enums, extensions and schemas."""
    return [
        f"""'functions', (SELECT coalesce(json_agg(json_build_object(
      'name', format('%I.%I(%s)', n.nspname, f.proname, pg_get_function_identity_arguments(f.oid)),
      'oid', f.oid::bigint, 'kind', f.prokind, 'arguments', pg_get_function_arguments(f.oid),
      'result', pg_get_function_result(f.oid), 'acl', {_acl("f.proacl", "f", "f.proowner")},
      'implicit', EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_proc'::regclass
        AND d.objid = f.oid AND d.refclassid = 'pg_type'::regclass AND d.deptype = 'i'))), '[]')
   FROM pg_catalog.pg_proc f JOIN pg_catalog.pg_namespace n ON n.oid = f.pronamespace
   WHERE f.prokind IN ('f', 'p', 'w') AND {user} AND {_not_member("pg_proc", "f.oid")})""",
        f"""'enums', (SELECT coalesce(json_agg(json_build_object('name', format('%I.%I', n.nspname, ty.typname),
      'oid', ty.oid::bigint, 'schema', quote_ident(n.nspname), 'typname', ty.typname,
      'dependants', {_ENUM_DEPENDANTS})), '[]')
   FROM pg_catalog.pg_type ty JOIN pg_catalog.pg_namespace n ON n.oid = ty.typnamespace
   WHERE ty.typtype = 'e' AND {user} AND {_not_member("pg_type", "ty.oid")})""",
        """'extensions', (SELECT coalesce(json_agg(json_build_object('name', e.extname, 'ident', quote_ident(e.extname),
      'schema_ident', quote_ident(n.nspname), 'oid', e.oid::bigint)), '[]')
   FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace)""",
        f"""'schemas', (SELECT coalesce(json_agg(json_build_object('name', n.nspname, 'ident', quote_ident(n.nspname),
      'oid', n.oid::bigint)), '[]')
   FROM pg_catalog.pg_namespace n WHERE {user} AND n.nspname <> 'public')""",
        f"""'schema_grants', (SELECT coalesce(json_agg(json_build_object('name', n.nspname,
      'ident', quote_ident(n.nspname), 'oid', n.oid::bigint, 'acl', {_acl("n.nspacl", "n", "n.nspowner")})), '[]')
   FROM pg_catalog.pg_namespace n WHERE {user})""",
        f"""'column_grants', (SELECT coalesce(json_agg(json_build_object('name', format('%s.%I', {_REL}, a.attname),
      'table', {_REL}, 'column', a.attname, 'ident', quote_ident(a.attname), 'oid', c.oid::bigint)), '[]')
   FROM pg_catalog.pg_attribute a JOIN {_CLS} ON c.oid = a.attrelid
   WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND {user})""",
    ]


def _properties_sql(user: str) -> list[str]:
    """Return the detail entry of publication membership (not in the drift check)."""
    return [
        f"""'publications', (SELECT coalesce(json_agg(json_build_object(
      'name', format('%s: %s', quote_ident(pub.pubname), {_REL}), 'pub', quote_ident(pub.pubname),
      'table', {_REL}, 'filter', pg_catalog.pg_get_expr(pr.prqual, pr.prrelid),
      'columns', (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = pr.prrelid AND a.attnum = ANY(pr.prattrs)))), '[]')
   FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_publication pub ON pub.oid = pr.prpubid
   JOIN {_CLS} ON c.oid = pr.prrelid WHERE {user})""",
    ]


def detail_sql(schemas: Sequence[str] = (), ignore: Sequence[str] = ()) -> str:
    """Return an expression whose value is a JSON object: per category, what generating statements needs."""
    user = user_schema_condition("n.nspname", schemas, ignore)
    attached = "n.nspname IN (" + ", ".join(f"'{s}'" for s in core.ATTACHED_SCHEMAS) + ")"
    function_user = user_schema_condition("fn.nspname", schemas, ignore)
    parts = [*_relations_sql(user), *_table_parts_sql(user, attached, function_user), *_objects_sql(user)]
    writable = f"({user} OR {attached})"
    parts += [*_properties_sql(user), *definitions_sql(user, writable)]
    return "json_build_object(\n " + ",\n ".join(parts) + "\n)"
