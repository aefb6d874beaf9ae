-- sandbox stand-in for pg_tle: bookkeeping of installed TLE extensions, without the CREATE EXTENSION hook.
\echo Use "CREATE EXTENSION pg_tle" to load this file. \quit

CREATE TABLE pgtle._sandbox_extensions (
  name text NOT NULL,
  version text NOT NULL,
  description text,
  ext text NOT NULL,
  requires text[],
  is_default boolean NOT NULL DEFAULT true,
  PRIMARY KEY (name, version)
);

CREATE FUNCTION pgtle.install_extension(name text, version text, description text, ext text, requires text[] DEFAULT NULL)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pgtle._sandbox_extensions e WHERE e.name = install_extension.name) THEN
    RAISE EXCEPTION 'extension "%" already installed', name USING ERRCODE = '42710';
  END IF;
  INSERT INTO pgtle._sandbox_extensions VALUES (name, version, description, ext, requires, true);
  RETURN true;
END
$$;

CREATE FUNCTION pgtle.install_update_path(name text, fromvers text, tovers text, ext text) RETURNS boolean
LANGUAGE sql AS $$
  INSERT INTO pgtle._sandbox_extensions (name, version, ext, is_default) VALUES (name, tovers, ext, false)
  RETURNING true
$$;

CREATE FUNCTION pgtle.set_default_version(name text, version text) RETURNS boolean LANGUAGE sql AS $$
  UPDATE pgtle._sandbox_extensions e SET is_default = (e.version = set_default_version.version)
   WHERE e.name = set_default_version.name
  RETURNING true
$$;

CREATE FUNCTION pgtle.uninstall_extension(extname text) RETURNS boolean LANGUAGE sql AS $$
  WITH d AS (DELETE FROM pgtle._sandbox_extensions WHERE name = extname RETURNING 1) SELECT count(*) > 0 FROM d
$$;

CREATE FUNCTION pgtle.uninstall_extension(extname text, version text) RETURNS boolean LANGUAGE sql AS $$
  WITH d AS (DELETE FROM pgtle._sandbox_extensions e WHERE e.name = extname AND e.version = uninstall_extension.version
             RETURNING 1)
  SELECT count(*) > 0 FROM d
$$;

CREATE FUNCTION pgtle.available_extensions(OUT name name, OUT default_version text, OUT comment text)
RETURNS SETOF record LANGUAGE sql STABLE AS $$
  SELECT e.name::name, e.version, e.description FROM pgtle._sandbox_extensions e WHERE e.is_default ORDER BY 1
$$;

CREATE FUNCTION pgtle.available_extension_versions(
  OUT name name, OUT version text, OUT superuser boolean, OUT trusted boolean, OUT relocatable boolean,
  OUT schema name, OUT requires name[], OUT comment text)
RETURNS SETOF record LANGUAGE sql STABLE AS $$
  SELECT e.name::name, e.version, false, false, false, NULL::name, e.requires::name[], e.description
    FROM pgtle._sandbox_extensions e ORDER BY 1, 2
$$;
