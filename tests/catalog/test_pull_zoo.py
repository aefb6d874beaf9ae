"""db.pull against the oracle: a file it calls proven rebuilds the live schema exactly (pg_dump equal)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MigrationDir, Project, SandboxProcess
from hostile import apply_all, out_of_band
from test_catalog_zoo import EXAMPLES, admin_url, run_change, schema_dump, snapshot
from zoo import CASES, Case

from migrations_tasks import catalog
from migrations_tasks.authoring.pull.run import PullOptions, pull
from migrations_tasks.config.settings import load_settings
from migrations_tasks.history.migrations import load
from migrations_tasks.transport.connect import connect


def pulled(project: Project, sandbox: SandboxProcess, directory: Path) -> tuple[str, list[str]]:
    environ = {**project.env, "MIGRATIONS_DRIFT_DB_URL": sandbox.db_url}
    settings = load_settings({}, flags={"migrations_dir": str(directory)}, environ=environ, dotenv_path=None)
    db = connect(settings.target, settings)
    try:
        result = pull(db, load(directory), settings, PullOptions(include_drops=True))
    finally:
        db.close()
    return result.status.value, [result.problem, *result.remaining]


#: Role settings belong to the cluster, which the sandbox's projects and its throwaway databases share; on
#: Supabase each project has its own. The catalog zoo covers them.
PULLED = [c for c in CASES if not c.undo]


@pytest.mark.parametrize("case", PULLED, ids=[c.id for c in PULLED])
def test_a_pulled_change_rebuilds_the_live_schema_or_is_refused_with_its_reason(
    case: Case, project: Project, sandbox: SandboxProcess, migrations: MigrationDir
) -> None:
    for path in EXAMPLES.iterdir():
        migrations.write(path.name, path.read_text(encoding="utf-8"))
    apply_all(project, migrations.path)
    if case.setup:
        out_of_band(project, case.setup)
    run_change(project, case.sql, case.fails)
    status, why = pulled(project, sandbox, migrations.path)
    if case.refused:
        assert status == "unproven", why
        assert case.refused in "\n".join(str(w) for w in why), why
        return
    assert status == "written", why
    fresh = sandbox.new_project()
    try:
        apply_all(fresh, migrations.path)
        if case.in_dump:  # pg_dump is the judge
            assert schema_dump(admin_url(sandbox, fresh)) == schema_dump(admin_url(sandbox, project))
        else:  # what it does not show (database settings): the catalog, which the pull's proof compared already
            assert catalog.compare(snapshot(fresh.db_url), snapshot(project.db_url)) == []
    finally:
        fresh.close()
        sandbox.call("DELETE", f"/_sandbox/projects/{fresh.ref}")
