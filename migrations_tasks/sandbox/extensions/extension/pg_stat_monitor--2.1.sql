-- sandbox stand-in for pg_stat_monitor 2.1: the view (empty) and the helper functions.
\echo Use "CREATE EXTENSION pg_stat_monitor" to load this file. \quit

CREATE VIEW @extschema@.pg_stat_monitor AS
SELECT NULL::bigint AS bucket, NULL::timestamp AS bucket_start_time, NULL::oid AS userid, NULL::text AS username,
       NULL::oid AS dbid, NULL::text AS datname, NULL::inet AS client_ip, NULL::bigint AS pgsm_query_id,
       NULL::bigint AS queryid, NULL::boolean AS toplevel, NULL::bigint AS top_queryid, NULL::text AS query,
       NULL::text AS comments, NULL::bigint AS planid, NULL::text AS query_plan, NULL::text AS top_query,
       NULL::text AS application_name, NULL::text[] AS relations, NULL::integer AS cmd_type,
       NULL::text AS cmd_type_text, NULL::integer AS elevel, NULL::text AS sqlcode, NULL::text AS message,
       NULL::bigint AS calls, NULL::double precision AS total_exec_time, NULL::double precision AS min_exec_time,
       NULL::double precision AS max_exec_time, NULL::double precision AS mean_exec_time,
       NULL::double precision AS stddev_exec_time, NULL::bigint AS rows
 WHERE false;

CREATE FUNCTION @extschema@.pg_stat_monitor_reset() RETURNS void LANGUAGE sql AS $$ SELECT NULL::void $$;
CREATE FUNCTION @extschema@.pg_stat_monitor_version() RETURNS text LANGUAGE sql AS $$ SELECT '2.1.0'::text $$;
CREATE FUNCTION @extschema@.get_histogram_timings() RETURNS text LANGUAGE sql AS $$ SELECT ''::text $$;
CREATE FUNCTION @extschema@.decode_error_level(elevel integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE elevel WHEN 0 THEN '' WHEN 19 THEN 'WARNING' WHEN 21 THEN 'ERROR' WHEN 22 THEN 'FATAL'
                     WHEN 23 THEN 'PANIC' ELSE '' END
$$;
GRANT SELECT ON @extschema@.pg_stat_monitor TO PUBLIC;
