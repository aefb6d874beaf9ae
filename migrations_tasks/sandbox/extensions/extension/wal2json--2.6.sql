-- sandbox stand-in for wal2json: a logical decoding plugin has no SQL objects.
\echo Use "CREATE EXTENSION wal2json" to load this file. \quit
