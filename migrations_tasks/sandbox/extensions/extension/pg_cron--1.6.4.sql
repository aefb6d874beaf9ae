-- sandbox stand-in for pg_cron 1.6: the cron schema, tables and functions with pg_cron's signatures.
-- Jobs are validated and recorded; there is no scheduler, so none runs. (On Supabase, supautils
-- forces schema pg_catalog whatever WITH SCHEMA says; the objects live in schema cron either way.)
-- pg_cron's C functions write cron.job whatever the caller's table privileges (postgres may only SELECT
-- it on Supabase), recording the calling user; here the writers are SECURITY DEFINER and record
-- session_user (the same unless the caller SET ROLE).
\echo Use "CREATE EXTENSION pg_cron" to load this file. \quit

CREATE SCHEMA IF NOT EXISTS cron;

CREATE SEQUENCE cron.jobid_seq;
CREATE SEQUENCE cron.runid_seq;

CREATE TABLE cron.job (
  jobid bigint PRIMARY KEY DEFAULT pg_catalog.nextval('cron.jobid_seq'),
  schedule text NOT NULL,
  command text NOT NULL,
  nodename text NOT NULL DEFAULT 'localhost',
  nodeport integer NOT NULL DEFAULT coalesce(pg_catalog.inet_server_port(), 5432),
  database text NOT NULL DEFAULT pg_catalog.current_database(),
  username text NOT NULL DEFAULT CURRENT_USER,
  active boolean NOT NULL DEFAULT true,
  jobname text,
  CONSTRAINT jobname_username_uniq UNIQUE (jobname, username)
);
ALTER SEQUENCE cron.jobid_seq OWNED BY cron.job.jobid;

CREATE TABLE cron.job_run_details (
  jobid bigint,
  runid bigint PRIMARY KEY DEFAULT pg_catalog.nextval('cron.runid_seq'),
  job_pid integer,
  database text,
  username text,
  command text,
  status text,
  return_message text,
  start_time timestamptz,
  end_time timestamptz
);
ALTER SEQUENCE cron.runid_seq OWNED BY cron.job_run_details.runid;

ALTER TABLE cron.job ENABLE ROW LEVEL SECURITY;
ALTER TABLE cron.job_run_details ENABLE ROW LEVEL SECURITY;
CREATE POLICY cron_job_policy ON cron.job USING (username = CURRENT_USER);
CREATE POLICY cron_job_run_details_policy ON cron.job_run_details USING (username = CURRENT_USER);

-- pg_cron's schedule syntax: five cron fields, '[1-59] seconds', or @yearly/@monthly/.../@reboot.
CREATE FUNCTION cron._sandbox_check_schedule(schedule text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  s text := lower(btrim(schedule));
  fields text[];
  limits int[] := ARRAY[0, 59, 0, 23, 1, 31, 1, 12, 0, 7];
  item text;
  n text;
  ok boolean := true;
BEGIN
  IF s ~ '^@(yearly|annually|monthly|weekly|daily|hourly|reboot)$' THEN
    RETURN;
  END IF;
  IF s ~ '^[0-9]+ *seconds?$' THEN
    IF substring(s FROM '^[0-9]+')::int BETWEEN 1 AND 59 THEN
      RETURN;
    END IF;
    ok := false;
  END IF;
  fields := regexp_split_to_array(s, '\s+');
  IF ok AND array_length(fields, 1) = 5 THEN
    FOR f IN 1 .. 5 LOOP
      FOREACH item IN ARRAY string_to_array(fields[f], ',') LOOP
        IF NOT (item ~ '^(\*|[0-9a-z]+(-[0-9a-z]+)?)(/[0-9]+)?$' OR (f = 3 AND item = '$')) THEN
          ok := false;
        END IF;
        FOR n IN SELECT m[1] FROM regexp_matches(split_part(item, '/', 1), '([0-9]+)', 'g') AS m LOOP
          IF n::bigint < limits[2 * f - 1] OR n::bigint > limits[2 * f] THEN
            ok := false;
          END IF;
        END LOOP;
        IF item ~ '[a-z]' AND NOT (
             (f = 4 AND item ~ '^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?$')
          OR (f = 5 AND item ~ '^(sun|mon|tue|wed|thu|fri|sat)(-(sun|mon|tue|wed|thu|fri|sat))?$')) THEN
          ok := false;
        END IF;
      END LOOP;
    END LOOP;
  ELSE
    ok := false;
  END IF;
  IF NOT ok THEN
    RAISE EXCEPTION 'invalid schedule: %', schedule USING ERRCODE = '22023';
  END IF;
END
$$;

CREATE FUNCTION cron.schedule(schedule text, command text) RETURNS bigint
LANGUAGE plpgsql STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  id bigint;
BEGIN
  PERFORM cron._sandbox_check_schedule(schedule);
  INSERT INTO cron.job (schedule, command, username) VALUES (schedule, command, session_user) RETURNING jobid INTO id;
  RETURN id;
END
$$;
COMMENT ON FUNCTION cron.schedule(text, text) IS 'schedule a pg_cron job';

CREATE FUNCTION cron.schedule(job_name text, schedule text, command text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  id bigint;
BEGIN
  IF job_name IS NULL THEN
    RAISE EXCEPTION 'job_name can not be NULL' USING ERRCODE = '22023';
  END IF;
  PERFORM cron._sandbox_check_schedule(schedule);
  INSERT INTO cron.job (schedule, command, jobname, username) VALUES (schedule, command, job_name, session_user)
  ON CONFLICT ON CONSTRAINT jobname_username_uniq
  DO UPDATE SET schedule = EXCLUDED.schedule, command = EXCLUDED.command
  RETURNING jobid INTO id;
  RETURN id;
END
$$;
COMMENT ON FUNCTION cron.schedule(text, text, text) IS 'schedule a pg_cron job';

CREATE FUNCTION cron.schedule_in_database(
  job_name text, schedule text, command text, database text, username text DEFAULT NULL,
  active boolean DEFAULT true)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  id bigint;
BEGIN
  PERFORM cron._sandbox_check_schedule(schedule);
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_database d WHERE d.datname = database) THEN
    RAISE EXCEPTION 'database "%" does not exist', database USING ERRCODE = '3D000';
  END IF;
  INSERT INTO cron.job (schedule, command, jobname, database, username, active)
  VALUES (schedule, command, job_name, database, coalesce(username, session_user), coalesce(active, true))
  ON CONFLICT ON CONSTRAINT jobname_username_uniq
  DO UPDATE SET schedule = EXCLUDED.schedule, command = EXCLUDED.command, database = EXCLUDED.database,
                active = EXCLUDED.active
  RETURNING jobid INTO id;
  RETURN id;
END
$$;
COMMENT ON FUNCTION cron.schedule_in_database(text, text, text, text, text, boolean) IS 'schedule a pg_cron job';

CREATE FUNCTION cron.unschedule(job_id bigint) RETURNS boolean
LANGUAGE plpgsql STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM cron.job WHERE jobid = job_id AND username = session_user;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'could not find valid entry for job %', job_id USING ERRCODE = '22023';
  END IF;
  RETURN true;
END
$$;
COMMENT ON FUNCTION cron.unschedule(bigint) IS 'unschedule a pg_cron job';

CREATE FUNCTION cron.unschedule(job_name text) RETURNS boolean
LANGUAGE plpgsql STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM cron.job WHERE jobname = job_name AND username = session_user;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'could not find valid entry for job ''%''', job_name USING ERRCODE = '22023';
  END IF;
  RETURN true;
END
$$;
COMMENT ON FUNCTION cron.unschedule(text) IS 'unschedule a pg_cron job';

CREATE FUNCTION cron.alter_job(
  job_id bigint, schedule text DEFAULT NULL, command text DEFAULT NULL, database text DEFAULT NULL,
  username text DEFAULT NULL, active boolean DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF schedule IS NOT NULL THEN
    PERFORM cron._sandbox_check_schedule(schedule);
  END IF;
  UPDATE cron.job j
     SET schedule = coalesce(alter_job.schedule, j.schedule),
         command = coalesce(alter_job.command, j.command),
         database = coalesce(alter_job.database, j.database),
         username = coalesce(alter_job.username, j.username),
         active = coalesce(alter_job.active, j.active)
   WHERE j.jobid = job_id AND j.username = session_user;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'Job % does not exist or you don''t own it', job_id USING ERRCODE = '22023';
  END IF;
END
$$;
COMMENT ON FUNCTION cron.alter_job(bigint, text, text, text, text, boolean) IS
  'Alter the job identified by job_id. Any option left as NULL will not be modified.';

CREATE FUNCTION cron.job_cache_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RETURN NULL;
END
$$;
CREATE TRIGGER cron_job_cache_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cron.job
  FOR EACH STATEMENT EXECUTE FUNCTION cron.job_cache_invalidate();

GRANT USAGE ON SCHEMA cron TO PUBLIC;
GRANT SELECT ON cron.job, cron.job_run_details TO PUBLIC;
GRANT DELETE ON cron.job_run_details TO PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA cron TO PUBLIC;
