-- sandbox stand-in for postgis_topology: catalog tables and topology creation.
\echo Use "CREATE EXTENSION postgis_topology" to load this file. \quit

CREATE TABLE topology.topology (
  id serial NOT NULL PRIMARY KEY,
  name varchar NOT NULL UNIQUE,
  srid integer NOT NULL,
  "precision" double precision NOT NULL,
  hasz boolean NOT NULL DEFAULT false
);
CREATE TABLE topology.layer (
  topology_id integer NOT NULL REFERENCES topology.topology (id),
  layer_id integer NOT NULL,
  schema_name varchar NOT NULL,
  table_name varchar NOT NULL,
  feature_column varchar NOT NULL,
  feature_type integer NOT NULL,
  level integer NOT NULL DEFAULT 0,
  child_id integer,
  PRIMARY KEY (topology_id, layer_id),
  UNIQUE (schema_name, table_name, feature_column)
);
CREATE FUNCTION topology.createtopology(atopology varchar, srid integer DEFAULT 0, prec double precision DEFAULT 0,
  hasz boolean DEFAULT false) RETURNS integer LANGUAGE plpgsql VOLATILE STRICT AS $$
DECLARE
  new_id integer;
BEGIN
  EXECUTE format('CREATE SCHEMA %I', atopology);
  INSERT INTO topology.topology (name, srid, "precision", hasz) VALUES (atopology, srid, prec, hasz)
  RETURNING id INTO new_id;
  RETURN new_id;
END
$$;
CREATE FUNCTION topology.droptopology(atopology varchar) RETURNS text LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
  DELETE FROM topology.layer WHERE topology_id = (SELECT id FROM topology.topology WHERE name = atopology);
  DELETE FROM topology.topology WHERE name = atopology;
  EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', atopology);
  RETURN 'Topology ' || quote_literal(atopology) || ' dropped';
END
$$;
CREATE FUNCTION topology.postgis_topology_scripts_installed() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT '3.3.7'::text $$;
GRANT USAGE ON SCHEMA topology TO PUBLIC;
GRANT SELECT ON topology.topology, topology.layer TO PUBLIC;
