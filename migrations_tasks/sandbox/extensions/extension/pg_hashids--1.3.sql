-- sandbox stand-in for pg_hashids 1.3: the Hashids algorithm (hashids.org) in PL/pgSQL.
\echo Use "CREATE EXTENSION pg_hashids" to load this file. \quit

CREATE FUNCTION @extschema@._hashids_shuffle(alphabet text, salt text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  chars text[] := regexp_split_to_array(alphabet, '');
  i int := length(alphabet) - 1;
  v int := 0;
  p int := 0;
  code int;
  j int;
  t text;
BEGIN
  IF coalesce(salt, '') = '' THEN
    RETURN alphabet;
  END IF;
  WHILE i > 0 LOOP
    v := v % length(salt);
    code := ascii(substr(salt, v + 1, 1));
    p := p + code;
    j := (code + v + p) % i;
    t := chars[i + 1]; chars[i + 1] := chars[j + 1]; chars[j + 1] := t;
    i := i - 1;
    v := v + 1;
  END LOOP;
  RETURN array_to_string(chars, '');
END
$$;

CREATE FUNCTION @extschema@._hashids_setup(salt text, alphabet text, OUT alpha text, OUT seps text, OUT guards text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  c text;
  seps_len int;
  diff int;
  guard_count int;
BEGIN
  alpha := '';
  FOREACH c IN ARRAY regexp_split_to_array(alphabet, '') LOOP
    IF position(c IN alpha) = 0 THEN
      alpha := alpha || c;
    END IF;
  END LOOP;
  IF length(alpha) < 16 THEN
    RAISE EXCEPTION 'alphabet must contain at least 16 unique characters';
  END IF;
  IF position(' ' IN alpha) > 0 THEN
    RAISE EXCEPTION 'error: alphabet cannot contain spaces';
  END IF;
  seps := '';
  FOREACH c IN ARRAY regexp_split_to_array('cfhistuCFHISTU', '') LOOP
    IF position(c IN alpha) > 0 THEN
      seps := seps || c;
      alpha := replace(alpha, c, '');
    END IF;
  END LOOP;
  seps := @extschema@._hashids_shuffle(seps, salt);
  IF length(seps) = 0 OR length(alpha)::numeric / length(seps) > 3.5 THEN
    seps_len := ceil(length(alpha) / 3.5)::int;
    IF seps_len = 1 THEN
      seps_len := 2;
    END IF;
    IF seps_len > length(seps) THEN
      diff := seps_len - length(seps);
      seps := seps || substr(alpha, 1, diff);
      alpha := substr(alpha, diff + 1);
    ELSE
      seps := substr(seps, 1, seps_len);
    END IF;
  END IF;
  alpha := @extschema@._hashids_shuffle(alpha, salt);
  guard_count := ceil(length(alpha) / 12.0)::int;
  IF length(alpha) < 3 THEN
    guards := substr(seps, 1, guard_count);
    seps := substr(seps, guard_count + 1);
  ELSE
    guards := substr(alpha, 1, guard_count);
    alpha := substr(alpha, guard_count + 1);
  END IF;
END
$$;

CREATE FUNCTION @extschema@._hashids_hash(input bigint, alphabet text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  out text := '';
  n bigint := input;
  len int := length(alphabet);
BEGIN
  LOOP
    out := substr(alphabet, (n % len)::int + 1, 1) || out;
    n := n / len;
    EXIT WHEN n = 0;
  END LOOP;
  RETURN out;
END
$$;

CREATE FUNCTION @extschema@._hashids_encode(numbers bigint[], salt text, min_length integer, alphabet text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  setup record := @extschema@._hashids_setup(coalesce(salt, ''), alphabet);
  alpha text := setup.alpha;
  hash_int bigint := 0;
  lottery text;
  ret text;
  last text;
  n bigint;
  gi int;
  half int;
  excess int;
  count int := coalesce(array_length(numbers, 1), 0);
BEGIN
  IF count = 0 THEN
    RETURN '';
  END IF;
  FOR i IN 0 .. count - 1 LOOP
    IF numbers[i + 1] < 0 THEN
      RETURN '';
    END IF;
    hash_int := hash_int + numbers[i + 1] % (i + 100);
  END LOOP;
  lottery := substr(alpha, (hash_int % length(alpha))::int + 1, 1);
  ret := lottery;
  FOR i IN 0 .. count - 1 LOOP
    n := numbers[i + 1];
    alpha := @extschema@._hashids_shuffle(alpha, substr(lottery || coalesce(salt, '') || alpha, 1, length(alpha)));
    last := @extschema@._hashids_hash(n, alpha);
    ret := ret || last;
    IF i + 1 < count THEN
      n := n % (ascii(last) + i);
      ret := ret || substr(setup.seps, (n % length(setup.seps))::int + 1, 1);
    END IF;
  END LOOP;
  IF length(ret) < coalesce(min_length, 0) THEN
    gi := ((hash_int + ascii(ret)) % length(setup.guards))::int;
    ret := substr(setup.guards, gi + 1, 1) || ret;
    IF length(ret) < min_length THEN
      gi := ((hash_int + ascii(substr(ret, 3, 1))) % length(setup.guards))::int;
      ret := ret || substr(setup.guards, gi + 1, 1);
    END IF;
  END IF;
  half := length(alpha) / 2;
  WHILE length(ret) < coalesce(min_length, 0) LOOP
    alpha := @extschema@._hashids_shuffle(alpha, alpha);
    ret := substr(alpha, half + 1) || ret || substr(alpha, 1, half);
    excess := length(ret) - min_length;
    IF excess > 0 THEN
      ret := substr(ret, excess / 2 + 1, min_length);
    END IF;
  END LOOP;
  RETURN ret;
END
$$;

CREATE FUNCTION @extschema@._hashids_decode(hash text, salt text, min_length integer, alphabet text)
RETURNS bigint[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  setup record := @extschema@._hashids_setup(coalesce(salt, ''), alphabet);
  alpha text := setup.alpha;
  parts text[];
  breakdown text;
  lottery text;
  sub text;
  n bigint;
  result bigint[] := '{}';
BEGIN
  IF coalesce(hash, '') = '' THEN
    RETURN result;
  END IF;
  parts := string_to_array(translate(hash, setup.guards, repeat(' ', length(setup.guards))), ' ');
  breakdown := parts[CASE WHEN array_length(parts, 1) IN (2, 3) THEN 2 ELSE 1 END];
  IF coalesce(breakdown, '') = '' THEN
    RETURN result;
  END IF;
  lottery := substr(breakdown, 1, 1);
  breakdown := substr(breakdown, 2);
  FOREACH sub IN ARRAY string_to_array(translate(breakdown, setup.seps, repeat(' ', length(setup.seps))), ' ') LOOP
    alpha := @extschema@._hashids_shuffle(alpha, substr(lottery || coalesce(salt, '') || alpha, 1, length(alpha)));
    n := 0;
    FOR i IN 1 .. length(sub) LOOP
      IF position(substr(sub, i, 1) IN alpha) = 0 THEN
        RETURN '{}';
      END IF;
      n := n * length(alpha) + position(substr(sub, i, 1) IN alpha) - 1;
    END LOOP;
    result := result || n;
  END LOOP;
  IF @extschema@._hashids_encode(result, salt, min_length, alphabet) <> hash THEN
    RETURN '{}';
  END IF;
  RETURN result;
END
$$;

CREATE FUNCTION @extschema@.id_encode(number bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT @extschema@._hashids_encode(ARRAY[number], ''::text, 0, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890') $$;
CREATE FUNCTION @extschema@.id_encode(numbers bigint[]) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT @extschema@._hashids_encode(numbers, ''::text, 0, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890') $$;
CREATE FUNCTION @extschema@.id_decode(hash text) RETURNS bigint[]
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT @extschema@._hashids_decode(hash, ''::text, 0, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890') $$;
CREATE FUNCTION @extschema@.id_decode_once(hash text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT (@extschema@._hashids_decode(hash, ''::text, 0, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890'))[1] $$;
CREATE FUNCTION @extschema@.id_encode(number bigint, salt text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT @extschema@._hashids_encode(ARRAY[number], salt, 0, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890') $$;
CREATE FUNCTION @extschema@.id_encode(numbers bigint[], salt text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT @extschema@._hashids_encode(numbers, salt, 0, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890') $$;
CREATE FUNCTION @extschema@.id_decode(hash text, salt text) RETURNS bigint[]
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT @extschema@._hashids_decode(hash, salt, 0, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890') $$;
CREATE FUNCTION @extschema@.id_decode_once(hash text, salt text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT (@extschema@._hashids_decode(hash, salt, 0, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890'))[1] $$;
CREATE FUNCTION @extschema@.id_encode(number bigint, salt text, min_length integer) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT @extschema@._hashids_encode(ARRAY[number], salt, min_length, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890') $$;
CREATE FUNCTION @extschema@.id_encode(numbers bigint[], salt text, min_length integer) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT @extschema@._hashids_encode(numbers, salt, min_length, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890') $$;
CREATE FUNCTION @extschema@.id_decode(hash text, salt text, min_length integer) RETURNS bigint[]
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT @extschema@._hashids_decode(hash, salt, min_length, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890') $$;
CREATE FUNCTION @extschema@.id_decode_once(hash text, salt text, min_length integer) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT (@extschema@._hashids_decode(hash, salt, min_length, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890'))[1] $$;
CREATE FUNCTION @extschema@.id_encode(number bigint, salt text, min_length integer, alphabet text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT @extschema@._hashids_encode(ARRAY[number], salt, min_length, alphabet) $$;
CREATE FUNCTION @extschema@.id_encode(numbers bigint[], salt text, min_length integer, alphabet text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT @extschema@._hashids_encode(numbers, salt, min_length, alphabet) $$;
CREATE FUNCTION @extschema@.id_decode(hash text, salt text, min_length integer, alphabet text) RETURNS bigint[]
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT @extschema@._hashids_decode(hash, salt, min_length, alphabet) $$;
CREATE FUNCTION @extschema@.id_decode_once(hash text, salt text, min_length integer, alphabet text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT (@extschema@._hashids_decode(hash, salt, min_length, alphabet))[1] $$;
