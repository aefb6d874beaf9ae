"""db.diff compares, writes and proves MAINTAIN (PostgreSQL 17+) on relations and in default privileges."""

from __future__ import annotations

from pathlib import Path

from conftest import SandboxProcess
from declarative import Declarative, settings

from migrations_tasks.authoring.diff.check import schemas_differences
from migrations_tasks.authoring.diff.maintain import DEFAULTS, RELATIONS, maintain_grants
from migrations_tasks.authoring.diff.results import DiffStatus
from migrations_tasks.catalog import Snapshot
from migrations_tasks.history.migrations import load

TABLE = "create table public.t (id int primary key);\n"


def test_maintain_is_granted_and_revoked_by_name_and_reserved_roles_defaults_are_refused() -> None:
    table = [{"name": "public.t", "oid": 5}]
    before = Snapshot({}, {"tables": table}, {RELATIONS: {"public.t": ["anon MAINTAIN"]}})
    after = Snapshot({}, {"tables": table}, {RELATIONS: {"public.t": ["authenticated MAINTAIN WITH GRANT OPTION"]}})
    assert [s.sql for s in maintain_grants(before, after).steps] == [
        "REVOKE MAINTAIN ON TABLE public.t FROM anon",
        "GRANT MAINTAIN ON TABLE public.t TO authenticated WITH GRANT OPTION",
    ]
    entry = {"role": "supabase_admin", "role_name": "supabase_admin", "schema": "public", "grants": []}
    reserved = Snapshot({}, {}, {DEFAULTS: {"for supabase_admin in public on tables": entry}})
    refused = (
        maintain_grants(Snapshot({}, {}, {}), Snapshot({}, {}, {})),
        maintain_grants(
            Snapshot(
                {}, {}, {DEFAULTS: {"for supabase_admin in public on tables": {**entry, "grants": ["anon MAINTAIN"]}}}
            ),
            reserved,
        ),
    )
    assert refused[0].steps == [] and refused[1].steps == []
    assert refused[1].unsupported == [
        "MAINTAIN default privileges for supabase_admin in public on tables: postgres may not change them on Supabase"
    ]


def test_revoke_all_in_a_schema_file_revokes_maintain_too_and_default_privileges_of_it_are_written(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    work = Declarative(sandbox, tmp_path)
    work.write({"10.sql": TABLE})
    assert work.diff("init").status is DiffStatus.WRITTEN
    work.write(
        {
            "10.sql": TABLE + "revoke all on public.t from anon;\n"
            "alter default privileges for role postgres in schema public\n"
            "  revoke maintain on tables from authenticated;\n"
            "create table public.u (id int primary key);\n"
        }
    )
    ahead = schemas_differences(load(work.migrations), settings(sandbox, tmp_path), work.supabase)
    assert any(line.startswith(f"differs: {RELATIONS} public.t") for line in ahead or []), ahead
    result = work.diff("maintain")
    assert result.status is DiffStatus.WRITTEN, (result.proof.problem, result.proof.remaining)
    up = result.proof.text.split("-- migrate:down", 1)[0]
    assert "REVOKE MAINTAIN ON TABLE public.t FROM anon;" in up
    assert "IN SCHEMA public REVOKE MAINTAIN ON TABLES FROM authenticated;" in up
