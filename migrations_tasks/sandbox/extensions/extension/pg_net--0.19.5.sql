-- sandbox stand-in for pg_net: the schema, tables, types and functions of pg_net 0.19, with
-- Supabase's signatures. Requests are queued and never sent: there is no background worker.
\echo Use "CREATE EXTENSION pg_net" to load this file. \quit

CREATE SCHEMA IF NOT EXISTS net;

CREATE DOMAIN net.http_method AS text
  CHECK (value ILIKE 'get' OR value ILIKE 'post' OR value ILIKE 'delete');

CREATE UNLOGGED TABLE net.http_request_queue (
  id bigserial,
  method net.http_method NOT NULL,
  url text NOT NULL,
  headers jsonb,
  body bytea,
  timeout_milliseconds integer NOT NULL
);

CREATE UNLOGGED TABLE net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON net._http_response (created);

CREATE TYPE net.request_status AS ENUM ('PENDING', 'SUCCESS', 'ERROR');
CREATE TYPE net.http_response AS (status_code integer, headers jsonb, body text);
CREATE TYPE net.http_response_result AS (status net.request_status, message text, response net.http_response);

CREATE FUNCTION net._urlencode_string(string varchar) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  bytes bytea := convert_to(string, 'UTF8');
  out text := '';
  b integer;
BEGIN
  FOR i IN 0 .. length(bytes) - 1 LOOP
    b := get_byte(bytes, i);
    IF chr(b) ~ '[A-Za-z0-9._~-]' AND b < 128 THEN
      out := out || chr(b);
    ELSE
      out := out || '%' || upper(lpad(to_hex(b), 2, '0'));
    END IF;
  END LOOP;
  RETURN out;
END
$$;

CREATE FUNCTION net._encode_url_with_params_array(url text, params_array text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN coalesce(array_length(params_array, 1), 0) = 0 THEN url
              ELSE url || CASE WHEN position('?' IN url) > 0 THEN '&' ELSE '?' END
                       || array_to_string(params_array, '&') END
$$;

CREATE FUNCTION net._sandbox_params(params jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    FROM jsonb_each_text(coalesce(params, '{}'::jsonb))
$$;

CREATE FUNCTION net.check_worker_is_up() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING
    MESSAGE = 'the pg_net background worker is not up',
    DETAIL = 'sandbox stand-in: pg_net has no worker in the sandbox; requests are recorded, never sent';
END
$$;
CREATE FUNCTION net.worker_restart() RETURNS boolean LANGUAGE sql AS $$ SELECT false $$;
CREATE FUNCTION net.wait_until_running() RETURNS void LANGUAGE sql AS $$ SELECT NULL::void $$;
CREATE FUNCTION net.wake() RETURNS void LANGUAGE sql AS $$ SELECT NULL::void $$;

CREATE FUNCTION net._await_response(request_id bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  -- pg_net waits for the worker; the sandbox has none, so waiting would never end.
  RETURN EXISTS (SELECT 1 FROM net._http_response WHERE id = request_id);
END
$$;

CREATE FUNCTION net.http_get(
  url text, params jsonb DEFAULT '{}', headers jsonb DEFAULT '{}', timeout_milliseconds integer DEFAULT 5000)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = net AS $$
DECLARE
  request_id bigint;
BEGIN
  INSERT INTO net.http_request_queue (method, url, headers, timeout_milliseconds)
  VALUES ('GET', net._encode_url_with_params_array(url, net._sandbox_params(params)), headers,
          timeout_milliseconds)
  RETURNING id INTO request_id;
  RETURN request_id;
END
$$;

CREATE FUNCTION net.http_post(
  url text, body jsonb DEFAULT '{}', params jsonb DEFAULT '{}',
  headers jsonb DEFAULT '{"Content-Type": "application/json"}', timeout_milliseconds integer DEFAULT 5000)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = net AS $$
DECLARE
  request_id bigint;
  content_type text;
BEGIN
  SELECT v INTO content_type FROM jsonb_each_text(coalesce(headers, '{}')) AS h(k, v)
   WHERE lower(k) = 'content-type' LIMIT 1;
  IF content_type IS NULL THEN
    headers := coalesce(headers, '{}') || '{"Content-Type": "application/json"}'::jsonb;
  ELSIF content_type <> 'application/json' THEN
    RAISE EXCEPTION 'Content-Type header must be "application/json"';
  END IF;
  INSERT INTO net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  VALUES ('POST', net._encode_url_with_params_array(url, net._sandbox_params(params)), headers,
          convert_to(body::text, 'UTF8'), timeout_milliseconds)
  RETURNING id INTO request_id;
  RETURN request_id;
END
$$;

CREATE FUNCTION net.http_delete(
  url text, params jsonb DEFAULT '{}', headers jsonb DEFAULT '{}', timeout_milliseconds integer DEFAULT 5000,
  body jsonb DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = net AS $$
DECLARE
  request_id bigint;
BEGIN
  INSERT INTO net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  VALUES ('DELETE', net._encode_url_with_params_array(url, net._sandbox_params(params)), headers,
          convert_to(body::text, 'UTF8'), timeout_milliseconds)
  RETURNING id INTO request_id;
  RETURN request_id;
END
$$;

CREATE FUNCTION net._http_collect_response(request_id bigint, async boolean DEFAULT true)
RETURNS net.http_response_result LANGUAGE plpgsql AS $$
DECLARE
  rec net._http_response;
BEGIN
  SELECT * INTO rec FROM net._http_response r WHERE r.id = request_id;
  IF rec.id IS NULL THEN
    RETURN ('ERROR', CASE WHEN async THEN 'request matching request_id not found'
                          ELSE 'sandbox stand-in: pg_net sends no requests; no response will arrive' END,
            NULL)::net.http_response_result;
  END IF;
  IF rec.error_msg IS NOT NULL THEN
    RETURN ('ERROR', rec.error_msg, NULL)::net.http_response_result;
  END IF;
  RETURN ('SUCCESS', 'ok', (rec.status_code, rec.headers, rec.content)::net.http_response)::net.http_response_result;
END
$$;

CREATE FUNCTION net.http_collect_response(request_id bigint, async boolean DEFAULT true)
RETURNS net.http_response_result LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'The net.http_collect_response function is deprecated.';
  RETURN net._http_collect_response(request_id, async);
END
$$;

GRANT USAGE ON SCHEMA net TO PUBLIC;
GRANT ALL ON ALL SEQUENCES IN SCHEMA net TO PUBLIC;
GRANT ALL ON ALL TABLES IN SCHEMA net TO PUBLIC;
