"""Benchmark rows: the one catalog snapshot and the drift check on a realistic 350-migration Supabase history.

Imported by scripts/benchmark.py (``--only catalog``; not part of the default run). No real project's files are
copied: the history is generated, in blocks of ten migrations the way a Supabase project grows: a table owned
by ``auth.users`` with row level security and policies, then a column with a comment and a partial index, a
``SECURITY DEFINER`` function with its grants, an ``updated_at`` trigger, a ``security_invoker`` view with
grants, an enum column, Realtime membership, a policy on ``storage.objects``, a unique constraint, and a link
table with its policy. 350 migrations make 70 tables, 140 policies, 36 functions, 35 views and enums.

``--catalog-history DIR`` measures a real project's history instead: the first 350 files of DIR (a
``supabase/migrations`` folder outside this repository, e.g. a checkout of a public Supabase project), copied
to a temporary project at run time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_rows import TASKS_PY, Row, median, ms

from migrations_tasks import catalog
from migrations_tasks.catalog.core import snapshot_sql
from migrations_tasks.catalog.snapshot import PATH_SQL
from migrations_tasks.sandbox import Sandbox, workload
from migrations_tasks.secret import Secret
from migrations_tasks.transport.postgres import PostgresDatabase

TOUCH = """create function public.touch() returns trigger language plpgsql set search_path = '' as $$
begin new.updated_at := now(); return new; end $$;
"""


def _table(b: int) -> str:
    return f"""create table public.t{b} (
  id uuid primary key default gen_random_uuid(),
  owner uuid not null references auth.users (id) on delete cascade,
  name text not null check (char_length(name) > 0),
  status text not null default 'open',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.t{b} enable row level security;
create policy "owners read t{b}" on public.t{b} for select to authenticated using ((select auth.uid()) = owner);
create policy "owners write t{b}" on public.t{b} for insert to authenticated with check ((select auth.uid()) = owner);
create index t{b}_owner_idx on public.t{b} (owner);
"""


def _step(b: int, step: int) -> str:
    t = f"public.t{b}"
    return [
        _table(b),
        f"alter table {t} add column notes text;\ncomment on column {t}.notes is 'free text';\n"
        f"create index t{b}_open_idx on {t} (created_at) where status = 'open';\n",
        f"create function public.mine_{b}() returns setof {t} language sql stable security definer "
        f"set search_path = '' as $$ select * from {t} where owner = (select auth.uid()) $$;\n"
        f"revoke execute on function public.mine_{b}() from public, anon;\n"
        f"grant execute on function public.mine_{b}() to authenticated;\n",
        f"create trigger t{b}_touch before update on {t} for each row execute function public.touch();\n",
        f"create view public.v{b} with (security_invoker = on) as select id, name from {t} where status = 'open';\n"
        f"revoke all on public.v{b} from anon;\ngrant select on public.v{b} to authenticated;\n",
        f"create type public.kind_{b} as enum ('a', 'b', 'c');\n"
        f"alter table {t} add column kind public.kind_{b} not null default 'a';\n",
        f"alter publication supabase_realtime add table {t};\n",
        f'create policy "read bucket {b}" on storage.objects for select to authenticated '
        f"using (bucket_id = 'bucket-{b}');\n",
        f"alter table {t} add constraint t{b}_owner_name_key unique (owner, name);\n"
        f"comment on table {t} is 'block {b}';\n",
        f"create table public.l{b} (a uuid references {t} (id) on delete cascade, "
        f"b uuid references {t} (id) on delete cascade, primary key (a, b));\n"
        f"alter table public.l{b} enable row level security;\n"
        f'create policy "read l{b}" on public.l{b} for select to authenticated using (true);\n',
    ][step]


def generate(directory: Path, count: int) -> None:
    """Write ``count`` migrations of the realistic history into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for number in range(1, count + 1):
        b, step = divmod(number - 1, 10)
        sql = (TOUCH if number == 1 else "") + _step(b, step)
        (directory / f"{workload.version_of(number)}_block_{b}_{step}.sql").write_text(sql, encoding="utf-8")


def _snapshots(url: str, runs: int) -> tuple[int, float, int, float]:
    """Return the requests one snapshot takes over a direct connection, its median time, its JSON size, and
    the median time of the core part alone (what drift read before the one catalog)."""
    db = PostgresDatabase(Secret(url))
    core = f"{PATH_SQL};\nSELECT {snapshot_sql()} AS catalog"
    try:
        walls, cores, size, before = [], [], 0, db.requests
        for _ in range(runs):
            t = time.perf_counter()
            row = db.execute(catalog.request(), write=False)[0]
            walls.append(time.perf_counter() - t)
            size = len(json.dumps({k: catalog.as_json(v) for k, v in row.items()}, default=str))
            requests = db.requests - before
            t = time.perf_counter()
            db.execute(core, write=False)
            cores.append(time.perf_counter() - t)
            before = db.requests
        return requests, median(walls), size, median(cores)
    finally:
        db.close()


def _copy_history(source: Path, target: Path, count: int) -> None:
    """Copy the first ``count`` migration files of a real history (by name, as the CLI orders them)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.sql"))[:count]:
        shutil.copyfile(path, target / path.name)


def catalog_rows(count: int, runs: int, history: Path | None = None) -> list[Row]:
    """Apply the history, then measure one snapshot per side and db.verify's drift check on it."""
    directory = Path(tempfile.mkdtemp(prefix="mt-bench-catalog-"))
    (directory / "tasks.py").write_text(TASKS_PY)
    if history is None:
        generate(directory / "supabase" / "migrations", count)
    else:
        _copy_history(history, directory / "supabase" / "migrations", count)
    kind = "realistic" if history is None else "real"
    rows = []
    with Sandbox() as sandbox:
        project = sandbox.create_project()
        env = dict(os.environ, SUPABASE_API_URL=sandbox.api_url, SUPABASE_PROJECT_REF=project["ref"])
        env.update(SUPABASE_ACCESS_TOKEN=sandbox.state["token"], MIGRATIONS_DRIFT_DB_URL=sandbox.env["SANDBOX_DB_URL"])
        applied = subprocess.run(
            [sys.executable, "-m", "invoke", "db.apply"], cwd=directory, env=env, capture_output=True, text=True
        )
        if applied.returncode != 0:
            return [Row(f"catalog, {count} {kind} migrations", note=f"db.apply failed: {applied.stderr[-300:]}")]
        requests, wall, size, core = _snapshots(project["db_url"], runs)
        note = f"{size // 1024} KB of JSON; direct connection; the core part alone {ms(core)}"
        rows.append(Row(f"catalog snapshot, {count} {kind} migrations", str(requests), ms(wall), note=note))
        walls, drift, sent = [], [], []
        for _ in range(runs):
            before = sandbox.api.stats["by_project"].get(project["ref"], 0) if sandbox.api else 0
            t = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "invoke", "db.verify", "--json"],
                cwd=directory,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            walls.append(time.perf_counter() - t)
            sent.append((sandbox.api.stats["by_project"].get(project["ref"], 0) if sandbox.api else 0) - before)
            doc = json.loads(done.stdout)
            drift.append(float(doc.get("drift_seconds") or doc.get("timings", {}).get("drift") or 0))
            verdict = f"exit {done.returncode}"
        note = f"{verdict}; drift {median(drift):.2f} s (median of {runs}), most of it the {count} migrations' DDL"
        rows.append(
            Row(f"db.verify with drift, {count} {kind} migrations", str(max(sent)), ms(median(walls)), note=note)
        )
    return rows


def catalog_group(groups: set[str], quick: bool, step: Callable[[str], None], history: Path | None = None) -> list[Row]:
    """The catalog rows, when that group is asked for (not part of the default run: --only catalog)."""
    if "catalog" not in groups:
        return []
    step("the catalog snapshot and drift on a " + ("realistic" if history is None else "real") + " history")
    return catalog_rows(100 if quick else 350, 3 if quick else 5, history)
