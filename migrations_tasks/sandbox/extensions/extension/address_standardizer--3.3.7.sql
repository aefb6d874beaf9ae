-- sandbox stand-in for PostGIS' address_standardizer: the type and the two functions' signatures.
\echo Use "CREATE EXTENSION address_standardizer" to load this file. \quit

CREATE TYPE @extschema@.stdaddr AS (
  building text, house_num text, predir text, qual text, pretype text, name text, suftype text, sufdir text,
  ruralroute text, extra text, city text, state text, country text, postcode text, box text, unit text);

CREATE FUNCTION @extschema@.parse_address(text, OUT num text, OUT street text, OUT street2 text, OUT address1 text,
  OUT city text, OUT state text, OUT zip text, OUT zipplus text, OUT country text)
RETURNS record LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  parts text[] := regexp_split_to_array($1, '\s*,\s*');
BEGIN
  address1 := parts[1];
  num := substring(parts[1] FROM '^\s*(\d+\w*)');
  street := btrim(regexp_replace(parts[1], '^\s*\d+\w*\s*', ''));
  city := parts[2];
  state := substring(parts[3] FROM '^\s*([A-Za-z]+)');
  zip := substring(parts[3] FROM '(\d{5})');
  zipplus := substring(parts[3] FROM '\d{5}-(\d{4})');
  country := CASE WHEN array_length(parts, 1) >= 4 THEN parts[4] ELSE 'US' END;
END
$$;

CREATE FUNCTION @extschema@.standardize_address(lextab text, gaztab text, rultab text, address text)
RETURNS @extschema@.stdaddr LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: standardize_address is not available in the sandbox' USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.standardize_address(lextab text, gaztab text, rultab text, micro text, macro text)
RETURNS @extschema@.stdaddr LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: standardize_address is not available in the sandbox' USING ERRCODE = '0A000';
END
$$;
