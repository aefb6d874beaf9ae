"""Publications that switch to or from FOR ALL TABLES are made again; schemas published whole are added and dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import SandboxProcess
from declarative import Declarative

from migrations_tasks.authoring.diff.results import DiffStatus
from migrations_tasks.authoring.pull.generate import ddl
from migrations_tasks.catalog import Snapshot

OPTIONS = {"insert": True, "update": True, "delete": True, "truncate": True, "via root": False}


def snap(pubs: dict[str, Any], members: dict[str, Any], **detail: list[Any]) -> Snapshot:
    return Snapshot({}, detail, {"publications": pubs, "publication tables": members})


def test_a_switch_to_all_tables_makes_the_publication_again_without_removing_its_old_members() -> None:
    member = {"name": "p: public.t", "pub": "p", "table": "public.t", "columns": None, "filter": None}
    before = snap({"p": {**OPTIONS, "all tables": False}}, {"p: public.t": {}}, publications=[member])
    comment = {"name": "publication p", "target": "PUBLICATION p", "text": "all of it"}
    after = snap({"p": {**OPTIONS, "all tables": True}}, {}, comments=[comment])
    assert [s.sql for s in ddl(before, after).runs(True)] == [
        "DROP PUBLICATION p",
        "CREATE PUBLICATION p FOR ALL TABLES WITH (publish = 'insert, update, delete, truncate', "
        "publish_via_partition_root = false)",
        "COMMENT ON PUBLICATION p IS 'all of it'",
    ]


def test_schemas_published_whole_are_added_and_dropped_by_name() -> None:
    pub = {"q": {**OPTIONS, "all tables": False}}
    before = snap(pub, {'q: tables in schema "A b"': True})
    after = snap(pub, {"q: tables in schema app": True})
    assert [s.sql for s in ddl(before, after).runs(True)] == [
        "ALTER PUBLICATION q ADD TABLES IN SCHEMA app",
        'ALTER PUBLICATION q DROP TABLES IN SCHEMA "A b"',
    ]


TABLES = "create table public.t (id int primary key);\ncreate schema app;\ncreate table app.a (id int primary key);\n"


def test_db_diff_switches_publications_and_schema_members_both_ways_proven(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    work = Declarative(sandbox, tmp_path)
    work.write({"10.sql": TABLES + "create publication p for table public.t;\ncreate publication q;\n"})
    assert work.diff("init").status is DiffStatus.WRITTEN
    work.write(
        {
            "10.sql": TABLES + "create publication p for all tables;\ncomment on publication p is 'everything';\n"
            "create publication q for tables in schema app;\n"
        }
    )
    there = work.diff("there")
    assert there.status is DiffStatus.WRITTEN, (there.proof.problem, there.proof.remaining)
    assert "ALTER PUBLICATION q ADD TABLES IN SCHEMA app;" in there.proof.text
    work.write({"10.sql": TABLES + "create publication p for table public.t;\ncreate publication q for table app.a;\n"})
    back = work.diff("back")
    assert back.status is DiffStatus.WRITTEN, (back.proof.problem, back.proof.remaining)
    assert "ALTER PUBLICATION q DROP TABLES IN SCHEMA app;" in back.proof.text
