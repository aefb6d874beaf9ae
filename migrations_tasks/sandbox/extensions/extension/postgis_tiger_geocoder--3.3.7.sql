-- sandbox stand-in for postgis_tiger_geocoder.
\echo Use "CREATE EXTENSION postgis_tiger_geocoder" to load this file. \quit

CREATE SCHEMA tiger_data;  -- where the loaders put TIGER's tables (empty here)

CREATE TYPE tiger.norm_addy AS (
  address integer, predirabbrev varchar, streetname varchar, streettypeabbrev varchar, postdirabbrev varchar,
  internal varchar, location varchar, stateabbrev varchar, zip varchar, parsed boolean, zip4 varchar,
  address_alphanumeric varchar);
CREATE TABLE tiger.loader_variables (tiger_year varchar PRIMARY KEY, website_root text, staging_fold text,
  data_schema text, staging_schema text);
CREATE FUNCTION tiger._sandbox_nogeocoding() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: the TIGER geocoder has no data in the sandbox' USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION tiger.geocode(input varchar, max_results integer DEFAULT 10, restrict_geom @extschema:postgis@.geometry DEFAULT NULL,
  OUT addy tiger.norm_addy, OUT geomout @extschema:postgis@.geometry, OUT rating integer) RETURNS SETOF record
LANGUAGE plpgsql STABLE AS $$ BEGIN PERFORM tiger._sandbox_nogeocoding(); END $$;
CREATE FUNCTION tiger.reverse_geocode(pt @extschema:postgis@.geometry, include_strnum_range boolean DEFAULT false,
  OUT intpt @extschema:postgis@.geometry[], OUT addy tiger.norm_addy[], OUT street varchar[]) RETURNS record
LANGUAGE plpgsql STABLE STRICT AS $$ BEGIN PERFORM tiger._sandbox_nogeocoding(); END $$;
CREATE FUNCTION tiger.normalize_address(in_rawinput varchar) RETURNS tiger.norm_addy
LANGUAGE plpgsql IMMUTABLE STRICT AS $$ BEGIN PERFORM tiger._sandbox_nogeocoding(); RETURN NULL; END $$;
GRANT USAGE ON SCHEMA tiger TO PUBLIC;
