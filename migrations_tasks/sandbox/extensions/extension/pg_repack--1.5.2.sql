-- sandbox stand-in for pg_repack: the schema and the functions the client checks for.
\echo Use "CREATE EXTENSION pg_repack" to load this file. \quit

CREATE SCHEMA repack;
CREATE FUNCTION repack.version() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'pg_repack 1.5.2 (sandbox stand-in)'::text $$;
CREATE FUNCTION repack.version_sql() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'pg_repack 1.5.2'::text $$;
