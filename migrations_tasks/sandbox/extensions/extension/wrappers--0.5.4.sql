-- sandbox stand-in for Supabase wrappers 0.5: the FDW handler, validator and meta functions of each
-- wrapper. Handlers are bound to PostgreSQL's file_fdw handler (the only way to return fdw_handler
-- without C code), so DDL works and any attempt to read remote data fails with file_fdw's error.
\echo Use "CREATE EXTENSION wrappers" to load this file. \quit

CREATE TABLE @extschema@.wrappers_fdw_stats (
  fdw_name text NOT NULL PRIMARY KEY,
  create_times bigint,
  rows_in bigint,
  rows_out bigint,
  bytes_in bigint,
  bytes_out bigint,
  metadata jsonb,
  created_at timestamptz NOT NULL DEFAULT timezone('utc', now()),
  updated_at timestamptz NOT NULL DEFAULT timezone('utc', now())
);
COMMENT ON TABLE @extschema@.wrappers_fdw_stats IS 'Wrappers Foreign Data Wrapper statistics';


CREATE FUNCTION @extschema@.airtable_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.airtable_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.airtable_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'AirtableFdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;

CREATE FUNCTION @extschema@.auth0_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.auth0_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.auth0_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'Auth0Fdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;

CREATE FUNCTION @extschema@.big_query_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.big_query_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.big_query_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'BigQueryFdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;

CREATE FUNCTION @extschema@.click_house_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.click_house_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.click_house_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'ClickHouseFdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;

CREATE FUNCTION @extschema@.cognito_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.cognito_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.cognito_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'CognitoFdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;

CREATE FUNCTION @extschema@.duckdb_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.duckdb_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.duckdb_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'DuckdbFdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;

CREATE FUNCTION @extschema@.firebase_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.firebase_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.firebase_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'FirebaseFdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;

CREATE FUNCTION @extschema@.hello_world_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.hello_world_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.hello_world_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'HelloWorldFdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;

CREATE FUNCTION @extschema@.iceberg_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.iceberg_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.iceberg_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'IcebergFdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;

CREATE FUNCTION @extschema@.logflare_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.logflare_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.logflare_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'LogflareFdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;

CREATE FUNCTION @extschema@.mssql_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.mssql_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.mssql_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'MssqlFdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;

CREATE FUNCTION @extschema@.redis_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.redis_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.redis_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'RedisFdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;

CREATE FUNCTION @extschema@.s3_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.s3_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.s3_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'S3Fdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;

CREATE FUNCTION @extschema@.stripe_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.stripe_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.stripe_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'StripeFdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;

CREATE FUNCTION @extschema@.wasm_fdw_handler() RETURNS fdw_handler
LANGUAGE c STRICT AS '$libdir/file_fdw', 'file_fdw_handler';
CREATE FUNCTION @extschema@.wasm_fdw_validator(options text[], catalog oid) RETURNS void
LANGUAGE plpgsql STRICT AS $$ BEGIN END $$;
CREATE FUNCTION @extschema@.wasm_fdw_meta() RETURNS TABLE (name text, version text, author text, website text)
LANGUAGE sql STRICT AS $$
  SELECT 'WasmFdw'::text, 'sandbox'::text, 'Supabase'::text, 'https://github.com/supabase/wrappers'::text
$$;
