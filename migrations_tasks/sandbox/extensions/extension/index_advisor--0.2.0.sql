-- sandbox stand-in for index_advisor 0.2: same signature; costs come from EXPLAIN, no recommendations.
\echo Use "CREATE EXTENSION index_advisor" to load this file. \quit

CREATE FUNCTION @extschema@.index_advisor(query text)
RETURNS TABLE (startup_cost_before jsonb, startup_cost_after jsonb, total_cost_before jsonb,
               total_cost_after jsonb, index_statements text[], errors text[])
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  plan jsonb;
BEGIN
  IF query ~ ';\s*\S' THEN
    RETURN QUERY SELECT NULL::jsonb, NULL::jsonb, NULL::jsonb, NULL::jsonb, '{}'::text[],
                        ARRAY['Query must not contain a semicolon'];
    RETURN;
  END IF;
  BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON, GENERIC_PLAN) ' || query INTO plan;
  EXCEPTION WHEN OTHERS THEN
    RETURN QUERY SELECT NULL::jsonb, NULL::jsonb, NULL::jsonb, NULL::jsonb, '{}'::text[], ARRAY[SQLERRM];
    RETURN;
  END;
  RETURN QUERY SELECT plan -> 0 -> 'Plan' -> 'Startup Cost', plan -> 0 -> 'Plan' -> 'Startup Cost',
                      plan -> 0 -> 'Plan' -> 'Total Cost', plan -> 0 -> 'Plan' -> 'Total Cost',
                      '{}'::text[], '{}'::text[];
END
$$;
