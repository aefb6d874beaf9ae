-- sandbox stand-in for postgis_sfcgal.
\echo Use "CREATE EXTENSION postgis_sfcgal" to load this file. \quit

CREATE FUNCTION @extschema@.postgis_sfcgal_version() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'sandbox stand-in'::text $$;
CREATE FUNCTION @extschema@._sandbox_sfcgal(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: % needs SFCGAL, which the sandbox lacks', what USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.st_3darea(@extschema@.geometry) RETURNS double precision LANGUAGE plpgsql IMMUTABLE STRICT AS
$$ BEGIN PERFORM @extschema@._sandbox_sfcgal('ST_3DArea'); RETURN NULL; END $$;
CREATE FUNCTION @extschema@.st_extrude(@extschema@.geometry, double precision, double precision, double precision)
RETURNS @extschema@.geometry LANGUAGE plpgsql IMMUTABLE STRICT AS
$$ BEGIN PERFORM @extschema@._sandbox_sfcgal('ST_Extrude'); RETURN NULL; END $$;
CREATE FUNCTION @extschema@.st_makesolid(@extschema@.geometry) RETURNS @extschema@.geometry LANGUAGE plpgsql IMMUTABLE STRICT AS
$$ BEGIN PERFORM @extschema@._sandbox_sfcgal('ST_MakeSolid'); RETURN NULL; END $$;
