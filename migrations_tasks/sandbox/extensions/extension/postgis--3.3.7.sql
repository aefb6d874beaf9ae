-- sandbox stand-in for PostGIS 3.3: the geometry and geography types (stored as EWKT text, with
-- PostGIS' type modifiers) and the functions migrations and simple queries use most.
\echo Use "CREATE EXTENSION postgis" to load this file. \quit

-- Types: text-backed varlena types (internal text I/O), collatable so btree_gist's text support works.
CREATE TYPE @extschema@.geometry;
CREATE FUNCTION @extschema@.geometry_in(cstring) RETURNS @extschema@.geometry LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'textin';
CREATE FUNCTION @extschema@.geometry_out(@extschema@.geometry) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'textout';
CREATE FUNCTION @extschema@.geometry_recv(internal) RETURNS @extschema@.geometry LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'textrecv';
CREATE FUNCTION @extschema@.geometry_send(@extschema@.geometry) RETURNS bytea LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'textsend';

-- PostGIS' typmod encoding: srid << 8 | type << 2 | z << 1 | m.
CREATE FUNCTION @extschema@._sandbox_typmod(mods text[], default_srid integer, what text) RETURNS integer
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  t text := upper(btrim(mods[1]));
  codes text[] := ARRAY['POINT', 'LINESTRING', 'POLYGON', 'MULTIPOINT', 'MULTILINESTRING', 'MULTIPOLYGON',
                        'GEOMETRYCOLLECTION', 'CIRCULARSTRING', 'COMPOUNDCURVE', 'CURVEPOLYGON', 'MULTICURVE',
                        'MULTISURFACE', 'POLYHEDRALSURFACE', 'TRIANGLE', 'TIN'];
  z integer := 0;
  m integer := 0;
  code integer;
  srid integer := default_srid;
BEGIN
  IF array_length(mods, 1) > 2 THEN
    RAISE EXCEPTION 'Invalid % type modifier', what;
  END IF;
  IF t LIKE '%ZM' THEN
    z := 1; m := 1; t := left(t, -2);
  ELSIF t LIKE '%Z' THEN
    z := 1; t := left(t, -1);
  ELSIF t LIKE '%M' AND t <> 'GEOMETRYCOLLECTIONM' AND t NOT IN ('POLYGON', 'MULTIPOLYGON') THEN
    m := 1; t := left(t, -1);
  END IF;
  code := CASE WHEN t = 'GEOMETRY' THEN 0 ELSE array_position(codes, t) END;
  IF code IS NULL THEN
    RAISE EXCEPTION 'Invalid geometry type modifier: %', mods[1];
  END IF;
  IF array_length(mods, 1) = 2 THEN
    srid := btrim(mods[2])::integer;
    IF srid < 0 THEN
      srid := 0;
    END IF;
  END IF;
  RETURN (srid << 8) | (code << 2) | (z << 1) | m;
END
$$;
CREATE FUNCTION @extschema@.geometry_typmod_in(cstring[]) RETURNS integer LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RETURN @extschema@._sandbox_typmod($1::text[], 0, 'geometry');
END
$$;
CREATE TYPE @extschema@.geometry (
  INPUT = @extschema@.geometry_in, OUTPUT = @extschema@.geometry_out,
  RECEIVE = @extschema@.geometry_recv, SEND = @extschema@.geometry_send,
  TYPMOD_IN = @extschema@.geometry_typmod_in,
  INTERNALLENGTH = VARIABLE, STORAGE = main, COLLATABLE = true, CATEGORY = 'U', DELIMITER = ':');

CREATE TYPE @extschema@.geography;
CREATE FUNCTION @extschema@.geography_in(cstring) RETURNS @extschema@.geography LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'textin';
CREATE FUNCTION @extschema@.geography_out(@extschema@.geography) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'textout';
CREATE FUNCTION @extschema@.geography_recv(internal) RETURNS @extschema@.geography LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'textrecv';
CREATE FUNCTION @extschema@.geography_send(@extschema@.geography) RETURNS bytea LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'textsend';
CREATE FUNCTION @extschema@.geography_typmod_in(cstring[]) RETURNS integer LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RETURN @extschema@._sandbox_typmod($1::text[], 4326, 'geography');
END
$$;
CREATE TYPE @extschema@.geography (
  INPUT = @extschema@.geography_in, OUTPUT = @extschema@.geography_out,
  RECEIVE = @extschema@.geography_recv, SEND = @extschema@.geography_send,
  TYPMOD_IN = @extschema@.geography_typmod_in,
  INTERNALLENGTH = VARIABLE, STORAGE = main, COLLATABLE = true, CATEGORY = 'U', DELIMITER = ':');

CREATE TYPE @extschema@.box2d;
CREATE FUNCTION @extschema@.box2d_in(cstring) RETURNS @extschema@.box2d LANGUAGE internal IMMUTABLE STRICT AS 'textin';
CREATE FUNCTION @extschema@.box2d_out(@extschema@.box2d) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'textout';
CREATE TYPE @extschema@.box2d (INPUT = @extschema@.box2d_in, OUTPUT = @extschema@.box2d_out, INTERNALLENGTH = VARIABLE);

-- Casts. The types share text's representation, so these are binary coercions.
CREATE CAST (text AS @extschema@.geometry) WITHOUT FUNCTION AS IMPLICIT;
CREATE CAST (@extschema@.geometry AS text) WITHOUT FUNCTION AS IMPLICIT;
CREATE CAST (varchar AS @extschema@.geometry) WITHOUT FUNCTION AS IMPLICIT;
CREATE CAST (text AS @extschema@.geography) WITHOUT FUNCTION AS IMPLICIT;
CREATE CAST (@extschema@.geography AS text) WITHOUT FUNCTION AS IMPLICIT;
CREATE CAST (@extschema@.box2d AS text) WITHOUT FUNCTION AS IMPLICIT;

CREATE TYPE @extschema@.geometry_dump AS (path integer[], geom @extschema@.geometry);

-- Parsing. Values are (E)WKT text; hex EWKB points (what pg_dump of a real PostGIS column holds)
-- are decoded too.
CREATE FUNCTION @extschema@._sandbox_f8(b bytea, little boolean) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  bits bigint := 0;
  e integer;
  mant numeric;
BEGIN
  FOR i IN 0 .. 7 LOOP
    bits := (bits << 8) | get_byte(b, CASE WHEN little THEN 7 - i ELSE i END);
  END LOOP;
  e := ((bits >> 52) & 2047)::integer;
  mant := (bits & 4503599627370495)::numeric;
  IF e = 0 AND mant = 0 THEN
    RETURN 0;
  END IF;
  RETURN (CASE WHEN bits < 0 THEN -1 ELSE 1 END) * (1 + mant / 4503599627370496) * power(2::numeric, e - 1023);
END
$$;

CREATE FUNCTION @extschema@._sandbox_ewkt(g text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  b bytea;
  little boolean;
  t bigint;
  pos integer := 5;
  srid bigint := 0;
BEGIN
  IF g !~ '^\s*[0-9A-Fa-f]+\s*$' THEN
    RETURN btrim(g);
  END IF;
  b := decode(btrim(g), 'hex');
  little := get_byte(b, 0) = 1;
  t := 0;
  FOR i IN 0 .. 3 LOOP
    t := (t << 8) | get_byte(b, CASE WHEN little THEN 4 - i ELSE 1 + i END);
  END LOOP;
  IF (t & 536870912) <> 0 THEN
    FOR i IN 0 .. 3 LOOP
      srid := (srid << 8) | get_byte(b, CASE WHEN little THEN 8 - i ELSE 5 + i END);
    END LOOP;
    pos := 9;
  END IF;
  IF (t & 255) <> 1 THEN
    RAISE EXCEPTION 'sandbox stand-in: only POINT values can be given as hex EWKB in the sandbox';
  END IF;
  RETURN CASE WHEN srid <> 0 THEN 'SRID=' || srid || ';' ELSE '' END || 'POINT('
      || @extschema@._sandbox_f8(substring(b FROM pos + 1 FOR 8), little) || ' '
      || @extschema@._sandbox_f8(substring(b FROM pos + 9 FOR 8), little) || ')';
END
$$;

CREATE FUNCTION @extschema@._sandbox_srid(g text) RETURNS integer LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT coalesce(substring(@extschema@._sandbox_ewkt(g) FROM '^SRID=(\d+);')::integer, 0)
$$;
CREATE FUNCTION @extschema@._sandbox_wkt(g text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT regexp_replace(@extschema@._sandbox_ewkt(g), '^SRID=\d+;\s*', '')
$$;
CREATE FUNCTION @extschema@._sandbox_kind(g text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT upper(substring(@extschema@._sandbox_wkt(g) FROM '^\s*([A-Za-z]+)'))
$$;
CREATE FUNCTION @extschema@._sandbox_kind_full(g text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT regexp_replace(upper(substring(@extschema@._sandbox_wkt(g) FROM '^\s*([A-Za-z]+(\s+(ZM|Z|M))?)')),
                        '\s+', '', 'g')
$$;

-- Every parenthesised coordinate list, as arrays of x and y (z and m ignored).
CREATE FUNCTION @extschema@._sandbox_paths(g text) RETURNS TABLE (n integer, xs double precision[], ys double precision[])
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  grp text;
  pt text;
  nums text[];
  i integer := 0;
BEGIN
  FOR grp IN SELECT m[1] FROM regexp_matches(@extschema@._sandbox_wkt(g), '\(([^()]*)\)', 'g') AS m LOOP
    i := i + 1;
    n := i;
    xs := '{}';
    ys := '{}';
    FOREACH pt IN ARRAY regexp_split_to_array(btrim(grp), '\s*,\s*') LOOP
      CONTINUE WHEN pt = '' OR upper(pt) = 'EMPTY';
      nums := regexp_split_to_array(btrim(pt), '\s+');
      xs := xs || nums[1]::double precision;
      ys := ys || nums[2]::double precision;
    END LOOP;
    RETURN NEXT;
  END LOOP;
END
$$;

CREATE FUNCTION @extschema@._sandbox_num(v double precision) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT v::text
$$;

CREATE FUNCTION @extschema@._sandbox_type_name(kind text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT CASE kind WHEN 'POINT' THEN 'Point' WHEN 'LINESTRING' THEN 'LineString' WHEN 'POLYGON' THEN 'Polygon'
    WHEN 'MULTIPOINT' THEN 'MultiPoint' WHEN 'MULTILINESTRING' THEN 'MultiLineString'
    WHEN 'MULTIPOLYGON' THEN 'MultiPolygon' WHEN 'GEOMETRYCOLLECTION' THEN 'GeometryCollection'
    ELSE initcap(kind) END
$$;

-- Checks a value against a column's type modifier, as PostGIS does on assignment.
CREATE FUNCTION @extschema@._sandbox_enforce(g text, typmod integer, geography boolean) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  col_srid integer := typmod >> 8;
  col_type integer := (typmod >> 2) & 63;
  codes text[] := ARRAY['POINT', 'LINESTRING', 'POLYGON', 'MULTIPOINT', 'MULTILINESTRING', 'MULTIPOLYGON',
                        'GEOMETRYCOLLECTION', 'CIRCULARSTRING', 'COMPOUNDCURVE', 'CURVEPOLYGON', 'MULTICURVE',
                        'MULTISURFACE', 'POLYHEDRALSURFACE', 'TRIANGLE', 'TIN'];
  kind text := @extschema@._sandbox_kind(g);
  srid integer := @extschema@._sandbox_srid(g);
  ewkt text := @extschema@._sandbox_ewkt(g);
BEGIN
  IF typmod < 0 THEN
    RETURN ewkt;
  END IF;
  IF kind IS NULL OR (array_position(codes, kind) IS NULL AND kind <> 'GEOMETRY') THEN
    RAISE EXCEPTION 'parse error - invalid geometry' USING HINT = '"' || left(g, 40) || '" <-- parse error';
  END IF;
  IF geography AND srid = 0 THEN
    srid := 4326;
    ewkt := 'SRID=4326;' || ewkt;
  END IF;
  IF col_type <> 0 AND kind <> codes[col_type] THEN
    RAISE EXCEPTION 'Geometry type (%) does not match column type (%)', @extschema@._sandbox_type_name(kind),
      @extschema@._sandbox_type_name(codes[col_type]) USING ERRCODE = '22023';
  END IF;
  IF col_srid <> 0 AND srid <> col_srid THEN
    RAISE EXCEPTION 'Geometry SRID (%) does not match column SRID (%)', srid, col_srid USING ERRCODE = '22023';
  END IF;
  RETURN ewkt;
END
$$;
CREATE FUNCTION @extschema@.geometry(@extschema@.geometry, integer, boolean) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@._sandbox_enforce($1::text, $2, false)::@extschema@.geometry
$$;
CREATE FUNCTION @extschema@.geography(@extschema@.geography, integer, boolean) RETURNS @extschema@.geography
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@._sandbox_enforce($1::text, $2, true)::@extschema@.geography
$$;
CREATE CAST (@extschema@.geometry AS @extschema@.geometry)
  WITH FUNCTION @extschema@.geometry(@extschema@.geometry, integer, boolean) AS IMPLICIT;
CREATE CAST (@extschema@.geography AS @extschema@.geography)
  WITH FUNCTION @extschema@.geography(@extschema@.geography, integer, boolean) AS IMPLICIT;

CREATE FUNCTION @extschema@.geography(@extschema@.geometry) RETURNS @extschema@.geography
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (CASE WHEN @extschema@._sandbox_srid($1::text) = 0 THEN 'SRID=4326;' ELSE '' END
          || @extschema@._sandbox_ewkt($1::text))::@extschema@.geography
$$;
CREATE CAST (@extschema@.geometry AS @extschema@.geography)
  WITH FUNCTION @extschema@.geography(@extschema@.geometry) AS IMPLICIT;
CREATE FUNCTION @extschema@.geometry(@extschema@.geography) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (CASE WHEN @extschema@._sandbox_srid($1::text) = 0 THEN 'SRID=4326;' ELSE '' END
          || @extschema@._sandbox_ewkt($1::text))::@extschema@.geometry
$$;
CREATE CAST (@extschema@.geography AS @extschema@.geometry)
  WITH FUNCTION @extschema@.geometry(@extschema@.geography) AS ASSIGNMENT;
CREATE FUNCTION @extschema@.geometry(text) RETURNS @extschema@.geometry LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@._sandbox_ewkt($1)::@extschema@.geometry
$$;
CREATE FUNCTION @extschema@.geography(text) RETURNS @extschema@.geography LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@.geography(@extschema@._sandbox_ewkt($1)::@extschema@.geometry)
$$;

-- Geometry arithmetic on (x, y) coordinates.
CREATE FUNCTION @extschema@._sandbox_seg_dist(px double precision, py double precision, ax double precision,
  ay double precision, bx double precision, by_ double precision) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  dx double precision := bx - ax;
  dy double precision := by_ - ay;
  t double precision;
BEGIN
  IF dx = 0 AND dy = 0 THEN
    RETURN sqrt((px - ax) ^ 2 + (py - ay) ^ 2);
  END IF;
  t := greatest(0, least(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  RETURN sqrt((px - (ax + t * dx)) ^ 2 + (py - (ay + t * dy)) ^ 2);
END
$$;

CREATE FUNCTION @extschema@._sandbox_orient(ax double precision, ay double precision, bx double precision,
  by_ double precision, cx double precision, cy double precision) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT sign((bx - ax) * (cy - ay) - (by_ - ay) * (cx - ax))::integer
$$;

CREATE FUNCTION @extschema@._sandbox_segs_cross(a1x double precision, a1y double precision, a2x double precision,
  a2y double precision, b1x double precision, b1y double precision, b2x double precision, b2y double precision)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  o1 integer := @extschema@._sandbox_orient(a1x, a1y, a2x, a2y, b1x, b1y);
  o2 integer := @extschema@._sandbox_orient(a1x, a1y, a2x, a2y, b2x, b2y);
  o3 integer := @extschema@._sandbox_orient(b1x, b1y, b2x, b2y, a1x, a1y);
  o4 integer := @extschema@._sandbox_orient(b1x, b1y, b2x, b2y, a2x, a2y);
BEGIN
  IF o1 <> o2 AND o3 <> o4 THEN
    RETURN true;
  END IF;
  RETURN (o1 = 0 AND @extschema@._sandbox_seg_dist(b1x, b1y, a1x, a1y, a2x, a2y) = 0)
      OR (o2 = 0 AND @extschema@._sandbox_seg_dist(b2x, b2y, a1x, a1y, a2x, a2y) = 0)
      OR (o3 = 0 AND @extschema@._sandbox_seg_dist(a1x, a1y, b1x, b1y, b2x, b2y) = 0)
      OR (o4 = 0 AND @extschema@._sandbox_seg_dist(a2x, a2y, b1x, b1y, b2x, b2y) = 0);
END
$$;

-- Even-odd rule over every ring: right for polygons with holes and for multipolygons.
CREATE FUNCTION @extschema@._sandbox_inside(px double precision, py double precision, g text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  p record;
  inside boolean := false;
  j integer;
BEGIN
  FOR p IN SELECT * FROM @extschema@._sandbox_paths(g) LOOP
    j := coalesce(array_length(p.xs, 1), 0);
    FOR i IN 1 .. coalesce(array_length(p.xs, 1), 0) LOOP
      IF ((p.ys[i] > py) <> (p.ys[j] > py))
         AND (px < (p.xs[j] - p.xs[i]) * (py - p.ys[i]) / (p.ys[j] - p.ys[i]) + p.xs[i]) THEN
        inside := NOT inside;
      END IF;
      j := i;
    END LOOP;
  END LOOP;
  RETURN inside;
END
$$;

CREATE FUNCTION @extschema@._sandbox_lineal(g text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT @extschema@._sandbox_kind(g) IN ('LINESTRING', 'MULTILINESTRING', 'POLYGON', 'MULTIPOLYGON',
                                          'GEOMETRYCOLLECTION', 'TRIANGLE', 'CIRCULARSTRING')
$$;
CREATE FUNCTION @extschema@._sandbox_areal(g text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT @extschema@._sandbox_kind(g) IN ('POLYGON', 'MULTIPOLYGON', 'TRIANGLE')
$$;

-- Segments of a geometry (rings and lines), or one zero-length "segment" per point.
CREATE FUNCTION @extschema@._sandbox_segments(g text)
RETURNS TABLE (ax double precision, ay double precision, bx double precision, by_ double precision)
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  p record;
  lineal boolean := @extschema@._sandbox_lineal(g);
BEGIN
  FOR p IN SELECT * FROM @extschema@._sandbox_paths(g) LOOP
    FOR i IN 1 .. coalesce(array_length(p.xs, 1), 0) LOOP
      IF lineal AND i > 1 THEN
        ax := p.xs[i - 1]; ay := p.ys[i - 1]; bx := p.xs[i]; by_ := p.ys[i];
        RETURN NEXT;
      ELSIF NOT lineal OR array_length(p.xs, 1) = 1 THEN
        ax := p.xs[i]; ay := p.ys[i]; bx := p.xs[i]; by_ := p.ys[i];
        RETURN NEXT;
      END IF;
    END LOOP;
  END LOOP;
END
$$;

CREATE FUNCTION @extschema@._sandbox_intersects(a text, b text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM @extschema@._sandbox_segments(a) s, @extschema@._sandbox_segments(b) t
              WHERE @extschema@._sandbox_segs_cross(s.ax, s.ay, s.bx, s.by_, t.ax, t.ay, t.bx, t.by_)) THEN
    RETURN true;
  END IF;
  IF @extschema@._sandbox_areal(b) AND EXISTS (
       SELECT 1 FROM @extschema@._sandbox_segments(a) s WHERE @extschema@._sandbox_inside(s.ax, s.ay, b)) THEN
    RETURN true;
  END IF;
  RETURN @extschema@._sandbox_areal(a) AND EXISTS (
    SELECT 1 FROM @extschema@._sandbox_segments(b) t WHERE @extschema@._sandbox_inside(t.ax, t.ay, a));
END
$$;

-- a contains b: every vertex of b lies inside a or on its boundary (vertex-based for areas).
CREATE FUNCTION @extschema@._sandbox_contains(a text, b text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  IF @extschema@._sandbox_areal(a) THEN
    RETURN NOT EXISTS (
      SELECT 1 FROM @extschema@._sandbox_segments(b) t
       WHERE NOT @extschema@._sandbox_inside(t.ax, t.ay, a)
         AND NOT EXISTS (SELECT 1 FROM @extschema@._sandbox_segments(a) s
                          WHERE @extschema@._sandbox_seg_dist(t.ax, t.ay, s.ax, s.ay, s.bx, s.by_) = 0));
  END IF;
  RETURN NOT EXISTS (
    SELECT 1 FROM @extschema@._sandbox_segments(b) t
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@._sandbox_segments(a) s
                        WHERE @extschema@._sandbox_seg_dist(t.ax, t.ay, s.ax, s.ay, s.bx, s.by_) = 0));
END
$$;

CREATE FUNCTION @extschema@._sandbox_planar_distance(a text, b text) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  IF @extschema@._sandbox_intersects(a, b) THEN
    RETURN 0;
  END IF;
  RETURN (SELECT min(least(@extschema@._sandbox_seg_dist(s.ax, s.ay, t.ax, t.ay, t.bx, t.by_),
                           @extschema@._sandbox_seg_dist(s.bx, s.by_, t.ax, t.ay, t.bx, t.by_),
                           @extschema@._sandbox_seg_dist(t.ax, t.ay, s.ax, s.ay, s.bx, s.by_),
                           @extschema@._sandbox_seg_dist(t.bx, t.by_, s.ax, s.ay, s.bx, s.by_)))
            FROM @extschema@._sandbox_segments(a) s, @extschema@._sandbox_segments(b) t);
END
$$;

-- Geodesic distance on the WGS84 ellipsoid (Vincenty's inverse formula), in metres; the mean-radius
-- sphere when use_spheroid is false or the iteration does not converge (nearly antipodal points).
CREATE FUNCTION @extschema@._sandbox_geodesic(lon1 double precision, lat1 double precision, lon2 double precision,
  lat2 double precision, use_spheroid boolean) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  a constant double precision := 6378137.0;
  f constant double precision := 1 / 298.257223563;
  b constant double precision := 6356752.314245;
  l double precision := radians(lon2 - lon1);
  u1 double precision := atan((1 - f) * tan(radians(lat1)));
  u2 double precision := atan((1 - f) * tan(radians(lat2)));
  lambda double precision := l;
  lambda_prev double precision;
  sin_sigma double precision; cos_sigma double precision; sigma double precision;
  sin_alpha double precision; cos2_alpha double precision; cos_2sm double precision;
  c double precision; u_sq double precision; aa double precision; bb double precision; delta double precision;
  iterations integer := 0;
BEGIN
  IF lon1 = lon2 AND lat1 = lat2 THEN
    RETURN 0;
  END IF;
  IF use_spheroid THEN
    LOOP
      sin_sigma := sqrt((cos(u2) * sin(lambda)) ^ 2 + (cos(u1) * sin(u2) - sin(u1) * cos(u2) * cos(lambda)) ^ 2);
      EXIT WHEN sin_sigma = 0;
      cos_sigma := sin(u1) * sin(u2) + cos(u1) * cos(u2) * cos(lambda);
      sigma := atan2(sin_sigma, cos_sigma);
      sin_alpha := cos(u1) * cos(u2) * sin(lambda) / sin_sigma;
      cos2_alpha := 1 - sin_alpha ^ 2;
      cos_2sm := CASE WHEN cos2_alpha = 0 THEN 0 ELSE cos_sigma - 2 * sin(u1) * sin(u2) / cos2_alpha END;
      c := f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha));
      lambda_prev := lambda;
      lambda := l + (1 - c) * f * sin_alpha * (sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm ^ 2)));
      iterations := iterations + 1;
      IF abs(lambda - lambda_prev) < 1e-12 THEN
        u_sq := cos2_alpha * (a * a - b * b) / (b * b);
        aa := 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)));
        bb := u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)));
        delta := bb * sin_sigma * (cos_2sm + bb / 4 * (cos_sigma * (-1 + 2 * cos_2sm ^ 2)
                 - bb / 6 * cos_2sm * (-3 + 4 * sin_sigma ^ 2) * (-3 + 4 * cos_2sm ^ 2)));
        RETURN b * aa * (sigma - delta);
      END IF;
      EXIT WHEN iterations > 200;
    END LOOP;
  END IF;
  RETURN 2 * 6371008.7714 * asin(sqrt(sin(radians(lat2 - lat1) / 2) ^ 2
         + cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lon2 - lon1) / 2) ^ 2));
END
$$;

CREATE FUNCTION @extschema@._sandbox_geodesic_distance(a text, b text, use_spheroid boolean) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  IF @extschema@._sandbox_intersects(a, b) THEN
    RETURN 0;
  END IF;
  RETURN (SELECT min(@extschema@._sandbox_geodesic(s.ax, s.ay, t.ax, t.ay, use_spheroid))
            FROM @extschema@._sandbox_segments(a) s, @extschema@._sandbox_segments(b) t);
END
$$;

-- Constructors.
CREATE FUNCTION @extschema@.st_makepoint(double precision, double precision) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT ('POINT(' || $1 || ' ' || $2 || ')')::@extschema@.geometry $$;
CREATE FUNCTION @extschema@.st_makepoint(double precision, double precision, double precision) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT ('POINT Z (' || $1 || ' ' || $2 || ' ' || $3 || ')')::@extschema@.geometry $$;
CREATE FUNCTION @extschema@.st_makepoint(double precision, double precision, double precision, double precision)
RETURNS @extschema@.geometry LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ('POINT ZM (' || $1 || ' ' || $2 || ' ' || $3 || ' ' || $4 || ')')::@extschema@.geometry
$$;
CREATE FUNCTION @extschema@.st_point(double precision, double precision) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.st_makepoint($1, $2) $$;
CREATE FUNCTION @extschema@.st_point(double precision, double precision, srid integer) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ('SRID=' || srid || ';POINT(' || $1 || ' ' || $2 || ')')::@extschema@.geometry
$$;
CREATE FUNCTION @extschema@.st_setsrid(@extschema@.geometry, integer) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ((CASE WHEN $2 <> 0 THEN 'SRID=' || $2 || ';' ELSE '' END) || @extschema@._sandbox_wkt($1::text))::@extschema@.geometry
$$;
CREATE FUNCTION @extschema@.st_setsrid(@extschema@.geography, integer) RETURNS @extschema@.geography
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ('SRID=' || $2 || ';' || @extschema@._sandbox_wkt($1::text))::@extschema@.geography
$$;
CREATE FUNCTION @extschema@.st_geomfromtext(text) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.geometry($1) $$;
CREATE FUNCTION @extschema@.st_geomfromtext(text, integer) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.st_setsrid(@extschema@.geometry($1), $2) $$;
CREATE FUNCTION @extschema@.st_geometryfromtext(text) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.geometry($1) $$;
CREATE FUNCTION @extschema@.st_geometryfromtext(text, integer) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.st_setsrid(@extschema@.geometry($1), $2) $$;
CREATE FUNCTION @extschema@.st_pointfromtext(text, integer) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.st_setsrid(@extschema@.geometry($1), $2) $$;
CREATE FUNCTION @extschema@.st_geomfromewkt(text) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.geometry($1) $$;
CREATE FUNCTION @extschema@.st_geogfromtext(text) RETURNS @extschema@.geography
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.geography($1) $$;
CREATE FUNCTION @extschema@.st_geographyfromtext(text) RETURNS @extschema@.geography
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.geography($1) $$;
CREATE FUNCTION @extschema@.st_makeenvelope(double precision, double precision, double precision, double precision,
  srid integer DEFAULT 0) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@.st_setsrid(('POLYGON((' || $1 || ' ' || $2 || ',' || $1 || ' ' || $4 || ',' || $3 || ' ' || $4
          || ',' || $3 || ' ' || $2 || ',' || $1 || ' ' || $2 || '))')::@extschema@.geometry, srid)
$$;

CREATE FUNCTION @extschema@._sandbox_geojson_coords(c jsonb) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT CASE WHEN jsonb_typeof(c -> 0) = 'number'
              THEN (SELECT string_agg(v #>> '{}', ' ' ORDER BY o) FROM jsonb_array_elements(c) WITH ORDINALITY e(v, o))
              ELSE '(' || (SELECT string_agg(@extschema@._sandbox_geojson_coords(v), ',' ORDER BY o)
                             FROM jsonb_array_elements(c) WITH ORDINALITY e(v, o)) || ')' END
$$;
CREATE FUNCTION @extschema@.st_geomfromgeojson(text) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ('SRID=4326;' || upper(($1::jsonb) ->> 'type')
          || CASE WHEN ($1::jsonb) ->> 'type' = 'Point'
                  THEN '(' || @extschema@._sandbox_geojson_coords(($1::jsonb) -> 'coordinates') || ')'
                  ELSE @extschema@._sandbox_geojson_coords(($1::jsonb) -> 'coordinates') END)::@extschema@.geometry
$$;
CREATE FUNCTION @extschema@.st_geomfromgeojson(json) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.st_geomfromgeojson($1::text) $$;
CREATE FUNCTION @extschema@.st_geomfromgeojson(jsonb) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.st_geomfromgeojson($1::text) $$;

-- Accessors and output.
CREATE FUNCTION @extschema@._sandbox_same_srid(a text, b text, fn text) RETURNS void LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF @extschema@._sandbox_srid(a) <> @extschema@._sandbox_srid(b) THEN
    RAISE EXCEPTION '%: Operation on mixed SRID geometries (%, %) != (%, %)', fn,
      @extschema@._sandbox_type_name(@extschema@._sandbox_kind(a)), @extschema@._sandbox_srid(a),
      @extschema@._sandbox_type_name(@extschema@._sandbox_kind(b)), @extschema@._sandbox_srid(b) USING ERRCODE = 'XX000';
  END IF;
END
$$;
CREATE FUNCTION @extschema@._sandbox_point_coord(g text, i integer, fn text) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  IF @extschema@._sandbox_kind(g) <> 'POINT' THEN
    RAISE EXCEPTION 'Argument to %() must have type POINT', fn;
  END IF;
  RETURN (regexp_split_to_array(btrim((SELECT m[1] FROM regexp_matches(@extschema@._sandbox_wkt(g), '\(([^()]*)\)') m)),
                                '\s+'))[i]::double precision;
END
$$;
CREATE FUNCTION @extschema@.st_x(@extschema@.geometry) RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT @extschema@._sandbox_point_coord($1::text, 1, 'ST_X') $$;
CREATE FUNCTION @extschema@.st_y(@extschema@.geometry) RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT @extschema@._sandbox_point_coord($1::text, 2, 'ST_Y') $$;
CREATE FUNCTION @extschema@.st_z(@extschema@.geometry) RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT @extschema@._sandbox_point_coord($1::text, 3, 'ST_Z') $$;
CREATE FUNCTION @extschema@.st_srid(@extschema@.geometry) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT @extschema@._sandbox_srid($1::text) $$;
CREATE FUNCTION @extschema@.st_srid(@extschema@.geography) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT coalesce(nullif(@extschema@._sandbox_srid($1::text), 0), 4326) $$;
CREATE FUNCTION @extschema@.geometrytype(@extschema@.geometry) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT @extschema@._sandbox_kind($1::text) $$;
CREATE FUNCTION @extschema@.st_geometrytype(@extschema@.geometry) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT 'ST_' || @extschema@._sandbox_type_name(@extschema@._sandbox_kind($1::text))
$$;
CREATE FUNCTION @extschema@.st_isvalid(@extschema@.geometry) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT @extschema@._sandbox_kind($1::text) IS NOT NULL $$;
CREATE FUNCTION @extschema@.st_isempty(@extschema@.geometry) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT upper(@extschema@._sandbox_wkt($1::text)) LIKE '%EMPTY' $$;
CREATE FUNCTION @extschema@.st_npoints(@extschema@.geometry) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT coalesce(sum(array_length(xs, 1)), 0)::integer FROM @extschema@._sandbox_paths($1::text) $$;

CREATE FUNCTION @extschema@.st_astext(@extschema@.geometry) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT @extschema@._sandbox_wkt($1::text) $$;
CREATE FUNCTION @extschema@.st_astext(@extschema@.geometry, integer) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT @extschema@._sandbox_wkt($1::text) $$;
CREATE FUNCTION @extschema@.st_astext(@extschema@.geography) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT @extschema@._sandbox_wkt($1::text) $$;
CREATE FUNCTION @extschema@.st_astext(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT @extschema@._sandbox_wkt($1) $$;
CREATE FUNCTION @extschema@.st_asewkt(@extschema@.geometry) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT @extschema@._sandbox_ewkt($1::text) $$;
CREATE FUNCTION @extschema@.st_asewkt(@extschema@.geography) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT @extschema@._sandbox_ewkt($1::text) $$;

CREATE FUNCTION @extschema@._sandbox_geojson(g text, geography boolean) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  kind text := @extschema@._sandbox_kind(g);
  srid integer := @extschema@._sandbox_srid(g);
  body text := regexp_replace(@extschema@._sandbox_wkt(g), '^\s*[A-Za-z]+(\s+(ZM|Z|M))?\s*', '', 'i');
  num constant text := '(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)';
  coords text;
  name text;
BEGIN
  name := CASE kind WHEN 'POINT' THEN 'Point' WHEN 'LINESTRING' THEN 'LineString' WHEN 'POLYGON' THEN 'Polygon'
                    WHEN 'MULTIPOINT' THEN 'MultiPoint' WHEN 'MULTILINESTRING' THEN 'MultiLineString'
                    WHEN 'MULTIPOLYGON' THEN 'MultiPolygon' END;
  IF name IS NULL THEN
    RAISE EXCEPTION 'sandbox stand-in: ST_AsGeoJSON does not support % in the sandbox', kind;
  END IF;
  IF kind = 'MULTIPOINT' THEN
    body := regexp_replace(body, '\(\s*([^(),]+?)\s*\)', '\1', 'g');
  END IF;
  coords := translate(regexp_replace(body, num || '\s+' || num || '(\s+' || num || ')?(\s+' || num || ')?',
                                     '[\1,\2]', 'g'), '() ', '[]');
  IF kind = 'POINT' THEN
    coords := substr(coords, 2, length(coords) - 2);
  END IF;
  RETURN '{"type":"' || name || '",'
      || CASE WHEN srid NOT IN (0, 4326) AND NOT geography
              THEN '"crs":{"type":"name","properties":{"name":"EPSG:' || srid || '"}},' ELSE '' END
      || '"coordinates":' || coords || '}';
END
$$;
CREATE FUNCTION @extschema@.st_asgeojson(@extschema@.geometry, maxdecimaldigits integer DEFAULT 9, options integer DEFAULT 8)
RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@._sandbox_geojson($1::text, false) $$;
CREATE FUNCTION @extschema@.st_asgeojson(@extschema@.geography, maxdecimaldigits integer DEFAULT 9, options integer DEFAULT 0)
RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@._sandbox_geojson($1::text, true) $$;
CREATE FUNCTION @extschema@.st_asgeojson(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT @extschema@._sandbox_geojson($1, false) $$;

-- Measurement and relationships.
CREATE FUNCTION @extschema@.st_distance(@extschema@.geometry, @extschema@.geometry) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  PERFORM @extschema@._sandbox_same_srid($1::text, $2::text, 'ST_Distance');
  RETURN @extschema@._sandbox_planar_distance($1::text, $2::text);
END
$$;
CREATE FUNCTION @extschema@.st_distance(@extschema@.geography, @extschema@.geography, use_spheroid boolean DEFAULT true)
RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@._sandbox_geodesic_distance($1::text, $2::text, use_spheroid)
$$;
CREATE FUNCTION @extschema@.st_distancesphere(@extschema@.geometry, @extschema@.geometry) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@._sandbox_geodesic_distance($1::text, $2::text, false) * 6370986 / 6371008.7714
$$;
CREATE FUNCTION @extschema@.st_dwithin(@extschema@.geometry, @extschema@.geometry, double precision) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.st_distance($1, $2) <= $3 $$;
CREATE FUNCTION @extschema@.st_dwithin(@extschema@.geography, @extschema@.geography, double precision,
  use_spheroid boolean DEFAULT true) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.st_distance($1, $2, use_spheroid) <= $3 $$;

CREATE FUNCTION @extschema@.st_intersects(@extschema@.geometry, @extschema@.geometry) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  PERFORM @extschema@._sandbox_same_srid($1::text, $2::text, 'ST_Intersects');
  RETURN @extschema@._sandbox_intersects($1::text, $2::text);
END
$$;
CREATE FUNCTION @extschema@.st_intersects(@extschema@.geography, @extschema@.geography) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@._sandbox_intersects($1::text, $2::text) $$;
CREATE FUNCTION @extschema@.st_disjoint(@extschema@.geometry, @extschema@.geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT NOT @extschema@.st_intersects($1, $2) $$;
CREATE FUNCTION @extschema@.st_contains(@extschema@.geometry, @extschema@.geometry) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  PERFORM @extschema@._sandbox_same_srid($1::text, $2::text, 'ST_Contains');
  RETURN @extschema@._sandbox_contains($1::text, $2::text);
END
$$;
CREATE FUNCTION @extschema@.st_within(@extschema@.geometry, @extschema@.geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.st_contains($2, $1) $$;
CREATE FUNCTION @extschema@.st_covers(@extschema@.geometry, @extschema@.geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.st_contains($1, $2) $$;
CREATE FUNCTION @extschema@.st_covers(@extschema@.geography, @extschema@.geography) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@._sandbox_contains($1::text, $2::text) $$;
CREATE FUNCTION @extschema@.st_coveredby(@extschema@.geometry, @extschema@.geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.st_contains($2, $1) $$;
CREATE FUNCTION @extschema@.st_equals(@extschema@.geometry, @extschema@.geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@.st_contains($1, $2) AND @extschema@.st_contains($2, $1)
$$;

CREATE FUNCTION @extschema@._sandbox_polygon_area(g text, geodesic boolean) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  poly text;
  ring text;
  first boolean;
  total double precision := 0;
  a double precision;
  xs double precision[];
  ys double precision[];
  pt text;
  nums text[];
  lat0 double precision;
BEGIN
  FOR poly IN SELECT m[1] FROM regexp_matches(@extschema@._sandbox_wkt(g),
                '\(\s*(\([^()]*\)(?:\s*,\s*\([^()]*\))*)\s*\)', 'g') AS m LOOP
    first := true;
    FOR ring IN SELECT r[1] FROM regexp_matches(poly, '\(([^()]*)\)', 'g') AS r LOOP
      xs := '{}'; ys := '{}';
      FOREACH pt IN ARRAY regexp_split_to_array(btrim(ring), '\s*,\s*') LOOP
        nums := regexp_split_to_array(btrim(pt), '\s+');
        xs := xs || nums[1]::double precision;
        ys := ys || nums[2]::double precision;
      END LOOP;
      IF geodesic THEN
        SELECT avg(v) INTO lat0 FROM unnest(ys) v;
        SELECT array_agg(6371008.7714 * radians(x) * cos(radians(lat0)) ORDER BY o) INTO xs FROM unnest(xs) WITH ORDINALITY u(x, o);
        SELECT array_agg(6371008.7714 * radians(y) ORDER BY o) INTO ys FROM unnest(ys) WITH ORDINALITY u(y, o);
      END IF;
      a := 0;
      FOR i IN 1 .. array_length(xs, 1) - 1 LOOP
        a := a + xs[i] * ys[i + 1] - xs[i + 1] * ys[i];
      END LOOP;
      total := total + CASE WHEN first THEN 1 ELSE -1 END * abs(a) / 2;
      first := false;
    END LOOP;
  END LOOP;
  RETURN total;
END
$$;
CREATE FUNCTION @extschema@.st_area(@extschema@.geometry) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@._sandbox_polygon_area($1::text, false) $$;
CREATE FUNCTION @extschema@.st_area(@extschema@.geography, use_spheroid boolean DEFAULT true) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@._sandbox_polygon_area($1::text, true) $$;

CREATE FUNCTION @extschema@._sandbox_length(g text, geodesic boolean, rings boolean) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT coalesce(sum(CASE WHEN geodesic THEN @extschema@._sandbox_geodesic(s.ax, s.ay, s.bx, s.by_, true)
                           ELSE sqrt((s.bx - s.ax) ^ 2 + (s.by_ - s.ay) ^ 2) END), 0)
    FROM @extschema@._sandbox_segments(g) s
   WHERE (@extschema@._sandbox_areal(g) = rings)
$$;
CREATE FUNCTION @extschema@.st_length(@extschema@.geometry) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@._sandbox_length($1::text, false, false) $$;
CREATE FUNCTION @extschema@.st_length(@extschema@.geography, use_spheroid boolean DEFAULT true) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@._sandbox_length($1::text, true, false) $$;
CREATE FUNCTION @extschema@.st_perimeter(@extschema@.geometry) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@._sandbox_length($1::text, false, true) $$;

CREATE FUNCTION @extschema@.st_centroid(@extschema@.geometry) RETURNS @extschema@.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@.st_setsrid(@extschema@.st_makepoint(avg(x), avg(y)), @extschema@._sandbox_srid($1::text))
    FROM @extschema@._sandbox_paths($1::text) p, unnest(p.xs, p.ys) AS u(x, y)
$$;

-- ST_Transform: EPSG:4326 <-> EPSG:3857 (Web Mercator) only.
CREATE FUNCTION @extschema@.st_transform(@extschema@.geometry, integer) RETURNS @extschema@.geometry
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  src integer := @extschema@._sandbox_srid($1::text);
  wkt text := @extschema@._sandbox_wkt($1::text);
  num constant text := '(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s+(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)';
  pieces text[];
  pairs text[];
  out text;
  x double precision;
  y double precision;
BEGIN
  IF src = $2 THEN
    RETURN $1;
  END IF;
  IF NOT ((src = 4326 AND $2 = 3857) OR (src = 3857 AND $2 = 4326)) THEN
    RAISE EXCEPTION 'sandbox stand-in: ST_Transform supports only EPSG:4326 <-> EPSG:3857 (asked % -> %)', src, $2
      USING ERRCODE = '0A000';
  END IF;
  pieces := regexp_split_to_array(wkt, num);
  out := pieces[1];
  FOR i IN 2 .. array_length(pieces, 1) LOOP
    pairs := (SELECT m FROM regexp_matches(wkt, num, 'g') WITH ORDINALITY AS r(m, o) WHERE o = i - 1);
    x := pairs[1]::double precision;
    y := pairs[2]::double precision;
    IF $2 = 3857 THEN
      out := out || (6378137 * radians(x)) || ' ' || (6378137 * ln(tan(pi() / 4 + radians(y) / 2)));
    ELSE
      out := out || degrees(x / 6378137) || ' ' || degrees(2 * atan(exp(y / 6378137)) - pi() / 2);
    END IF;
    out := out || pieces[i];
  END LOOP;
  RETURN ('SRID=' || $2 || ';' || out)::@extschema@.geometry;
END
$$;

CREATE FUNCTION @extschema@.st_buffer(@extschema@.geometry, double precision) RETURNS @extschema@.geometry
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: ST_Buffer is not available in the sandbox (no GEOS)' USING ERRCODE = '0A000';
END
$$;

-- Bounding boxes, the && operator and <-> distance.
CREATE FUNCTION @extschema@._sandbox_bbox(g text) RETURNS double precision[] LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT ARRAY[min(least(ax, bx)), min(least(ay, by_)), max(greatest(ax, bx)), max(greatest(ay, by_))]
    FROM @extschema@._sandbox_segments(g)
$$;
CREATE FUNCTION @extschema@._sandbox_bbox_overlap(a text, b text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT p[1] <= q[3] AND q[1] <= p[3] AND p[2] <= q[4] AND q[2] <= p[4]
    FROM (SELECT @extschema@._sandbox_bbox(a) AS p, @extschema@._sandbox_bbox(b) AS q) s
$$;
CREATE FUNCTION @extschema@.box2d(@extschema@.geometry) RETURNS @extschema@.box2d LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT ('BOX(' || b[1] || ' ' || b[2] || ',' || b[3] || ' ' || b[4] || ')')::@extschema@.box2d
    FROM (SELECT @extschema@._sandbox_bbox($1::text) AS b) s
$$;
CREATE FUNCTION @extschema@.geometry_overlaps(@extschema@.geometry, @extschema@.geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@._sandbox_bbox_overlap($1::text, $2::text) $$;
CREATE FUNCTION @extschema@.geography_overlaps(@extschema@.geography, @extschema@.geography) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@._sandbox_bbox_overlap($1::text, $2::text) $$;
CREATE OPERATOR @extschema@.&& (LEFTARG = @extschema@.geometry, RIGHTARG = @extschema@.geometry,
  FUNCTION = @extschema@.geometry_overlaps, COMMUTATOR = &&, RESTRICT = areasel, JOIN = areajoinsel);
CREATE OPERATOR @extschema@.&& (LEFTARG = @extschema@.geography, RIGHTARG = @extschema@.geography,
  FUNCTION = @extschema@.geography_overlaps, COMMUTATOR = &&, RESTRICT = areasel, JOIN = areajoinsel);
CREATE FUNCTION @extschema@.geometry_distance_centroid(@extschema@.geometry, @extschema@.geometry)
RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.st_distance($1, $2) $$;
CREATE FUNCTION @extschema@.geography_distance_knn(@extschema@.geography, @extschema@.geography)
RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT @extschema@.st_distance($1, $2, false) $$;
CREATE OPERATOR @extschema@.<-> (LEFTARG = @extschema@.geometry, RIGHTARG = @extschema@.geometry,
  FUNCTION = @extschema@.geometry_distance_centroid, COMMUTATOR = <->);
CREATE OPERATOR @extschema@.<-> (LEFTARG = @extschema@.geography, RIGHTARG = @extschema@.geography,
  FUNCTION = @extschema@.geography_distance_knn, COMMUTATOR = <->);

-- Ordering (btree) and GiST indexing. GiST support comes from btree_gist's variable-length key
-- functions (bound in C from $libdir/btree_gist), which index the EWKT text: CREATE INDEX ... USING
-- gist works; spatial operators do not use the index.
CREATE FUNCTION @extschema@.geometry_lt(@extschema@.geometry, @extschema@.geometry) RETURNS boolean LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'text_lt';
CREATE FUNCTION @extschema@.geometry_le(@extschema@.geometry, @extschema@.geometry) RETURNS boolean LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'text_le';
CREATE FUNCTION @extschema@.geometry_eq(@extschema@.geometry, @extschema@.geometry) RETURNS boolean LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'texteq';
CREATE FUNCTION @extschema@.geometry_ge(@extschema@.geometry, @extschema@.geometry) RETURNS boolean LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'text_ge';
CREATE FUNCTION @extschema@.geometry_gt(@extschema@.geometry, @extschema@.geometry) RETURNS boolean LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'text_gt';
CREATE FUNCTION @extschema@.geometry_cmp(@extschema@.geometry, @extschema@.geometry) RETURNS integer LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'bttextcmp';
CREATE OPERATOR @extschema@.< (LEFTARG = @extschema@.geometry, RIGHTARG = @extschema@.geometry, FUNCTION = @extschema@.geometry_lt,
  COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR @extschema@.<= (LEFTARG = @extschema@.geometry, RIGHTARG = @extschema@.geometry, FUNCTION = @extschema@.geometry_le,
  COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR @extschema@.= (LEFTARG = @extschema@.geometry, RIGHTARG = @extschema@.geometry, FUNCTION = @extschema@.geometry_eq,
  COMMUTATOR = =, RESTRICT = eqsel, JOIN = eqjoinsel, MERGES);
CREATE OPERATOR @extschema@.>= (LEFTARG = @extschema@.geometry, RIGHTARG = @extschema@.geometry, FUNCTION = @extschema@.geometry_ge,
  COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
CREATE OPERATOR @extschema@.> (LEFTARG = @extschema@.geometry, RIGHTARG = @extschema@.geometry, FUNCTION = @extschema@.geometry_gt,
  COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR CLASS @extschema@.btree_geometry_ops DEFAULT FOR TYPE @extschema@.geometry USING btree AS
  OPERATOR 1 @extschema@.<, OPERATOR 2 @extschema@.<=, OPERATOR 3 @extschema@.=, OPERATOR 4 @extschema@.>=,
  OPERATOR 5 @extschema@.>, FUNCTION 1 @extschema@.geometry_cmp(@extschema@.geometry, @extschema@.geometry);

CREATE FUNCTION @extschema@.geography_lt(@extschema@.geography, @extschema@.geography) RETURNS boolean LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'text_lt';
CREATE FUNCTION @extschema@.geography_le(@extschema@.geography, @extschema@.geography) RETURNS boolean LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'text_le';
CREATE FUNCTION @extschema@.geography_eq(@extschema@.geography, @extschema@.geography) RETURNS boolean LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'texteq';
CREATE FUNCTION @extschema@.geography_ge(@extschema@.geography, @extschema@.geography) RETURNS boolean LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'text_ge';
CREATE FUNCTION @extschema@.geography_gt(@extschema@.geography, @extschema@.geography) RETURNS boolean LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'text_gt';
CREATE FUNCTION @extschema@.geography_cmp(@extschema@.geography, @extschema@.geography) RETURNS integer LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'bttextcmp';
CREATE OPERATOR @extschema@.< (LEFTARG = @extschema@.geography, RIGHTARG = @extschema@.geography, FUNCTION = @extschema@.geography_lt,
  COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR @extschema@.<= (LEFTARG = @extschema@.geography, RIGHTARG = @extschema@.geography, FUNCTION = @extschema@.geography_le,
  COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR @extschema@.= (LEFTARG = @extschema@.geography, RIGHTARG = @extschema@.geography, FUNCTION = @extschema@.geography_eq,
  COMMUTATOR = =, RESTRICT = eqsel, JOIN = eqjoinsel, MERGES);
CREATE OPERATOR @extschema@.>= (LEFTARG = @extschema@.geography, RIGHTARG = @extschema@.geography, FUNCTION = @extschema@.geography_ge,
  COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
CREATE OPERATOR @extschema@.> (LEFTARG = @extschema@.geography, RIGHTARG = @extschema@.geography, FUNCTION = @extschema@.geography_gt,
  COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR CLASS @extschema@.btree_geography_ops DEFAULT FOR TYPE @extschema@.geography USING btree AS
  OPERATOR 1 @extschema@.<, OPERATOR 2 @extschema@.<=, OPERATOR 3 @extschema@.=, OPERATOR 4 @extschema@.>=,
  OPERATOR 5 @extschema@.>, FUNCTION 1 @extschema@.geography_cmp(@extschema@.geography, @extschema@.geography);

CREATE TYPE @extschema@._sandbox_gistkey;
CREATE FUNCTION @extschema@._sandbox_gistkey_in(cstring) RETURNS @extschema@._sandbox_gistkey LANGUAGE internal IMMUTABLE STRICT AS 'byteain';
CREATE FUNCTION @extschema@._sandbox_gistkey_out(@extschema@._sandbox_gistkey) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'byteaout';
CREATE TYPE @extschema@._sandbox_gistkey (INPUT = @extschema@._sandbox_gistkey_in, OUTPUT = @extschema@._sandbox_gistkey_out,
  INTERNALLENGTH = VARIABLE);
CREATE FUNCTION @extschema@._sandbox_gist_union(internal, internal) RETURNS @extschema@._sandbox_gistkey
LANGUAGE c IMMUTABLE STRICT AS '$libdir/btree_gist', 'gbt_text_union';
CREATE FUNCTION @extschema@._sandbox_gist_compress(internal) RETURNS internal
LANGUAGE c IMMUTABLE STRICT AS '$libdir/btree_gist', 'gbt_text_compress';
CREATE FUNCTION @extschema@._sandbox_gist_decompress(internal) RETURNS internal
LANGUAGE c IMMUTABLE STRICT AS '$libdir/btree_gist', 'gbt_var_decompress';
CREATE FUNCTION @extschema@._sandbox_gist_penalty(internal, internal, internal) RETURNS internal
LANGUAGE c IMMUTABLE STRICT AS '$libdir/btree_gist', 'gbt_text_penalty';
CREATE FUNCTION @extschema@._sandbox_gist_picksplit(internal, internal) RETURNS internal
LANGUAGE c IMMUTABLE STRICT AS '$libdir/btree_gist', 'gbt_text_picksplit';
CREATE FUNCTION @extschema@._sandbox_gist_same(@extschema@._sandbox_gistkey, @extschema@._sandbox_gistkey, internal) RETURNS internal
LANGUAGE c IMMUTABLE STRICT AS '$libdir/btree_gist', 'gbt_text_same';
CREATE FUNCTION @extschema@._sandbox_gist_fetch(internal) RETURNS internal
LANGUAGE c IMMUTABLE STRICT AS '$libdir/btree_gist', 'gbt_var_fetch';
CREATE FUNCTION @extschema@._sandbox_gist_consistent_geometry(internal, @extschema@.geometry, int2, oid, internal) RETURNS boolean
LANGUAGE c IMMUTABLE STRICT AS '$libdir/btree_gist', 'gbt_text_consistent';
CREATE FUNCTION @extschema@._sandbox_gist_consistent_geography(internal, @extschema@.geography, int2, oid, internal) RETURNS boolean
LANGUAGE c IMMUTABLE STRICT AS '$libdir/btree_gist', 'gbt_text_consistent';

CREATE OPERATOR CLASS @extschema@.gist_geometry_ops_2d DEFAULT FOR TYPE @extschema@.geometry USING gist AS
  OPERATOR 1 @extschema@.< , OPERATOR 2 @extschema@.<= , OPERATOR 3 @extschema@.= ,
  OPERATOR 4 @extschema@.>= , OPERATOR 5 @extschema@.> ,
  FUNCTION 1 @extschema@._sandbox_gist_consistent_geometry(internal, @extschema@.geometry, int2, oid, internal),
  FUNCTION 2 @extschema@._sandbox_gist_union(internal, internal),
  FUNCTION 3 @extschema@._sandbox_gist_compress(internal),
  FUNCTION 4 @extschema@._sandbox_gist_decompress(internal),
  FUNCTION 5 @extschema@._sandbox_gist_penalty(internal, internal, internal),
  FUNCTION 6 @extschema@._sandbox_gist_picksplit(internal, internal),
  FUNCTION 7 @extschema@._sandbox_gist_same(@extschema@._sandbox_gistkey, @extschema@._sandbox_gistkey, internal),
  FUNCTION 9 @extschema@._sandbox_gist_fetch(internal),
  STORAGE @extschema@._sandbox_gistkey;

CREATE OPERATOR CLASS @extschema@.gist_geometry_ops_nd FOR TYPE @extschema@.geometry USING gist AS
  OPERATOR 1 @extschema@.< , OPERATOR 2 @extschema@.<= , OPERATOR 3 @extschema@.= ,
  OPERATOR 4 @extschema@.>= , OPERATOR 5 @extschema@.> ,
  FUNCTION 1 @extschema@._sandbox_gist_consistent_geometry(internal, @extschema@.geometry, int2, oid, internal),
  FUNCTION 2 @extschema@._sandbox_gist_union(internal, internal),
  FUNCTION 3 @extschema@._sandbox_gist_compress(internal),
  FUNCTION 4 @extschema@._sandbox_gist_decompress(internal),
  FUNCTION 5 @extschema@._sandbox_gist_penalty(internal, internal, internal),
  FUNCTION 6 @extschema@._sandbox_gist_picksplit(internal, internal),
  FUNCTION 7 @extschema@._sandbox_gist_same(@extschema@._sandbox_gistkey, @extschema@._sandbox_gistkey, internal),
  FUNCTION 9 @extschema@._sandbox_gist_fetch(internal),
  STORAGE @extschema@._sandbox_gistkey;

CREATE OPERATOR CLASS @extschema@.gist_geography_ops DEFAULT FOR TYPE @extschema@.geography USING gist AS
  OPERATOR 1 @extschema@.< , OPERATOR 2 @extschema@.<= , OPERATOR 3 @extschema@.= ,
  OPERATOR 4 @extschema@.>= , OPERATOR 5 @extschema@.> ,
  FUNCTION 1 @extschema@._sandbox_gist_consistent_geography(internal, @extschema@.geography, int2, oid, internal),
  FUNCTION 2 @extschema@._sandbox_gist_union(internal, internal),
  FUNCTION 3 @extschema@._sandbox_gist_compress(internal),
  FUNCTION 4 @extschema@._sandbox_gist_decompress(internal),
  FUNCTION 5 @extschema@._sandbox_gist_penalty(internal, internal, internal),
  FUNCTION 6 @extschema@._sandbox_gist_picksplit(internal, internal),
  FUNCTION 7 @extschema@._sandbox_gist_same(@extschema@._sandbox_gistkey, @extschema@._sandbox_gistkey, internal),
  FUNCTION 9 @extschema@._sandbox_gist_fetch(internal),
  STORAGE @extschema@._sandbox_gistkey;

-- Catalog tables and views PostGIS provides.
CREATE TABLE @extschema@.spatial_ref_sys (
  srid integer NOT NULL PRIMARY KEY CHECK (srid > 0 AND srid <= 998999),
  auth_name varchar(256),
  auth_srid integer,
  srtext varchar(2048),
  proj4text varchar(2048)
);
INSERT INTO @extschema@.spatial_ref_sys VALUES
  (4326, 'EPSG', 4326, 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]',
   '+proj=longlat +datum=WGS84 +no_defs'),
  (3857, 'EPSG', 3857, 'PROJCS["WGS 84 / Pseudo-Mercator",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]]],PROJECTION["Mercator_1SP"]]',
   '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs'),
  (4269, 'EPSG', 4269, 'GEOGCS["NAD83",DATUM["North_American_Datum_1983",SPHEROID["GRS 1980",6378137,298.257222101]]]',
   '+proj=longlat +datum=NAD83 +no_defs');
GRANT SELECT ON @extschema@.spatial_ref_sys TO PUBLIC;

CREATE FUNCTION @extschema@._sandbox_typmod_type(typmod integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN typmod < 0 THEN 'GEOMETRY'
              ELSE coalesce((ARRAY['POINT', 'LINESTRING', 'POLYGON', 'MULTIPOINT', 'MULTILINESTRING', 'MULTIPOLYGON',
                                   'GEOMETRYCOLLECTION'])[(typmod >> 2) & 63], 'GEOMETRY') END
$$;
CREATE VIEW @extschema@.geometry_columns AS
SELECT current_database()::varchar(256) AS f_table_catalog, n.nspname::varchar(256) AS f_table_schema,
       c.relname::varchar(256) AS f_table_name, a.attname::varchar(256) AS f_geometry_column,
       CASE WHEN a.atttypmod < 0 THEN 2 ELSE 2 + ((a.atttypmod >> 1) & 1) + (a.atttypmod & 1) END AS coord_dimension,
       CASE WHEN a.atttypmod < 0 THEN 0 ELSE a.atttypmod >> 8 END AS srid,
       @extschema@._sandbox_typmod_type(a.atttypmod)::varchar(30) AS type
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE a.atttypid = '@extschema@.geometry'::regtype AND a.attnum > 0 AND NOT a.attisdropped
   AND c.relkind IN ('r', 'v', 'm', 'f', 'p');
CREATE VIEW @extschema@.geography_columns AS
SELECT current_database() AS f_table_catalog, n.nspname AS f_table_schema, c.relname AS f_table_name,
       a.attname AS f_geography_column,
       CASE WHEN a.atttypmod < 0 THEN 2 ELSE 2 + ((a.atttypmod >> 1) & 1) + (a.atttypmod & 1) END AS coord_dimension,
       CASE WHEN a.atttypmod < 0 THEN 4326 ELSE a.atttypmod >> 8 END AS srid,
       @extschema@._sandbox_typmod_type(a.atttypmod) AS type
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE a.atttypid = '@extschema@.geography'::regtype AND a.attnum > 0 AND NOT a.attisdropped
   AND c.relkind IN ('r', 'v', 'm', 'f', 'p');
GRANT SELECT ON @extschema@.geometry_columns, @extschema@.geography_columns TO PUBLIC;

CREATE FUNCTION @extschema@.addgeometrycolumn(schema_name varchar, table_name varchar, column_name varchar,
  new_srid integer, new_type varchar, new_dim integer, use_typmod boolean DEFAULT true) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
  EXECUTE format('ALTER TABLE %I.%I ADD COLUMN %I @extschema@.geometry(%s, %s)', schema_name, table_name, column_name,
                 new_type || CASE new_dim WHEN 3 THEN 'Z' WHEN 4 THEN 'ZM' ELSE '' END, new_srid);
  RETURN schema_name || '.' || table_name || '.' || column_name || ' SRID:' || new_srid || ' TYPE:' || new_type
      || ' DIMS:' || new_dim || ' ';
END
$$;
CREATE FUNCTION @extschema@.addgeometrycolumn(table_name varchar, column_name varchar, new_srid integer,
  new_type varchar, new_dim integer, use_typmod boolean DEFAULT true) RETURNS text
LANGUAGE sql VOLATILE STRICT AS $$
  SELECT @extschema@.addgeometrycolumn(current_schema()::varchar, table_name, column_name, new_srid, new_type,
                                       new_dim, use_typmod)
$$;

CREATE FUNCTION @extschema@.postgis_lib_version() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT '3.3.7'::text $$;
CREATE FUNCTION @extschema@.postgis_version() RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT '3.3 USE_GEOS=0 USE_PROJ=0 USE_STATS=0 (sandbox stand-in)'::text $$;
CREATE FUNCTION @extschema@.postgis_full_version() RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT 'POSTGIS="3.3.7 sandbox stand-in" [EXTENSION] PGSQL="180"'::text $$;
CREATE FUNCTION @extschema@.postgis_scripts_installed() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT '3.3.7'::text $$;
