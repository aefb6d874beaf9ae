-- sandbox stand-in for pgsql-http 1.6: same types and function signatures; no network access.
\echo Use "CREATE EXTENSION http" to load this file. \quit

CREATE DOMAIN @extschema@.http_method AS text;
CREATE DOMAIN @extschema@.content_type AS text CHECK (VALUE ~ '^\S+\/\S+');
CREATE TYPE @extschema@.http_header AS (field varchar, value varchar);
CREATE TYPE @extschema@.http_response AS (
  status integer, content_type varchar, headers @extschema@.http_header[], content varchar);
CREATE TYPE @extschema@.http_request AS (
  method @extschema@.http_method, uri varchar, headers @extschema@.http_header[],
  content_type varchar, content varchar);

CREATE FUNCTION @extschema@.http_set_curlopt(curlopt varchar, value varchar) RETURNS boolean
LANGUAGE sql VOLATILE AS $$ SELECT true $$;
CREATE FUNCTION @extschema@.http_reset_curlopt() RETURNS boolean LANGUAGE sql VOLATILE AS $$ SELECT true $$;
CREATE FUNCTION @extschema@.http_list_curlopt() RETURNS TABLE (curlopt text, value text)
LANGUAGE sql VOLATILE AS $$ SELECT NULL::text, NULL::text WHERE false $$;

CREATE FUNCTION @extschema@.http_header(field varchar, value varchar) RETURNS @extschema@.http_header
LANGUAGE sql AS $$ SELECT $1, $2 $$;

CREATE FUNCTION @extschema@.http(request @extschema@.http_request) RETURNS @extschema@.http_response
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: the http extension makes no network requests (% %)',
    request.method, request.uri
    USING ERRCODE = '08001', HINT = 'The sandbox has no outbound network; use pg_net (queued, never sent) or test this against Supabase.';
END
$$;

CREATE FUNCTION @extschema@.http_get(uri varchar) RETURNS @extschema@.http_response
LANGUAGE sql AS $$ SELECT @extschema@.http(('GET', $1, NULL, NULL, NULL)::@extschema@.http_request) $$;
CREATE FUNCTION @extschema@.http_get(uri varchar, data jsonb) RETURNS @extschema@.http_response
LANGUAGE sql AS $$
  SELECT @extschema@.http(('GET', $1 || '?' || @extschema@.urlencode($2), NULL, NULL, NULL)::@extschema@.http_request)
$$;
CREATE FUNCTION @extschema@.http_post(uri varchar, content varchar, content_type varchar) RETURNS @extschema@.http_response
LANGUAGE sql AS $$ SELECT @extschema@.http(('POST', $1, NULL, $3, $2)::@extschema@.http_request) $$;
CREATE FUNCTION @extschema@.http_post(uri varchar, data jsonb) RETURNS @extschema@.http_response
LANGUAGE sql AS $$
  SELECT @extschema@.http(('POST', $1, NULL, 'application/x-www-form-urlencoded', @extschema@.urlencode($2))::@extschema@.http_request)
$$;
CREATE FUNCTION @extschema@.http_put(uri varchar, content varchar, content_type varchar) RETURNS @extschema@.http_response
LANGUAGE sql AS $$ SELECT @extschema@.http(('PUT', $1, NULL, $3, $2)::@extschema@.http_request) $$;
CREATE FUNCTION @extschema@.http_patch(uri varchar, content varchar, content_type varchar) RETURNS @extschema@.http_response
LANGUAGE sql AS $$ SELECT @extschema@.http(('PATCH', $1, NULL, $3, $2)::@extschema@.http_request) $$;
CREATE FUNCTION @extschema@.http_delete(uri varchar) RETURNS @extschema@.http_response
LANGUAGE sql AS $$ SELECT @extschema@.http(('DELETE', $1, NULL, NULL, NULL)::@extschema@.http_request) $$;
CREATE FUNCTION @extschema@.http_delete(uri varchar, content varchar, content_type varchar) RETURNS @extschema@.http_response
LANGUAGE sql AS $$ SELECT @extschema@.http(('DELETE', $1, NULL, $3, $2)::@extschema@.http_request) $$;
CREATE FUNCTION @extschema@.http_head(uri varchar) RETURNS @extschema@.http_response
LANGUAGE sql AS $$ SELECT @extschema@.http(('HEAD', $1, NULL, NULL, NULL)::@extschema@.http_request) $$;

CREATE FUNCTION @extschema@.urlencode(string bytea) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  out text := '';
  b integer;
BEGIN
  FOR i IN 0 .. length(string) - 1 LOOP
    b := get_byte(string, i);
    IF (b BETWEEN 48 AND 57) OR (b BETWEEN 65 AND 90) OR (b BETWEEN 97 AND 122) OR b IN (45, 46, 95, 126) THEN
      out := out || chr(b);
    ELSE
      out := out || '%' || upper(lpad(to_hex(b), 2, '0'));
    END IF;
  END LOOP;
  RETURN out;
END
$$;
CREATE FUNCTION @extschema@.urlencode(string varchar) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT @extschema@.urlencode(convert_to($1, 'UTF8')) $$;
CREATE FUNCTION @extschema@.urlencode(data jsonb) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT coalesce(string_agg(@extschema@.urlencode(key::varchar) || '=' || @extschema@.urlencode(value::varchar), '&'
                             ORDER BY key), '')
    FROM jsonb_each_text($1)
$$;

CREATE FUNCTION @extschema@.text_to_bytea(data text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT convert_to($1, 'UTF8') $$;
CREATE FUNCTION @extschema@.bytea_to_text(data bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT convert_from($1, 'UTF8') $$;
