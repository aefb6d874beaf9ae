-- sandbox stand-in for hypopg 1.4: hypothetical indexes are recorded per session, never planned with.
\echo Use "CREATE EXTENSION hypopg" to load this file. \quit

CREATE SEQUENCE @extschema@._sandbox_hypo_oid START 13000000;

CREATE FUNCTION @extschema@.hypopg_create_index(sql_order text, OUT indexrelid oid, OUT indexname text)
RETURNS SETOF record LANGUAGE plpgsql VOLATILE STRICT AS $$
DECLARE
  rel regclass;
  am text;
BEGIN
  IF sql_order !~* '^\s*create\s+(unique\s+)?index' THEN
    RAISE EXCEPTION 'hypopg: SQL order #1 is not a CREATE INDEX statement';
  END IF;
  BEGIN
    EXECUTE sql_order;
    RAISE SQLSTATE 'HY000';
  EXCEPTION WHEN SQLSTATE 'HY000' THEN
    NULL;
  END;
  rel := substring(sql_order FROM '(?i)\son\s+(?:only\s+)?([^\s(]+)')::regclass;
  am := coalesce(lower(substring(sql_order FROM '(?i)\susing\s+(\w+)')), 'btree');
  indexrelid := nextval('@extschema@._sandbox_hypo_oid')::oid;
  indexname := '<' || indexrelid || '>' || am || '_' || (SELECT relname FROM pg_catalog.pg_class WHERE oid = rel);
  PERFORM set_config('sandbox_hypopg.indexes',
    coalesce(nullif(current_setting('sandbox_hypopg.indexes', true), ''), '[]')::jsonb
      || jsonb_build_array(jsonb_build_object('indexrelid', indexrelid, 'index_name', indexname,
           'schema_name', (SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n
                              ON n.oid = c.relnamespace WHERE c.oid = rel),
           'table_name', (SELECT relname FROM pg_catalog.pg_class WHERE oid = rel), 'am_name', am,
           'indexdef', sql_order))::text, false);
  RETURN NEXT;
END
$$;

CREATE FUNCTION @extschema@._sandbox_hypo_list() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('sandbox_hypopg.indexes', true), ''), '[]')::jsonb
$$;

CREATE VIEW @extschema@.hypopg_list_indexes AS
SELECT (e ->> 'indexrelid')::oid AS indexrelid, e ->> 'index_name' AS index_name,
       (e ->> 'schema_name')::name AS schema_name, (e ->> 'table_name')::name AS table_name,
       (e ->> 'am_name')::name AS am_name
  FROM jsonb_array_elements(@extschema@._sandbox_hypo_list()) e;

CREATE FUNCTION @extschema@.hypopg_reset() RETURNS void LANGUAGE sql AS $$
  SELECT set_config('sandbox_hypopg.indexes', '[]', false)::void
$$;
CREATE FUNCTION @extschema@.hypopg_drop_index(indexid oid) RETURNS boolean LANGUAGE sql AS $$
  SELECT EXISTS (SELECT 1 FROM jsonb_array_elements(@extschema@._sandbox_hypo_list()) e
                  WHERE (e ->> 'indexrelid')::oid = indexid)
     AND set_config('sandbox_hypopg.indexes',
           (SELECT coalesce(jsonb_agg(e), '[]') FROM jsonb_array_elements(@extschema@._sandbox_hypo_list()) e
             WHERE (e ->> 'indexrelid')::oid <> indexid)::text, false) IS NOT NULL
$$;
CREATE FUNCTION @extschema@.hypopg_relation_size(indexid oid) RETURNS bigint LANGUAGE sql AS $$ SELECT 0::bigint $$;
CREATE FUNCTION @extschema@.hypopg_get_indexdef(indexid oid) RETURNS text LANGUAGE sql AS $$
  SELECT e ->> 'indexdef' FROM jsonb_array_elements(@extschema@._sandbox_hypo_list()) e
   WHERE (e ->> 'indexrelid')::oid = indexid
$$;
CREATE FUNCTION @extschema@.hypopg(OUT indexname text, OUT indexrelid oid, OUT indrelid oid, OUT innatts integer,
  OUT indisunique boolean, OUT indkey int2vector, OUT indcollation oidvector, OUT indclass oidvector,
  OUT indoption oidvector, OUT indexprs pg_node_tree, OUT indpred pg_node_tree, OUT amid oid)
RETURNS SETOF record LANGUAGE sql AS $$
  SELECT NULL::text, NULL::oid, NULL::oid, NULL::integer, NULL::boolean, NULL::int2vector, NULL::oidvector,
         NULL::oidvector, NULL::oidvector, NULL::pg_node_tree, NULL::pg_node_tree, NULL::oid WHERE false
$$;
CREATE FUNCTION @extschema@.hypopg_hide_index(indexid oid) RETURNS boolean LANGUAGE sql AS $$ SELECT false $$;
CREATE FUNCTION @extschema@.hypopg_unhide_index(indexid oid) RETURNS boolean LANGUAGE sql AS $$ SELECT false $$;
CREATE FUNCTION @extschema@.hypopg_unhide_all_indexes() RETURNS void LANGUAGE sql AS $$ SELECT NULL::void $$;
