-- sandbox stand-in for RUM 1.3: an index access method named rum, backed by GIN with PostgreSQL's
-- own tsvector and array support functions, plus rum's distance operators as plain functions.
\echo Use "CREATE EXTENSION rum" to load this file. \quit

CREATE ACCESS METHOD rum TYPE INDEX HANDLER pg_catalog.ginhandler;

CREATE FUNCTION @extschema@.rum_ts_distance(tsvector, tsquery) RETURNS real LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT CASE WHEN ts_rank($1, $2) = 0 THEN 'Infinity'::real ELSE (1 / ts_rank($1, $2))::real END
$$;
CREATE FUNCTION @extschema@.rum_ts_score(tsvector, tsquery) RETURNS real LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT ts_rank($1, $2)
$$;
CREATE OPERATOR <=> (LEFTARG = tsvector, RIGHTARG = tsquery, FUNCTION = @extschema@.rum_ts_distance);
CREATE FUNCTION @extschema@.rum_timestamp_distance(timestamp, timestamp) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT abs(extract(epoch FROM $1 - $2))::double precision $$;
CREATE OPERATOR <=> (LEFTARG = timestamp, RIGHTARG = timestamp, FUNCTION = @extschema@.rum_timestamp_distance);
CREATE FUNCTION @extschema@.rum_timestamptz_distance(timestamptz, timestamptz) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT abs(extract(epoch FROM $1 - $2))::double precision $$;
CREATE OPERATOR <=> (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = @extschema@.rum_timestamptz_distance);
CREATE FUNCTION @extschema@.rum_anyarray_distance(anyarray, anyarray) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT 1 - (SELECT count(*) FROM (SELECT unnest($1) INTERSECT SELECT unnest($2)) i)::double precision
             / greatest(1, (SELECT count(*) FROM (SELECT unnest($1) UNION SELECT unnest($2)) u))
$$;
CREATE OPERATOR <=> (LEFTARG = anyarray, RIGHTARG = anyarray, FUNCTION = @extschema@.rum_anyarray_distance);

CREATE OPERATOR CLASS @extschema@.rum_tsvector_ops DEFAULT FOR TYPE tsvector USING rum AS
  OPERATOR 1 pg_catalog.@@ (tsvector, tsquery),
  FUNCTION 1 pg_catalog.gin_cmp_tslexeme(text, text),
  FUNCTION 2 pg_catalog.gin_extract_tsvector(tsvector, internal, internal),
  FUNCTION 3 pg_catalog.gin_extract_tsquery(tsvector, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 pg_catalog.gin_tsquery_consistent(internal, int2, tsvector, int4, internal, internal, internal, internal),
  FUNCTION 5 pg_catalog.gin_cmp_prefix(text, text, int2, internal),
  FUNCTION 6 pg_catalog.gin_tsquery_triconsistent(internal, int2, tsvector, int4, internal, internal, internal),
  STORAGE text;

CREATE OPERATOR CLASS @extschema@.rum_tsvector_hash_ops FOR TYPE tsvector USING rum AS
  OPERATOR 1 pg_catalog.@@ (tsvector, tsquery),
  FUNCTION 1 pg_catalog.gin_cmp_tslexeme(text, text),
  FUNCTION 2 pg_catalog.gin_extract_tsvector(tsvector, internal, internal),
  FUNCTION 3 pg_catalog.gin_extract_tsquery(tsvector, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 pg_catalog.gin_tsquery_consistent(internal, int2, tsvector, int4, internal, internal, internal, internal),
  FUNCTION 5 pg_catalog.gin_cmp_prefix(text, text, int2, internal),
  FUNCTION 6 pg_catalog.gin_tsquery_triconsistent(internal, int2, tsvector, int4, internal, internal, internal),
  STORAGE text;

CREATE OPERATOR CLASS @extschema@.rum_tsvector_addon_ops FOR TYPE tsvector USING rum AS
  OPERATOR 1 pg_catalog.@@ (tsvector, tsquery),
  FUNCTION 1 pg_catalog.gin_cmp_tslexeme(text, text),
  FUNCTION 2 pg_catalog.gin_extract_tsvector(tsvector, internal, internal),
  FUNCTION 3 pg_catalog.gin_extract_tsquery(tsvector, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 pg_catalog.gin_tsquery_consistent(internal, int2, tsvector, int4, internal, internal, internal, internal),
  FUNCTION 5 pg_catalog.gin_cmp_prefix(text, text, int2, internal),
  FUNCTION 6 pg_catalog.gin_tsquery_triconsistent(internal, int2, tsvector, int4, internal, internal, internal),
  STORAGE text;

CREATE OPERATOR CLASS @extschema@.rum_tsvector_hash_addon_ops FOR TYPE tsvector USING rum AS
  OPERATOR 1 pg_catalog.@@ (tsvector, tsquery),
  FUNCTION 1 pg_catalog.gin_cmp_tslexeme(text, text),
  FUNCTION 2 pg_catalog.gin_extract_tsvector(tsvector, internal, internal),
  FUNCTION 3 pg_catalog.gin_extract_tsquery(tsvector, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 pg_catalog.gin_tsquery_consistent(internal, int2, tsvector, int4, internal, internal, internal, internal),
  FUNCTION 5 pg_catalog.gin_cmp_prefix(text, text, int2, internal),
  FUNCTION 6 pg_catalog.gin_tsquery_triconsistent(internal, int2, tsvector, int4, internal, internal, internal),
  STORAGE text;

CREATE OPERATOR CLASS @extschema@.rum_anyarray_ops DEFAULT FOR TYPE anyarray USING rum AS
  OPERATOR 1 pg_catalog.&& (anyarray, anyarray), OPERATOR 2 pg_catalog.@> (anyarray, anyarray),
  OPERATOR 3 pg_catalog.<@ (anyarray, anyarray), OPERATOR 4 pg_catalog.= (anyarray, anyarray),
  FUNCTION 2 pg_catalog.ginarrayextract(anyarray, internal, internal),
  FUNCTION 3 pg_catalog.ginqueryarrayextract(anyarray, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 pg_catalog.ginarrayconsistent(internal, int2, anyarray, int4, internal, internal, internal, internal),
  FUNCTION 6 pg_catalog.ginarraytriconsistent(internal, int2, anyarray, int4, internal, internal, internal),
  STORAGE anyelement;

CREATE OPERATOR CLASS @extschema@.rum_anyarray_addon_ops FOR TYPE anyarray USING rum AS
  OPERATOR 1 pg_catalog.&& (anyarray, anyarray), OPERATOR 2 pg_catalog.@> (anyarray, anyarray),
  OPERATOR 3 pg_catalog.<@ (anyarray, anyarray), OPERATOR 4 pg_catalog.= (anyarray, anyarray),
  FUNCTION 2 pg_catalog.ginarrayextract(anyarray, internal, internal),
  FUNCTION 3 pg_catalog.ginqueryarrayextract(anyarray, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 pg_catalog.ginarrayconsistent(internal, int2, anyarray, int4, internal, internal, internal, internal),
  FUNCTION 6 pg_catalog.ginarraytriconsistent(internal, int2, anyarray, int4, internal, internal, internal),
  STORAGE anyelement;
