-- sandbox stand-in for supabase_vault 0.3: same tables, view and functions; no encryption.
\echo Use "CREATE EXTENSION supabase_vault" to load this file. \quit

-- Nonces exist so the columns look like Supabase's; nothing is encrypted with them.
CREATE FUNCTION vault._crypto_aead_det_noncegen() RETURNS bytea LANGUAGE sql VOLATILE AS $$
  SELECT substring(uuid_send(pg_catalog.gen_random_uuid()) || uuid_send(pg_catalog.gen_random_uuid()) FROM 1 FOR 24)
$$;

CREATE FUNCTION vault._sandbox_encode(secret text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT translate(encode(convert_to(secret, 'UTF8'), 'base64'), E'\n', '')
$$;

CREATE FUNCTION vault._sandbox_decode(secret text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN convert_from(decode(secret, 'base64'), 'UTF8');
EXCEPTION WHEN OTHERS THEN
  RETURN NULL;
END
$$;

CREATE TABLE vault.secrets (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text,
  description text NOT NULL DEFAULT '',
  secret text NOT NULL,
  key_id uuid,
  nonce bytea DEFAULT vault._crypto_aead_det_noncegen(),
  created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT secrets_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX secrets_name_idx ON vault.secrets (name) WHERE name IS NOT NULL;
COMMENT ON TABLE vault.secrets IS 'Table with encrypted `secret` column for storing sensitive information on disk.';

CREATE VIEW vault.decrypted_secrets AS
SELECT s.id, s.name, s.description, s.secret,
       vault._sandbox_decode(s.secret) AS decrypted_secret,
       s.key_id, s.nonce, s.created_at, s.updated_at
  FROM vault.secrets s;

CREATE FUNCTION vault.create_secret(
  new_secret text, new_name text DEFAULT NULL, new_description text DEFAULT '', new_key_id uuid DEFAULT NULL)
RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  rec record;
BEGIN
  INSERT INTO vault.secrets (secret, name, description, key_id)
  VALUES (vault._sandbox_encode(new_secret), new_name, coalesce(new_description, ''), new_key_id)
  RETURNING * INTO rec;
  RETURN rec.id;
END
$$;

CREATE FUNCTION vault.update_secret(
  secret_id uuid, new_secret text DEFAULT NULL, new_name text DEFAULT NULL,
  new_description text DEFAULT NULL, new_key_id uuid DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  UPDATE vault.secrets s
     SET secret = coalesce(vault._sandbox_encode(new_secret), s.secret),
         name = coalesce(new_name, s.name),
         description = coalesce(new_description, s.description),
         key_id = coalesce(new_key_id, s.key_id),
         updated_at = now()
   WHERE s.id = secret_id;
END
$$;

REVOKE ALL ON vault.secrets, vault.decrypted_secrets FROM PUBLIC;
REVOKE ALL ON FUNCTION vault.create_secret(text, text, text, uuid),
  vault.update_secret(uuid, text, text, text, uuid) FROM PUBLIC;
GRANT ALL ON vault.secrets, vault.decrypted_secrets TO postgres WITH GRANT OPTION;
GRANT EXECUTE ON FUNCTION vault.create_secret(text, text, text, uuid),
  vault.update_secret(uuid, text, text, text, uuid) TO postgres WITH GRANT OPTION;
