"""db.pull's statements for what the catalog's parts compare, pure: types, default privileges, settings, comments."""

from __future__ import annotations

from typing import Any

from migrations_tasks.authoring.pull.attributes import attributes
from migrations_tasks.authoring.pull.database import database_settings, default_privileges, publications
from migrations_tasks.authoring.pull.definitions import types
from migrations_tasks.authoring.pull.generate import ddl
from migrations_tasks.authoring.pull.steps import Script
from migrations_tasks.catalog import Snapshot


def snap(parts: dict[str, Any] | None = None, **detail: list[Any]) -> Snapshot:
    return Snapshot({}, detail, parts or {})


def sqls(script: Script) -> list[str]:
    return [s.sql for s in script.runs(True)]


def domain(**attrs: Any) -> dict[str, Any]:
    base = {"name": "public.positive", "oid": 30001, "kind": "d", "base": "integer", "not_null": False}
    return {**base, "constraints": [], **attrs}


def test_a_domain_is_made_with_its_valid_checks_and_gets_its_not_valid_ones_afterwards() -> None:
    checks = [
        {"sql": "CONSTRAINT above CHECK ((VALUE > 0))", "valid": True},
        {"sql": "CONSTRAINT small CHECK ((VALUE < 10)) NOT VALID", "valid": False},
    ]
    script = types(snap(), snap(user_types=[domain(constraints=checks, default="1")]))
    assert sqls(script) == [
        "CREATE DOMAIN public.positive AS integer DEFAULT 1 CONSTRAINT above CHECK ((VALUE > 0))",
        "ALTER DOMAIN public.positive ADD CONSTRAINT small CHECK ((VALUE < 10)) NOT VALID",
    ]
    assert [s.sql for s in types(snap(user_types=[domain()]), snap()).commented(False)] == [
        "DROP DOMAIN public.positive"
    ]


def test_a_range_type_brings_its_multirange_and_a_changed_type_is_refused_by_name() -> None:
    spec = {"subtype": "double precision", "multirange_type_name": "public.floats_multi"}
    made = [
        {"name": "public.floats", "oid": 30001, "kind": "r", "range": spec},
        {"name": "public.floats_multi", "oid": 30002, "kind": "m"},
    ]
    assert sqls(types(snap(), snap(user_types=made))) == [
        "CREATE TYPE public.floats AS RANGE (subtype = double precision, multirange_type_name = public.floats_multi)"
    ]
    changed = types(snap(user_types=[domain()]), snap(user_types=[domain(base="bigint")]))
    assert changed.steps == [] and changed.unsupported == [
        "domain public.positive: its definition differs; change it by hand (inv db.new NAME)"
    ]


def acl(name: str, grants: list[str], schema: str | None = "public", role: str = "postgres") -> dict[str, Any]:
    kind = name.rpartition(" on ")[2]
    return {"name": name, "kind": kind, "role": role, "role_name": role, "schema": schema, "grants": grants}


def test_default_privileges_are_granted_and_revoked_per_grantee_with_all_when_all_of_them_go() -> None:
    name = "for postgres in public on tables"
    every = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]
    have = acl(name, [f"anon {p}" for p in every] + ["authenticated SELECT"])
    want = acl(name, ["authenticated SELECT", "authenticated INSERT"])
    assert sqls(default_privileges(snap(default_acls=[have]), snap(default_acls=[want]))) == [
        "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public REVOKE ALL ON TABLES FROM anon",
        "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT INSERT ON TABLES TO authenticated",
    ]
    assert sqls(default_privileges(snap(default_acls=[want]), snap(default_acls=[have])))[0] == (
        "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON TABLES TO anon"
    )


def test_a_missing_global_entry_holds_postgresqls_defaults_and_reserved_roles_are_refused() -> None:
    name = "for postgres in all schemas on functions"
    revoked = acl(name, ["postgres EXECUTE"], schema=None)
    assert sqls(default_privileges(snap(), snap(default_acls=[revoked]))) == [
        "ALTER DEFAULT PRIVILEGES FOR ROLE postgres REVOKE ALL ON FUNCTIONS FROM PUBLIC"
    ]
    admin = acl("for supabase_admin in public on tables", ["anon SELECT"], role="supabase_admin")
    script = default_privileges(snap(), snap(default_acls=[admin]))
    assert script.steps == [] and "supabase_admin" in script.unsupported[0]


def test_a_database_setting_names_the_database_it_runs_in_and_quotes_the_value() -> None:
    have = {"settings": {"database": ['search_path="$user", public', "work_mem=4MB"]}}
    want = {"settings": {"database": ['search_path="$user", public', "lock_timeout=5s'; drop table x; --"]}}
    assert sqls(database_settings(snap(have), snap(want))) == [
        "DO 'BEGIN EXECUTE format(''ALTER DATABASE %I SET %I = %L'', current_database(), ''lock_timeout'', "
        "''5s''''; drop table x; --''); END'",
        "DO 'BEGIN EXECUTE format(''ALTER DATABASE %I RESET %I'', current_database(), ''work_mem''); END'",
    ]
    listed = database_settings(snap(want), snap({"settings": {"database": [want["settings"]["database"][1]]}}))
    assert listed.steps == [] and listed.unsupported == [
        "database setting search_path: not written as a statement; set it by hand"
    ]


def test_a_publication_is_made_with_its_options_and_its_members_keep_columns_and_row_filters() -> None:
    options = {"all tables": False, "insert": True, "update": False, "delete": False, "truncate": False}
    member = {"name": "app: public.t", "pub": "app", "table": "public.t", "columns": "id, title", "filter": "done"}
    target = snap({"publications": {"app": {**options, "via root": False}}}, publications=[member])
    assert sqls(ddl(snap(), target)) == [
        "CREATE PUBLICATION app WITH (publish = 'insert', publish_via_partition_root = false)",
        "ALTER PUBLICATION app ADD TABLE public.t (id, title) WHERE (done)",
    ]
    assert sqls(publications(target, snap())) == ["DROP PUBLICATION app"]


def test_column_properties_go_back_to_the_types_own_and_comments_on_supabase_tables_are_refused() -> None:
    column = {"name": "title", "ident": "title", "type": "text", "type_storage": "x"}
    table = {"name": "public.t", "kind": "r", "columns": [column]}
    have = snap({"column properties": {"public.t.title": {"storage": "e", "statistics target": 500}}}, tables=[table])
    assert sqls(attributes(have, snap({}, tables=[table]))) == [
        "ALTER TABLE public.t ALTER COLUMN title SET STATISTICS -1",
        "ALTER TABLE public.t ALTER COLUMN title SET STORAGE EXTENDED",
    ]
    comment = {"name": "policy p on storage.objects", "target": "POLICY p on storage.objects", "text": "x"}
    script = ddl(snap(), snap(comments=[{**comment, "writable": True, "platform": True}]))
    assert script.steps == [] and "postgres does not own" in script.unsupported[0]


def test_a_domain_whose_default_and_checks_changed_is_altered_in_place() -> None:
    above = {"sql": "CONSTRAINT above CHECK ((VALUE > 0))", "ident": "above", "valid": True}
    small = {"sql": "CONSTRAINT small CHECK ((VALUE < 10)) NOT VALID", "ident": "small", "valid": False}
    have = domain(constraints=[above], default="1")
    want = domain(constraints=[small], not_null=True)
    assert sqls(types(snap(user_types=[have]), snap(user_types=[want]))) == [
        "ALTER DOMAIN public.positive DROP DEFAULT",
        "ALTER DOMAIN public.positive SET NOT NULL",
        "ALTER DOMAIN public.positive DROP CONSTRAINT above",
        "ALTER DOMAIN public.positive ADD CONSTRAINT small CHECK ((VALUE < 10)) NOT VALID",
    ]


def test_an_event_trigger_is_made_with_its_tags_and_state_after_the_functions() -> None:
    value = {"event": "ddl_command_end", "enabled": "A", "function": "public.on_ddl()", "tags": ["CREATE TABLE"]}
    script = ddl(snap(), snap({"event triggers": {"log_ddl": value}}))
    assert sqls(script) == [
        "CREATE EVENT TRIGGER log_ddl ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION public.on_ddl()",
        "ALTER EVENT TRIGGER log_ddl ENABLE ALWAYS",
    ]
    assert sqls(ddl(snap({"event triggers": {"log_ddl": value}}), snap())) == ["DROP EVENT TRIGGER log_ddl"]


def test_a_composite_is_altered_when_its_kept_attributes_keep_their_order_and_refused_otherwise() -> None:
    def pair(*attributes: str) -> dict[str, Any]:
        idents = [a.split(" ")[0] for a in attributes]
        return {
            "name": "public.pair",
            "oid": 30001,
            "kind": "c",
            "attributes": list(attributes),
            "attribute_idents": idents,
        }

    have = pair("a integer", "b text", "c integer")
    assert sqls(types(snap(user_types=[have]), snap(user_types=[pair("a integer", "b bigint", "d text")]))) == [
        "ALTER TYPE public.pair ALTER ATTRIBUTE b TYPE bigint",
        "ALTER TYPE public.pair DROP ATTRIBUTE c",
        "ALTER TYPE public.pair ADD ATTRIBUTE d text",
    ]
    middle = types(snap(user_types=[have]), snap(user_types=[pair("a integer", "d text", "b text", "c integer")]))
    assert middle.steps == [] and middle.unsupported[0].startswith("type public.pair: its definition differs")


def test_a_role_setting_is_refused_with_its_reason() -> None:
    script = database_settings(snap(), snap({"settings": {"role authenticated": ["statement_timeout=20s"]}}))
    assert script.steps == [] and script.unsupported[0].startswith(
        "settings of role authenticated: ALTER ROLE ... SET is not written"
    )


def test_owners_are_set_by_kind_of_object_and_type_privileges_granted_per_grantee() -> None:
    from migrations_tasks.authoring.pull.attributes import owners
    from migrations_tasks.authoring.pull.grants import grants

    have = {"app.t": "postgres", "function app.f()": "postgres", "type app.d": "postgres", "schema app": "postgres"}
    want = {name: "service_role" for name in have}
    domain_item = {"name": "app.d", "kind": "d"}
    assert sqls(owners(snap({"owners": have}), snap({"owners": want}, user_types=[domain_item]))) == [
        "ALTER TABLE app.t OWNER TO service_role",
        "ALTER ROUTINE app.f() OWNER TO service_role",
        "ALTER SCHEMA app OWNER TO service_role",
        "ALTER DOMAIN app.d OWNER TO service_role",
    ]
    mood = {"name": "public.mood", "oid": 30001, "keyword": "TYPE"}
    script = grants(snap(type_acls=[{**mood, "acl": ["PUBLIC USAGE"]}]), snap(type_acls=[{**mood, "acl": []}]))
    assert sqls(script) == ["REVOKE USAGE ON TYPE public.mood FROM PUBLIC"]


def test_the_proofs_hint_for_an_enum_made_again_names_the_command_that_runs() -> None:
    from migrations_tasks.authoring.pull.proof import _hint
    from migrations_tasks.errors import SqlError

    refused = SqlError("cannot drop type", sqlstate="2BP01")
    assert "something db.diff does not drop" in _hint("DROP TYPE public.mood_mt_old", refused, "db.diff")
    assert "something db.pull does not drop" in _hint("DROP TYPE public.mood_mt_old", refused, "db.pull")
