"""GitHub Actions output: masks first, annotations on files and lines, step summary and outputs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from actions import run_in_actions
from conftest import CANARY, MigrationDir, Project, user_project

from migrations_tasks.output import github


def test_secrets_are_masked_before_anything_else_is_printed(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_a.sql", "create table a (id int);")
    result, summary, outputs = run_in_actions(user_project(tmp_path), project.env, "db.apply")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    masks = [n for n, line in enumerate(lines) if line.startswith("::add-mask::")]
    assert masks[:1] == [0], "the first line printed must be a mask"
    # the only place the token appeared was the mask command itself
    assert "::add-mask::<token>" in lines
    assert CANARY not in result.stderr
    assert "applied=1" in outputs.read_text()
    assert "### db.apply: 1 applied" in summary.read_text()


def test_pending_migrations_are_annotated_on_their_files_and_summarised(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_a.sql", "create table a (id int);")
    path = "supabase/migrations/1_a.sql"  # relative to the repository root, as GitHub wants
    result, summary, outputs = run_in_actions(user_project(tmp_path), project.env, "db.check")
    assert result.returncode == 1
    assert f"::warning file={path},line=1,title=db.check%3A pending::1 is pending" in result.stdout
    assert "| 1 | a | pending |" in summary.read_text()
    assert "state=pending" in outputs.read_text() and "pending=1" in outputs.read_text()


def test_with_json_stdout_is_one_json_document_and_masks_and_annotations_go_to_stderr(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_a.sql", "create table a (id int);")
    result, _summary, _outputs = run_in_actions(user_project(tmp_path), project.env, "db.check", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["status"] == "pending" and "::" not in result.stdout
    assert "::warning file=supabase/migrations/1_a.sql,line=1,title=db.check%3A pending::1 is pending" in result.stderr
    assert "::add-mask::" in result.stderr


def test_a_failed_migration_is_an_error_annotation_on_its_file_and_line(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_bad.sql", "create table ok (id int);\ninsert into nowhere values (1);")
    path = "supabase/migrations/1_bad.sql"
    result, _, _ = run_in_actions(user_project(tmp_path), project.env, "db.apply")
    assert result.returncode == 1
    assert f"::error file={path},line=2,title=MigrationFailed::Migration 1_bad.sql failed at line 2" in result.stdout


def test_a_syntax_error_is_annotated_with_line_and_column(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_bad.sql", "select 1;\ncreate tabel x (id int);")
    path = "supabase/migrations/1_bad.sql"
    result, _, _ = run_in_actions(user_project(tmp_path), project.env, "db.apply")
    assert result.returncode == 3
    assert f"::error file={path},line=2,col=8,title=SqlSyntaxError::" in result.stdout


def test_outside_github_actions_nothing_is_emitted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    out = io.StringIO()
    github.mask(["secret"], out=out)
    github.annotate("error", "x", file="f", line=1, out=out)
    with github.group("g", out=out):
        pass
    assert out.getvalue() == ""


def test_workflow_commands_escape_newlines_and_property_separators(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = io.StringIO()
    github.annotate("error", "two\nlines 100%", file="a,b:c.sql", line=3, out=out)
    assert out.getvalue() == "::error file=a%2Cb%3Ac.sql,line=3::two%0Alines 100%25\n"


def test_multi_line_outputs_use_a_delimiter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "out"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(target))
    github.set_outputs({"one": "1", "many": "a\nb"})
    text = target.read_text().splitlines()
    assert text[0] == "one=1"
    assert text[1].startswith("many<<EOF_") and text[2:4] == ["a", "b"] and text[4] == text[1][6:]
