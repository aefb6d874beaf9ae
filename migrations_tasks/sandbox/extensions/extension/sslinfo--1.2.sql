-- sandbox stand-in for sslinfo 1.2: the same functions, answered from pg_stat_ssl.
\echo Use "CREATE EXTENSION sslinfo" to load this file. \quit

CREATE FUNCTION @extschema@.ssl_is_used() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid()), false)
$$;
CREATE FUNCTION @extschema@.ssl_version() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT version FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid() AND ssl
$$;
CREATE FUNCTION @extschema@.ssl_cipher() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT cipher FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid() AND ssl
$$;
CREATE FUNCTION @extschema@.ssl_client_cert_present() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT client_dn IS NOT NULL FROM pg_catalog.pg_stat_ssl
                    WHERE pid = pg_catalog.pg_backend_pid() AND ssl), false)
$$;
CREATE FUNCTION @extschema@.ssl_client_serial() RETURNS numeric LANGUAGE sql STABLE AS $$
  SELECT client_serial FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid() AND ssl
$$;
CREATE FUNCTION @extschema@.ssl_client_dn() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT client_dn FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid() AND ssl
$$;
CREATE FUNCTION @extschema@.ssl_issuer_dn() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT issuer_dn FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid() AND ssl
$$;
CREATE FUNCTION @extschema@.ssl_client_dn_field(text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT substring(@extschema@.ssl_client_dn() FROM '(?:^|/|,)' || $1 || '=([^/,]*)')
$$;
CREATE FUNCTION @extschema@.ssl_issuer_field(text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT substring(@extschema@.ssl_issuer_dn() FROM '(?:^|/|,)' || $1 || '=([^/,]*)')
$$;
CREATE FUNCTION @extschema@.ssl_extension_info(OUT name text, OUT value text, OUT critical boolean)
RETURNS SETOF record LANGUAGE sql STABLE AS $$ SELECT NULL::text, NULL::text, NULL::boolean WHERE false $$;
