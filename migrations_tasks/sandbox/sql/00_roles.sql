-- The sandbox's copy of the objects every Supabase database has, part 1: roles.
--
-- The files in this directory are applied in name order, once per sandbox cluster, to the template
-- database every sandbox project is copied from. They are written by migrations-tasks (shaped after a
-- fresh Supabase project on Postgres 17; names, signatures and column types match what migrations
-- reference) and documented in the README section "How close is the sandbox to Supabase".
--
-- Roles are cluster-wide, so this file is idempotent. Attributes, memberships and role settings are
-- those of a hosted Supabase project: the cluster's bootstrap superuser is `supabase_admin` (initdb -U),
-- and `postgres` is not a superuser. What supautils lets `postgres` do on Supabase is emulated by
-- 90_strict.sql and the sandbox API (see docs/sandbox.md, "What postgres may do").

DO $roles$
DECLARE
  spec record;
BEGIN
  FOR spec IN SELECT * FROM (VALUES
    ('supabase_admin',             'LOGIN SUPERUSER CREATEROLE CREATEDB REPLICATION BYPASSRLS'),
    ('postgres',                   'NOSUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS'),
    ('anon',                       'NOLOGIN INHERIT'),
    ('authenticated',              'NOLOGIN INHERIT'),
    ('service_role',               'NOLOGIN INHERIT BYPASSRLS'),
    ('authenticator',              'LOGIN NOINHERIT'),
    ('dashboard_user',             'NOLOGIN CREATEROLE CREATEDB REPLICATION'),
    ('pgbouncer',                  'LOGIN'),
    ('supabase_auth_admin',        'LOGIN NOINHERIT CREATEROLE'),
    ('supabase_storage_admin',     'LOGIN NOINHERIT CREATEROLE'),
    ('supabase_functions_admin',   'LOGIN NOINHERIT CREATEROLE'),
    ('supabase_realtime_admin',    'NOLOGIN NOINHERIT'),
    ('supabase_replication_admin', 'LOGIN REPLICATION'),
    ('supabase_read_only_user',    'LOGIN BYPASSRLS'),
    ('supabase_etl_admin',         'LOGIN REPLICATION'),
    ('pgsodium_keyiduser',         'NOLOGIN'),
    ('pgsodium_keyholder',         'NOLOGIN'),
    ('pgsodium_keymaker',          'NOLOGIN'),
    ('pgtle_admin',                'NOLOGIN')
  ) AS r(name, attributes)
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = spec.name) THEN
      EXECUTE format('CREATE ROLE %I %s', spec.name, spec.attributes);
    ELSE
      EXECUTE format('ALTER ROLE %I %s', spec.name, spec.attributes);
    END IF;
  END LOOP;
END
$roles$;

GRANT anon, authenticated, service_role TO authenticator;
GRANT authenticator TO supabase_storage_admin;
GRANT pgsodium_keyiduser TO pgsodium_keyholder;
GRANT pgsodium_keyiduser, pgsodium_keyholder TO pgsodium_keymaker;
GRANT pg_read_all_data TO supabase_read_only_user, supabase_etl_admin;
GRANT anon, authenticated, service_role, authenticator TO postgres WITH ADMIN OPTION;
GRANT pg_monitor, pg_read_all_data, pg_signal_backend, pg_create_subscription TO postgres WITH ADMIN OPTION;
-- postgres is not a member of supabase_admin, supabase_auth_admin, supabase_storage_admin or
-- supabase_realtime_admin (revoked on Supabase on 2025-04-21 and 2026-07-07).
GRANT pgtle_admin, supabase_functions_admin TO postgres;

ALTER ROLE anon SET statement_timeout = '3s';
ALTER ROLE authenticated SET statement_timeout = '8s';
ALTER ROLE authenticator SET statement_timeout = '8s';
ALTER ROLE authenticator SET lock_timeout = '8s';
ALTER ROLE postgres SET search_path = "$user", public, extensions;
ALTER ROLE supabase_admin SET search_path = "$user", public, auth, extensions;
ALTER ROLE supabase_auth_admin SET search_path = auth;
ALTER ROLE supabase_auth_admin SET idle_in_transaction_session_timeout = 60000;
ALTER ROLE supabase_storage_admin SET search_path = storage;
ALTER ROLE supabase_functions_admin SET search_path = supabase_functions;
