-- sandbox stand-in for pgsodium 3.1: key management tables and random functions, no libsodium.
\echo Use "CREATE EXTENSION pgsodium" to load this file. \quit

CREATE TYPE pgsodium.key_status AS ENUM ('default', 'valid', 'invalid', 'expired');
CREATE TYPE pgsodium.key_type AS ENUM (
  'aead-ietf', 'aead-det', 'hmacsha512', 'hmacsha256', 'auth', 'shorthash', 'generichash', 'kdf',
  'secretbox', 'secretstream', 'stream_xchacha20');

CREATE FUNCTION pgsodium.randombytes_buf(size integer) RETURNS bytea LANGUAGE plpgsql VOLATILE STRICT AS $$
DECLARE
  out bytea := ''::bytea;
  u bytea;
BEGIN
  WHILE length(out) < size LOOP
    u := uuid_send(pg_catalog.gen_random_uuid());
    out := out || substring(u FROM 1 FOR 6) || substring(u FROM 10 FOR 7);
  END LOOP;
  RETURN substring(out FROM 1 FOR size);
END
$$;
CREATE FUNCTION pgsodium.randombytes_random() RETURNS integer LANGUAGE sql VOLATILE AS $$
  SELECT (('x' || encode(pgsodium.randombytes_buf(4), 'hex'))::bit(32)::int)
$$;
CREATE FUNCTION pgsodium.randombytes_uniform(upper_bound integer) RETURNS integer LANGUAGE sql VOLATILE STRICT AS $$
  SELECT (abs(pgsodium.randombytes_random()::bigint) % upper_bound)::integer
$$;
CREATE FUNCTION pgsodium.crypto_secretbox_keygen() RETURNS bytea LANGUAGE sql VOLATILE AS $$ SELECT pgsodium.randombytes_buf(32) $$;
CREATE FUNCTION pgsodium.crypto_secretbox_noncegen() RETURNS bytea LANGUAGE sql VOLATILE AS $$ SELECT pgsodium.randombytes_buf(24) $$;
CREATE FUNCTION pgsodium.crypto_aead_det_keygen() RETURNS bytea LANGUAGE sql VOLATILE AS $$ SELECT pgsodium.randombytes_buf(32) $$;
CREATE FUNCTION pgsodium.crypto_aead_det_noncegen() RETURNS bytea LANGUAGE sql VOLATILE AS $$ SELECT pgsodium.randombytes_buf(16) $$;
CREATE FUNCTION pgsodium.crypto_aead_ietf_keygen() RETURNS bytea LANGUAGE sql VOLATILE AS $$ SELECT pgsodium.randombytes_buf(32) $$;
CREATE FUNCTION pgsodium.crypto_aead_ietf_noncegen() RETURNS bytea LANGUAGE sql VOLATILE AS $$ SELECT pgsodium.randombytes_buf(12) $$;

CREATE FUNCTION pgsodium._sandbox_unsupported(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: pgsodium''s % is not available in the sandbox (no libsodium)', what
    USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION pgsodium.crypto_aead_det_encrypt(message bytea, additional bytea, key_uuid uuid, nonce bytea DEFAULT NULL)
RETURNS bytea LANGUAGE plpgsql AS $$ BEGIN PERFORM pgsodium._sandbox_unsupported('crypto_aead_det_encrypt'); RETURN NULL; END $$;
CREATE FUNCTION pgsodium.crypto_aead_det_decrypt(message bytea, additional bytea, key_uuid uuid, nonce bytea DEFAULT NULL)
RETURNS bytea LANGUAGE plpgsql AS $$ BEGIN PERFORM pgsodium._sandbox_unsupported('crypto_aead_det_decrypt'); RETURN NULL; END $$;
CREATE FUNCTION pgsodium.crypto_secretbox(message bytea, nonce bytea, key bytea)
RETURNS bytea LANGUAGE plpgsql AS $$ BEGIN PERFORM pgsodium._sandbox_unsupported('crypto_secretbox'); RETURN NULL; END $$;
CREATE FUNCTION pgsodium.crypto_secretbox_open(ciphertext bytea, nonce bytea, key bytea)
RETURNS bytea LANGUAGE plpgsql AS $$ BEGIN PERFORM pgsodium._sandbox_unsupported('crypto_secretbox_open'); RETURN NULL; END $$;
CREATE FUNCTION pgsodium.crypto_generichash(message bytea, key bytea DEFAULT NULL)
RETURNS bytea LANGUAGE plpgsql AS $$ BEGIN PERFORM pgsodium._sandbox_unsupported('crypto_generichash'); RETURN NULL; END $$;

CREATE TABLE pgsodium.key (
  id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  status pgsodium.key_status DEFAULT 'valid',
  created timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
  expires timestamptz,
  key_type pgsodium.key_type,
  key_id bigserial,
  key_context bytea DEFAULT '\x7067736f6469756d',
  name text UNIQUE,
  associated_data text DEFAULT 'associated',
  raw_key bytea,
  raw_key_nonce bytea,
  parent_key uuid REFERENCES pgsodium.key (id),
  comment text,
  user_data text
);

CREATE VIEW pgsodium.valid_key AS
SELECT id, name, status, key_type, key_id, key_context, created, expires, associated_data
  FROM pgsodium.key
 WHERE status IN ('valid', 'default') AND (expires IS NULL OR expires > now());

CREATE VIEW pgsodium.decrypted_key AS
SELECT id, status, created, expires, key_type, key_id, key_context, name, associated_data, raw_key,
       NULL::bytea AS decrypted_raw_key, raw_key_nonce, parent_key, comment
  FROM pgsodium.key;

CREATE VIEW pgsodium.masking_rule AS
SELECT NULL::oid AS attrelid, NULL::integer AS attnum, NULL::regnamespace AS relnamespace, NULL::name AS relname,
       NULL::name AS attname, NULL::text AS format_type, NULL::text AS col_description, NULL::text AS key_id_column,
       NULL::uuid AS key_id, NULL::text AS associated_columns, NULL::text AS nonce_column, NULL::text AS view_name,
       NULL::integer AS priority, NULL::boolean AS security_invoker
 WHERE false;

CREATE FUNCTION pgsodium.create_key(
  key_type pgsodium.key_type DEFAULT 'aead-det', name text DEFAULT NULL, raw_key bytea DEFAULT NULL,
  raw_key_nonce bytea DEFAULT NULL, parent_key uuid DEFAULT NULL, key_context bytea DEFAULT '\x7067736f6469756d',
  expires timestamptz DEFAULT NULL, associated_data text DEFAULT '')
RETURNS pgsodium.valid_key LANGUAGE plpgsql AS $$
DECLARE
  new_id uuid;
  result pgsodium.valid_key;
BEGIN
  INSERT INTO pgsodium.key (key_type, name, raw_key, raw_key_nonce, parent_key, key_context, expires, associated_data)
  VALUES (create_key.key_type, create_key.name, create_key.raw_key, create_key.raw_key_nonce, create_key.parent_key,
          create_key.key_context, create_key.expires, create_key.associated_data)
  RETURNING id INTO new_id;
  SELECT * INTO result FROM pgsodium.valid_key v WHERE v.id = new_id;
  RETURN result;
END
$$;

GRANT USAGE ON SCHEMA pgsodium TO pgsodium_keyiduser;
GRANT SELECT ON pgsodium.valid_key TO pgsodium_keyiduser;
GRANT ALL ON pgsodium.key, pgsodium.decrypted_key TO pgsodium_keymaker;
