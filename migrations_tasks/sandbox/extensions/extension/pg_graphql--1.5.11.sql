-- sandbox stand-in for pg_graphql: the schema and functions migrations reference, no GraphQL engine.
\echo Use "CREATE EXTENSION pg_graphql" to load this file. \quit

CREATE FUNCTION graphql.resolve(
  query text,
  variables jsonb DEFAULT '{}',
  "operationName" text DEFAULT NULL,
  extensions jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE sql VOLATILE AS $$
  SELECT jsonb_build_object('data', NULL, 'errors', jsonb_build_array(jsonb_build_object(
    'message', 'sandbox stand-in: pg_graphql does not resolve GraphQL queries in the sandbox')))
$$;

-- Reads the @graphql({...}) directive from a COMMENT, as pg_graphql does.
CREATE FUNCTION graphql.comment_directive(comment_ text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN comment_ ~ '@graphql\((.*)\)'
              THEN substring(comment_ FROM '@graphql\((.*)\)')::jsonb END
$$;

CREATE FUNCTION graphql.exception(message text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = '22000', MESSAGE = message;
END;
$$;

CREATE SEQUENCE graphql.seq_schema_version AS integer CYCLE;

CREATE FUNCTION graphql.get_schema_version() RETURNS integer LANGUAGE sql SECURITY DEFINER AS $$
  SELECT last_value::integer FROM graphql.seq_schema_version
$$;

CREATE FUNCTION graphql.increment_schema_version() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  PERFORM pg_catalog.nextval('graphql.seq_schema_version');
END;
$$;

CREATE FUNCTION graphql.rebuild_schema() RETURNS void LANGUAGE sql AS $$ SELECT NULL::void $$;

GRANT USAGE ON SCHEMA graphql TO PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA graphql TO PUBLIC;
GRANT SELECT ON graphql.seq_schema_version TO PUBLIC;
