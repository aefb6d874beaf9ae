"""Release phases: each statement kind's phase, a file's stated phase, and what cannot be phased (pure)."""

from __future__ import annotations

import io
import json

import pytest
from conftest import MigrationDir

from migrations_tasks.config.subsections import LintSettings
from migrations_tasks.engine.render import render_check
from migrations_tasks.errors import MigrationFileError, Refused
from migrations_tasks.history.ledger import CLI_COLUMNS, Ledger, LedgerRow
from migrations_tasks.history.migrations import load
from migrations_tasks.history.status import build
from migrations_tasks.lint.phase_plan import split
from migrations_tasks.lint.phases import Phase, classify_pending
from migrations_tasks.lint.render import lint_document, render_lint
from migrations_tasks.lint.run import lint
from migrations_tasks.output.reporter import Reporter
from migrations_tasks.rehearsal.render import migration_lines, plan_document
from migrations_tasks.rehearsal.results import MigrationReport, PlanResult, Rehearsed

TABLE = "create table public.t (a varchar(10), n numeric(5,2), b int not null, old text);\n"

#: (statement, phase, words of the reason), over a table created by an earlier migration.
KINDS = [
    ("create table public.u (id int)", "expand", "creates a table"),
    ("create view public.v as select 1 as one", "expand", "creates a view"),
    ("create function public.f() returns int language sql as 'select 1'", "expand", "creates a function"),
    ("create index t_a_idx on public.t (a)", "expand", "creates an index"),
    ("alter table public.t add column c int", "expand", "adds nullable column c"),
    ("alter table public.t add column d int not null default 0", "expand", "NOT NULL with a default"),
    ("alter table public.t add constraint b_pos check (b > 0) not valid", "expand", "NOT VALID"),
    ("alter table public.t alter column b drop not null", "expand", "drops NOT NULL"),
    ("alter table public.t alter column b drop default", "expand", "drops the default"),
    ("alter table public.t alter column a type varchar(20)", "expand", "widens column a from varchar(10)"),
    ("alter table public.t alter column a type text", "expand", "widens column a from varchar(10) to text"),
    ("alter table public.t alter column n type numeric(9,2)", "expand", "binary-compatible"),
    ("grant select on public.t to authenticated", "expand", "grants"),
    ("create policy p on public.t for select to authenticated using (true)", "expand", "permissive"),
    ("alter type public.mood add value 'calm'", "expand", "adds enum value"),
    ("drop table public.t", "contract", "drops: table"),
    ("alter table public.t rename to t2", "contract", "renames a table"),
    ("alter table public.t drop column old", "contract", "drops column old"),
    ("alter table public.t rename column old to new", "contract", "renames a column"),
    ("drop function public.f()", "contract", "drops: function"),
    ("drop type public.mood", "contract", "drops: type"),
    ("alter table public.t alter column a type varchar(5)", "contract", "narrowing"),
    ("alter table public.t alter column b type bigint", "contract", "not binary-compatible"),
    ("alter table public.t alter column b set not null", "contract", "sets NOT NULL"),
    ("alter table public.t validate constraint b_pos", "contract", "validates constraint"),
    ("alter table public.t add constraint b_pos check (b > 0)", "contract", "valid constraint"),
    ("alter table public.t add column e int not null", "contract", "without a default"),
    ("revoke select on public.t from anon", "contract", "revokes"),
    ("create policy p on public.t as restrictive for select using (true)", "contract", "restrictive"),
    ("drop policy p on public.t", "contract", "drops a policy"),
    ("alter type public.mood rename value 'sad' to 'blue'", "contract", "renames enum value"),
    ("insert into public.t (b) values (1)", "data", "INSERT"),
    ("update public.t set old = a", "data", "UPDATE"),
    ("delete from public.t", "data", "DELETE"),
]


def test_each_statement_kind_has_its_phase_and_a_reason(migrations: MigrationDir) -> None:
    migrations.write("1_t.sql", TABLE + "create type public.mood as enum ('sad');\n")
    for index, (statement, _, _) in enumerate(KINDS, start=2):
        migrations.write(f"{index}_kind.sql", statement + ";\n")
    local = load(migrations.path)
    # every kind is read against the schema of migration 1 alone (each is its own pending migration)
    found = [classify_pending((*local.migrations[:1], m), [m])[0] for m in local.migrations[1:]]
    got = [(m.phase.value, m.reason) for m in found]
    for (statement, phase, words), (got_phase, reason) in zip(KINDS, got):
        assert (got_phase, words in reason) == (phase, True), f"{statement}: {got_phase} {reason}"


def test_a_file_mixing_expand_and_contract_is_refused_unless_it_states_its_phase(migrations: MigrationDir) -> None:
    migrations.write("1_t.sql", TABLE)
    migrations.write("2_mixed.sql", "alter table public.t add column c int;\nalter table public.t drop column old;\n")
    local = load(migrations.path)
    phases = classify_pending(local.migrations, local.migrations[1:])
    assert phases[0].mixed and "mixes expand (line 1" in phases[0].reason
    with pytest.raises(Refused, match="mixes expand and contract") as caught:
        split(phases)
    assert "-- phase: expand" in (caught.value.hint or "")
    migrations.write(
        "2_mixed.sql",
        "-- phase: contract\nalter table public.t add column c int;\nalter table public.t drop column old;\n",
    )
    local = load(migrations.path)
    stated = classify_pending(local.migrations, local.migrations[1:])[0]
    assert (stated.phase, stated.stated, stated.mixed) == (Phase.CONTRACT, True, False)
    assert split([stated]).after == ["2"]


def test_an_unknown_stated_phase_is_an_error_naming_the_line(migrations: MigrationDir) -> None:
    migrations.write("1_t.sql", "-- a comment\n-- phase: later\n" + TABLE)
    with pytest.raises(MigrationFileError, match=r"1_t.sql:2:1: unknown phase 'later'"):
        load(migrations.path)


def test_data_with_expand_runs_before_the_switch_and_contracts_after_it(migrations: MigrationDir) -> None:
    migrations.write("1_t.sql", TABLE)
    migrations.write("2_add.sql", "alter table public.t add column c text;\nupdate public.t set c = old;\n")
    migrations.write("3_fill.sql", "update public.t set c = old where c is null;\n")
    migrations.write("4_drop.sql", "alter table public.t drop column old;\n")
    local = load(migrations.path)
    phases = classify_pending(local.migrations, local.migrations[1:])
    assert [p.phase.value for p in phases] == ["expand", "data", "contract"]
    plan = split(phases)
    assert (plan.before, plan.after) == (["2", "3"], ["4"])


def test_a_contract_sorting_before_an_expand_of_the_same_release_is_refused(migrations: MigrationDir) -> None:
    migrations.write("1_t.sql", TABLE)
    migrations.write("2_drop.sql", "alter table public.t drop column old;\n")
    migrations.write("3_add.sql", "alter table public.t add column c text;\n")
    local = load(migrations.path)
    phases = classify_pending(local.migrations, local.migrations[1:])
    with pytest.raises(Refused, match=r"2_drop\.sql sorts before expand migration 3_add\.sql") as caught:
        split(phases)
    assert "Renumber" in (caught.value.hint or "")
    carried = split(phases, carry=True)  # next-release: an earlier release's contract, run first
    assert (carried.before, carried.after, carried.carried) == (["2", "3"], [], ["2"])


def test_db_lint_db_check_and_db_plan_show_each_pending_migrations_phase_and_why(migrations: MigrationDir) -> None:
    migrations.write("1_t.sql", TABLE)
    migrations.write("2_drop.sql", "alter table public.t drop column old;\n")
    local = load(migrations.path)
    result = lint(local.migrations[1:], LintSettings(), exposed_schemas=("public",), every=local.migrations)
    assert [(p.version, p.phase.value) for p in result.phases] == [("2", "contract")]
    out = io.StringIO()
    render_lint(Reporter(out=out), result)
    assert "2_drop.sql: phase: contract: line 1: drops column old" in out.getvalue()
    assert lint_document(result)["phases"][0]["statements"] == [
        {"line": 1, "phase": "contract", "reason": "drops column old"}
    ]

    plan = build(local.migrations, Ledger(True, CLI_COLUMNS, (LedgerRow("1"),)))
    phases = {p.version: p.to_dict() for p in result.phases}
    out = io.StringIO()
    render_check(Reporter(out=out), plan, requests=1, warnings=(), target="t", phases=phases)
    assert "  2: phase: contract: line 1: drops column old" in out.getvalue()
    out = io.StringIO()
    render_check(Reporter(json=True, out=out), plan, requests=1, warnings=(), target="t", phases=phases)
    assert json.loads(out.getvalue())["migrations"][1]["phase"]["phase"] == "contract"

    report = MigrationReport("2", "drop", "2_drop.sql", Rehearsed.OK, [])
    rehearsed = PlanResult("t", [report], lint=result)
    assert "  phase: contract: line 1: drops column old" in migration_lines(report, rehearsed)
    assert plan_document(rehearsed)["migrations"][0]["phase"]["reason"] == "line 1: drops column old"
