-- sandbox stand-in for uuid-ossp: same function names and signatures as uuid-ossp 1.1.
\echo Use "CREATE EXTENSION ""uuid-ossp""" to load this file. \quit

CREATE FUNCTION @extschema@.uuid_nil() RETURNS uuid LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT '00000000-0000-0000-0000-000000000000'::uuid $$;
CREATE FUNCTION @extschema@.uuid_ns_dns() RETURNS uuid LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid $$;
CREATE FUNCTION @extschema@.uuid_ns_url() RETURNS uuid LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT '6ba7b811-9dad-11d1-80b4-00c04fd430c8'::uuid $$;
CREATE FUNCTION @extschema@.uuid_ns_oid() RETURNS uuid LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT '6ba7b812-9dad-11d1-80b4-00c04fd430c8'::uuid $$;
CREATE FUNCTION @extschema@.uuid_ns_x500() RETURNS uuid LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT '6ba7b814-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

CREATE FUNCTION @extschema@.uuid_generate_v4() RETURNS uuid LANGUAGE sql VOLATILE STRICT PARALLEL SAFE AS
$$ SELECT pg_catalog.gen_random_uuid() $$;

-- Sets the version nibble and the RFC 4122 variant bits of 16 bytes.
CREATE FUNCTION @extschema@._sandbox_uuid_from(bytes bytea, version integer) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT encode(set_byte(set_byte(substring(bytes FROM 1 FOR 16), 6, (get_byte(bytes, 6) & 15) | (version << 4)),
                         8, (get_byte(bytes, 8) & 63) | 128), 'hex')::uuid
$$;

CREATE FUNCTION @extschema@._sandbox_uuid_sha1(msg bytea) RETURNS bytea
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

CREATE FUNCTION @extschema@.uuid_generate_v3(namespace uuid, name text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@._sandbox_uuid_from(decode(md5(uuid_send(namespace) || convert_to(name, 'UTF8')), 'hex'), 3)
$$;

CREATE FUNCTION @extschema@.uuid_generate_v5(namespace uuid, name text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@._sandbox_uuid_from(
    @extschema@._sandbox_uuid_sha1(uuid_send(namespace) || convert_to(name, 'UTF8')), 5)
$$;

-- Time-based (version 1): 100 ns ticks since 1582-10-15, a random clock sequence and a random node
-- with the multicast bit set (what uuid-ossp does for v1mc; the sandbox uses it for v1 too).
CREATE FUNCTION @extschema@.uuid_generate_v1mc() RETURNS uuid
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE AS $$
DECLARE
  ticks bigint := (extract(epoch FROM clock_timestamp()) * 10000000)::bigint + 122192928000000000;
  r bytea := uuid_send(pg_catalog.gen_random_uuid());
BEGIN
  RETURN (lpad(to_hex(ticks & 4294967295), 8, '0') || '-'
       || lpad(to_hex((ticks >> 32) & 65535), 4, '0') || '-'
       || lpad(to_hex(((ticks >> 48) & 4095) | 4096), 4, '0') || '-'
       || lpad(to_hex(((get_byte(r, 0) << 8 | get_byte(r, 1)) & 16383) | 32768), 4, '0') || '-'
       || lpad(to_hex(get_byte(r, 2) | 1), 2, '0') || encode(substring(r FROM 10 FOR 5), 'hex'))::uuid;
END
$$;

CREATE FUNCTION @extschema@.uuid_generate_v1() RETURNS uuid LANGUAGE sql VOLATILE STRICT PARALLEL SAFE AS
$$ SELECT @extschema@.uuid_generate_v1mc() $$;
