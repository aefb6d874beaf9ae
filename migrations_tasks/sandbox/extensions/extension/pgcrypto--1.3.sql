-- sandbox stand-in for pgcrypto: same function names and signatures as pgcrypto 1.3.
\echo Use "CREATE EXTENSION pgcrypto" to load this file. \quit

-- SHA-1 (FIPS 180-4) in PL/pgSQL: PostgreSQL has sha224..sha512 and md5 built in, but no sha1.
CREATE FUNCTION @extschema@._sandbox_sha1(msg bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  mask constant bigint := 4294967295;
  h0 bigint := 1732584193; h1 bigint := 4023233417; h2 bigint := 2562383102;
  h3 bigint := 271733878;  h4 bigint := 3285377520;
  padded bytea := msg || '\x80'::bytea;
  w bigint[];
  a bigint; b bigint; c bigint; d bigint; e bigint; f bigint; k bigint; t bigint;
  base int;
BEGIN
  padded := padded || decode(repeat('00', (120 - length(padded) % 64) % 64), 'hex');
  padded := padded || int8send(length(msg)::bigint * 8);
  FOR chunk IN 0 .. length(padded) / 64 - 1 LOOP
    base := chunk * 64;
    w := array_fill(0::bigint, ARRAY[80]);
    FOR i IN 0 .. 15 LOOP
      w[i + 1] := (get_byte(padded, base + i * 4)::bigint << 24) | (get_byte(padded, base + i * 4 + 1)::bigint << 16)
                | (get_byte(padded, base + i * 4 + 2)::bigint << 8) | get_byte(padded, base + i * 4 + 3)::bigint;
    END LOOP;
    FOR i IN 16 .. 79 LOOP
      t := w[i - 2] # w[i - 7] # w[i - 13] # w[i - 15];
      w[i + 1] := ((t << 1) | (t >> 31)) & mask;
    END LOOP;
    a := h0; b := h1; c := h2; d := h3; e := h4;
    FOR i IN 0 .. 79 LOOP
      IF i < 20 THEN
        f := (b & c) | ((b # mask) & d); k := 1518500249;
      ELSIF i < 40 THEN
        f := b # c # d; k := 1859775393;
      ELSIF i < 60 THEN
        f := (b & c) | (b & d) | (c & d); k := 2400959708;
      ELSE
        f := b # c # d; k := 3395469782;
      END IF;
      t := ((((a << 5) | (a >> 27)) & mask) + f + e + k + w[i + 1]) & mask;
      e := d; d := c; c := ((b << 30) | (b >> 2)) & mask; b := a; a := t;
    END LOOP;
    h0 := (h0 + a) & mask; h1 := (h1 + b) & mask; h2 := (h2 + c) & mask;
    h3 := (h3 + d) & mask; h4 := (h4 + e) & mask;
  END LOOP;
  RETURN substring(int8send(h0) FROM 5) || substring(int8send(h1) FROM 5) || substring(int8send(h2) FROM 5)
      || substring(int8send(h3) FROM 5) || substring(int8send(h4) FROM 5);
END
$$;

CREATE FUNCTION @extschema@.digest(bytea, text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  CASE lower($2)
    WHEN 'md5' THEN RETURN decode(md5($1), 'hex');
    WHEN 'sha1' THEN RETURN @extschema@._sandbox_sha1($1);
    WHEN 'sha224' THEN RETURN sha224($1);
    WHEN 'sha256' THEN RETURN sha256($1);
    WHEN 'sha384' THEN RETURN sha384($1);
    WHEN 'sha512' THEN RETURN sha512($1);
    ELSE RAISE EXCEPTION 'Cannot use "%": No such hash algorithm', $2 USING ERRCODE = '39000';
  END CASE;
END
$$;

CREATE FUNCTION @extschema@.digest(text, text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@.digest(convert_to($1, 'UTF8'), $2)
$$;

CREATE FUNCTION @extschema@.hmac(bytea, bytea, text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  block int := CASE WHEN lower($3) IN ('sha384', 'sha512') THEN 128 ELSE 64 END;
  key bytea := $2;
  ipad bytea;
  opad bytea;
BEGIN
  IF length(key) > block THEN
    key := @extschema@.digest(key, $3);
  END IF;
  key := key || decode(repeat('00', block - length(key)), 'hex');
  ipad := key;
  opad := key;
  FOR i IN 0 .. block - 1 LOOP
    ipad := set_byte(ipad, i, get_byte(key, i) # 54);
    opad := set_byte(opad, i, get_byte(key, i) # 92);
  END LOOP;
  RETURN @extschema@.digest(opad || @extschema@.digest(ipad || $1, $3), $3);
END
$$;

CREATE FUNCTION @extschema@.hmac(text, text, text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@.hmac(convert_to($1, 'UTF8'), convert_to($2, 'UTF8'), $3)
$$;

-- Random bytes from gen_random_uuid() (pg_strong_random): the 13 bytes of each v4 uuid that carry
-- no version or variant bits.
CREATE FUNCTION @extschema@.gen_random_bytes(integer) RETURNS bytea
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE AS $$
DECLARE
  out bytea := ''::bytea;
  u bytea;
BEGIN
  IF $1 < 1 OR $1 > 1024 THEN
    RAISE EXCEPTION 'Length not in range' USING ERRCODE = '39000';
  END IF;
  WHILE length(out) < $1 LOOP
    u := uuid_send(pg_catalog.gen_random_uuid());
    out := out || substring(u FROM 1 FOR 6) || substring(u FROM 10 FOR 7);
  END LOOP;
  RETURN substring(out FROM 1 FOR $1);
END
$$;

CREATE FUNCTION @extschema@.gen_random_uuid() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$ SELECT pg_catalog.gen_random_uuid() $$;

-- crypt()/gen_salt(): hashes shaped like bcrypt / md5-crypt / (x)des results, made from SHA-256 of the
-- salt setting and the password. crypt(password, stored_hash) = stored_hash verifies as with pgcrypto,
-- but these are not the real algorithms: a real Supabase Auth server would not accept them.
CREATE FUNCTION @extschema@._sandbox_crypt64(data bytea, n integer) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT string_agg(substr('./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
                           get_byte(data, i % length(data)) % 64 + 1, 1), '' ORDER BY i)
    FROM generate_series(0, n - 1) AS i
$$;

CREATE FUNCTION @extschema@.gen_salt(text, integer) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE AS $$
DECLARE
  r bytea := @extschema@.gen_random_bytes(32);
BEGIN
  CASE lower($1)
    WHEN 'bf' THEN
      IF $2 < 4 OR $2 > 31 THEN
        RAISE EXCEPTION 'gen_salt: Incorrect number of rounds' USING ERRCODE = '22023';
      END IF;
      RETURN '$2a$' || lpad($2::text, 2, '0') || '$' || @extschema@._sandbox_crypt64(r, 22);
    WHEN 'md5' THEN
      RETURN '$1$' || @extschema@._sandbox_crypt64(r, 8);
    WHEN 'xdes' THEN
      IF $2 < 1 OR $2 > 16777215 OR $2 % 2 = 0 THEN
        RAISE EXCEPTION 'gen_salt: Incorrect number of rounds' USING ERRCODE = '22023';
      END IF;
      RETURN '_' || @extschema@._sandbox_crypt64(int4send($2), 4) || @extschema@._sandbox_crypt64(r, 4);
    WHEN 'des' THEN
      RETURN @extschema@._sandbox_crypt64(r, 2);
    ELSE
      RAISE EXCEPTION 'gen_salt: Unknown salt algorithm' USING ERRCODE = '22023';
  END CASE;
END
$$;

CREATE FUNCTION @extschema@.gen_salt(text) RETURNS text
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@.gen_salt($1, CASE lower($1) WHEN 'bf' THEN 6 WHEN 'xdes' THEN 725 ELSE 0 END)
$$;

CREATE FUNCTION @extschema@.crypt(text, text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  setting text;
  width int;
BEGIN
  IF $2 ~ '^\$2[abxy]\$[0-9]{2}\$' THEN
    setting := substring($2 FROM 1 FOR 29); width := 31;
  ELSIF $2 LIKE '$1$%' THEN
    setting := '$1$' || split_part(substring($2 FROM 4), '$', 1) || '$'; width := 22;
  ELSIF $2 LIKE '\_%' THEN
    setting := substring($2 FROM 1 FOR 9); width := 11;
  ELSE
    setting := substring($2 FROM 1 FOR 2); width := 11;
  END IF;
  IF length(setting) < 2 THEN
    RAISE EXCEPTION 'invalid salt' USING ERRCODE = '22023';
  END IF;
  RETURN setting || @extschema@._sandbox_crypt64(sha256(convert_to(setting || $1, 'UTF8')), width);
END
$$;

-- encrypt()/decrypt() and pgp_sym_*(): a keyed stream (SHA-256 counter mode) that round-trips in the
-- sandbox. Not AES and not OpenPGP: ciphertexts are not interchangeable with Supabase's.
CREATE FUNCTION @extschema@._sandbox_stream(data bytea, key bytea, salt bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  out bytea := data;
  block bytea;
BEGIN
  FOR i IN 0 .. length(data) - 1 LOOP
    IF i % 32 = 0 THEN
      block := sha256(key || salt || int4send(i / 32));
    END IF;
    out := set_byte(out, i, get_byte(data, i) # get_byte(block, i % 32));
  END LOOP;
  RETURN out;
END
$$;

CREATE FUNCTION @extschema@.encrypt(bytea, bytea, text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@._sandbox_stream($1, $2, convert_to($3, 'UTF8'))
$$;
CREATE FUNCTION @extschema@.decrypt(bytea, bytea, text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@._sandbox_stream($1, $2, convert_to($3, 'UTF8'))
$$;
CREATE FUNCTION @extschema@.encrypt_iv(bytea, bytea, bytea, text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@._sandbox_stream($1, $2, $3 || convert_to($4, 'UTF8'))
$$;
CREATE FUNCTION @extschema@.decrypt_iv(bytea, bytea, bytea, text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@._sandbox_stream($1, $2, $3 || convert_to($4, 'UTF8'))
$$;

CREATE FUNCTION @extschema@.pgp_sym_encrypt_bytea(bytea, text, text) RETURNS bytea
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE AS $$
DECLARE
  salt bytea := @extschema@.gen_random_bytes(8);
  key bytea := convert_to($2, 'UTF8');
BEGIN
  RETURN convert_to('SBXPGP1', 'UTF8') || salt || substring(sha256(key || salt || $1) FROM 1 FOR 4)
      || @extschema@._sandbox_stream($1, key, salt);
END
$$;
CREATE FUNCTION @extschema@.pgp_sym_encrypt_bytea(bytea, text) RETURNS bytea
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.pgp_sym_encrypt_bytea($1, $2, '') $$;
CREATE FUNCTION @extschema@.pgp_sym_encrypt(text, text, text) RETURNS bytea
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@.pgp_sym_encrypt_bytea(convert_to($1, 'UTF8'), $2, $3)
$$;
CREATE FUNCTION @extschema@.pgp_sym_encrypt(text, text) RETURNS bytea
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.pgp_sym_encrypt($1, $2, '') $$;

CREATE FUNCTION @extschema@.pgp_sym_decrypt_bytea(bytea, text, text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  key bytea := convert_to($2, 'UTF8');
  salt bytea;
  plain bytea;
BEGIN
  IF length($1) < 19 OR substring($1 FROM 1 FOR 7) <> convert_to('SBXPGP1', 'UTF8') THEN
    RAISE EXCEPTION 'Wrong key or corrupt data' USING ERRCODE = '39000';
  END IF;
  salt := substring($1 FROM 8 FOR 8);
  plain := @extschema@._sandbox_stream(substring($1 FROM 20), key, salt);
  IF substring(sha256(key || salt || plain) FROM 1 FOR 4) <> substring($1 FROM 16 FOR 4) THEN
    RAISE EXCEPTION 'Wrong key or corrupt data' USING ERRCODE = '39000';
  END IF;
  RETURN plain;
END
$$;
CREATE FUNCTION @extschema@.pgp_sym_decrypt_bytea(bytea, text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.pgp_sym_decrypt_bytea($1, $2, '') $$;
CREATE FUNCTION @extschema@.pgp_sym_decrypt(bytea, text, text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT convert_from(@extschema@.pgp_sym_decrypt_bytea($1, $2, $3), 'UTF8')
$$;
CREATE FUNCTION @extschema@.pgp_sym_decrypt(bytea, text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.pgp_sym_decrypt($1, $2, '') $$;

CREATE FUNCTION @extschema@._sandbox_unsupported(what text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: pgcrypto''s % is not available in the sandbox', what
    USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.pgp_pub_encrypt(text, bytea) RETURNS bytea LANGUAGE plpgsql STRICT AS $$
BEGIN PERFORM @extschema@._sandbox_unsupported('pgp_pub_encrypt'); RETURN NULL; END $$;
CREATE FUNCTION @extschema@.pgp_pub_encrypt(text, bytea, text) RETURNS bytea LANGUAGE plpgsql STRICT AS $$
BEGIN PERFORM @extschema@._sandbox_unsupported('pgp_pub_encrypt'); RETURN NULL; END $$;
CREATE FUNCTION @extschema@.pgp_pub_encrypt_bytea(bytea, bytea) RETURNS bytea LANGUAGE plpgsql STRICT AS $$
BEGIN PERFORM @extschema@._sandbox_unsupported('pgp_pub_encrypt_bytea'); RETURN NULL; END $$;
CREATE FUNCTION @extschema@.pgp_pub_encrypt_bytea(bytea, bytea, text) RETURNS bytea LANGUAGE plpgsql STRICT AS $$
BEGIN PERFORM @extschema@._sandbox_unsupported('pgp_pub_encrypt_bytea'); RETURN NULL; END $$;
CREATE FUNCTION @extschema@.pgp_pub_decrypt(bytea, bytea) RETURNS text LANGUAGE plpgsql STRICT AS $$
BEGIN PERFORM @extschema@._sandbox_unsupported('pgp_pub_decrypt'); RETURN NULL; END $$;
CREATE FUNCTION @extschema@.pgp_pub_decrypt(bytea, bytea, text) RETURNS text LANGUAGE plpgsql STRICT AS $$
BEGIN PERFORM @extschema@._sandbox_unsupported('pgp_pub_decrypt'); RETURN NULL; END $$;
CREATE FUNCTION @extschema@.pgp_pub_decrypt(bytea, bytea, text, text) RETURNS text LANGUAGE plpgsql STRICT AS $$
BEGIN PERFORM @extschema@._sandbox_unsupported('pgp_pub_decrypt'); RETURN NULL; END $$;
CREATE FUNCTION @extschema@.pgp_pub_decrypt_bytea(bytea, bytea) RETURNS bytea LANGUAGE plpgsql STRICT AS $$
BEGIN PERFORM @extschema@._sandbox_unsupported('pgp_pub_decrypt_bytea'); RETURN NULL; END $$;
CREATE FUNCTION @extschema@.pgp_pub_decrypt_bytea(bytea, bytea, text) RETURNS bytea LANGUAGE plpgsql STRICT AS $$
BEGIN PERFORM @extschema@._sandbox_unsupported('pgp_pub_decrypt_bytea'); RETURN NULL; END $$;
CREATE FUNCTION @extschema@.pgp_pub_decrypt_bytea(bytea, bytea, text, text) RETURNS bytea LANGUAGE plpgsql STRICT AS $$
BEGIN PERFORM @extschema@._sandbox_unsupported('pgp_pub_decrypt_bytea'); RETURN NULL; END $$;
CREATE FUNCTION @extschema@.pgp_key_id(bytea) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN PERFORM @extschema@._sandbox_unsupported('pgp_key_id'); RETURN NULL; END $$;

CREATE FUNCTION @extschema@.armor(bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT E'-----BEGIN PGP MESSAGE-----\n\n' || encode($1, 'base64') || E'\n-----END PGP MESSAGE-----\n'
$$;
CREATE FUNCTION @extschema@.armor(bytea, text[], text[]) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT E'-----BEGIN PGP MESSAGE-----\n'
      || coalesce((SELECT string_agg(k || ': ' || v || E'\n', '' ORDER BY o)
                     FROM unnest($2, $3) WITH ORDINALITY AS h(k, v, o)), '')
      || E'\n' || encode($1, 'base64') || E'\n-----END PGP MESSAGE-----\n'
$$;
CREATE FUNCTION @extschema@.dearmor(text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT decode(regexp_replace(
           regexp_replace(split_part(split_part($1, E'\n\n', 2), '-----END', 1), E'\n=[^\n]*\\s*$', ''),
           '\s', '', 'g'), 'base64')
$$;
CREATE FUNCTION @extschema@.pgp_armor_headers(text, OUT key text, OUT value text) RETURNS SETOF record
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT split_part(line, ': ', 1), substring(line FROM position(': ' IN line) + 2)
    FROM unnest(string_to_array(split_part(split_part($1, E'\n\n', 1), E'\n', 2), E'\n')) AS line
   WHERE line LIKE '%: %'
$$;

REVOKE ALL ON FUNCTION @extschema@._sandbox_unsupported(text) FROM PUBLIC;
