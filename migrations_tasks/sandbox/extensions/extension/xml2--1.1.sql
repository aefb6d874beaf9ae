-- sandbox stand-in for xml2 1.1: every function raises (no libxml in the embedded engine).
\echo Use "CREATE EXTENSION xml2" to load this file. \quit

CREATE FUNCTION @extschema@.xml_valid(text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: xml2''s xml_valid needs libxml, which the sandbox''s PostgreSQL lacks'
    USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.xml_encode_special_chars(text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: xml2''s xml_encode_special_chars needs libxml, which the sandbox''s PostgreSQL lacks'
    USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.xpath_string(text, text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: xml2''s xpath_string needs libxml, which the sandbox''s PostgreSQL lacks'
    USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.xpath_nodeset(text, text, text, text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: xml2''s xpath_nodeset needs libxml, which the sandbox''s PostgreSQL lacks'
    USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.xpath_number(text, text) RETURNS real LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: xml2''s xpath_number needs libxml, which the sandbox''s PostgreSQL lacks'
    USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.xpath_bool(text, text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: xml2''s xpath_bool needs libxml, which the sandbox''s PostgreSQL lacks'
    USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.xpath_list(text, text, text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: xml2''s xpath_list needs libxml, which the sandbox''s PostgreSQL lacks'
    USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.xpath_list(text, text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: xml2''s xpath_list needs libxml, which the sandbox''s PostgreSQL lacks'
    USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.xpath_nodeset(text, text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: xml2''s xpath_nodeset needs libxml, which the sandbox''s PostgreSQL lacks'
    USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.xpath_nodeset(text, text, text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: xml2''s xpath_nodeset needs libxml, which the sandbox''s PostgreSQL lacks'
    USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.xslt_process(text, text, text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: xml2''s xslt_process needs libxml, which the sandbox''s PostgreSQL lacks'
    USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.xslt_process(text, text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: xml2''s xslt_process needs libxml, which the sandbox''s PostgreSQL lacks'
    USING ERRCODE = '0A000';
END
$$;
CREATE FUNCTION @extschema@.xpath_table(text, text, text, text, text) RETURNS SETOF record
LANGUAGE plpgsql STABLE STRICT AS $$
BEGIN
  RAISE EXCEPTION 'sandbox stand-in: xml2''s xpath_table needs libxml, which the sandbox''s PostgreSQL lacks'
    USING ERRCODE = '0A000';
END
$$;
