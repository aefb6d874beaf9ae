"""db.pull's statement generation and file text, pure: catalogs in, SQL out, nothing sent."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from migrations_tasks.authoring.pull.generate import ddl
from migrations_tasks.authoring.pull.grants import grants
from migrations_tasks.authoring.pull.script import FUNCTION_BODIES_OFF, file_text, up_text
from migrations_tasks.authoring.pull.steps import Phase, Script
from migrations_tasks.catalog import Snapshot, compare
from migrations_tasks.history.down import split_down_block
from migrations_tasks.history.sqlfile import parse_statements

NOW = datetime(2025, 11, 1, 12, 0, tzinfo=timezone.utc)


def column(name: str, type_: str = "integer", **attrs: Any) -> dict[str, Any]:
    base = {"name": name, "type": type_, "not_null": False, "default": None, "identity": "", "generated": ""}
    return {**base, "ident": name, "default_oid": None, "type_oid": 23, "array": False, "elem": "x", **attrs}


def table(name: str, oid: int, *columns: dict[str, Any], **attrs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (drift item, detail item) of a table."""
    drift_columns = [
        {k: c[k] for k in ("name", "type", "not_null", "default", "identity", "generated")} for c in columns
    ]
    raw = {"name": name, "kind": attrs.pop("kind", "r"), "rls": attrs.pop("rls", False), "force_rls": False}
    detail = {"name": name, "oid": oid, "persistence": "p", "acl": attrs.pop("acl", [])}
    detail["column_detail"] = [
        {k: v for k, v in c.items() if k not in drift_columns[0] or k == "name"} for c in columns
    ]
    return {**raw, "columns": drift_columns}, {**detail, **attrs}


def snap(**categories: list[Any]) -> Snapshot:
    """Return a snapshot from ``category=[(drift item, detail item) | detail-only item, ...]``."""
    raw: dict[str, Any] = {}
    detail: dict[str, Any] = {}
    for category, items in categories.items():
        for item in items:
            if isinstance(item, tuple):
                raw.setdefault(category, []).append(item[0])
                detail.setdefault(category, []).append(item[1])
            else:
                detail.setdefault(category, []).append(item)
    return Snapshot(raw, detail)


def enum(name: str, oid: int, *labels: str) -> tuple[dict[str, Any], dict[str, Any]]:
    schema, _, typname = name.partition(".")
    return {"name": name, "labels": list(labels)}, {"name": name, "oid": oid, "schema": schema, "typname": typname}


def sqls(script: Script, include_drops: bool = False) -> list[str]:
    return [s.sql for s in script.runs(include_drops)]


def test_an_added_enum_value_goes_in_place_before_the_label_it_precedes() -> None:
    source = snap(enums=[enum("public.mood", 20000, "happy", "sad")])
    target = snap(enums=[enum("public.mood", 20000, "happy", "meh", "sad", "angry")])
    assert sqls(ddl(source, target)) == [
        "ALTER TYPE public.mood ADD VALUE 'meh' BEFORE 'sad'",
        "ALTER TYPE public.mood ADD VALUE 'angry'",
    ]


def test_renamed_enum_values_are_renamed_in_place() -> None:
    source = snap(enums=[enum("public.mood", 20000, "happy", "sad")])
    target = snap(enums=[enum("public.mood", 20000, "glad", "sad")])
    assert sqls(ddl(source, target)) == ["ALTER TYPE public.mood RENAME VALUE 'happy' TO 'glad'"]


def test_an_enum_that_lost_a_value_is_made_again_and_its_columns_moved() -> None:
    used = column("mood", "public.mood", elem="public.mood", default="'sad'::public.mood")
    source = snap(enums=[enum("public.mood", 20000, "happy", "meh", "sad")], tables=[table("public.t", 20001, used)])
    target = snap(enums=[enum("public.mood", 20000, "happy", "sad")], tables=[table("public.t", 20001, used)])
    assert sqls(ddl(source, target)) == [
        "ALTER TYPE public.mood RENAME TO mood_mt_old",
        "CREATE TYPE public.mood AS ENUM ('happy', 'sad')",
        "ALTER TABLE public.t ALTER COLUMN mood DROP DEFAULT",
        "ALTER TABLE public.t ALTER COLUMN mood TYPE public.mood USING mood::text::public.mood",
        "ALTER TABLE public.t ALTER COLUMN mood SET DEFAULT 'sad'::public.mood",
        "DROP TYPE public.mood_mt_old",
    ]


def test_new_objects_come_in_the_order_the_target_made_them() -> None:
    fk = {"name": "t_u_fkey on public.t", "definition": "FOREIGN KEY (u) REFERENCES public.u(id)"}
    fk_detail = {"name": fk["name"], "ident": "t_u_fkey", "table": "public.t", "type": "f", "oid": 20010}
    source = snap()
    target = snap(
        tables=[table("public.t", 20005, column("u")), table("public.u", 20001, column("id"))],
        constraints=[(fk, fk_detail)],
        functions=[
            (
                {"name": "public.f()", "definition": "CREATE OR REPLACE FUNCTION public.f()\n..."},
                {"name": "public.f()", "oid": 20003},
            )
        ],
    )
    out = sqls(ddl(source, target))
    assert [s.split("\n")[0] for s in out] == [
        "CREATE TABLE public.u (",
        "CREATE OR REPLACE FUNCTION public.f()",
        "CREATE TABLE public.t (",
        "ALTER TABLE public.t ADD CONSTRAINT t_u_fkey FOREIGN KEY (u) REFERENCES public.u(id)",
    ]


def test_a_default_set_after_a_newer_function_is_set_in_its_own_later_step() -> None:
    late = column("n", default="public.next_n()", default_oid=20009)
    early = column("created", "timestamptz", default="now()", default_oid=20002)
    target = snap(
        tables=[table("public.t", 20001, early, late)],
        functions=[
            (
                {"name": "public.next_n()", "definition": "CREATE OR REPLACE FUNCTION public.next_n() ..."},
                {"name": "public.next_n()", "oid": 20005},
            )
        ],
    )
    out = sqls(ddl(snap(), target))
    assert out[0] == "CREATE TABLE public.t (\n    created timestamptz DEFAULT now(),\n    n integer\n)"
    assert out[1].startswith("CREATE OR REPLACE FUNCTION public.next_n()")
    assert out[2] == "ALTER TABLE public.t ALTER COLUMN n SET DEFAULT public.next_n()"


def test_column_changes_keep_type_changes_before_the_defaults_they_drop() -> None:
    source = snap(tables=[table("public.t", 20001, column("a", "integer", default="0"), column("b", not_null=True))])
    target = snap(tables=[table("public.t", 20001, column("a", "bigint", default="1"), column("b"))])
    assert sqls(ddl(source, target)) == [
        "ALTER TABLE public.t ALTER COLUMN a DROP DEFAULT",
        "ALTER TABLE public.t ALTER COLUMN a TYPE bigint USING a::bigint",
        "ALTER TABLE public.t ALTER COLUMN b DROP NOT NULL",
        "ALTER TABLE public.t ALTER COLUMN a SET DEFAULT 1",
    ]


def test_identity_and_generated_columns_are_written_as_postgresql_prints_them() -> None:
    target = snap(
        tables=[
            table(
                "public.t",
                20001,
                column("id", "bigint", identity="a", not_null=True),
                column("twice", "integer", generated="s", default="(id * 2)"),
            )
        ]
    )
    assert sqls(ddl(snap(), target)) == [
        "CREATE TABLE public.t (\n    id bigint GENERATED ALWAYS AS IDENTITY,\n"
        "    twice integer GENERATED ALWAYS AS ((id * 2)) STORED\n)"
    ]


def test_a_stored_column_made_virtual_or_a_foreign_table_is_reported_not_guessed() -> None:
    source = snap(tables=[table("public.t", 20001, column("g", generated="s", default="(a + 1)"))])
    target = snap(
        tables=[
            table("public.t", 20001, column("g", generated="v", default="(a + 2)")),
            table("public.remote", 20002, column("id"), kind="f"),
        ]
    )
    script = ddl(source, target)
    assert script.steps == []
    assert script.unsupported == [
        "column public.t.g: its generation differs (stored or virtual, or its type); change it by hand",
        "foreign table public.remote: create it (and its server) in a migration by hand",
    ]


def test_a_changed_generation_expression_is_set_in_place() -> None:
    source = snap(tables=[table("public.t", 20001, column("g", generated="s", default="(a + 1)"))])
    target = snap(tables=[table("public.t", 20001, column("g", generated="s", default="(a + 2)"))])
    (step,) = ddl(source, target).steps
    assert step.sql.startswith("ALTER TABLE public.t ALTER COLUMN g SET EXPRESSION AS (") and "a + 2" in step.sql


def test_drops_are_marked_and_parts_of_a_dropped_table_go_with_it() -> None:
    policy = {
        "name": "p on public.old",
        "command": "r",
        "permissive": True,
        "roles": [],
        "using": "true",
        "check": None,
    }
    source = snap(
        tables=[table("public.old", 20001, column("id")), table("public.keep", 20002, column("id"), column("gone"))],
        policies=[(policy, {"name": policy["name"], "ident": "p", "table": "public.old", "oid": 20003})],
    )
    target = snap(tables=[table("public.keep", 20002, column("id"))])
    script = ddl(source, target)
    assert sqls(script) == []
    assert [s.sql for s in script.commented(False)] == [
        "ALTER TABLE public.keep DROP COLUMN gone",
        "DROP TABLE public.old",
    ]
    assert sqls(script, include_drops=True) == [s.sql for s in script.commented(False)]


def test_grants_are_brought_to_the_targets_per_grantee() -> None:
    have = table("public.t", 20001, column("id"), acl=["anon SELECT", "anon DELETE", "authenticated SELECT"])
    want = table(
        "public.t",
        20001,
        column("id"),
        acl=["anon SELECT", "authenticated SELECT WITH GRANT OPTION", '"my role" UPDATE'],
    )
    script = grants(snap(tables=[have]), snap(tables=[want]))
    assert sqls(script) == [
        'GRANT UPDATE ON TABLE public.t TO "my role"',
        "REVOKE DELETE ON TABLE public.t FROM anon",
        "GRANT SELECT ON TABLE public.t TO authenticated WITH GRANT OPTION",
    ]
    assert all(s.phase is Phase.GRANT for s in script.steps)
    assert [d.category for d in compare(snap(tables=[have]), snap(tables=[want]))] == ["grants"]


def test_the_file_keeps_its_statements_above_the_down_block_and_every_down_line_commented() -> None:
    target = snap(
        functions=[
            (
                {
                    "name": "public.f()",
                    "definition": "CREATE OR REPLACE FUNCTION public.f()\n RETURNS int\nAS $$\n\nselect 1\n$$\n",
                },
                {"name": "public.f()", "oid": 20001},
            )
        ]
    )
    up = ddl(snap(), target)
    down = ddl(target, snap())
    drop = Script()
    drop.add("DROP TABLE public.old", Phase.DROP, 0, "drop table public.old", drop=True)
    text = up_text("remote_schema", NOW, up.runs(False), drop.commented(False))
    whole = file_text(text, down.runs(True))
    before, down_sql, _ = split_down_block(whole, Path("x.sql"))
    assert before == text
    assert "-- DROP TABLE public.old;" in text
    statements = [s.text for s in parse_statements(before, Path("x.sql"))]
    assert statements[0] == FUNCTION_BODIES_OFF
    assert statements[1].endswith("$$\n\nselect 1\n$$")
    assert down_sql is not None
    assert [s.text for s in parse_statements(down_sql, Path("x.sql"))] == ["DROP FUNCTION public.f()"]


def foreign_key(table_name: str, ident: str, oid: int, references: str) -> tuple[dict[str, Any], dict[str, Any]]:
    name = f"{ident} on {table_name}"
    raw = {"name": name, "definition": f"FOREIGN KEY (other) REFERENCES {references}(id)"}
    return raw, {"name": name, "ident": ident, "table": table_name, "type": "f", "oid": oid}


def test_two_dropped_tables_that_reference_each_other_lose_their_foreign_keys_first() -> None:
    source = snap(
        tables=[table("public.a", 20001, column("id")), table("public.b", 20002, column("id"))],
        constraints=[
            foreign_key("public.a", "a_b", 20003, "public.b"),
            foreign_key("public.b", "b_a", 20004, "public.a"),
        ],
    )
    assert sqls(ddl(source, snap()), include_drops=True) == [
        "ALTER TABLE public.b DROP CONSTRAINT b_a",
        "ALTER TABLE public.a DROP CONSTRAINT a_b",
        "DROP TABLE public.b",
        "DROP TABLE public.a",
    ]


def view(name: str, oid: int, definition: str, *columns: str) -> tuple[dict[str, Any], dict[str, Any]]:
    raw = {"name": name, "kind": "v", "definition": definition, "options": []}
    return raw, {"name": name, "oid": oid, "acl": [], "view_columns": list(columns)}


def test_a_view_that_gains_a_column_at_the_end_is_replaced_and_one_that_loses_a_column_is_made_again() -> None:
    narrow = snap(views=[view("public.v", 20001, " SELECT id FROM public.t;", "id integer")])
    wide = snap(views=[view("public.v", 20001, " SELECT id, title FROM public.t;", "id integer", "title text")])
    assert sqls(ddl(narrow, wide)) == ["CREATE OR REPLACE VIEW public.v AS\nSELECT id, title FROM public.t"]
    assert sqls(ddl(wide, narrow)) == ["DROP VIEW public.v", "CREATE VIEW public.v AS\nSELECT id FROM public.t"]
