-- Part 7: the GraphQL endpoint's entry point. pg_graphql itself is a stand-in extension (schema
-- graphql, created in file 20); graphql_public.graphql() is what the API calls, as on Supabase.

CREATE FUNCTION graphql_public.graphql(
  "operationName" text DEFAULT NULL,
  query text DEFAULT NULL,
  variables jsonb DEFAULT NULL,
  extensions jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE sql AS $$
  SELECT graphql.resolve(
    query := query,
    variables := coalesce(variables, '{}'),
    "operationName" := "operationName",
    extensions := extensions);
$$;
ALTER FUNCTION graphql_public.graphql(text, text, jsonb, jsonb) OWNER TO supabase_admin;
GRANT EXECUTE ON FUNCTION graphql_public.graphql(text, text, jsonb, jsonb)
  TO postgres, anon, authenticated, service_role;
