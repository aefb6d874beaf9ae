"""Unit tests for migrations_tasks.sql: splitting, classifying, normalising and quoting SQL (pure)."""

from __future__ import annotations

import pytest

from migrations_tasks import sql


def texts(source: str) -> list[str]:
    return [source[p.start : p.end] for p in sql.split(source)]


# -- split ------------------------------------------------------------------------------------------


def test_split_returns_each_statement_without_its_semicolon() -> None:
    assert texts("CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n") == [
        "CREATE TABLE a (id int)",
        "CREATE TABLE b (id int)",
    ]


def test_split_accepts_a_last_statement_without_a_semicolon() -> None:
    assert texts("SELECT 1;\nSELECT 2") == ["SELECT 1", "SELECT 2"]


def test_split_keeps_semicolons_inside_dollar_quoted_bodies() -> None:
    source = (
        "CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
        "BEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$body$;\n"
        "CREATE TRIGGER t BEFORE UPDATE ON public.items FOR EACH ROW EXECUTE FUNCTION public.touch();\n"
    )
    statements = texts(source)
    assert len(statements) == 2
    assert statements[0].endswith("$body$")
    assert "RETURN NEW;" in statements[0]
    assert statements[1].startswith("CREATE TRIGGER")


def test_split_keeps_nested_dollar_quotes_with_different_tags_together() -> None:
    source = "DO $outer$ BEGIN EXECUTE $q$ SELECT 1; SELECT 2; $q$; END $outer$;\nSELECT 3;"
    assert texts(source) == ["DO $outer$ BEGIN EXECUTE $q$ SELECT 1; SELECT 2; $q$; END $outer$", "SELECT 3"]


def test_split_keeps_a_begin_atomic_body_in_one_statement() -> None:
    source = (
        "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC\n  SELECT a + b;\n  SELECT a - b;\nEND;\nSELECT add(1, 2);\n"
    )
    statements = texts(source)
    assert len(statements) == 2
    assert statements[0].endswith("END")
    assert statements[1] == "SELECT add(1, 2)"


def test_split_ignores_semicolons_inside_line_and_block_comments() -> None:
    source = "-- drop; everything; here\nSELECT 1; /* not; a; statement */ SELECT 2;\n/* trailing; */"
    assert texts(source) == ["SELECT 1", "SELECT 2"]


def test_split_ignores_semicolons_inside_nested_block_comments() -> None:
    assert texts("/* outer /* inner; */ still; comment */ SELECT 1;") == ["SELECT 1"]


def test_split_treats_drizzle_statement_breakpoint_comments_as_comments() -> None:
    source = 'CREATE TABLE "a" ("id" int);\n--> statement-breakpoint\nCREATE TABLE "b" ("id" int);\n'
    assert texts(source) == ['CREATE TABLE "a" ("id" int)', 'CREATE TABLE "b" ("id" int)']


def test_split_keeps_semicolons_inside_escape_strings_with_backslash_quotes() -> None:
    assert texts("SELECT E'it\\'s; fine';\nSELECT 'a;''b';") == ["SELECT E'it\\'s; fine'", "SELECT 'a;''b'"]


def test_split_keeps_semicolons_inside_quoted_identifiers() -> None:
    assert texts('CREATE TABLE "odd;name" (id int); SELECT 1;') == ['CREATE TABLE "odd;name" (id int)', "SELECT 1"]


def test_split_skips_empty_statements_between_semicolons() -> None:
    assert texts("SELECT 1;;\n;SELECT 2;") == ["SELECT 1", "SELECT 2"]


def test_split_of_comments_only_or_empty_text_is_empty() -> None:
    assert sql.split("") == []
    assert sql.split("-- nothing here;\n/* nor; here */\n") == []


def test_split_offsets_are_characters_not_bytes_after_non_ascii_text() -> None:
    source = "-- héllo wörld ✓\nINSERT INTO t VALUES ('ü');\nSELECT 'ß€';"
    assert texts(source) == ["INSERT INTO t VALUES ('ü')", "SELECT 'ß€'"]


def test_split_excludes_leading_comments_from_a_statement() -> None:
    source = "SELECT 1;\n-- explain the next one\nSELECT 2;"
    pieces = sql.split(source)
    assert source[pieces[1].start :].startswith("SELECT 2")


def test_split_ends_a_statement_before_a_trailing_line_comment() -> None:
    source = "CREATE SCHEMA s -- for reports\n;\nCREATE TABLE t (id int) -- no semicolon at the end"
    assert texts(source) == ["CREATE SCHEMA s", "CREATE TABLE t (id int)"]


def test_split_keeps_comments_inside_a_statement() -> None:
    assert texts("CREATE TABLE a (\n  id int -- the key\n);") == ["CREATE TABLE a (\n  id int -- the key\n)"]


@pytest.mark.parametrize(
    "source",
    [
        "CREATE SCHEMA s -- for reports\n;\nCREATE TABLE t (id int);",
        "SELECT 1 -- one\n;\nSELECT 2 /* two */;\nSELECT 3 -- three",
        "DO $$ BEGIN PERFORM 1; END $$ -- body\n;\nSELECT 'a--b';",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END -- atomic\n;\nSELECT 2",
    ],
)
def test_split_pieces_rejoined_with_semicolons_are_the_same_statements(source: str) -> None:
    # The engine sends each statement followed by ";\n": that must not fall inside a comment.
    from pglast import parser

    pieces = texts(source)
    rejoined = "".join(piece + ";\n" for piece in pieces)
    assert len(parser.parse_sql(rejoined)) == len(pieces) == len(parser.parse_sql(source))


def test_split_classifies_each_piece() -> None:
    pieces = sql.split("BEGIN; CREATE INDEX CONCURRENTLY i ON t (a); COMMIT;")
    assert [(p.no_transaction, p.transaction_control) for p in pieces] == [
        (None, "BEGIN"),
        ("CREATE INDEX CONCURRENTLY", None),
        (None, "COMMIT"),
    ]


def test_split_raises_syntax_problem_with_the_offset_of_the_bad_token() -> None:
    source = "SELECT 1;\nSELEC 2;"
    with pytest.raises(sql.SyntaxProblem) as info:
        sql.split(source)
    assert "syntax error" in info.value.message
    assert source[info.value.offset :].startswith("SELEC")


def test_split_raises_syntax_problem_for_an_unterminated_dollar_quote() -> None:
    with pytest.raises(sql.SyntaxProblem) as info:
        sql.split("SELECT 1;\nDO $$ BEGIN NULL; END;\n")
    assert "unterminated dollar-quoted string" in info.value.message


def test_split_syntax_problem_offset_counts_characters_after_non_ascii_text() -> None:
    source = "-- ✓✓✓\nSELECT 'ü' FRM t;"
    with pytest.raises(sql.SyntaxProblem) as info:
        sql.split(source)
    assert source[info.value.offset :].startswith("t;")


def test_check_syntax_accepts_valid_sql_and_rejects_invalid_sql() -> None:
    sql.check_syntax("CREATE TABLE t (id int); SELECT 1;")
    with pytest.raises(sql.SyntaxProblem):
        sql.check_syntax("CREATE TABLE t (id int,);")


# -- classify ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("CREATE INDEX CONCURRENTLY i ON t (a)", "CREATE INDEX CONCURRENTLY"),
        ("create index concurrently if not exists i on t (a)", "CREATE INDEX CONCURRENTLY"),
        ("CREATE INDEX CONCURRENTLY ON t (a)", "CREATE INDEX CONCURRENTLY"),
        ("CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)", "CREATE INDEX CONCURRENTLY"),
        ("DROP INDEX CONCURRENTLY i", "DROP INDEX CONCURRENTLY"),
        ("DROP INDEX CONCURRENTLY IF EXISTS public.i", "DROP INDEX CONCURRENTLY"),
        ("REINDEX INDEX CONCURRENTLY i", "REINDEX CONCURRENTLY"),
        ("REINDEX TABLE CONCURRENTLY t", "REINDEX CONCURRENTLY"),
        ("REINDEX (VERBOSE) TABLE CONCURRENTLY t", "REINDEX CONCURRENTLY"),
        ("REINDEX SCHEMA CONCURRENTLY public", "REINDEX CONCURRENTLY"),
        ("REINDEX SYSTEM postgres", "REINDEX SYSTEM"),
        ("REINDEX DATABASE postgres", "REINDEX DATABASE"),
        ("VACUUM", "VACUUM"),
        ("VACUUM (ANALYZE) t", "VACUUM"),
        ("vacuum full t", "VACUUM"),
        ("ALTER SYSTEM SET work_mem = '64MB'", "ALTER SYSTEM"),
        ("ALTER SYSTEM RESET ALL", "ALTER SYSTEM"),
        ("CREATE DATABASE d", "CREATE DATABASE"),
        ("DROP DATABASE IF EXISTS d", "DROP DATABASE"),
        ("CREATE TABLESPACE ts LOCATION '/data'", "CREATE TABLESPACE"),
        ("DROP TABLESPACE ts", "DROP TABLESPACE"),
        ("CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p", "CREATE SUBSCRIPTION"),
        ("DROP SUBSCRIPTION s", "DROP SUBSCRIPTION"),
    ],
)
def test_classify_recognises_statements_that_cannot_run_in_a_transaction(statement: str, reason: str) -> None:
    assert sql.classify(statement) == (reason, None)


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        # PostgreSQL: "REINDEX SCHEMA cannot run inside a transaction block"
        ("REINDEX SCHEMA public", "REINDEX SCHEMA"),
        # options in parentheses come before the kind of object
        ("REINDEX (VERBOSE) SYSTEM", "REINDEX SYSTEM"),
        ("REINDEX (VERBOSE) DATABASE postgres", "REINDEX DATABASE"),
        # PostgreSQL 14+: "ALTER TABLE ... DETACH CONCURRENTLY cannot run inside a transaction block"
        ("ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY", None),
    ],
)
def test_classify_recognises_reindex_of_many_tables_and_detach_concurrently(statement: str, reason: str | None) -> None:
    no_transaction, control = sql.classify(statement)
    assert no_transaction is not None
    if reason is not None:
        assert no_transaction == reason
    assert control is None


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("BEGIN", "BEGIN"),
        ("begin", "BEGIN"),
        ("BEGIN TRANSACTION", "BEGIN"),
        ("BEGIN WORK", "BEGIN"),
        ("BEGIN ISOLATION LEVEL SERIALIZABLE", "BEGIN"),
        ("START TRANSACTION", "BEGIN"),
        ("START TRANSACTION READ ONLY", "BEGIN"),
        ("COMMIT", "COMMIT"),
        ("COMMIT WORK", "COMMIT"),
        ("END", "COMMIT"),
        ("END TRANSACTION", "COMMIT"),
        ("ROLLBACK", "ROLLBACK"),
        ("ROLLBACK WORK", "ROLLBACK"),
        ("ABORT", "ROLLBACK"),
        ("ROLLBACK AND CHAIN", "ROLLBACK"),
        ("SAVEPOINT before_change", "SAVEPOINT"),
        ("RELEASE before_change", "RELEASE"),
        ("RELEASE SAVEPOINT before_change", "RELEASE"),
        ("ROLLBACK TO before_change", "ROLLBACK TO SAVEPOINT"),
        ("ROLLBACK TO SAVEPOINT before_change", "ROLLBACK TO SAVEPOINT"),
        ("ROLLBACK WORK TO SAVEPOINT before_change", "ROLLBACK TO SAVEPOINT"),
        ("ROLLBACK TRANSACTION TO before_change", "ROLLBACK TO SAVEPOINT"),
        ("PREPARE TRANSACTION 'tx1'", "PREPARE"),
        ("COMMIT PREPARED 'tx1'", "COMMIT PREPARED"),
        ("ROLLBACK PREPARED 'tx1'", "ROLLBACK PREPARED"),
        ("COMMIT AND CHAIN", "COMMIT AND CHAIN"),
        ("COMMIT WORK AND CHAIN", "COMMIT AND CHAIN"),
        ("COMMIT TRANSACTION AND CHAIN", "COMMIT AND CHAIN"),
        ("END AND CHAIN", "COMMIT AND CHAIN"),
    ],
)
def test_classify_recognises_transaction_control(statement: str, kind: str) -> None:
    assert sql.classify(statement) == (None, kind)


def test_classify_treats_commit_and_no_chain_as_a_plain_commit() -> None:
    assert sql.classify("COMMIT AND NO CHAIN") == (None, "COMMIT")
    assert sql.classify("COMMIT TRANSACTION AND NO CHAIN") == (None, "COMMIT")


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE INDEX i ON t (a)",
        "CREATE UNIQUE INDEX i ON t (a)",
        "CREATE INDEX concurrently_idx ON t (a)",
        "DROP INDEX i",
        "REINDEX TABLE t",
        'REINDEX TABLE "concurrently"',
        "ANALYZE t",
        "ALTER TABLE t ADD COLUMN c int",
        "ALTER TABLE t DETACH PARTITION p",
        "ALTER TABLESPACE ts RENAME TO ts2",
        "ALTER DATABASE d SET search_path = public",
        "CREATE TABLE database_settings (id int)",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY mv",
        "ALTER TYPE mood ADD VALUE 'meh'",
        "PREPARE stmt AS SELECT 1",
        "PREPARE stmt (int) AS SELECT $1",
        "ALTER SEQUENCE s START WITH 5",
        "CREATE SEQUENCE s START 1",
        "DO $$ BEGIN PERFORM 1; COMMIT; END $$",
        "CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
        "WITH x AS (SELECT 1) SELECT * FROM x",
        "SELECT 'BEGIN'",
        "INSERT INTO log (msg) VALUES ('VACUUM later; COMMIT')",
    ],
)
def test_classify_leaves_look_alikes_as_ordinary_statements(statement: str) -> None:
    assert sql.classify(statement) == (None, None)


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "-- build it without locking writers\nCREATE INDEX CONCURRENTLY i ON t (a)",
            ("CREATE INDEX CONCURRENTLY", None),
        ),
        ("/* maintenance */ VACUUM", ("VACUUM", None)),
        ("/* c */ BEGIN", (None, "BEGIN")),
        ("-- done\nCOMMIT", (None, "COMMIT")),
        ("CREATE /* unique? no */ INDEX CONCURRENTLY i ON t (a)", ("CREATE INDEX CONCURRENTLY", None)),
    ],
)
def test_classify_looks_past_comments_before_and_between_keywords(
    statement: str, expected: tuple[str | None, str | None]
) -> None:
    assert sql.classify(statement) == expected


def test_classify_looks_past_a_comment_longer_than_the_scanned_prefix() -> None:
    header = "-- " + "why this index is built concurrently " * 10 + "\n"
    assert len(header) > 256
    assert sql.classify(header + "CREATE INDEX CONCURRENTLY i ON t (a)") == ("CREATE INDEX CONCURRENTLY", None)
    assert sql.classify(header + "COMMIT") == (None, "COMMIT")


def test_classify_finds_keywords_split_by_a_long_block_comment() -> None:
    statement = "CREATE /*" + " " * 300 + "*/ INDEX CONCURRENTLY i ON t (a)"
    assert sql.classify(statement) == ("CREATE INDEX CONCURRENTLY", None)


def test_classify_of_a_comment_only_text_is_ordinary() -> None:
    assert sql.classify("-- nothing") == (None, None)
    assert sql.classify("") == (None, None)


def test_leading_keywords_names_tokens_without_comments() -> None:
    assert sql.leading_keywords("/* x */ CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)") == (
        "CREATE",
        "UNIQUE",
        "INDEX",
        "CONCURRENTLY",
    )
    assert sql.leading_keywords("SELECT", 4) == ("SELECT",)
    assert sql.leading_keywords("SELECT 'unterminated") == ()


# -- normal_tokens / fingerprint / same_statements -----------------------------------------------------


def test_normal_tokens_drop_comments_semicolons_and_fold_keyword_and_identifier_case() -> None:
    assert sql.normal_tokens("SELECT Abc -- note\nFROM T; /* end */") == ["select", "abc", "from", "t"]


def test_normal_tokens_keep_quoted_identifiers_and_literals_as_written() -> None:
    assert sql.normal_tokens("""SELECT "MixedCase", 'Text' FROM t""") == [
        "select",
        '"MixedCase"',
        ",",
        "'Text'",
        "from",
        "t",
    ]


def test_normal_tokens_normalise_the_inside_of_dollar_quoted_bodies() -> None:
    tokens = sql.normal_tokens("CREATE FUNCTION f() RETURNS int AS $F$\n  SELECT   1; -- one\n$F$ LANGUAGE sql")
    assert "$f$select 1$f$" in tokens


@pytest.mark.parametrize(
    ("local", "recorded"),
    [
        ("SELECT 1", "select   1 ;"),
        ("CREATE TABLE T (A INT)", "create table t (a int)"),
        ("CREATE TABLE t (a int); -- why\n", "CREATE TABLE t (a int) /* why */"),
        ("SELECT a->>'k' FROM t", "SELECT a ->> 'k' FROM t"),
        ("CREATE TABLE t (\n\tid bigint PRIMARY KEY\n)", "CREATE TABLE t (id bigint PRIMARY KEY)"),
        (
            "CREATE FUNCTION f() RETURNS text AS $$ BEGIN RETURN 'x'; END $$ LANGUAGE plpgsql",
            "create function f() returns text as $$\nbegin\n    return 'x';  -- always x\nend;\n$$ language plpgsql",
        ),
        (
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\nEND;",
        ),
    ],
)
def test_same_statements_ignores_whitespace_comments_keyword_case_and_semicolons(local: str, recorded: str) -> None:
    assert sql.same_statements([local], [recorded])
    assert sql.fingerprint([local]) == sql.fingerprint([recorded])


@pytest.mark.parametrize(
    ("local", "recorded"),
    [
        ("SELECT 'a'", "SELECT 'A'"),
        ("INSERT INTO t VALUES ('a b')", "INSERT INTO t VALUES ('a  b')"),
        ('SELECT "Abc" FROM t', 'SELECT "abc" FROM t'),
        ('SELECT "abc" FROM t', "SELECT abc FROM t"),
        ("CREATE TABLE t (a int DEFAULT 1)", "CREATE TABLE t (a int DEFAULT 2)"),
        ("CREATE TABLE t (a text DEFAULT 'x')", "CREATE TABLE t (a text)"),
        ("SELECT $1", "SELECT $2"),
        ("SELECT 1.0", "SELECT 1.5"),
        ("SELECT a - -1", "SELECT a --1\n"),
        (
            "CREATE FUNCTION f() RETURNS text AS $$ BEGIN RETURN 'x'; END $$ LANGUAGE plpgsql",
            "CREATE FUNCTION f() RETURNS text AS $$ BEGIN RETURN 'y'; END $$ LANGUAGE plpgsql",
        ),
        (
            'CREATE FUNCTION f() RETURNS text AS $$ BEGIN RETURN "X"; END $$ LANGUAGE plpgsql',
            'CREATE FUNCTION f() RETURNS text AS $$ BEGIN RETURN "x"; END $$ LANGUAGE plpgsql',
        ),
        ("GRANT SELECT ON t TO anon", "GRANT SELECT ON t TO authenticated"),
    ],
)
def test_same_statements_detects_changed_literals_quoted_identifiers_and_defaults(local: str, recorded: str) -> None:
    assert not sql.same_statements([local], [recorded])


def test_same_statements_matches_the_split_form_written_by_supabase_db_push() -> None:
    file_statements = ["CREATE TABLE a (id int)", "CREATE TABLE b (id int)"]
    # The CLI keeps each statement's leading comments and drops the trailing semicolon.
    recorded = ["-- tables\nCREATE TABLE a (id int)", "CREATE TABLE b (id int)"]
    assert sql.same_statements(file_statements, recorded)


def test_same_statements_matches_the_whole_file_form_written_by_apply_migration() -> None:
    file_statements = ["CREATE TABLE a (id int)", "CREATE TABLE b (id int)"]
    recorded = ["-- tables\nCREATE TABLE a (id int);\n\nCREATE TABLE b (id int);\n"]
    assert sql.same_statements(file_statements, recorded)


def test_same_statements_matches_a_begin_atomic_body_the_cli_split_into_pieces() -> None:
    local = ["CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END"]
    recorded = ["CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1", "SELECT 2", "END"]
    assert sql.same_statements(local, recorded)


def test_same_statements_matches_a_crlf_file_recorded_by_the_cli_with_multiline_literals() -> None:
    # migrations.read_text turns CRLF into LF; the Supabase CLI records the file's text as it is.
    local = ["COMMENT ON TABLE t IS 'first line\nsecond line'"]
    recorded = ["COMMENT ON TABLE t IS 'first line\r\nsecond line'"]
    assert sql.same_statements(local, recorded)


def test_same_statements_detects_an_added_or_removed_statement() -> None:
    assert not sql.same_statements(["SELECT 1", "SELECT 2"], ["SELECT 1"])
    assert not sql.same_statements(["SELECT 1"], ["SELECT 1", "SELECT 2"])


def test_same_statements_of_an_empty_file_matches_an_empty_or_comment_only_record() -> None:
    assert sql.same_statements([], [])
    assert sql.same_statements([], ["-- nothing to do"])


def test_fingerprint_survives_text_the_scanner_rejects() -> None:
    assert sql.fingerprint(["SELECT 'unterminated"]) == sql.fingerprint(["SELECT    'unterminated"])
    assert sql.fingerprint(["SELECT 'unterminated"]) != sql.fingerprint(["SELECT 'other"])


def test_fingerprint_does_not_depend_on_statement_boundaries() -> None:
    assert sql.fingerprint(["SELECT 1", "SELECT 2"]) == sql.fingerprint(["SELECT 1; SELECT 2;"])


# -- quoting ----------------------------------------------------------------------------------------


def test_quote_literal_doubles_single_quotes_and_escapes_backslashes_whatever_the_session_says() -> None:
    assert sql.quote_literal("it's") == "'it''s'"
    assert sql.quote_literal("C:\\path") == "E'C:\\\\path'"
    assert sql.quote_literal("") == "''"
    assert sql.quote_literal("$$;--") == "'$$;--'"


def test_quote_literal_refuses_nul_characters() -> None:
    with pytest.raises(ValueError, match="NUL"):
        sql.quote_literal("a\x00b")


def test_quote_literal_round_trips_through_the_parser() -> None:
    from pglast import parser

    value = "O'Reilly; DROP TABLE x; -- \\ $$ é"
    (statement,) = parser.parse_sql(f"SELECT {sql.quote_literal(value)}")
    assert statement.stmt.targetList[0].val.val.sval == value


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("users", "users"),
        ("_private", "_private"),
        ("col_1$", "col_1$"),
        ("Users", '"Users"'),
        ("1abc", '"1abc"'),
        ("with space", '"with space"'),
        ('say "hi"', '"say ""hi"""'),
        ("", '""'),
        ("é", '"é"'),
    ],
)
def test_quote_ident_quotes_only_when_needed(name: str, quoted: str) -> None:
    assert sql.quote_ident(name) == quoted


def test_text_array_builds_a_typed_array_literal() -> None:
    assert sql.text_array([]) == "'{}'::text[]"
    assert sql.text_array(["a", "it's"]) == "ARRAY['a', 'it''s']::text[]"


def test_text_array_parses_back_to_the_same_values() -> None:
    from pglast import parser

    values = ["CREATE TABLE a (id int)", "SELECT $$;$$", "it's"]
    (statement,) = parser.parse_sql(f"SELECT {sql.text_array(values)}")
    elements = statement.stmt.targetList[0].val.arg.elements
    assert [e.val.sval for e in elements] == values


# -- LineIndex --------------------------------------------------------------------------------------


def test_line_index_maps_offsets_to_one_based_lines_and_columns() -> None:
    index = sql.LineIndex("ab\ncd\n")
    assert [index.position(i) for i in range(7)] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3), (3, 1)]


def test_line_index_of_empty_text_puts_offset_zero_at_line_one() -> None:
    assert sql.LineIndex("").position(0) == (1, 1)


def test_line_index_line_start_clamps_out_of_range_lines() -> None:
    index = sql.LineIndex("ab\ncd\n")
    assert [index.line_start(n) for n in (0, 1, 2, 3, 99)] == [0, 0, 3, 6, 6]
