-- Part 6: Realtime. The supabase_realtime publication exists and is empty (migrations add tables
-- to it); realtime.messages carries Broadcast/Presence authorization (migrations add RLS policies
-- that use realtime.topic()); realtime.send() and realtime.broadcast_changes() insert messages as on
-- Supabase. No Realtime server reads them here: nothing is delivered.

CREATE PUBLICATION supabase_realtime WITH (publish = 'insert, update, delete, truncate');
ALTER PUBLICATION supabase_realtime OWNER TO postgres;

CREATE TYPE realtime.action AS ENUM ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'ERROR');
CREATE TYPE realtime.equality_op AS ENUM ('eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in');
CREATE TYPE realtime.user_defined_filter AS (column_name text, op realtime.equality_op, value text);

CREATE TABLE realtime.schema_migrations (
  version bigint NOT NULL,
  inserted_at timestamp(0),
  CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
);

CREATE FUNCTION realtime.to_regrole(role_name text) RETURNS regrole LANGUAGE sql IMMUTABLE AS $$
  SELECT role_name::regrole
$$;

CREATE TABLE realtime.subscription (
  id bigint GENERATED ALWAYS AS IDENTITY,
  subscription_id uuid NOT NULL,
  entity regclass NOT NULL,
  filters realtime.user_defined_filter[] NOT NULL DEFAULT '{}',
  claims jsonb NOT NULL,
  claims_role regrole GENERATED ALWAYS AS (realtime.to_regrole(claims ->> 'role')) STORED NOT NULL,
  created_at timestamp NOT NULL DEFAULT timezone('utc', now()),
  action_filter text DEFAULT '*',
  CONSTRAINT pk_subscription PRIMARY KEY (id),
  CONSTRAINT subscription_action_filter_check CHECK (action_filter IN ('*', 'INSERT', 'UPDATE', 'DELETE'))
);

-- Messages are partitioned by day on Supabase (the Realtime server creates the partitions);
-- here one default partition takes every row.
CREATE TABLE realtime.messages (
  topic text NOT NULL,
  extension text NOT NULL,
  payload jsonb,
  event text,
  private boolean DEFAULT false,
  updated_at timestamp NOT NULL DEFAULT now(),
  inserted_at timestamp NOT NULL DEFAULT now(),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  binary_payload bytea,
  CONSTRAINT messages_pkey PRIMARY KEY (id, inserted_at)
) PARTITION BY RANGE (inserted_at);
CREATE TABLE realtime.messages_default PARTITION OF realtime.messages DEFAULT;
CREATE INDEX messages_inserted_at_topic_index ON realtime.messages (inserted_at DESC, topic)
  WHERE extension = 'broadcast' AND private IS TRUE;

-- The topic of the channel being authorized (set by the Realtime server while checking policies).
CREATE FUNCTION realtime.topic() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('realtime.topic', true), '')::text;
$$;

CREATE FUNCTION realtime.send(payload jsonb, event text, topic text, private boolean DEFAULT true)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  message_id uuid := gen_random_uuid();
BEGIN
  BEGIN
    PERFORM set_config('realtime.topic', topic, true);
    INSERT INTO realtime.messages (id, payload, event, topic, private, extension)
    VALUES (message_id,
            CASE WHEN payload ? 'id' THEN payload ELSE jsonb_set(payload, '{id}', to_jsonb(message_id)) END,
            event, topic, private, 'broadcast');
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'ErrorSendingBroadcastMessage: %', SQLERRM;
  END;
END;
$$;

CREATE FUNCTION realtime.broadcast_changes(
  topic_name text, event_name text, operation text, table_name text, table_schema text,
  new record, old record, level text DEFAULT 'ROW')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  row_data jsonb := '{}'::jsonb;
BEGIN
  IF level = 'STATEMENT' THEN
    RAISE EXCEPTION 'function can only be triggered for each row, not for each statement';
  END IF;
  IF operation IN ('INSERT', 'UPDATE', 'DELETE') THEN
    row_data := jsonb_build_object(
      'old_record', CASE WHEN operation = 'INSERT' THEN NULL ELSE to_jsonb(old) END,
      'record', CASE WHEN operation = 'DELETE' THEN NULL ELSE to_jsonb(new) END,
      'operation', operation, 'table', table_name, 'schema', table_schema);
    PERFORM realtime.send(row_data, event_name, topic_name);
  ELSE
    RAISE EXCEPTION 'Unexpected operation type: %', operation;
  END IF;
END;
$$;

DO $realtime$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT c.oid::regclass AS rel FROM pg_catalog.pg_class c
            WHERE c.relnamespace = 'realtime'::regnamespace AND c.relkind IN ('r', 'p')
  LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO supabase_realtime_admin', t.rel);
    IF t.rel::text <> 'realtime.schema_migrations' THEN
      EXECUTE format('GRANT ALL ON TABLE %s TO postgres, dashboard_user, service_role', t.rel);
    END IF;
  END LOOP;
  FOR t IN SELECT p.oid::regprocedure AS fn FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'realtime'::regnamespace
  LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO supabase_realtime_admin', t.fn);
  END LOOP;
END
$realtime$;
ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON realtime.messages TO anon, authenticated;
GRANT SELECT ON realtime.schema_migrations, realtime.subscription TO anon, authenticated;
GRANT EXECUTE ON FUNCTION realtime.topic() TO anon, authenticated, service_role;
