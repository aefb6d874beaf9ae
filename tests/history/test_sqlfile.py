"""Unit tests for migrations_tasks.history.sqlfile: reading a SQL file and splitting it into located statements."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_file as write

from migrations_tasks.errors import MigrationFileError, SqlSyntaxError
from migrations_tasks.history import sqlfile

# -- reading ----------------------------------------------------------------------------------------


def test_read_text_strips_a_utf8_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "1_bom.sql", b"\xef\xbb\xbfSELECT 1;\n")
    assert sqlfile.read_text(path) == "SELECT 1;\n"


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
def test_read_text_turns_crlf_and_lone_cr_into_lf(tmp_path: Path, newline: bytes) -> None:
    path = write(tmp_path, "1_x.sql", newline.join([b"SELECT 1;", b"SELECT 2;", b""]))
    assert sqlfile.read_text(path) == "SELECT 1;\nSELECT 2;\n"


def test_read_text_reports_invalid_utf8_with_the_path_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "1_latin1.sql", "SELECT 1;\n-- café\n".encode("latin-1"))
    with pytest.raises(MigrationFileError) as info:
        sqlfile.read_text(path)
    assert str(info.value).startswith(f"{path}:2: not valid UTF-8 (byte 0xe9)")
    assert info.value.line == 2
    assert "UTF-8" in (info.value.hint or "")


def test_read_text_counts_lines_of_a_cr_only_file_for_invalid_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "1_x.sql", b"SELECT 1;\rSELECT 2;\r-- \xff\r")
    with pytest.raises(MigrationFileError) as info:
        sqlfile.read_text(path)
    assert info.value.line == 3


def test_read_text_refuses_a_nul_byte_with_its_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "1_bin.sql", b"SELECT 1;\r\nSELECT '\x00';\r\n")
    with pytest.raises(MigrationFileError) as info:
        sqlfile.read_text(path)
    assert str(info.value).startswith(f"{path}:2:9: the file contains a NUL byte")
    assert (info.value.line, info.value.column) == (2, 9)


def test_read_text_locates_a_nul_byte_in_a_cr_only_file(tmp_path: Path) -> None:
    path = write(tmp_path, "1_bin.sql", b"SELECT 1;\rSELECT 2;\r\x00")
    with pytest.raises(MigrationFileError) as info:
        sqlfile.read_text(path)
    assert (info.value.line, info.value.column) == (3, 1)


def test_read_text_refuses_a_file_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlfile, "MAX_FILE_BYTES", 64)
    path = write(tmp_path, "1_big.sql", "SELECT 1;\n" * 10)
    with pytest.raises(MigrationFileError) as info:
        sqlfile.read_text(path)
    assert str(path) in str(info.value)
    assert "limit" in str(info.value)
    assert "Split the file" in (info.value.hint or "")


def test_read_text_accepts_a_file_exactly_at_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlfile, "MAX_FILE_BYTES", 20)
    path = write(tmp_path, "1_ok.sql", "SELECT 1;\nSELECT 2;\n")
    assert sqlfile.read_text(path) == "SELECT 1;\nSELECT 2;\n"


def test_read_text_reports_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(MigrationFileError, match="cannot read the file"):
        sqlfile.read_text(tmp_path / "1_missing.sql")


# -- parsing ----------------------------------------------------------------------------------------


def test_parse_statements_records_where_each_statement_starts(tmp_path: Path) -> None:
    statements = sqlfile.parse_statements("-- header\nCREATE TABLE a (id int);\n\n  CREATE TABLE b (id int);", tmp_path)
    assert [(s.text, s.line, s.column) for s in statements] == [
        ("CREATE TABLE a (id int)", 2, 1),
        ("CREATE TABLE b (id int)", 4, 3),
    ]


def test_parse_statements_leaves_trailing_comments_out_of_statement_texts(tmp_path: Path) -> None:
    text = "CREATE SCHEMA reports -- analytics\n;\nALTER TABLE a ADD COLUMN b int -- last line, no semicolon\n"
    statements = sqlfile.parse_statements(text, tmp_path)
    assert [s.text for s in statements] == ["CREATE SCHEMA reports", "ALTER TABLE a ADD COLUMN b int"]


def test_parse_statements_reports_a_syntax_error_as_path_line_column(tmp_path: Path) -> None:
    path = tmp_path / "20240101000000_bad.sql"
    text = "CREATE TABLE a (id int);\nCREATE TABLE b (\n  id int,\n);\n"
    with pytest.raises(SqlSyntaxError) as info:
        sqlfile.parse_statements(text, path)
    assert str(info.value).startswith(f'{path}:4:1: syntax error at or near ")"')
    assert (info.value.path, info.value.line, info.value.column) == (str(path), 4, 1)
    assert "nothing was sent" in (info.value.hint or "")


def test_parse_statements_columns_count_characters_not_bytes(tmp_path: Path) -> None:
    with pytest.raises(SqlSyntaxError) as info:
        sqlfile.parse_statements("SELECT 'ü';\nSELECT 'é' FRM t;\n", tmp_path / "1_x.sql")
    assert (info.value.line, info.value.column) == (2, 16)
