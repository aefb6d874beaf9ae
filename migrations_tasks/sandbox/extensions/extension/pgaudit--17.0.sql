-- sandbox stand-in for pgaudit: no objects. pgaudit.log, pgaudit.role etc. are custom settings that
-- PostgreSQL accepts as placeholders (ALTER ROLE ... SET pgaudit.log = 'all' works); nothing is audited.
\echo Use "CREATE EXTENSION pgaudit" to load this file. \quit
