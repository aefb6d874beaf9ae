-- sandbox stand-in for plpgsql_check: callable, inert (reports no problems).
\echo Use "CREATE EXTENSION plpgsql_check" to load this file. \quit

CREATE FUNCTION @extschema@.plpgsql_check_function(
  funcoid regprocedure, relid regclass DEFAULT 0, format text DEFAULT 'text', fatal_errors boolean DEFAULT true,
  other_warnings boolean DEFAULT true, performance_warnings boolean DEFAULT false,
  extra_warnings boolean DEFAULT true, security_warnings boolean DEFAULT false,
  compatibility_warnings boolean DEFAULT false, oldtable name DEFAULT NULL, newtable name DEFAULT NULL,
  anyelememttype regtype DEFAULT 'int', anyenumtype regtype DEFAULT '-', anyrangetype regtype DEFAULT 'int4range',
  anycompatibletype regtype DEFAULT 'int', anycompatiblerangetype regtype DEFAULT 'int4range',
  without_warnings boolean DEFAULT false, all_warnings boolean DEFAULT false,
  use_incomment_options boolean DEFAULT true, incomment_options_usage_warning boolean DEFAULT false,
  constant_tracing boolean DEFAULT true)
RETURNS SETOF text LANGUAGE sql AS $$ SELECT NULL::text WHERE false $$;

CREATE FUNCTION @extschema@.plpgsql_check_function(
  name text, relid regclass DEFAULT 0, format text DEFAULT 'text', fatal_errors boolean DEFAULT true,
  other_warnings boolean DEFAULT true, performance_warnings boolean DEFAULT false,
  extra_warnings boolean DEFAULT true, security_warnings boolean DEFAULT false)
RETURNS SETOF text LANGUAGE sql AS $$ SELECT NULL::text WHERE false $$;

CREATE FUNCTION @extschema@.plpgsql_check_function_tb(
  funcoid regprocedure, relid regclass DEFAULT 0, fatal_errors boolean DEFAULT true,
  other_warnings boolean DEFAULT true, performance_warnings boolean DEFAULT false,
  extra_warnings boolean DEFAULT true, security_warnings boolean DEFAULT false)
RETURNS TABLE (functionid regproc, lineno integer, statement text, sqlstate text, message text, detail text,
               hint text, level text, "position" integer, query text, context text)
LANGUAGE sql AS $$
  SELECT NULL::regproc, NULL::integer, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,
         NULL::integer, NULL::text, NULL::text WHERE false
$$;

CREATE FUNCTION @extschema@.plpgsql_show_dependency_tb(funcoid regprocedure, relid regclass DEFAULT 0)
RETURNS TABLE (type text, oid oid, schema text, name text, params text)
LANGUAGE sql AS $$ SELECT NULL::text, NULL::oid, NULL::text, NULL::text, NULL::text WHERE false $$;

CREATE FUNCTION @extschema@.plpgsql_profiler_reset_all() RETURNS void LANGUAGE sql AS $$ SELECT NULL::void $$;
CREATE FUNCTION @extschema@.plpgsql_check_profiler(enable boolean DEFAULT NULL) RETURNS boolean
LANGUAGE sql AS $$ SELECT false $$;
