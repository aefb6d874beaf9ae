"""Each sink's rule, tried on hostile names: nothing read from a database may change what the tool writes."""

from __future__ import annotations

import io
import re

import pytest
from conftest import Project
from hostile import ALPHABET, PAYLOADS, ident, long_multibyte, markdown_problems, names, workflow_problems
from pglast import parse_sql
from pglast.parser import scan

from migrations_tasks import untrusted
from migrations_tasks.output import github, streams

SEEDS = range(40)


def hostile(seed: int) -> list[str]:
    return [*names(seed, 12, "public.base"), long_multibyte(seed), *PAYLOADS, *ALPHABET]


@pytest.mark.parametrize("seed", SEEDS)
def test_an_escaped_text_is_one_line_of_visible_characters(seed: int) -> None:
    for name in hostile(seed):
        shown = untrusted.escape(name)
        assert not untrusted.has_hidden(shown), repr(shown)
        assert len(re.split(r"\r\n|\r|\n|\u2028|\u2029|\x0b|\x0c|\x85", shown)) == 1


def test_escapes_name_what_they_hide_and_a_flag_says_so() -> None:
    assert untrusted.escape("a\x1b[2Jb\u202ec\u200bd\re\n") == "a\\x1b[2Jb\\u202ec\\u200bd\\re\\n"
    assert untrusted.escape("plain é 漢 name") == "plain é 漢 name"
    assert untrusted.flagged("todos") == "todos"
    assert untrusted.flagged("to\u202edos") == "to\\u202edos (holds control or invisible characters, shown escaped)"


def sql_statement_checked(statement: str) -> str:
    """Return untrusted.sql_statement(statement) after checking that it parses to the same tree."""
    shown = untrusted.sql_statement(statement)
    assert parse_sql(shown) == parse_sql(statement)
    return shown


@pytest.mark.parametrize("seed", SEEDS)
def test_a_statement_with_hostile_names_keeps_its_meaning_and_no_line_break_outside_a_body(seed: int) -> None:
    for name in hostile(seed):
        quoted = ident(name)
        literal = "'" + name.replace("'", "''") + "'"
        for statement in (
            f"CREATE TABLE public.{quoted} ({quoted} integer DEFAULT 1)",
            f"COMMENT ON TABLE public.{quoted} IS {literal}",
            f"CREATE POLICY {quoted} ON public.t FOR SELECT USING ((note = {literal}))",
            f"CREATE FUNCTION public.{quoted}() RETURNS int LANGUAGE sql AS $body$ SELECT 1 $body$",
        ):
            shown = sql_statement_checked(statement)
            assert not untrusted.has_hidden(shown.replace("\n", " ")), repr(shown)
            # Commented line by line (as the down block is), it is nothing but comments to PostgreSQL's scanner.
            commented = "\n".join(f"-- {line}" for line in shown.split("\n"))
            assert {t.name for t in scan(commented)} == {"SQL_COMMENT"}


def test_a_function_body_on_several_lines_stays_as_written_and_one_with_hidden_characters_becomes_escapes() -> None:
    body = "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\n\tSELECT 1\n$$"
    assert untrusted.sql_statement(body) == body
    sneaky = "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT 'a\u202e' -- x\rSELECT 2 $$"
    shown = sql_statement_checked(sneaky)
    assert "E'" in shown and "\r" not in shown and "\u202e" not in shown


def test_an_escape_string_with_a_backslash_before_a_raw_line_break_keeps_its_value() -> None:
    assert sql_statement_checked("SELECT E'a\\\rb', E'c\x1bd'") == "SELECT E'a\\rb', E'c\\x1bd'"


def test_line_ends_between_tokens_stay_line_ends_so_a_comment_still_ends_there() -> None:
    assert untrusted.sql_statement("SELECT 1 -- note\rFROM t") == "SELECT 1 -- note\nFROM t"


def test_hidden_characters_in_names_are_written_as_unicode_escapes(project: Project) -> None:
    made = ["a\nb", "c\rd;--", "e\u202ef", 'q"\\', "\x1b[2J", "\U000e0041x", long_multibyte(3)]
    for name in made:
        statement = untrusted.sql_statement(f"CREATE TABLE public.{ident(name)} (id int)")
        assert "\n" not in statement and "\r" not in statement
        project.sql(statement)
    rows = {r[0] for r in project.sql("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace")}
    assert set(made) <= rows


def test_no_line_of_a_guarded_stream_reads_as_a_workflow_command_but_the_tools_own() -> None:
    out = io.StringIO()
    guarded = streams._Guarded(out)
    for payload in PAYLOADS:
        for piece in (f"drift: table public.x{payload}\n", ":", ":error::PWN\n", "  ", "::warning::PWN\n"):
            guarded.write(piece)
    guarded.write_command("::notice title=db.check::fine")
    guarded.write("half a line")
    guarded.write_command("::endgroup::")
    guarded.release()
    text = out.getvalue()
    assert workflow_problems(text) == []
    assert "::notice title=db.check::fine\n" in text and "half a line\n::endgroup::\n" in text
    assert "\x1b" not in text and "\u202e" not in text and "\r" not in text


def test_an_annotation_with_a_hostile_name_is_one_command_with_its_text_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = io.StringIO()
    github.annotate("warning", "table x\n::error title=PWN::y \x1b[2J", title="t\r::x", out=out)
    assert out.getvalue() == "::warning title=t\\r%3A%3Ax::table x%0A::error title=PWN::y \\x1b[2J\n"


@pytest.mark.parametrize("seed", SEEDS)
def test_a_markdown_row_keeps_its_cells_and_shows_no_html(seed: int) -> None:
    cells = names(seed, 4, "public.base")
    table = "| a | b | c | d |\n|---|---|---|---|\n" + untrusted.markdown_row(cells)
    assert markdown_problems(table) == []
    assert "\n" not in untrusted.markdown_row(cells)
