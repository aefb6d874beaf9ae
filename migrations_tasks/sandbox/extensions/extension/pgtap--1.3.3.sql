-- sandbox stand-in for pgTAP: a subset of its assertions, with pgTAP's names and TAP output. State
-- (plan, counters) lives in transaction-local settings, as tests run inside BEGIN ... ROLLBACK.
\echo Use "CREATE EXTENSION pgtap" to load this file. \quit

CREATE FUNCTION @extschema@._tap_get(key text) RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('sandbox_pgtap.' || key, true), ''), '0')::integer
$$;
CREATE FUNCTION @extschema@._tap_set(key text, value integer) RETURNS integer LANGUAGE sql VOLATILE AS $$
  SELECT set_config('sandbox_pgtap.' || key, value::text, true)::integer
$$;

CREATE FUNCTION @extschema@.plan(integer) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM @extschema@._tap_set('plan', $1), @extschema@._tap_set('count', 0), @extschema@._tap_set('failed', 0);
  RETURN '1..' || $1;
END
$$;
CREATE FUNCTION @extschema@.no_plan() RETURNS SETOF boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM @extschema@._tap_set('plan', -1), @extschema@._tap_set('count', 0), @extschema@._tap_set('failed', 0);
  RETURN;
END
$$;
CREATE FUNCTION @extschema@.diag(msg text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '# ' || replace(msg, E'\n', E'\n# ')
$$;
CREATE FUNCTION @extschema@.ok(boolean, text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  n integer := @extschema@._tap_set('count', @extschema@._tap_get('count') + 1);
BEGIN
  IF coalesce($1, false) THEN
    RETURN 'ok ' || n || CASE WHEN coalesce($2, '') <> '' THEN ' - ' || $2 ELSE '' END;
  END IF;
  PERFORM @extschema@._tap_set('failed', @extschema@._tap_get('failed') + 1);
  RETURN 'not ok ' || n || CASE WHEN coalesce($2, '') <> '' THEN ' - ' || $2 ELSE '' END
      || E'\n' || @extschema@.diag('Failed test ' || n || CASE WHEN coalesce($2, '') <> '' THEN ': "' || $2 || '"' ELSE '' END);
END
$$;
CREATE FUNCTION @extschema@.ok(boolean) RETURNS text LANGUAGE sql AS $$ SELECT @extschema@.ok($1, NULL) $$;
CREATE FUNCTION @extschema@.pass(text) RETURNS text LANGUAGE sql AS $$ SELECT @extschema@.ok(true, $1) $$;
CREATE FUNCTION @extschema@.pass() RETURNS text LANGUAGE sql AS $$ SELECT @extschema@.ok(true, NULL) $$;
CREATE FUNCTION @extschema@.fail(text) RETURNS text LANGUAGE sql AS $$ SELECT @extschema@.ok(false, $1) $$;
CREATE FUNCTION @extschema@.fail() RETURNS text LANGUAGE sql AS $$ SELECT @extschema@.ok(false, NULL) $$;

CREATE FUNCTION @extschema@.is(anyelement, anyelement, text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  result text := @extschema@.ok($1 IS NOT DISTINCT FROM $2, $3);
BEGIN
  IF $1 IS DISTINCT FROM $2 THEN
    result := result || E'\n' || @extschema@.diag('        have: ' || coalesce($1::text, 'NULL') || E'\n        want: '
                                                 || coalesce($2::text, 'NULL'));
  END IF;
  RETURN result;
END
$$;
CREATE FUNCTION @extschema@.is(anyelement, anyelement) RETURNS text LANGUAGE sql AS $$ SELECT @extschema@.is($1, $2, NULL) $$;
CREATE FUNCTION @extschema@.isnt(anyelement, anyelement, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok($1 IS DISTINCT FROM $2, $3)
$$;
CREATE FUNCTION @extschema@.isnt(anyelement, anyelement) RETURNS text LANGUAGE sql AS $$ SELECT @extschema@.isnt($1, $2, NULL) $$;

CREATE FUNCTION @extschema@.finish(exception_on_failure boolean DEFAULT NULL) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  planned integer := @extschema@._tap_get('plan');
  ran integer := @extschema@._tap_get('count');
  failed integer := @extschema@._tap_get('failed');
BEGIN
  IF planned = -1 THEN
    RETURN NEXT '1..' || ran;
  ELSIF planned <> ran THEN
    RETURN NEXT @extschema@.diag('Looks like you planned ' || planned || ' tests but ran ' || ran);
  END IF;
  IF failed > 0 THEN
    RETURN NEXT @extschema@.diag('Looks like you failed ' || failed || ' test' || CASE WHEN failed > 1 THEN 's' ELSE '' END
                                 || ' of ' || ran);
    IF exception_on_failure THEN
      RAISE EXCEPTION '% test(s) failed', failed;
    END IF;
  END IF;
  RETURN;
END
$$;

CREATE FUNCTION @extschema@._tap_rel(kinds "char"[], rel text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = to_regclass(rel) AND c.relkind = ANY (kinds))
$$;
CREATE FUNCTION @extschema@.has_table(name, name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(@extschema@._tap_rel('{r,p,f}', quote_ident($1) || '.' || quote_ident($2)), $3)
$$;
CREATE FUNCTION @extschema@.has_table(name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(@extschema@._tap_rel('{r,p,f}', quote_ident($1)), $2)
$$;
CREATE FUNCTION @extschema@.has_table(name) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.has_table($1, 'Table ' || quote_ident($1) || ' should exist')
$$;
CREATE FUNCTION @extschema@.hasnt_table(name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(NOT @extschema@._tap_rel('{r,p,f}', quote_ident($1)), $2)
$$;
CREATE FUNCTION @extschema@.hasnt_table(name, name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(NOT @extschema@._tap_rel('{r,p,f}', quote_ident($1) || '.' || quote_ident($2)), $3)
$$;
CREATE FUNCTION @extschema@.has_view(name, name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(@extschema@._tap_rel('{v,m}', quote_ident($1) || '.' || quote_ident($2)), $3)
$$;
CREATE FUNCTION @extschema@.has_view(name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(@extschema@._tap_rel('{v,m}', quote_ident($1)), $2)
$$;
CREATE FUNCTION @extschema@.has_schema(name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1), $2)
$$;
CREATE FUNCTION @extschema@.has_schema(name) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.has_schema($1, 'Schema ' || quote_ident($1) || ' should exist')
$$;
CREATE FUNCTION @extschema@.has_type(name, name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(to_regtype(quote_ident($1) || '.' || quote_ident($2)) IS NOT NULL, $3)
$$;
CREATE FUNCTION @extschema@.has_extension(name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = $1), $2)
$$;
CREATE FUNCTION @extschema@.has_column(name, name, name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(EXISTS (
    SELECT 1 FROM pg_catalog.pg_attribute
     WHERE attrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2)) AND attname = $3
       AND attnum > 0 AND NOT attisdropped), $4)
$$;
CREATE FUNCTION @extschema@.has_column(name, name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(EXISTS (
    SELECT 1 FROM pg_catalog.pg_attribute
     WHERE attrelid = to_regclass(quote_ident($1)) AND attname = $2 AND attnum > 0 AND NOT attisdropped), $3)
$$;
CREATE FUNCTION @extschema@.has_function(name, name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(EXISTS (
    SELECT 1 FROM pg_catalog.pg_proc WHERE pronamespace = to_regnamespace(quote_ident($1)) AND proname = $2), $3)
$$;
CREATE FUNCTION @extschema@.has_function(name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(EXISTS (SELECT 1 FROM pg_catalog.pg_proc WHERE proname = $1), $2)
$$;
CREATE FUNCTION @extschema@.has_function(name) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.has_function($1, 'Function ' || quote_ident($1) || '() should exist')
$$;
CREATE FUNCTION @extschema@.col_is_pk(name, name, name[], text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(EXISTS (
    SELECT 1 FROM pg_catalog.pg_constraint c
     WHERE c.conrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2)) AND c.contype = 'p'
       AND (SELECT array_agg(a.attname ORDER BY k.o) FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
              JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) = $3), $4)
$$;
CREATE FUNCTION @extschema@.col_is_pk(name, name, name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.col_is_pk($1, $2, ARRAY[$3], $4)
$$;

CREATE FUNCTION @extschema@.throws_ok(text, text, text, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE $1;
  RETURN @extschema@.ok(false, $4) || E'\n' || @extschema@.diag('    caught: no exception' || E'\n    wanted: ' || coalesce($2, 'an exception'));
EXCEPTION WHEN OTHERS THEN
  RETURN @extschema@.ok(($2 IS NULL OR $2 = SQLSTATE) AND ($3 IS NULL OR $3 = SQLERRM), $4);
END
$$;
CREATE FUNCTION @extschema@.throws_ok(text, text, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF $2 ~ '^[0-9A-Z]{5}$' THEN
    RETURN @extschema@.throws_ok($1, $2, NULL, $3);
  END IF;
  RETURN @extschema@.throws_ok($1, NULL, $2, $3);
END
$$;
CREATE FUNCTION @extschema@.throws_ok(text, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.throws_ok($1, $2, NULL::text)
$$;
CREATE FUNCTION @extschema@.throws_ok(text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.throws_ok($1, NULL::text, NULL::text, NULL::text)
$$;
CREATE FUNCTION @extschema@.lives_ok(text, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE $1;
  RETURN @extschema@.ok(true, $2);
EXCEPTION WHEN OTHERS THEN
  RETURN @extschema@.ok(false, $2) || E'\n' || @extschema@.diag('    died: ' || SQLSTATE || ': ' || SQLERRM);
END
$$;
CREATE FUNCTION @extschema@.lives_ok(text) RETURNS text LANGUAGE sql AS $$ SELECT @extschema@.lives_ok($1, NULL) $$;

CREATE FUNCTION @extschema@.is_empty(text, text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  found_row boolean;
BEGIN
  EXECUTE 'SELECT EXISTS (' || $1 || ')' INTO found_row;
  RETURN @extschema@.ok(NOT found_row, $2);
END
$$;
CREATE FUNCTION @extschema@.isnt_empty(text, text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  found_row boolean;
BEGIN
  EXECUTE 'SELECT EXISTS (' || $1 || ')' INTO found_row;
  RETURN @extschema@.ok(found_row, $2);
END
$$;
CREATE FUNCTION @extschema@.results_eq(text, text, text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  have text[];
  want text[];
BEGIN
  EXECUTE 'SELECT coalesce(array_agg(r::text), ''{}'') FROM (' || $1 || ') r' INTO have;
  EXECUTE 'SELECT coalesce(array_agg(r::text), ''{}'') FROM (' || $2 || ') r' INTO want;
  RETURN @extschema@.ok(have = want, $3);
END
$$;
CREATE FUNCTION @extschema@.set_eq(text, text, text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  have text[];
  want text[];
BEGIN
  EXECUTE 'SELECT coalesce(array_agg(r::text ORDER BY r::text), ''{}'') FROM (' || $1 || ') r' INTO have;
  EXECUTE 'SELECT coalesce(array_agg(r::text ORDER BY r::text), ''{}'') FROM (' || $2 || ') r' INTO want;
  RETURN @extschema@.ok(have = want, $3);
END
$$;
CREATE FUNCTION @extschema@.policies_are(name, name, name[], text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(
    (SELECT coalesce(array_agg(policyname::name ORDER BY policyname), '{}') FROM pg_catalog.pg_policies
      WHERE schemaname = $1 AND tablename = $2) = (SELECT array_agg(p ORDER BY p) FROM unnest($3) p), $4)
$$;
CREATE FUNCTION @extschema@.tests_are_rls_enabled(name, text) RETURNS text LANGUAGE sql AS $$
  SELECT @extschema@.ok(NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_class c WHERE c.relnamespace = to_regnamespace(quote_ident($1))
       AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity), $2)
$$;
