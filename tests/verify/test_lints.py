"""Each advisory rule flags a small fixture that breaks it and passes one that does not (real PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import MigrationDir, Project

from migrations_tasks.history.migrations import load
from migrations_tasks.transport.connect import connect
from migrations_tasks.verify import verify
from migrations_tasks.verify.lints import RULES

# rule -> (SQL creating one object that breaks the rule and one that passes it, flagged object, passing object)
CASES: dict[str, tuple[str, str, str]] = {
    "rls_disabled_in_public": (
        "create table public.open_t (id int primary key);"
        "create table public.closed_t (id int primary key); alter table public.closed_t enable row level security;"
        "create policy p on public.closed_t for select using (true);",
        "public.open_t",
        "public.closed_t",
    ),
    "policy_exists_rls_disabled": (
        "create table public.off_t (id int primary key); create policy p on public.off_t for select using (true);"
        "create table public.on_t (id int primary key); alter table public.on_t enable row level security;"
        "create policy p on public.on_t for select using (true);",
        "public.off_t",
        "public.on_t",
    ),
    "rls_enabled_no_policy": (
        "create table public.locked_t (id int primary key); alter table public.locked_t enable row level security;"
        "create table public.used_t (id int primary key); alter table public.used_t enable row level security;"
        "create policy p on public.used_t for select to authenticated using (true);",
        "public.locked_t",
        "public.used_t",
    ),
    "security_definer_view": (
        "create view public.definer_v as select 1 as a;"
        "create view public.invoker_v with (security_invoker = true) as select 1 as a;",
        "public.definer_v",
        "public.invoker_v",
    ),
    "function_search_path_mutable": (
        "create function public.loose() returns int language sql as 'select 1';"
        "create function public.pinned() returns int language sql set search_path = '' as 'select 1';",
        "public.loose()",
        "public.pinned()",
    ),
    "auth_users_exposed": (
        "create view public.users_v with (security_invoker = true) as select id, email from auth.users;"
        "create schema private; create view private.users_v with (security_invoker = true) as "
        "select id from auth.users;",
        "public.users_v",
        "private.users_v",
    ),
    "rls_policy_always_true": (
        "create table public.notes (id int primary key, owner uuid);"
        "alter table public.notes enable row level security;"
        'create policy "anyone writes" on public.notes for insert to authenticated with check (true);'
        'create policy "owner writes" on public.notes for update to authenticated '
        "using ((select auth.uid()) = owner) with check ((select auth.uid()) = owner);"
        'create policy "service writes" on public.notes for delete to service_role using (true);',
        'public.notes (policy "anyone writes")',
        'public.notes (policy "owner writes")',
    ),
    "extension_in_public": (
        "create extension hstore schema public; create extension cube schema extensions;",
        "extension hstore",
        "extension cube",
    ),
    "materialized_view_in_api": (
        "create materialized view public.stats_mv as select 1 as a;"
        "create schema private; create materialized view private.stats_mv as select 1 as a;",
        "public.stats_mv",
        "private.stats_mv",
    ),
    "invalid_index": (  # an index ON ONLY a partitioned table stays INVALID until every partition has one
        "create schema private; create table private.pt (id int) partition by range (id);"
        "create table private.pt1 partition of private.pt for values from (0) to (10);"
        "create index pt_only on only private.pt (id); create index pt1_ok on private.pt1 (id);",
        "private.pt_only",
        "private.pt1_ok",
    ),
    "no_primary_key": (
        "create table public.loose_t (id int); alter table public.loose_t enable row level security;"
        "create table public.keyed_t (id int primary key); alter table public.keyed_t enable row level security;",
        "public.loose_t",
        "public.keyed_t",
    ),
    "unindexed_foreign_keys": (
        "create schema private; create table private.parent (id int primary key);"
        "create table private.child_a (id int primary key, parent_id int references private.parent (id));"
        "create table private.child_b (id int primary key, parent_id int references private.parent (id));"
        "create index on private.child_b (parent_id);",
        "private.child_a (constraint child_a_parent_id_fkey)",
        "private.child_b (constraint child_b_parent_id_fkey)",
    ),
}


def findings(project: Project, migrations: MigrationDir, verify_settings: Any, **config: Any) -> Any:
    settings = verify_settings(migrations.path, **config)
    return verify(connect(settings.target, settings), load(migrations.path), settings, drift=False)


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_rule_flags_its_bad_fixture_and_passes_the_good_one(
    rule: str, project: Project, migrations: MigrationDir, verify_settings: Any
) -> None:
    setup, bad, good = CASES[rule]
    project.sql(setup)
    result = findings(project, migrations, verify_settings)
    flagged = {f.object for f in result.findings if f.rule == rule}
    assert bad in flagged
    assert good not in flagged
    finding = next(f for f in result.findings if f.rule == rule and f.object == bad)
    assert finding.level == RULES[rule].level and finding.remedy and finding.detail
    advisories = next(c for c in result.checks if c.name == "advisories")
    assert advisories.status == ("fail" if RULES[rule].level == "error" else "pass")
    # nothing else is wrong (no migrations, an empty ledger), so only an error-level finding fails verify
    assert result.exit_code == (1 if RULES[rule].level == "error" else 0)


def test_a_clean_database_has_no_findings(project: Project, migrations: MigrationDir, verify_settings: Any) -> None:
    result = findings(project, migrations, verify_settings)
    assert result.findings == []
    assert result.exit_code == 0


def test_a_silenced_finding_is_kept_with_its_reason_and_no_longer_fails(
    project: Project, migrations: MigrationDir, verify_settings: Any
) -> None:
    project.sql("create table public.lookup (code text primary key)")
    loud = findings(project, migrations, verify_settings)
    assert [(f.rule, f.silenced) for f in loud.findings] == [("rls_disabled_in_public", None)]
    assert loud.exit_code == 1
    quiet = findings(
        project,
        migrations,
        verify_settings,
        verify={
            "silence": [{"rule": "rls_disabled_in_public", "object": "public.look*", "reason": "public reference data"}]
        },
    )
    assert [(f.rule, f.silenced) for f in quiet.findings] == [("rls_disabled_in_public", "public reference data")]
    assert quiet.exit_code == 0
