-- sandbox stand-in for pgRouting 3.4: signatures of the common functions; routing raises.
\echo Use "CREATE EXTENSION pgrouting" to load this file. \quit

CREATE FUNCTION @extschema@.pgr_version() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT '3.4.1'::text $$;
CREATE FUNCTION @extschema@.pgr_full_version(OUT version text, OUT build_type text, OUT compile_date text, OUT library text, OUT system text, OUT postgresql text, OUT compiler text, OUT boost text, OUT hash text)
RETURNS record LANGUAGE sql IMMUTABLE AS $$ SELECT '3.4.1', 'sandbox', '', 'sandbox stand-in', '', '', '', '', '' $$;
CREATE FUNCTION @extschema@.pgr_dijkstra(text, bigint, bigint, directed boolean DEFAULT true, OUT seq integer, OUT path_seq integer, OUT start_vid bigint, OUT end_vid bigint, OUT node bigint, OUT edge bigint, OUT cost double precision, OUT agg_cost double precision) RETURNS SETOF record LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: pgRouting''s pgr_dijkstra is not available in the sandbox' USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.pgr_dijkstra(text, bigint, anyarray, directed boolean DEFAULT true, OUT seq integer, OUT path_seq integer, OUT start_vid bigint, OUT end_vid bigint, OUT node bigint, OUT edge bigint, OUT cost double precision, OUT agg_cost double precision) RETURNS SETOF record LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: pgRouting''s pgr_dijkstra is not available in the sandbox' USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.pgr_dijkstra(text, anyarray, bigint, directed boolean DEFAULT true, OUT seq integer, OUT path_seq integer, OUT start_vid bigint, OUT end_vid bigint, OUT node bigint, OUT edge bigint, OUT cost double precision, OUT agg_cost double precision) RETURNS SETOF record LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: pgRouting''s pgr_dijkstra is not available in the sandbox' USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.pgr_dijkstra(text, anyarray, anyarray, directed boolean DEFAULT true, OUT seq integer, OUT path_seq integer, OUT start_vid bigint, OUT end_vid bigint, OUT node bigint, OUT edge bigint, OUT cost double precision, OUT agg_cost double precision) RETURNS SETOF record LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: pgRouting''s pgr_dijkstra is not available in the sandbox' USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.pgr_astar(text, bigint, bigint, directed boolean DEFAULT true, heuristic integer DEFAULT 5, factor double precision DEFAULT 1.0, epsilon double precision DEFAULT 1.0, OUT seq integer, OUT path_seq integer, OUT start_vid bigint, OUT end_vid bigint, OUT node bigint, OUT edge bigint, OUT cost double precision, OUT agg_cost double precision) RETURNS SETOF record LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: pgRouting''s pgr_astar is not available in the sandbox' USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.pgr_bdDijkstra(text, bigint, bigint, directed boolean DEFAULT true, OUT seq integer, OUT path_seq integer, OUT start_vid bigint, OUT end_vid bigint, OUT node bigint, OUT edge bigint, OUT cost double precision, OUT agg_cost double precision) RETURNS SETOF record LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: pgRouting''s pgr_bdDijkstra is not available in the sandbox' USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.pgr_drivingDistance(text, bigint, double precision, directed boolean DEFAULT true, OUT seq bigint, OUT depth bigint, OUT start_vid bigint, OUT pred bigint, OUT node bigint, OUT edge bigint, OUT cost double precision, OUT agg_cost double precision) RETURNS SETOF record LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: pgRouting''s pgr_drivingDistance is not available in the sandbox' USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.pgr_ksp(text, bigint, bigint, integer, directed boolean DEFAULT true, heap_paths boolean DEFAULT false, OUT seq integer, OUT path_seq integer, OUT start_vid bigint, OUT end_vid bigint, OUT node bigint, OUT edge bigint, OUT cost double precision, OUT agg_cost double precision) RETURNS SETOF record LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: pgRouting''s pgr_ksp is not available in the sandbox' USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.pgr_tsp(text, start_id bigint DEFAULT 0, end_id bigint DEFAULT 0, OUT seq integer, OUT node bigint, OUT cost double precision, OUT agg_cost double precision) RETURNS SETOF record LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: pgRouting''s pgr_tsp is not available in the sandbox' USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.pgr_createTopology(text, double precision, the_geom text DEFAULT 'the_geom', id text DEFAULT 'id', source text DEFAULT 'source', target text DEFAULT 'target', rows_where text DEFAULT 'true', clean boolean DEFAULT false)
RETURNS varchar LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: pgRouting''s pgr_createTopology is not available in the sandbox' USING ERRCODE = '0A000';
END
$$;
