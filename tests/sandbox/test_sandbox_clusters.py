"""The cache of freshly made clusters (sandbox/clusters.py): a copy is a working cluster of its own, with
passwords of its own; the cache is keyed on everything a fresh cluster depends on, and concurrent runs
never see half an entry."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import run_together

from migrations_tasks.sandbox import Sandbox, clusters


def system_identifier(sandbox: Sandbox) -> int:
    """Return the cluster's system identifier: initdb draws a new one, a copy keeps its original's."""
    with sandbox.admin() as conn:
        return int(conn.execute("select system_identifier from pg_control_system()").fetchone()[0])


def entries(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir())


def test_a_sandbox_made_from_the_cache_is_a_working_independent_cluster_with_passwords_of_its_own(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    with Sandbox(cache=cache) as first:  # the first run makes the cluster and keeps a copy
        assert first.pg is not None
        made, old_admin, old_postgres = system_identifier(first), first.pg.url(), first.env["SANDBOX_DB_URL"]
    (key,) = entries(cache)
    assert (cache / key / clusters.DATA / "PG_VERSION").exists()
    assert (cache.stat().st_mode & 0o777) == 0o700
    with Sandbox(cache=cache) as second, Sandbox(cache=cache) as third:
        assert system_identifier(second) == system_identifier(third) == made  # copies, not initdb
        assert second.pg is not None and third.pg is not None and second.pg.data_dir != third.pg.data_dir
        one, other = second.create_project(), third.create_project()
        with psycopg.connect(one["db_url"], autocommit=True) as conn:  # Supabase's objects are there
            conn.execute("insert into auth.users (id, email) values (gen_random_uuid(), 'ada@example.com')")
            conn.execute("create table public.only_here (id int)")
        with psycopg.connect(other["db_url"], autocommit=True) as conn:
            assert conn.execute("select count(*) from auth.users").fetchone() == (0,)
            assert conn.execute("select to_regclass('public.only_here')").fetchone() == (None,)
        for sandbox in (second, third):  # the copied cluster's passwords were replaced, every one of them
            assert sandbox.pg is not None
            port = sandbox.pg.port
            for url in (old_admin, old_postgres):
                stale = url.replace(url.split("@")[1].split("/")[0], f"127.0.0.1:{port}")
                with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
                    psycopg.connect(stale, connect_timeout=5).close()
        assert second.state["admin_password"] != third.state["admin_password"]
    assert entries(cache) == [key]


def recipe(install: Path, **changes: Any) -> dict[str, Any]:
    binary = install / "postgres"
    base = {
        "install": [str(install), binary.stat().st_size, binary.stat().st_mtime_ns],
        "initdb": ("-U", "supabase_admin", "--locale=C"),
        "user": None,
        "settings": {},
        "sandbox": "digest",
    }
    return {**base, **changes}


def test_the_cache_key_changes_with_the_installation_initdb_options_locale_time_zone_and_sandbox_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install = tmp_path / "bin"
    install.mkdir()
    (install / "postgres").write_bytes(b"v1")
    for name in ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_COLLATE", "LC_MESSAGES", "TZ", "PGTZ"):
        monkeypatch.delenv(name, raising=False)
    key = clusters.recipe_key(recipe(install))
    assert clusters.recipe_key(recipe(install)) == key  # stable
    monkeypatch.setenv("SOME_OTHER_SETTING", "x")
    assert clusters.recipe_key(recipe(install)) == key  # the rest of the environment plays no part
    different = {
        "initdb options": clusters.recipe_key(recipe(install, initdb=("-U", "supabase_admin", "--locale=en_US"))),
        "server user": clusters.recipe_key(recipe(install, user=[999, 999])),
        "settings": clusters.recipe_key(recipe(install, settings={"shared_preload_libraries": "x"})),
    }
    (install / "postgres").write_bytes(b"version 2")  # another PostgreSQL in the same place
    different["installation"] = clusters.recipe_key(recipe(install))
    for name, value in (("LC_ALL", "de_DE.UTF-8"), ("LANG", "fr_FR.UTF-8"), ("TZ", "Asia/Tokyo"), ("PGTZ", "UTC")):
        with monkeypatch.context() as env:
            env.setenv(name, value)
            different[name] = clusters.recipe_key(recipe(install))
    assert key not in different.values() and len(set(different.values())) == len(different), different

    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "00_roles.sql").write_text("create role a;")
    before = clusters.digest_files([sql])
    (sql / "00_roles.sql").write_text("create role b;")
    assert clusters.digest_files([sql]) != before
    (sql / "00_roles.sql").write_text("create role a;")
    assert clusters.digest_files([sql]) == before
    (sql / "10_more.sql").write_text("")
    assert clusters.digest_files([sql]) != before


def test_concurrent_runs_leave_one_complete_entry_and_readers_never_see_half_of_one(tmp_path: Path) -> None:
    source = tmp_path / "pgdata"
    for n in range(200):
        (source / f"base/{n % 7}").mkdir(parents=True, exist_ok=True)
        (source / f"base/{n % 7}/{n}").write_bytes(os.urandom(2048))
    (source / "PG_VERSION").write_text("18\n")
    cache = tmp_path / "cache"
    copies = iter(range(100))

    def save_or_restore() -> bool:
        clusters.save(cache, "key", source)
        target = tmp_path / f"copy{next(copies)}"
        return clusters.restore(cache, "key", target, None) and sorted(target.rglob("*")) is not None

    assert run_together(save_or_restore, count=6) == [True] * 6
    assert entries(cache) == ["key"]  # the losers of the race dropped their temporary copies
    for copy in tmp_path.glob("copy*"):
        assert {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()} == {
            p.relative_to(source): p.read_bytes() for p in source.rglob("*") if p.is_file()
        }


def test_two_sandboxes_starting_together_on_an_empty_cache_both_start_and_one_entry_is_kept(tmp_path: Path) -> None:
    cache = tmp_path / "cache"

    def start_and_use() -> tuple[str]:
        # all in the thread: a server gets SIGINT when the thread that started it ends (PR_SET_PDEATHSIG)
        with Sandbox(cache=cache) as sandbox, psycopg.connect(sandbox.create_project()["db_url"]) as conn:
            return conn.execute("select current_user").fetchone()

    assert run_together(start_and_use, count=2) == [("postgres",)] * 2
    assert len(entries(cache)) == 1 and not list(cache.glob(".staging-*"))


def test_a_damaged_entry_is_dropped_and_the_cluster_made_afresh_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    (cache / "key" / clusters.DATA).mkdir(parents=True)
    (cache / "key" / clusters.DATA / "PG_VERSION").write_text("18\n")  # and nothing else: no pg_control
    monkeypatch.setattr(clusters, "recipe_key", lambda recipe: "key")
    with Sandbox(cache=cache) as sandbox:
        assert sandbox.create_project()["db_url"]
    assert entries(cache) == ["key"] and (cache / "key" / clusters.DATA / "global" / "pg_control").is_file()


def test_entries_unused_for_a_week_are_removed_and_the_one_in_use_is_kept(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for name in ("old", "recent", "in-use", ".staging-abandoned"):
        (cache / name / clusters.DATA).mkdir(parents=True)
    week_ago = time.time() - clusters.UNUSED_FOR - 60
    for name in ("old", "in-use", ".staging-abandoned"):
        os.utime(cache / name, (week_ago, week_ago))
    assert sorted(clusters.prune(cache, keep="in-use")) == [".staging-abandoned", "old"]
    assert entries(cache) == ["in-use", "recent"]
