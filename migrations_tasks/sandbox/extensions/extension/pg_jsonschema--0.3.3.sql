-- sandbox stand-in for pg_jsonschema 0.3: same functions, IMMUTABLE so they work in CHECK constraints.
\echo Use "CREATE EXTENSION pg_jsonschema" to load this file. \quit

CREATE FUNCTION @extschema@._sandbox_json_type(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE jsonb_typeof(v)
           WHEN 'number' THEN CASE WHEN (v #>> '{}')::numeric = trunc((v #>> '{}')::numeric)
                                   THEN 'integer' ELSE 'number' END
           ELSE jsonb_typeof(v) END
$$;

-- Returns the list of violations of `instance` against `schema` (empty when valid).
CREATE FUNCTION @extschema@._sandbox_validate(schema jsonb, instance jsonb, path text, root jsonb)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  errors text[] := '{}';
  itype text := @extschema@._sandbox_json_type(instance);
  types jsonb;
  k text;
  v jsonb;
  sub jsonb;
  n numeric;
  i int;
  matched int;
  ref text;
BEGIN
  IF schema IS NULL OR schema = 'true'::jsonb THEN
    RETURN errors;
  END IF;
  IF schema = 'false'::jsonb THEN
    RETURN ARRAY[path || ': false schema does not allow any value'];
  END IF;
  IF jsonb_typeof(schema) <> 'object' THEN
    RETURN errors;
  END IF;
  IF schema ? '$ref' THEN
    ref := schema ->> '$ref';
    IF ref = '#' THEN
      errors := errors || @extschema@._sandbox_validate(root, instance, path, root);
    ELSIF ref LIKE '#/%' THEN
      errors := errors || @extschema@._sandbox_validate(
        root #> string_to_array(replace(replace(substring(ref FROM 3), '~1', '/'), '~0', '~'), '/'),
        instance, path, root);
    END IF;
  END IF;
  IF schema ? 'type' THEN
    types := CASE WHEN jsonb_typeof(schema -> 'type') = 'array' THEN schema -> 'type'
                  ELSE jsonb_build_array(schema -> 'type') END;
    IF NOT (types ? itype OR (itype = 'integer' AND types ? 'number')) THEN
      errors := errors || (path || ': ' || instance::text || ' is not of type ' || (schema ->> 'type'));
    END IF;
  END IF;
  IF schema ? 'enum' AND NOT EXISTS (
       SELECT 1 FROM jsonb_array_elements(schema -> 'enum') e WHERE e = instance) THEN
    errors := errors || (path || ': ' || instance::text || ' is not one of ' || (schema ->> 'enum'));
  END IF;
  IF schema ? 'const' AND schema -> 'const' <> instance THEN
    errors := errors || (path || ': ' || (schema ->> 'const') || ' was expected');
  END IF;
  IF itype IN ('integer', 'number') THEN
    n := (instance #>> '{}')::numeric;
    IF schema ? 'minimum' AND n < (schema ->> 'minimum')::numeric THEN
      errors := errors || (path || ': ' || n || ' is less than the minimum of ' || (schema ->> 'minimum'));
    END IF;
    IF schema ? 'maximum' AND n > (schema ->> 'maximum')::numeric THEN
      errors := errors || (path || ': ' || n || ' is greater than the maximum of ' || (schema ->> 'maximum'));
    END IF;
    IF jsonb_typeof(schema -> 'exclusiveMinimum') = 'number' AND n <= (schema ->> 'exclusiveMinimum')::numeric THEN
      errors := errors || (path || ': ' || n || ' is less than or equal to ' || (schema ->> 'exclusiveMinimum'));
    END IF;
    IF jsonb_typeof(schema -> 'exclusiveMaximum') = 'number' AND n >= (schema ->> 'exclusiveMaximum')::numeric THEN
      errors := errors || (path || ': ' || n || ' is greater than or equal to ' || (schema ->> 'exclusiveMaximum'));
    END IF;
    IF schema ? 'multipleOf' AND mod(n, (schema ->> 'multipleOf')::numeric) <> 0 THEN
      errors := errors || (path || ': ' || n || ' is not a multiple of ' || (schema ->> 'multipleOf'));
    END IF;
  END IF;
  IF itype = 'string' THEN
    IF schema ? 'minLength' AND char_length(instance #>> '{}') < (schema ->> 'minLength')::int THEN
      errors := errors || (path || ': ' || instance::text || ' is shorter than ' || (schema ->> 'minLength') || ' characters');
    END IF;
    IF schema ? 'maxLength' AND char_length(instance #>> '{}') > (schema ->> 'maxLength')::int THEN
      errors := errors || (path || ': ' || instance::text || ' is longer than ' || (schema ->> 'maxLength') || ' characters');
    END IF;
    IF schema ? 'pattern' AND NOT ((instance #>> '{}') ~ (schema ->> 'pattern')) THEN
      errors := errors || (path || ': ' || instance::text || ' does not match ' || (schema ->> 'pattern'));
    END IF;
  END IF;
  IF itype = 'array' THEN
    IF schema ? 'minItems' AND jsonb_array_length(instance) < (schema ->> 'minItems')::int THEN
      errors := errors || (path || ': ' || instance::text || ' has less than ' || (schema ->> 'minItems') || ' items');
    END IF;
    IF schema ? 'maxItems' AND jsonb_array_length(instance) > (schema ->> 'maxItems')::int THEN
      errors := errors || (path || ': ' || instance::text || ' has more than ' || (schema ->> 'maxItems') || ' items');
    END IF;
    IF (schema -> 'uniqueItems') = 'true'::jsonb
       AND (SELECT count(DISTINCT e) FROM jsonb_array_elements(instance) e) <> jsonb_array_length(instance) THEN
      errors := errors || (path || ': ' || instance::text || ' has non-unique elements');
    END IF;
    FOR i IN 0 .. jsonb_array_length(instance) - 1 LOOP
      IF jsonb_typeof(schema -> 'prefixItems') = 'array' AND i < jsonb_array_length(schema -> 'prefixItems') THEN
        sub := schema -> 'prefixItems' -> i;
      ELSIF jsonb_typeof(schema -> 'items') = 'array' THEN
        sub := coalesce(schema -> 'items' -> i, schema -> 'additionalItems');
      ELSE
        sub := schema -> 'items';
      END IF;
      IF sub IS NOT NULL THEN
        errors := errors || @extschema@._sandbox_validate(sub, instance -> i, path || '/' || i, root);
      END IF;
    END LOOP;
  END IF;
  IF itype = 'object' THEN
    IF jsonb_typeof(schema -> 'required') = 'array' THEN
      FOR k IN SELECT jsonb_array_elements_text(schema -> 'required') LOOP
        IF NOT instance ? k THEN
          errors := errors || (path || ': "' || k || '" is a required property');
        END IF;
      END LOOP;
    END IF;
    IF schema ? 'minProperties' AND (SELECT count(*) FROM jsonb_object_keys(instance)) < (schema ->> 'minProperties')::int THEN
      errors := errors || (path || ': ' || instance::text || ' has too few properties');
    END IF;
    IF schema ? 'maxProperties' AND (SELECT count(*) FROM jsonb_object_keys(instance)) > (schema ->> 'maxProperties')::int THEN
      errors := errors || (path || ': ' || instance::text || ' has too many properties');
    END IF;
    FOR k, v IN SELECT * FROM jsonb_each(instance) LOOP
      matched := 0;
      IF jsonb_typeof(schema -> 'properties') = 'object' AND schema -> 'properties' ? k THEN
        matched := 1;
        errors := errors || @extschema@._sandbox_validate(schema -> 'properties' -> k, v, path || '/' || k, root);
      END IF;
      IF jsonb_typeof(schema -> 'patternProperties') = 'object' THEN
        FOR ref, sub IN SELECT * FROM jsonb_each(schema -> 'patternProperties') LOOP
          IF k ~ ref THEN
            matched := 1;
            errors := errors || @extschema@._sandbox_validate(sub, v, path || '/' || k, root);
          END IF;
        END LOOP;
      END IF;
      IF matched = 0 AND schema ? 'additionalProperties' THEN
        IF schema -> 'additionalProperties' = 'false'::jsonb THEN
          errors := errors || (path || ': Additional properties are not allowed ("' || k || '" was unexpected)');
        ELSE
          errors := errors || @extschema@._sandbox_validate(schema -> 'additionalProperties', v, path || '/' || k, root);
        END IF;
      END IF;
    END LOOP;
  END IF;
  IF jsonb_typeof(schema -> 'allOf') = 'array' THEN
    FOR sub IN SELECT jsonb_array_elements(schema -> 'allOf') LOOP
      errors := errors || @extschema@._sandbox_validate(sub, instance, path, root);
    END LOOP;
  END IF;
  IF jsonb_typeof(schema -> 'anyOf') = 'array' AND NOT EXISTS (
       SELECT 1 FROM jsonb_array_elements(schema -> 'anyOf') s
        WHERE cardinality(@extschema@._sandbox_validate(s, instance, path, root)) = 0) THEN
    errors := errors || (path || ': ' || instance::text || ' is not valid under any of the given schemas');
  END IF;
  IF jsonb_typeof(schema -> 'oneOf') = 'array' AND (
       SELECT count(*) FROM jsonb_array_elements(schema -> 'oneOf') s
        WHERE cardinality(@extschema@._sandbox_validate(s, instance, path, root)) = 0) <> 1 THEN
    errors := errors || (path || ': ' || instance::text || ' is not valid under exactly one of the given schemas');
  END IF;
  IF schema ? 'not' AND cardinality(@extschema@._sandbox_validate(schema -> 'not', instance, path, root)) = 0 THEN
    errors := errors || (path || ': ' || instance::text || ' should not be valid under ' || (schema ->> 'not'));
  END IF;
  IF schema ? 'if' THEN
    IF cardinality(@extschema@._sandbox_validate(schema -> 'if', instance, path, root)) = 0 THEN
      errors := errors || @extschema@._sandbox_validate(schema -> 'then', instance, path, root);
    ELSE
      errors := errors || @extschema@._sandbox_validate(schema -> 'else', instance, path, root);
    END IF;
  END IF;
  RETURN errors;
END
$$;

CREATE FUNCTION @extschema@.jsonschema_validation_errors(schema json, instance json) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT @extschema@._sandbox_validate(schema::jsonb, instance::jsonb, '', schema::jsonb)
$$;

CREATE FUNCTION @extschema@.json_matches_schema(schema json, instance json) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT cardinality(@extschema@._sandbox_validate(schema::jsonb, instance::jsonb, '', schema::jsonb)) = 0
$$;

CREATE FUNCTION @extschema@.jsonb_matches_schema(schema json, instance jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT cardinality(@extschema@._sandbox_validate(schema::jsonb, instance, '', schema::jsonb)) = 0
$$;

CREATE FUNCTION @extschema@.jsonschema_is_valid(schema json) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT json_typeof(schema) IN ('object', 'boolean')
$$;
