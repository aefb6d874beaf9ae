-- sandbox stand-in for postgis_raster: the raster type, so columns can be declared.
\echo Use "CREATE EXTENSION postgis_raster" to load this file. \quit

CREATE TYPE @extschema@.raster;
CREATE FUNCTION @extschema@.raster_in(cstring) RETURNS @extschema@.raster LANGUAGE internal IMMUTABLE STRICT AS 'textin';
CREATE FUNCTION @extschema@.raster_out(@extschema@.raster) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'textout';
CREATE TYPE @extschema@.raster (INPUT = @extschema@.raster_in, OUTPUT = @extschema@.raster_out, INTERNALLENGTH = VARIABLE,
  STORAGE = extended);

CREATE FUNCTION @extschema@.st_value(@extschema@.raster, @extschema@.geometry) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: raster functions are not available in the sandbox' USING ERRCODE = '0A000';
END
$$;

CREATE VIEW @extschema@.raster_columns AS
SELECT current_database() AS r_table_catalog, n.nspname AS r_table_schema, c.relname AS r_table_name,
       a.attname AS r_raster_column
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE a.atttypid = '@extschema@.raster'::regtype AND a.attnum > 0 AND NOT a.attisdropped;
