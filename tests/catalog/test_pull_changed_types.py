"""db.pull on types the migrations made and the dashboard changed: altered in place, pg_dump equal."""

from __future__ import annotations

from conftest import MigrationDir, Project, SandboxProcess
from hostile import apply_all, out_of_band
from test_catalog_zoo import admin_url, schema_dump
from test_pull_zoo import pulled

DOMAIN_MIGRATION = (
    "20250101000000_domain.sql",
    "create domain public.score as int default 0 constraint score_positive check (value >= 0);\n"
    "create table public.games (id int primary key, score public.score);\n"
    "create type public.pair as (a int, b text, c int);\n",
)


def test_a_domain_with_other_checks_and_default_and_a_composite_with_other_attributes_are_pulled_and_rolled_back(
    project: Project, sandbox: SandboxProcess, migrations: MigrationDir
) -> None:
    migrations.write(*DOMAIN_MIGRATION)
    apply_all(project, migrations.path)
    out_of_band(
        project,
        "alter domain public.score drop constraint score_positive; alter domain public.score set default 10; "
        "alter domain public.score add constraint score_small check (value < 1000) not valid; "
        "alter type public.pair drop attribute c; alter type public.pair alter attribute b type varchar(20); "
        'alter type public.pair add attribute d text collate "C"',
    )
    status, why = pulled(project, sandbox, migrations.path)
    assert status == "written", why
    (path,) = [p for p in migrations.path.iterdir() if p.name != DOMAIN_MIGRATION[0]]
    text = path.read_text(encoding="utf-8")
    assert "ALTER DOMAIN public.score DROP CONSTRAINT score_positive;" in text
    assert 'ALTER TYPE public.pair ADD ATTRIBUTE d text COLLATE pg_catalog."C";' in text
    fresh = sandbox.new_project()
    try:
        apply_all(fresh, migrations.path)
        assert schema_dump(admin_url(sandbox, fresh)) == schema_dump(admin_url(sandbox, project))
    finally:
        fresh.close()
        sandbox.call("DELETE", f"/_sandbox/projects/{fresh.ref}")
