"""The parts of the catalog snapshot beyond the core and the detail: everything else ``pg_dump --schema-only``
emits for the user's schemas, and what a user may change in Supabase's own (pure SQL text).

Each part is a JSON object ``{object name: value}``, read in the same request as the core snapshot; two
snapshots' parts are compared value by value (:mod:`.compare`). Objects are keyed by name only: oids, file
nodes, statistics and dropped-column remnants change when an object is re-created. :data:`EXISTENCE_ELSEWHERE`
names the parts whose objects the core already reports as added or removed (only their changes count here).
"""

from __future__ import annotations

from collections.abc import Sequence

from .core import ATTACHED_SCHEMAS
from .schemas import commented_objects_sql, user_schema_condition

_ACL = "(SELECT coalesce(json_agg(a::text ORDER BY a::text), '[]') FROM unnest({acl}) a)"
_TABLE_ACL = """coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))"""
_CLS = "pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
_REL = "format('%I.%I', n.nspname, c.relname)"
#: Schemas where users may add policies, triggers and grants to Supabase's tables.
WRITABLE_PLATFORM_SCHEMAS = ATTACHED_SCHEMAS
#: Roles whose settings a project's postgres may change (``ALTER ROLE ... SET``), and its own.
SETTABLE_ROLES = ("anon", "authenticated", "service_role", "authenticator", "postgres")
#: Parts whose objects the core snapshot reports as added or removed: only a changed value counts here.
EXISTENCE_ELSEWHERE = frozenset(
    {"table properties", "column properties", "index state", "column order", "owners", "extensions", "type privileges"}
)


def _not_member(catalog: str, oid: str) -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep WHERE dep.classid = '{catalog}'::regclass "
        f"AND dep.objid = {oid} AND dep.deptype = 'e')"
    )


def _shape_parts(user: str, user_or_attached: str) -> dict[str, str]:
    """Return the SQL of each part about types, comments, column order, owners and type privileges."""
    return {
        "types": f"""SELECT format('%I.%I', n.nspname, t.typname), json_build_object('kind', t.typtype,
       'base', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
       'attributes', (SELECT json_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod))
                      ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
       'checks', (SELECT json_agg(pg_get_constraintdef(k.oid) ORDER BY k.conname) FROM pg_catalog.pg_constraint k
                  WHERE k.contypid = t.oid))
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE {user} AND t.typtype IN ('c', 'd', 'r', 'm', 'b') AND t.typcategory <> 'A'
   AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_type'::regclass
                   AND d.objid = t.oid AND d.deptype IN ('e', 'i'))""",
        "comments": f"""SELECT format('%s %s', o.type, o.identity), to_json(d.description)
  {commented_objects_sql(user, user_or_attached)}""",
        "column order": f"""SELECT format('%I.%I', n.nspname, c.relname),
       (SELECT json_agg(a.attname ORDER BY a.attnum)
       FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
  FROM {_CLS} WHERE {user} AND c.relkind IN ('r', 'p')""",
        "owners": f"""SELECT format('%I.%I', n.nspname, c.relname),
       to_json(pg_catalog.pg_get_userbyid(c.relowner)::text)
  FROM {_CLS} WHERE {user} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
UNION ALL
SELECT format('function %I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),
       to_json(pg_catalog.pg_get_userbyid(p.proowner)::text)
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE {user} AND {_not_member("pg_proc", "p.oid")}
UNION ALL
SELECT format('type %I.%I', n.nspname, t.typname), to_json(pg_catalog.pg_get_userbyid(t.typowner)::text)
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE {user} AND t.typtype IN ('e', 'c', 'd', 'r', 'm') AND t.typcategory <> 'A'
   AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
   AND {_not_member("pg_type", "t.oid")}
UNION ALL
SELECT format('schema %I', n.nspname), to_json(pg_catalog.pg_get_userbyid(n.nspowner)::text)
  FROM pg_catalog.pg_namespace n WHERE {user}""",
        "type privileges": f"""SELECT format('%I.%I', n.nspname, t.typname),
       {_ACL.format(acl="coalesce(t.typacl, acldefault('T', t.typowner))")}
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE {user} AND t.typtype IN ('e', 'c', 'd', 'r', 'm') AND t.typcategory <> 'A'
   AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
   AND {_not_member("pg_type", "t.oid")}""",
    }


def _relation_parts(user: str) -> dict[str, str]:
    """Return the SQL of the parts about tables, columns, indexes and rules."""
    return {
        "table properties": f"""SELECT {_REL}, json_strip_nulls(json_build_object(
       'persistence', CASE c.relpersistence WHEN 'u' THEN 'unlogged' WHEN 't' THEN 'temporary' END,
       'storage options', (SELECT json_agg(o ORDER BY o) FROM unnest(c.reloptions) o),
       'access method', (SELECT am.amname FROM pg_catalog.pg_am am WHERE am.oid = c.relam AND am.amname <> 'heap'
                         AND c.relkind IN ('r', 'p', 'm')),
       'replica identity', CASE c.relreplident WHEN 'f' THEN 'full' WHEN 'n' THEN 'nothing' WHEN 'i' THEN
         'index ' || (SELECT quote_ident(ri.relname) FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ri
                      ON ri.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisreplident) END,
       'partition key', CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
       'partition of', (SELECT format('%I.%I', pn.nspname, pc.relname) FROM pg_catalog.pg_inherits i
                        JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
                        JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
                        WHERE i.inhrelid = c.oid AND c.relispartition),
       'partition bound', pg_catalog.pg_get_expr(c.relpartbound, c.oid),
       'inherits', (SELECT json_agg(format('%I.%I', pn.nspname, pc.relname) ORDER BY i.inhseqno)
                    FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
                    JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
                    WHERE i.inhrelid = c.oid AND NOT c.relispartition),
       'of type', CASE WHEN c.reloftype <> 0 THEN c.reloftype::regtype::text END,
       'clustered on', (SELECT quote_ident(ic.relname) FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic
                        ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisclustered),
       'foreign table options', (SELECT json_agg(o ORDER BY o) FROM pg_catalog.pg_foreign_table ft,
                                 unnest(ft.ftoptions) o WHERE ft.ftrelid = c.oid),
       'foreign server', (SELECT fs.srvname FROM pg_catalog.pg_foreign_table ft JOIN pg_catalog.pg_foreign_server fs
                          ON fs.oid = ft.ftserver WHERE ft.ftrelid = c.oid)))
  FROM {_CLS} WHERE {user} AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_not_member("pg_class", "c.oid")}""",
        "column properties": f"""SELECT format('%I.%I.%I', n.nspname, c.relname, a.attname),
       json_strip_nulls(json_build_object(
       'collation', CASE WHEN a.attcollation <> t.typcollation THEN (SELECT format('%I.%I', cn.nspname, co.collname)
         FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
         WHERE co.oid = a.attcollation) END,
       'statistics target', CASE WHEN a.attstattarget >= 0 THEN a.attstattarget END,
       'storage', CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END,
       'compression', nullif(a.attcompression::text, ''),
       'options', (SELECT json_agg(o ORDER BY o) FROM unnest(a.attoptions) o),
       'foreign options', (SELECT json_agg(o ORDER BY o) FROM unnest(a.attfdwoptions) o),
       'not null constraint', (SELECT k.conname FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid
         AND k.contype = 'n' AND k.conkey = ARRAY[a.attnum]
         AND k.conname <> format('%s_%s_not_null', c.relname, a.attname))))
  FROM pg_catalog.pg_attribute a JOIN {_CLS} ON c.oid = a.attrelid JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
 WHERE {user} AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
   AND {_not_member("pg_class", "c.oid")}""",
        "index state": f"""SELECT {_REL}, json_build_object('valid', i.indisvalid, 'ready', i.indisready)
  FROM pg_catalog.pg_index i JOIN {_CLS} ON c.oid = i.indexrelid WHERE {user}""",
        "rules": f"""SELECT format('%I on %I.%I', r.rulename, n.nspname, c.relname),
       to_json(pg_catalog.pg_get_ruledef(r.oid))
  FROM pg_catalog.pg_rewrite r JOIN {_CLS} ON c.oid = r.ev_class WHERE {user} AND r.rulename <> '_RETURN'""",
        "statistics objects": """SELECT format('%I.%I', n.nspname, s.stxname),
       json_build_object('definition', pg_catalog.pg_get_statisticsobjdef(s.oid), 'target', s.stxstattarget)
  FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
 WHERE """
        + user,
    }


def _database_parts(user: str, writable: str) -> dict[str, str]:
    """Return the SQL of the parts about publications, default privileges, settings and other objects."""
    roles = ", ".join(f"'{r}'" for r in SETTABLE_ROLES)
    return {
        "publications": """SELECT quote_ident(p.pubname), json_build_object('all tables', p.puballtables,
       'insert', p.pubinsert, 'update', p.pubupdate, 'delete', p.pubdelete, 'truncate', p.pubtruncate,
       'via root', p.pubviaroot) FROM pg_catalog.pg_publication p""",
        "publication tables": """SELECT format('%I: %I.%I', p.pubname, n.nspname, c.relname),
       json_strip_nulls(json_build_object('columns', (SELECT json_agg(a.attname ORDER BY a.attnum)
         FROM pg_catalog.pg_attribute a WHERE a.attrelid = pr.prrelid AND a.attnum = ANY(pr.prattrs)),
       'row filter', pg_catalog.pg_get_expr(pr.prqual, pr.prrelid)))
  FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
  JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT format('%I: tables in schema %I', p.pubname, n.nspname), 'true'::json
  FROM pg_catalog.pg_publication_namespace pn JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid
  JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid""",
        "default privileges": f"""SELECT format('for %s in %s on %s', quote_ident(pg_get_userbyid(d.defaclrole)),
       coalesce(quote_ident(n.nspname), 'all schemas'), CASE d.defaclobjtype WHEN 'r' THEN 'tables'
       WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions' WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' END),
       {_ACL.format(acl="d.defaclacl")}
  FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
 WHERE n.oid IS NULL OR {writable}""",
        "settings": f"""SELECT CASE WHEN s.setrole = 0 THEN 'database' ELSE 'role ' || quote_ident(r.rolname) END,
       (SELECT json_agg(o ORDER BY o) FROM unnest(s.setconfig) o)
  FROM pg_catalog.pg_db_role_setting s LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
 WHERE s.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))
   AND (s.setrole = 0 OR r.rolname IN ({roles}))""",
        "event triggers": """SELECT quote_ident(e.evtname), json_build_object('event', e.evtevent,
       'enabled', e.evtenabled, 'function', e.evtfoid::regprocedure::text, 'tags', e.evttags)
  FROM pg_catalog.pg_event_trigger e WHERE """
        + _not_member("pg_event_trigger", "e.oid"),
        "foreign servers": """SELECT quote_ident(s.srvname), json_build_object('wrapper', w.fdwname,
       'type', s.srvtype, 'version', s.srvversion, 'options', (SELECT json_agg(CASE
         WHEN o ~* '^[a-z_]*(password|secret|token|key)[a-z_]*=' THEN split_part(o, '=', 1) || '=(secret, not compared)'
         ELSE o END ORDER BY o) FROM unnest(s.srvoptions) o))
  FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
 WHERE """
        + _not_member("pg_foreign_server", "s.oid"),
        "security labels": f"""SELECT format('%s %s (%s)', o.type, o.identity, l.provider), to_json(l.label)
  FROM pg_catalog.pg_seclabel l CROSS JOIN LATERAL pg_catalog.pg_identify_object(l.classoid, l.objoid, l.objsubid) o
  JOIN pg_catalog.pg_namespace n ON n.nspname = o.schema WHERE {user}""",
        "user mappings": """SELECT format('for %s on server %s', CASE WHEN m.umuser = 0 THEN 'PUBLIC'
       ELSE quote_ident(pg_get_userbyid(m.umuser)) END, quote_ident(s.srvname)), 'true'::json
  FROM pg_catalog.pg_user_mapping m JOIN pg_catalog.pg_foreign_server s ON s.oid = m.umserver""",
        "extensions": """SELECT quote_ident(e.extname), json_build_object('version', e.extversion,
       'schema', e.extnamespace::regnamespace::text) FROM pg_catalog.pg_extension e""",
        "other objects": f"""SELECT format('%s %s', o.type, o.identity), m.def
  FROM (SELECT 'pg_collation'::regclass AS classid, x.oid, x.collnamespace AS nsp, json_build_object(
          'provider', x.collprovider, 'deterministic', x.collisdeterministic, 'collate', x.collcollate,
          'ctype', x.collctype) AS def FROM pg_catalog.pg_collation x
        UNION ALL SELECT 'pg_conversion'::regclass, x.oid, x.connamespace, json_build_object(
          'from', pg_catalog.pg_encoding_to_char(x.conforencoding),
          'to', pg_catalog.pg_encoding_to_char(x.contoencoding),
          'function', x.conproc::regproc::text, 'default', x.condefault) FROM pg_catalog.pg_conversion x
        UNION ALL SELECT 'pg_operator'::regclass, x.oid, x.oprnamespace, json_build_object(
          'function', x.oprcode::regproc::text, 'left', x.oprleft::regtype::text, 'right', x.oprright::regtype::text,
          'commutator', x.oprcom::regoperator::text, 'negator', x.oprnegate::regoperator::text,
          'restrict', x.oprrest::regproc::text, 'join', x.oprjoin::regproc::text, 'hashes', x.oprcanhash,
          'merges', x.oprcanmerge) FROM pg_catalog.pg_operator x
        UNION ALL SELECT 'pg_opclass'::regclass, x.oid, x.opcnamespace, json_build_object(
          'method', (SELECT am.amname FROM pg_catalog.pg_am am WHERE am.oid = x.opcmethod),
          'type', x.opcintype::regtype::text, 'default', x.opcdefault) FROM pg_catalog.pg_opclass x
        UNION ALL SELECT 'pg_opfamily'::regclass, x.oid, x.opfnamespace, json_build_object(
          'method', (SELECT am.amname FROM pg_catalog.pg_am am WHERE am.oid = x.opfmethod))
          FROM pg_catalog.pg_opfamily x
        UNION ALL SELECT 'pg_ts_config'::regclass, x.oid, x.cfgnamespace, json_build_object(
          'parser', (SELECT format('%I.%I', pn.nspname, p.prsname) FROM pg_catalog.pg_ts_parser p
            JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace WHERE p.oid = x.cfgparser),
          'mappings', (SELECT json_agg(format('%s: %s', (SELECT tt.alias FROM pg_catalog.ts_token_type(x.cfgparser) tt
            WHERE tt.tokid = cm.maptokentype), cm.mapdict::regdictionary::text) ORDER BY cm.maptokentype, cm.mapseqno)
            FROM pg_catalog.pg_ts_config_map cm WHERE cm.mapcfg = x.oid)) FROM pg_catalog.pg_ts_config x
        UNION ALL SELECT 'pg_ts_dict'::regclass, x.oid, x.dictnamespace, json_build_object(
          'template', (SELECT format('%I.%I', tn.nspname, t.tmplname) FROM pg_catalog.pg_ts_template t
            JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace WHERE t.oid = x.dicttemplate),
          'options', x.dictinitoption) FROM pg_catalog.pg_ts_dict x
        UNION ALL SELECT 'pg_proc'::regclass, x.oid, x.pronamespace, (SELECT json_build_object(
          'kind', g.aggkind, 'transition', g.aggtransfn::regproc::text, 'final', g.aggfinalfn::regproc::text,
          'combine', g.aggcombinefn::regproc::text, 'state', g.aggtranstype::regtype::text, 'initial', g.agginitval,
          'final extra', g.aggfinalextra, 'final modify', g.aggfinalmodify, 'serial', g.aggserialfn::regproc::text,
          'deserial', g.aggdeserialfn::regproc::text, 'state space', g.aggtransspace,
          'sort', g.aggsortop::regoper::text,
          'moving', g.aggmtransfn::regproc::text, 'moving inverse', g.aggminvtransfn::regproc::text,
          'moving state', g.aggmtranstype::regtype::text, 'moving final', g.aggmfinalfn::regproc::text,
          'moving initial', g.aggminitval, 'parallel', x.proparallel)
          FROM pg_catalog.pg_aggregate g WHERE g.aggfnoid = x.oid) FROM pg_catalog.pg_proc x WHERE x.prokind = 'a')
       AS m JOIN pg_catalog.pg_namespace n ON n.oid = m.nsp
  CROSS JOIN LATERAL pg_catalog.pg_identify_object(m.classid, m.oid, 0) o
 WHERE {user} AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep WHERE dep.classid = m.classid
       AND dep.objid = m.oid AND dep.deptype = 'e')
UNION ALL
SELECT format('cast %s', o.identity), json_build_object('function', CASE WHEN k.castfunc <> 0
       THEN k.castfunc::regprocedure::text END, 'context', k.castcontext, 'method', k.castmethod)
  FROM pg_catalog.pg_cast k CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_cast'::regclass, k.oid, 0) o
 WHERE k.oid >= 16384 AND {_not_member("pg_cast", "k.oid")}""",
    }


def all_parts(schemas: Sequence[str] = (), ignore: Sequence[str] = ()) -> dict[str, str]:
    """Return every part's SQL (``SELECT name, value``) for the user schemas."""
    user = user_schema_condition("n.nspname", schemas, ignore)
    writable = f"({user} OR n.nspname IN ({', '.join(repr(s) for s in WRITABLE_PLATFORM_SCHEMAS)}))"
    return {**_shape_parts(user, writable), **_relation_parts(user), **_database_parts(user, writable)}


def parts_sql(schemas: Sequence[str] = (), ignore: Sequence[str] = ()) -> str:
    """Return an expression: a JSON object of every part, each ``{name: value}``."""
    parts = ",\n ".join(
        f"'{key}', (SELECT coalesce(json_object_agg(x.name, x.value), '{{}}') FROM ({query}) x(name, value))"
        for key, query in all_parts(schemas, ignore).items()
    )
    return f"json_build_object(\n {parts})"
