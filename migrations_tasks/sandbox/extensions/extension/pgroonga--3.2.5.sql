-- sandbox stand-in for PGroonga 3: an index access method named pgroonga, backed by GIN with pg_trgm's
-- support functions (text, varchar) and GIN's array/jsonb ones, so CREATE INDEX ... USING pgroonga works
-- (multi-column too). The search operators are plain functions: results are right, indexes unused.
\echo Use "CREATE EXTENSION pgroonga" to load this file. \quit

CREATE ACCESS METHOD pgroonga TYPE INDEX HANDLER pg_catalog.ginhandler;

CREATE FUNCTION @extschema@._pgroonga_trgm_extract_value(text, internal) RETURNS internal
LANGUAGE c IMMUTABLE STRICT AS '$libdir/pg_trgm', 'gin_extract_value_trgm';
CREATE FUNCTION @extschema@._pgroonga_trgm_extract_query(text, internal, int2, internal, internal, internal, internal)
RETURNS internal LANGUAGE c IMMUTABLE STRICT AS '$libdir/pg_trgm', 'gin_extract_query_trgm';
CREATE FUNCTION @extschema@._pgroonga_trgm_consistent(internal, int2, text, int4, internal, internal, internal, internal)
RETURNS boolean LANGUAGE c IMMUTABLE STRICT AS '$libdir/pg_trgm', 'gin_trgm_consistent';
CREATE FUNCTION @extschema@._pgroonga_trgm_triconsistent(internal, int2, text, int4, internal, internal, internal)
RETURNS "char" LANGUAGE c IMMUTABLE STRICT AS '$libdir/pg_trgm', 'gin_trgm_triconsistent';

-- Matching: keywords are compared case-insensitively; a query (&@~) is space-separated terms that
-- must all match, "OR" between terms, "-term" to exclude, "quoted phrases" kept together.
CREATE FUNCTION @extschema@.pgroonga_normalize(target text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT lower(target)
$$;

CREATE FUNCTION @extschema@._pgroonga_match(target text, keyword text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT position(lower(keyword) IN lower(target)) > 0
$$;

CREATE FUNCTION @extschema@.pgroonga_query_extract_keywords(query text, index_name text DEFAULT '') RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT coalesce(array_agg(trim(both '"' FROM m[1])), '{}')
    FROM regexp_matches(query, '("[^"]+"|[^\s"]+)', 'g') AS m
   WHERE m[1] NOT IN ('OR', 'AND') AND left(m[1], 1) <> '-'
$$;

CREATE FUNCTION @extschema@._pgroonga_query(target text, query text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  alternative text;
  term text;
  ok boolean;
BEGIN
  FOREACH alternative IN ARRAY regexp_split_to_array(query, '\s+OR\s+') LOOP
    ok := true;
    FOR term IN SELECT m[1] FROM regexp_matches(alternative, '(-?"[^"]+"|[^\s"]+)', 'g') AS m LOOP
      CONTINUE WHEN term = 'AND';
      IF left(term, 1) = '-' THEN
        IF @extschema@._pgroonga_match(target, trim(both '"' FROM substring(term FROM 2))) THEN
          ok := false;
        END IF;
      ELSIF NOT @extschema@._pgroonga_match(target, trim(both '"' FROM term)) THEN
        ok := false;
      END IF;
    END LOOP;
    IF ok THEN
      RETURN true;
    END IF;
  END LOOP;
  RETURN false;
END
$$;

CREATE FUNCTION @extschema@.pgroonga_match_text(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT @extschema@._pgroonga_match($1, $2) $$;
CREATE FUNCTION @extschema@.pgroonga_query_text(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT @extschema@._pgroonga_query($1, $2) $$;
CREATE FUNCTION @extschema@.pgroonga_prefix_text(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT starts_with(lower($1), lower($2)) $$;
CREATE FUNCTION @extschema@.pgroonga_regexp_text(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT $1 ~* $2 $$;
CREATE FUNCTION @extschema@.pgroonga_match_in_text(text, text[]) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT EXISTS (SELECT 1 FROM unnest($2) k WHERE @extschema@._pgroonga_match($1, k)) $$;
CREATE FUNCTION @extschema@.pgroonga_query_in_text(text, text[]) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT EXISTS (SELECT 1 FROM unnest($2) q WHERE @extschema@._pgroonga_query($1, q)) $$;
CREATE FUNCTION @extschema@.pgroonga_prefix_in_text(text, text[]) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT EXISTS (SELECT 1 FROM unnest($2) p WHERE starts_with(lower($1), lower(p))) $$;
CREATE FUNCTION @extschema@.pgroonga_match_text_array(text[], text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT EXISTS (SELECT 1 FROM unnest($1) t WHERE @extschema@._pgroonga_match(t, $2)) $$;
CREATE FUNCTION @extschema@.pgroonga_query_text_array(text[], text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT @extschema@._pgroonga_query(array_to_string($1, ' '), $2) $$;
CREATE FUNCTION @extschema@.pgroonga_prefix_text_array(text[], text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT EXISTS (SELECT 1 FROM unnest($1) t WHERE starts_with(lower(t), lower($2))) $$;
CREATE FUNCTION @extschema@.pgroonga_match_jsonb(jsonb, text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT EXISTS (SELECT 1 FROM jsonb_path_query($1, 'strict $.**') v
                   WHERE jsonb_typeof(v) = 'string' AND @extschema@._pgroonga_match(v #>> '{}', $2)) $$;
CREATE FUNCTION @extschema@.pgroonga_query_jsonb(jsonb, text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT @extschema@._pgroonga_query($1::text, $2) $$;

CREATE OPERATOR &@ (LEFTARG = text, RIGHTARG = text, FUNCTION = @extschema@.pgroonga_match_text,
  RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR &@~ (LEFTARG = text, RIGHTARG = text, FUNCTION = @extschema@.pgroonga_query_text,
  RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR &@* (LEFTARG = text, RIGHTARG = text, FUNCTION = @extschema@.pgroonga_match_text,
  RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR &^ (LEFTARG = text, RIGHTARG = text, FUNCTION = @extschema@.pgroonga_prefix_text,
  RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR &~ (LEFTARG = text, RIGHTARG = text, FUNCTION = @extschema@.pgroonga_regexp_text,
  RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR &@| (LEFTARG = text, RIGHTARG = text[], FUNCTION = @extschema@.pgroonga_match_in_text,
  RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR &@~| (LEFTARG = text, RIGHTARG = text[], FUNCTION = @extschema@.pgroonga_query_in_text,
  RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR &^| (LEFTARG = text, RIGHTARG = text[], FUNCTION = @extschema@.pgroonga_prefix_in_text,
  RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR &@ (LEFTARG = text[], RIGHTARG = text, FUNCTION = @extschema@.pgroonga_match_text_array,
  RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR &@~ (LEFTARG = text[], RIGHTARG = text, FUNCTION = @extschema@.pgroonga_query_text_array,
  RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR &^ (LEFTARG = text[], RIGHTARG = text, FUNCTION = @extschema@.pgroonga_prefix_text_array,
  RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR &@ (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = @extschema@.pgroonga_match_jsonb,
  RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR &@~ (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = @extschema@.pgroonga_query_jsonb,
  RESTRICT = contsel, JOIN = contjoinsel);

CREATE FUNCTION @extschema@.pgroonga_score(tableoid oid, ctid tid) RETURNS double precision
LANGUAGE sql STABLE AS $$ SELECT 0.0::double precision $$;
CREATE FUNCTION @extschema@.pgroonga_score("row" record) RETURNS double precision
LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN 0.0; END $$;

CREATE FUNCTION @extschema@.pgroonga_highlight_html(target text, keywords text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  out text := replace(replace(replace(target, '&', '&amp;'), '<', '&lt;'), '>', '&gt;');
  k text;
BEGIN
  FOREACH k IN ARRAY keywords LOOP
    CONTINUE WHEN coalesce(k, '') = '';
    out := regexp_replace(out, '(' || regexp_replace(k, '([.*+?^${}()|\[\]\\])', '\\\1', 'g') || ')',
                          '<span class="keyword">\1</span>', 'gi');
  END LOOP;
  RETURN out;
END
$$;
CREATE FUNCTION @extschema@.pgroonga_snippet_html(target text, keywords text[], width integer DEFAULT 200)
RETURNS text[] LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT ARRAY[@extschema@.pgroonga_highlight_html(left(target, width), keywords)]
$$;
CREATE FUNCTION @extschema@.pgroonga_escape(value text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT '"' || replace(replace(value, '\', '\\'), '"', '\"') || '"'
$$;
CREATE FUNCTION @extschema@.pgroonga_command(groonga_command text) RETURNS text LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: there is no Groonga in the sandbox (pgroonga_command)' USING ERRCODE = '0A000';
END
$$;

-- Operator classes with PGroonga's names. Text-like ones index trigrams (so ILIKE/LIKE/~ can use
-- the index); array and jsonb ones use GIN's own array and jsonb support.
CREATE OPERATOR CLASS @extschema@.pgroonga_text_full_text_search_ops_v2 DEFAULT FOR TYPE text USING pgroonga AS
  OPERATOR 3 pg_catalog.~~ (text, text), OPERATOR 4 pg_catalog.~~* (text, text),
  FUNCTION 1 pg_catalog.btint4cmp(int4, int4),
  FUNCTION 2 @extschema@._pgroonga_trgm_extract_value(text, internal),
  FUNCTION 3 @extschema@._pgroonga_trgm_extract_query(text, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 @extschema@._pgroonga_trgm_consistent(internal, int2, text, int4, internal, internal, internal, internal),
  FUNCTION 6 @extschema@._pgroonga_trgm_triconsistent(internal, int2, text, int4, internal, internal, internal),
  STORAGE int4;

CREATE OPERATOR CLASS @extschema@.pgroonga_text_term_search_ops_v2 FOR TYPE text USING pgroonga AS
  OPERATOR 3 pg_catalog.~~ (text, text), OPERATOR 4 pg_catalog.~~* (text, text),
  FUNCTION 1 pg_catalog.btint4cmp(int4, int4),
  FUNCTION 2 @extschema@._pgroonga_trgm_extract_value(text, internal),
  FUNCTION 3 @extschema@._pgroonga_trgm_extract_query(text, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 @extschema@._pgroonga_trgm_consistent(internal, int2, text, int4, internal, internal, internal, internal),
  FUNCTION 6 @extschema@._pgroonga_trgm_triconsistent(internal, int2, text, int4, internal, internal, internal),
  STORAGE int4;

CREATE OPERATOR CLASS @extschema@.pgroonga_text_regexp_ops_v2 FOR TYPE text USING pgroonga AS
  OPERATOR 3 pg_catalog.~~ (text, text), OPERATOR 4 pg_catalog.~~* (text, text),
  FUNCTION 1 pg_catalog.btint4cmp(int4, int4),
  FUNCTION 2 @extschema@._pgroonga_trgm_extract_value(text, internal),
  FUNCTION 3 @extschema@._pgroonga_trgm_extract_query(text, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 @extschema@._pgroonga_trgm_consistent(internal, int2, text, int4, internal, internal, internal, internal),
  FUNCTION 6 @extschema@._pgroonga_trgm_triconsistent(internal, int2, text, int4, internal, internal, internal),
  STORAGE int4;

CREATE OPERATOR CLASS @extschema@.pgroonga_varchar_full_text_search_ops_v2 DEFAULT FOR TYPE varchar USING pgroonga AS
  OPERATOR 3 pg_catalog.~~ (text, text), OPERATOR 4 pg_catalog.~~* (text, text),
  FUNCTION 1 pg_catalog.btint4cmp(int4, int4),
  FUNCTION 2 @extschema@._pgroonga_trgm_extract_value(text, internal),
  FUNCTION 3 @extschema@._pgroonga_trgm_extract_query(text, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 @extschema@._pgroonga_trgm_consistent(internal, int2, text, int4, internal, internal, internal, internal),
  FUNCTION 6 @extschema@._pgroonga_trgm_triconsistent(internal, int2, text, int4, internal, internal, internal),
  STORAGE int4;

CREATE OPERATOR CLASS @extschema@.pgroonga_varchar_term_search_ops_v2 FOR TYPE varchar USING pgroonga AS
  OPERATOR 3 pg_catalog.~~ (text, text), OPERATOR 4 pg_catalog.~~* (text, text),
  FUNCTION 1 pg_catalog.btint4cmp(int4, int4),
  FUNCTION 2 @extschema@._pgroonga_trgm_extract_value(text, internal),
  FUNCTION 3 @extschema@._pgroonga_trgm_extract_query(text, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 @extschema@._pgroonga_trgm_consistent(internal, int2, text, int4, internal, internal, internal, internal),
  FUNCTION 6 @extschema@._pgroonga_trgm_triconsistent(internal, int2, text, int4, internal, internal, internal),
  STORAGE int4;

CREATE OPERATOR CLASS @extschema@.pgroonga_varchar_regexp_ops_v2 FOR TYPE varchar USING pgroonga AS
  OPERATOR 3 pg_catalog.~~ (text, text), OPERATOR 4 pg_catalog.~~* (text, text),
  FUNCTION 1 pg_catalog.btint4cmp(int4, int4),
  FUNCTION 2 @extschema@._pgroonga_trgm_extract_value(text, internal),
  FUNCTION 3 @extschema@._pgroonga_trgm_extract_query(text, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 @extschema@._pgroonga_trgm_consistent(internal, int2, text, int4, internal, internal, internal, internal),
  FUNCTION 6 @extschema@._pgroonga_trgm_triconsistent(internal, int2, text, int4, internal, internal, internal),
  STORAGE int4;

CREATE OPERATOR CLASS @extschema@.pgroonga_text_array_full_text_search_ops_v2 DEFAULT FOR TYPE text[] USING pgroonga AS
  OPERATOR 1 pg_catalog.&& (anyarray, anyarray), OPERATOR 2 pg_catalog.@> (anyarray, anyarray),
  OPERATOR 3 pg_catalog.<@ (anyarray, anyarray), OPERATOR 4 pg_catalog.= (anyarray, anyarray),
  FUNCTION 1 pg_catalog.bttextcmp(text, text),
  FUNCTION 2 pg_catalog.ginarrayextract(anyarray, internal, internal),
  FUNCTION 3 pg_catalog.ginqueryarrayextract(anyarray, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 pg_catalog.ginarrayconsistent(internal, int2, anyarray, int4, internal, internal, internal, internal),
  FUNCTION 6 pg_catalog.ginarraytriconsistent(internal, int2, anyarray, int4, internal, internal, internal),
  STORAGE text;

CREATE OPERATOR CLASS @extschema@.pgroonga_text_array_term_search_ops_v2 FOR TYPE text[] USING pgroonga AS
  OPERATOR 1 pg_catalog.&& (anyarray, anyarray), OPERATOR 2 pg_catalog.@> (anyarray, anyarray),
  OPERATOR 3 pg_catalog.<@ (anyarray, anyarray), OPERATOR 4 pg_catalog.= (anyarray, anyarray),
  FUNCTION 1 pg_catalog.bttextcmp(text, text),
  FUNCTION 2 pg_catalog.ginarrayextract(anyarray, internal, internal),
  FUNCTION 3 pg_catalog.ginqueryarrayextract(anyarray, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 pg_catalog.ginarrayconsistent(internal, int2, anyarray, int4, internal, internal, internal, internal),
  FUNCTION 6 pg_catalog.ginarraytriconsistent(internal, int2, anyarray, int4, internal, internal, internal),
  STORAGE text;

CREATE OPERATOR CLASS @extschema@.pgroonga_jsonb_ops_v2 DEFAULT FOR TYPE jsonb USING pgroonga AS
  OPERATOR 7 pg_catalog.@> (jsonb, jsonb), OPERATOR 9 pg_catalog.? (jsonb, text),
  OPERATOR 10 pg_catalog.?| (jsonb, text[]), OPERATOR 11 pg_catalog.?& (jsonb, text[]),
  FUNCTION 1 pg_catalog.gin_compare_jsonb(text, text),
  FUNCTION 2 pg_catalog.gin_extract_jsonb(jsonb, internal, internal),
  FUNCTION 3 pg_catalog.gin_extract_jsonb_query(jsonb, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 pg_catalog.gin_consistent_jsonb(internal, int2, jsonb, int4, internal, internal, internal, internal),
  FUNCTION 6 pg_catalog.gin_triconsistent_jsonb(internal, int2, jsonb, int4, internal, internal, internal),
  STORAGE text;

CREATE OPERATOR CLASS @extschema@.pgroonga_jsonb_full_text_search_ops_v2 FOR TYPE jsonb USING pgroonga AS
  OPERATOR 7 pg_catalog.@> (jsonb, jsonb), OPERATOR 9 pg_catalog.? (jsonb, text),
  OPERATOR 10 pg_catalog.?| (jsonb, text[]), OPERATOR 11 pg_catalog.?& (jsonb, text[]),
  FUNCTION 1 pg_catalog.gin_compare_jsonb(text, text),
  FUNCTION 2 pg_catalog.gin_extract_jsonb(jsonb, internal, internal),
  FUNCTION 3 pg_catalog.gin_extract_jsonb_query(jsonb, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 pg_catalog.gin_consistent_jsonb(internal, int2, jsonb, int4, internal, internal, internal, internal),
  FUNCTION 6 pg_catalog.gin_triconsistent_jsonb(internal, int2, jsonb, int4, internal, internal, internal),
  STORAGE text;
