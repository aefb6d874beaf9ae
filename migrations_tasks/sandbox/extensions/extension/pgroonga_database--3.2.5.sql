-- sandbox stand-in for pgroonga_database.
\echo Use "CREATE EXTENSION pgroonga_database" to load this file. \quit
CREATE FUNCTION @extschema@.pgroonga_database_remove() RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
