-- Part 9: what lets a postgres that is not a superuser do what supautils lets it do on hosted Supabase.
-- Applied last, as supabase_admin. The sandbox API (sandbox/rewrite.py) replaces the statements supautils
-- refuses with CALL _sandbox.refuse(...) and those it runs as supabase_admin with
-- CALL _sandbox.run_privileged(...); see docs/sandbox.md, "What postgres may do".

-- 1. privileged_role_allowed_configs: postgres may SET (and ALTER ROLE ... SET) these superuser-only
--    parameters. A plain SET of a placeholder (auto_explain.*, pgrst.*, ... while their module is not loaded)
--    needs nothing; loaded superuser-only ones (pg_stat_statements.*) get a grant here. ALTER ROLE ... SET of
--    any allowed config (placeholders included) is what supautils runs as supabase_admin: sandbox/rewrite.py
--    sends it through run_privileged ('ALTER ROLE SET', checked by _sandbox.allowed_config below).
DO $params$
DECLARE
  p record;
BEGIN
  FOR p IN
    SELECT name FROM pg_catalog.pg_settings
     WHERE context = 'superuser'
       AND (name IN ('deadlock_timeout', 'log_duration', 'log_lock_waits', 'log_min_duration_statement',
                     'log_min_error_statement', 'log_min_messages', 'log_parameter_max_length',
                     'log_replication_commands', 'log_statement', 'log_temp_files', 'pg_net.batch_size',
                     'pg_net.ttl', 'pgaudit.role', 'safeupdate.enabled', 'session_replication_role',
                     'track_io_timing', 'wal_compression')
            OR name ~ '^(auto_explain|pg_stat_statements|pgrst|plan_filter)\.' OR name ~ '^pgaudit\.log')
  LOOP
    EXECUTE format('GRANT SET ON PARAMETER %I TO postgres', p.name);
  END LOOP;
END
$params$;

-- 2. The emulation's own schema: nobody but supabase_admin may create in it.
CREATE SCHEMA _sandbox AUTHORIZATION supabase_admin;
REVOKE ALL ON SCHEMA _sandbox FROM PUBLIC;
GRANT USAGE ON SCHEMA _sandbox TO PUBLIC;  -- the calls may run under SET ROLE

-- supautils.policy_grants / drop_trigger_grants (the same list on hosted projects; sandbox/supautils.py).
CREATE FUNCTION _sandbox.policy_grant_tables() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['auth.audit_log_entries', 'auth.flow_state', 'auth.identities', 'auth.instances',
    'auth.mfa_amr_claims', 'auth.mfa_challenges', 'auth.mfa_factors', 'auth.oauth_clients', 'auth.one_time_tokens',
    'auth.refresh_tokens', 'auth.saml_providers', 'auth.saml_relay_states', 'auth.sessions', 'auth.sso_domains',
    'auth.sso_providers', 'auth.users', 'realtime.messages', 'realtime.subscription', 'storage.buckets',
    'storage.buckets_analytics', 'storage.objects', 'storage.prefixes',
    'storage.s3_multipart_uploads', 'storage.s3_multipart_uploads_parts']
$$;

-- supautils.reserved_roles (both kinds) and the privileged role: never the target of run_as_admin.
CREATE FUNCTION _sandbox.protected_roles() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['supabase_admin', 'supabase_auth_admin', 'supabase_storage_admin', 'supabase_read_only_user',
    'supabase_realtime_admin', 'supabase_replication_admin', 'supabase_etl_admin', 'dashboard_user', 'pgbouncer',
    'service_role', 'authenticator', 'authenticated', 'anon', 'postgres']
$$;

-- 3. Hand a new object to postgres, as supautils does (it flips postgres to SUPERUSER for a moment around
--    ALTER ... OWNER TO; a catalog update leaves the cluster-wide pg_authid row alone, which concurrent
--    sandbox projects share). PostgreSQL refuses a non-superuser owner for event triggers, foreign data
--    wrappers and FOR ALL TABLES publications.
CREATE FUNCTION _sandbox.give_to_postgres(catalog regclass, owner_column name, object_oid oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  me oid := 'postgres'::regrole;
BEGIN
  EXECUTE format('UPDATE %s SET %I = $1 WHERE oid = $2', catalog, owner_column) USING me, object_oid;
  INSERT INTO pg_catalog.pg_shdepend (dbid, classid, objid, objsubid, refclassid, refobjid, deptype)
  VALUES ((SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()), catalog, object_oid, 0,
          'pg_authid'::regclass, me, 'o');
END
$$;
REVOKE ALL ON FUNCTION _sandbox.give_to_postgres(regclass, name, oid) FROM PUBLIC;

-- 4. The statement run_as_admin may run: one statement of the expected kind, about the expected object,
--    as sandbox/rewrite.py writes it (pglast's RawStream: standard strings, no comments, no dollar quotes).
CREATE FUNCTION _sandbox.is_expected(kind text, stmt text, objname text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  bare text := regexp_replace(stmt, '''([^'']|'''')*''|"([^"]|"")*"', '', 'g');
  ident text := '("([^"]|"")*"|[^ "]+)';
  target text;
  head text;
BEGIN
  -- an E'' string (its \' could hide the end of a literal from "bare"): the word right before a literal's
  -- opening quote is E; literals are matched whole, left to right, so 'e' or 'a e' inside one never counts
  IF bare ~ '[;$]|--|/\*' OR EXISTS (
       SELECT FROM regexp_matches(stmt, '([A-Za-z0-9_]*)(''([^'']|'''')*''|"([^"]|"")*")', 'g') AS m
       WHERE m[1] IN ('e', 'E') AND left(m[2], 1) = '''') THEN
    RETURN false;
  END IF;
  IF kind IN ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'DROP TRIGGER', 'COMMENT ON POLICY') THEN
    IF NOT objname = ANY (_sandbox.policy_grant_tables()) THEN
      RETURN false;
    END IF;
    target := format('%I.%I', split_part(objname, '.', 1), split_part(objname, '.', 2));
    head := replace(kind, ' ', ' +') || CASE WHEN kind LIKE 'DROP %' THEN ' +(IF +EXISTS +)?' ELSE ' +' END
            || ident || ' +ON +';
  ELSE
    target := quote_ident(objname);
    head := CASE WHEN kind LIKE 'ALTER ROLE%' THEN 'ALTER +(ROLE|USER|GROUP) +' ELSE replace(kind, ' ', ' +') || ' +' END;
  END IF;
  RETURN stmt ~* ('^' || head || regexp_replace(target, '([^A-Za-z0-9_ ])', '\\\1', 'g') || '( |$)');
END
$$;

-- supautils never runs an event trigger function owned by a non-superuser while the current user is a
-- superuser (skip_event_trigger / force_noop). PostgreSQL cannot skip one trigger, so the paths that run DDL
-- as a superuser (run_as_admin, CREATE/ALTER EXTENSION) disable the event triggers whose function a
-- non-superuser owns for the statement, and restore them after it (same transaction: no other session ever
-- sees them disabled; on error the rollback restores them).
CREATE FUNCTION _sandbox.quiet_event_triggers() RETURNS text[]
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record;
  was text[] := '{}';
BEGIN
  FOR t IN SELECT e.evtname, e.evtenabled FROM pg_catalog.pg_event_trigger e
             JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid JOIN pg_catalog.pg_roles r ON r.oid = p.proowner
            WHERE NOT r.rolsuper AND e.evtenabled <> 'D' ORDER BY e.evtname
  LOOP
    EXECUTE format('ALTER EVENT TRIGGER %I DISABLE', t.evtname);
    was := was || ARRAY[t.evtname::text, t.evtenabled::text];
  END LOOP;
  RETURN was;
END
$$;

CREATE FUNCTION _sandbox.wake_event_triggers(was text[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  FOR i IN 1 .. coalesce(array_length(was, 1), 0) BY 2 LOOP
    EXECUTE format('ALTER EVENT TRIGGER %I %s', was[i],
                   CASE was[i + 1] WHEN 'R' THEN 'ENABLE REPLICA' WHEN 'A' THEN 'ENABLE ALWAYS' ELSE 'ENABLE' END);
  END LOOP;
END
$$;

-- CREATE EXTENSION / ALTER EXTENSION ... UPDATE: supautils runs them as supabase_admin, so no event trigger of
-- postgres fires. The sandbox runs them as the caller (trusted control files) with those triggers quiet.
CREATE PROCEDURE _sandbox.run_extension(stmt text) LANGUAGE plpgsql AS $$
DECLARE
  was text[];
BEGIN
  IF NOT pg_catalog.pg_has_role(current_user, 'postgres', 'USAGE') THEN
    EXECUTE stmt;  -- not the privileged role: PostgreSQL's own checks
    RETURN;
  END IF;
  was := _sandbox.quiet_event_triggers();
  EXECUTE stmt;
  PERFORM _sandbox.wake_event_triggers(was);
END
$$;
GRANT EXECUTE ON PROCEDURE _sandbox.run_extension(text) TO PUBLIC;

-- privileged_role_allowed_configs, as a pattern on the parameter name.
CREATE FUNCTION _sandbox.allowed_config(name text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT lower(name) ~ ('^(auto_explain\.[a-z0-9_.]+|deadlock_timeout|log_duration|log_lock_waits'
    || '|log_min_duration_statement|log_min_error_statement|log_min_messages|log_parameter_max_length'
    || '|log_replication_commands|log_statement|log_temp_files|pg_net\.batch_size|pg_net\.ttl'
    || '|pg_stat_statements\.[a-z0-9_.]+|pgaudit\.log[a-z0-9_.]*|pgaudit\.role|pgrst\.[a-z0-9_.]+'
    || '|plan_filter\.[a-z0-9_.]+|safeupdate\.enabled|session_replication_role|track_io_timing'
    || '|wal_compression)$')
$$;

-- run_privileged (invoker): supautils' condition on the CURRENT user; run_as_admin (definer): the statement as
-- supabase_admin with the caller's search_path, then the new object handed to postgres.
CREATE PROCEDURE _sandbox.run_privileged(kind text, stmt text, objname text) LANGUAGE plpgsql AS $$
DECLARE
  steps_in boolean;
BEGIN
  IF kind IN ('COMMENT ON POLICY', 'CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'DROP TRIGGER') THEN
    steps_in := current_user = 'postgres';                                  -- policy_grants: exact user name
  ELSE
    steps_in := pg_catalog.pg_has_role(current_user, 'postgres', 'USAGE');  -- the privileged role
  END IF;
  IF steps_in AND NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    CALL _sandbox.run_as_admin(kind, stmt, objname, pg_catalog.current_setting('search_path'));
  ELSE
    EXECUTE stmt;  -- supautils does not step in: PostgreSQL's own checks
  END IF;
END
$$;

-- What run_as_admin refuses to run (the API never sends it; a direct CALL might).
CREATE FUNCTION _sandbox.unexpected(kind text, stmt text, objname text) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF session_user <> 'postgres' OR NOT _sandbox.is_expected(kind, stmt, objname) THEN
    RETURN true;
  END IF;
  IF kind = 'ALTER ROLE' THEN
    RETURN objname = ANY (_sandbox.protected_roles())
           OR coalesce((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = objname), false);
  ELSIF kind = 'ALTER ROLE SET' THEN  -- the reserved roles marked * stay configurable
    RETURN objname = ANY (_sandbox.protected_roles())
             AND objname NOT IN ('service_role', 'authenticator', 'authenticated', 'anon')
           OR coalesce((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = objname), false)
           OR NOT _sandbox.allowed_config(substring(stmt from '(?i) (?:SET|RESET) +([A-Za-z0-9_.]+)'));
  ELSIF kind = 'ALTER EXTENSION' THEN  -- privileged extensions: the sandbox marks them trusted
    RETURN NOT coalesce((SELECT bool_or(trusted) FROM pg_catalog.pg_available_extension_versions
                          WHERE name = objname), false)
           OR stmt !~* ' SET +SCHEMA +("([^"]|"")*"|[^ "]+)$';
  END IF;
  RETURN false;
END
$$;

CREATE PROCEDURE _sandbox.run_as_admin(kind text, stmt text, objname text, caller_path text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET standard_conforming_strings = on AS $$
DECLARE
  obj oid;
  fn record;
  was text[];
  superusers oid[] := ARRAY(SELECT oid FROM pg_catalog.pg_roles WHERE rolsuper ORDER BY oid);
BEGIN
  IF _sandbox.unexpected(kind, stmt, objname) THEN
    RAISE EXCEPTION 'sandbox: _sandbox.run_as_admin only runs the statements the sandbox API rewrote';
  END IF;
  was := _sandbox.quiet_event_triggers();  -- supautils: no event trigger of postgres runs as a superuser
  PERFORM pg_catalog.set_config('search_path', caller_path, true);
  EXECUTE stmt;
  PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
  PERFORM _sandbox.wake_event_triggers(was);
  IF superusers IS DISTINCT FROM ARRAY(SELECT oid FROM pg_catalog.pg_roles WHERE rolsuper ORDER BY oid) THEN
    RAISE EXCEPTION 'sandbox: _sandbox.run_as_admin does not make superusers';
  END IF;
  IF kind = 'CREATE EVENT TRIGGER' THEN
    SELECT e.oid, p.proname, r.rolsuper INTO fn
      FROM pg_catalog.pg_event_trigger e JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid
      JOIN pg_catalog.pg_roles r ON r.oid = p.proowner WHERE e.evtname = objname;
    IF fn.rolsuper THEN  -- supautils' own check and message (it gives no SQLSTATE: XX000)
      RAISE EXCEPTION 'Non-superuser owned event trigger must execute a non-superuser owned function'
        USING ERRCODE = 'XX000',
              DETAIL = format('The current user "postgres" is not a superuser and the function "%s" is owned by a superuser', fn.proname);
    END IF;
    PERFORM _sandbox.give_to_postgres('pg_catalog.pg_event_trigger', 'evtowner', fn.oid);
  ELSIF kind = 'CREATE FOREIGN DATA WRAPPER' THEN
    SELECT oid INTO obj FROM pg_catalog.pg_foreign_data_wrapper WHERE fdwname = objname;
    PERFORM _sandbox.give_to_postgres('pg_catalog.pg_foreign_data_wrapper', 'fdwowner', obj);
  ELSIF kind = 'CREATE PUBLICATION' THEN
    SELECT oid INTO obj FROM pg_catalog.pg_publication WHERE pubname = objname;
    PERFORM _sandbox.give_to_postgres('pg_catalog.pg_publication', 'pubowner', obj);
  END IF;
END
$$;
REVOKE ALL ON PROCEDURE _sandbox.run_as_admin(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE _sandbox.run_as_admin(text, text, text, text) TO postgres;
GRANT EXECUTE ON PROCEDURE _sandbox.run_privileged(text, text, text) TO PUBLIC;

-- 5. Refusals: raise Supabase's exact error at the statement's place in the request (no CONTEXT to clean:
--    the API removes this procedure's line).
CREATE PROCEDURE _sandbox.refuse(code text, message text, detail text DEFAULT NULL, hint text DEFAULT NULL)
LANGUAGE plpgsql AS $$
BEGIN
  IF detail IS NOT NULL AND hint IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message, DETAIL = detail, HINT = hint;
  ELSIF detail IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message, DETAIL = detail;
  ELSIF hint IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message, HINT = hint;
  ELSE
    RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message;
  END IF;
END
$$;
GRANT EXECUTE ON PROCEDURE _sandbox.refuse(text, text, text, text) TO PUBLIC;

-- 6. supautils' extension custom scripts: what Supabase runs after CREATE EXTENSION of some privileged
--    extensions (supabase/postgres, ansible/files/postgresql_extension_custom_scripts/*/after-create.sql),
--    so postgres can use objects the extension's script made as supabase_admin. An event trigger owned by
--    supabase_admin fires for every role, also under session_replication_role = replica (ENABLE ALWAYS).
CREATE FUNCTION _sandbox.after_create_extension() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cmd record;
  f record;
BEGIN
  FOR cmd IN SELECT e.extname FROM pg_catalog.pg_event_trigger_ddl_commands() c
               JOIN pg_catalog.pg_extension e ON e.oid = c.objid
              WHERE c.command_tag = 'CREATE EXTENSION'
  LOOP
    IF cmd.extname = 'pg_cron' THEN
      GRANT USAGE ON SCHEMA cron TO postgres WITH GRANT OPTION;
      GRANT ALL ON ALL FUNCTIONS IN SCHEMA cron TO postgres WITH GRANT OPTION;
      ALTER DEFAULT PRIVILEGES FOR USER supabase_admin IN SCHEMA cron GRANT ALL ON SEQUENCES TO postgres WITH GRANT OPTION;
      ALTER DEFAULT PRIVILEGES FOR USER supabase_admin IN SCHEMA cron GRANT ALL ON TABLES TO postgres WITH GRANT OPTION;
      ALTER DEFAULT PRIVILEGES FOR USER supabase_admin IN SCHEMA cron GRANT ALL ON FUNCTIONS TO postgres WITH GRANT OPTION;
      GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA cron TO postgres WITH GRANT OPTION;
      REVOKE ALL ON TABLE cron.job FROM postgres;
      GRANT SELECT ON TABLE cron.job TO postgres WITH GRANT OPTION;
    ELSIF cmd.extname = 'pg_tle' THEN
      GRANT pgtle_admin TO postgres;
    ELSIF cmd.extname = 'postgres_fdw' THEN
      PERFORM _sandbox.give_to_postgres('pg_catalog.pg_foreign_data_wrapper', 'fdwowner',
                                        (SELECT oid FROM pg_catalog.pg_foreign_data_wrapper WHERE fdwname = 'postgres_fdw'));
    ELSIF cmd.extname = 'dblink' THEN
      FOR f IN SELECT p.oid::regprocedure AS fn, (pg_catalog.aclexplode(p.proacl)).grantee
                 FROM pg_catalog.pg_proc p WHERE p.proname = 'dblink_connect_u' LOOP
        CONTINUE WHEN f.grantee = 'supabase_admin'::regrole;
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %s', f.fn, CASE WHEN f.grantee = 0 THEN 'PUBLIC' ELSE f.grantee::regrole::text END);
      END LOOP;
    ELSIF cmd.extname = 'postgis_tiger_geocoder' THEN
      GRANT USAGE ON SCHEMA tiger, tiger_data TO postgres WITH GRANT OPTION;
      GRANT ALL ON ALL TABLES IN SCHEMA tiger, tiger_data TO postgres WITH GRANT OPTION;
      GRANT ALL ON ALL ROUTINES IN SCHEMA tiger, tiger_data TO postgres WITH GRANT OPTION;
      GRANT ALL ON ALL SEQUENCES IN SCHEMA tiger, tiger_data TO postgres WITH GRANT OPTION;
    END IF;
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION _sandbox.after_create_extension() FROM PUBLIC;
CREATE EVENT TRIGGER _sandbox_after_create_extension ON ddl_command_end WHEN TAG IN ('CREATE EXTENSION')
  EXECUTE FUNCTION _sandbox.after_create_extension();
ALTER EVENT TRIGGER _sandbox_after_create_extension ENABLE ALWAYS;

-- 7. The same for a CREATE/ALTER EXTENSION the pre-check did not see (built at run time, or sent over a direct
--    connection): at its ddl_command_start the event triggers whose function a non-superuser owns are disabled,
--    and at its ddl_command_end (after the extension's script, run as supabase_admin, and after the custom
--    scripts above) enabled again. A counter in a transaction-local setting handles extensions created from an
--    extension's script; an error rolls both back.
CREATE FUNCTION _sandbox.quiet_for_extension() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  depth int := coalesce(nullif(pg_catalog.current_setting('sandbox.extension_depth', true), ''), '0')::int;
BEGIN
  IF depth = 0 THEN
    PERFORM pg_catalog.set_config('sandbox.quieted', _sandbox.quiet_event_triggers()::text, true);
  END IF;
  PERFORM pg_catalog.set_config('sandbox.extension_depth', (depth + 1)::text, true);
END
$$;
REVOKE ALL ON FUNCTION _sandbox.quiet_for_extension() FROM PUBLIC;

CREATE FUNCTION _sandbox.wake_after_extension() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  depth int := coalesce(nullif(pg_catalog.current_setting('sandbox.extension_depth', true), ''), '0')::int;
  was text[];
  kept text[] := '{}';
BEGIN
  IF depth <> 1 THEN
    PERFORM pg_catalog.set_config('sandbox.extension_depth', greatest(depth - 1, 0)::text, true);
    RETURN;
  END IF;
  was := coalesce(nullif(pg_catalog.current_setting('sandbox.quieted', true), ''), '{}')::text[];
  FOR i IN 1 .. coalesce(array_length(was, 1), 0) BY 2 LOOP  -- only event triggers of non-superusers
    IF EXISTS (SELECT FROM pg_catalog.pg_event_trigger e JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid
                 JOIN pg_catalog.pg_roles r ON r.oid = p.proowner WHERE e.evtname = was[i] AND NOT r.rolsuper) THEN
      kept := kept || ARRAY[was[i], was[i + 1]];
    END IF;
  END LOOP;
  PERFORM _sandbox.wake_event_triggers(kept);
  PERFORM pg_catalog.set_config('sandbox.quieted', '', true);
  PERFORM pg_catalog.set_config('sandbox.extension_depth', '0', true);
END
$$;
REVOKE ALL ON FUNCTION _sandbox.wake_after_extension() FROM PUBLIC;
CREATE EVENT TRIGGER _sandbox_quiet_for_extension ON ddl_command_start WHEN TAG IN ('CREATE EXTENSION', 'ALTER EXTENSION')
  EXECUTE FUNCTION _sandbox.quiet_for_extension();
ALTER EVENT TRIGGER _sandbox_quiet_for_extension ENABLE ALWAYS;
CREATE EVENT TRIGGER _sandbox_wake_after_extension ON ddl_command_end WHEN TAG IN ('CREATE EXTENSION', 'ALTER EXTENSION')
  EXECUTE FUNCTION _sandbox.wake_after_extension();
ALTER EVENT TRIGGER _sandbox_wake_after_extension ENABLE ALWAYS;
