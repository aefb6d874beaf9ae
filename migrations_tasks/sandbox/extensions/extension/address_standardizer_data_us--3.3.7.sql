-- sandbox stand-in for address_standardizer_data_us: the three tables, without the US data.
\echo Use "CREATE EXTENSION address_standardizer_data_us" to load this file. \quit

CREATE TABLE @extschema@.us_lex (id serial PRIMARY KEY, seq integer, word text, stdword text, token integer, is_custom boolean NOT NULL DEFAULT true);
CREATE TABLE @extschema@.us_gaz (id serial PRIMARY KEY, seq integer, word text, stdword text, token integer, is_custom boolean NOT NULL DEFAULT true);
CREATE TABLE @extschema@.us_rules (id serial PRIMARY KEY, rule text, is_custom boolean NOT NULL DEFAULT true);
