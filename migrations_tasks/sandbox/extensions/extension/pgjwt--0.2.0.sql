-- sandbox stand-in for pgjwt 0.2.0: same functions; HMAC computed with PostgreSQL's sha256/384/512.
\echo Use "CREATE EXTENSION pgjwt" to load this file. \quit

CREATE FUNCTION @extschema@.url_encode(data bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT translate(encode(data, 'base64'), E'+/=\n', '-_');
$$;

CREATE FUNCTION @extschema@.url_decode(data text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
  WITH t AS (SELECT translate(data, '-_', '+/') AS trans),
       rem AS (SELECT length(t.trans) % 4 AS remainder FROM t)
  SELECT decode(t.trans || CASE WHEN rem.remainder > 0 THEN repeat('=', (4 - rem.remainder)) ELSE '' END,
                'base64')
    FROM t, rem;
$$;

CREATE FUNCTION @extschema@._sandbox_hmac(data bytea, key bytea, hash text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  block int := CASE WHEN hash IN ('sha384', 'sha512') THEN 128 ELSE 64 END;
  k bytea := key;
  ipad bytea;
  opad bytea;
BEGIN
  IF length(k) > block THEN
    k := CASE hash WHEN 'sha384' THEN sha384(k) WHEN 'sha512' THEN sha512(k) ELSE sha256(k) END;
  END IF;
  k := k || decode(repeat('00', block - length(k)), 'hex');
  ipad := k;
  opad := k;
  FOR i IN 0 .. block - 1 LOOP
    ipad := set_byte(ipad, i, get_byte(k, i) # 54);
    opad := set_byte(opad, i, get_byte(k, i) # 92);
  END LOOP;
  ipad := ipad || data;
  ipad := CASE hash WHEN 'sha384' THEN sha384(ipad) WHEN 'sha512' THEN sha512(ipad) ELSE sha256(ipad) END;
  opad := opad || ipad;
  RETURN CASE hash WHEN 'sha384' THEN sha384(opad) WHEN 'sha512' THEN sha512(opad) ELSE sha256(opad) END;
END
$$;

CREATE FUNCTION @extschema@.algorithm_sign(signables text, secret text, algorithm text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  WITH alg AS (
    SELECT CASE WHEN algorithm = 'HS256' THEN 'sha256'
                WHEN algorithm = 'HS384' THEN 'sha384'
                WHEN algorithm = 'HS512' THEN 'sha512'
                ELSE '' END AS id)
  SELECT @extschema@.url_encode(@extschema@._sandbox_hmac(convert_to(signables, 'UTF8'), convert_to(secret, 'UTF8'), alg.id))
    FROM alg;
$$;

CREATE FUNCTION @extschema@.sign(payload json, secret text, algorithm text DEFAULT 'HS256') RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  WITH header AS (
    SELECT @extschema@.url_encode(convert_to('{"alg":"' || algorithm || '","typ":"JWT"}', 'utf8')) AS data),
  payload AS (
    SELECT @extschema@.url_encode(convert_to(payload::text, 'utf8')) AS data),
  signables AS (
    SELECT header.data || '.' || payload.data AS data FROM header, payload)
  SELECT signables.data || '.' || @extschema@.algorithm_sign(signables.data, secret, algorithm)
    FROM signables;
$$;

CREATE FUNCTION @extschema@.try_cast_double(inp text) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  BEGIN
    RETURN inp::double precision;
  EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
  END;
END;
$$;

CREATE FUNCTION @extschema@.verify(token text, secret text, algorithm text DEFAULT 'HS256')
RETURNS TABLE (header json, payload json, valid boolean)
LANGUAGE sql IMMUTABLE AS $$
  SELECT jwt.header AS header,
         jwt.payload AS payload,
         jwt.signature_ok AND tstzrange(
           to_timestamp(@extschema@.try_cast_double(jwt.payload ->> 'nbf')),
           to_timestamp(@extschema@.try_cast_double(jwt.payload ->> 'exp'))
         ) @> CURRENT_TIMESTAMP AS valid
    FROM (
      SELECT convert_from(@extschema@.url_decode(r[1]), 'utf8')::json AS header,
             convert_from(@extschema@.url_decode(r[2]), 'utf8')::json AS payload,
             r[3] = @extschema@.algorithm_sign(r[1] || '.' || r[2], secret, algorithm) AS signature_ok
        FROM regexp_split_to_array(token, '\.') r
    ) jwt
$$;
