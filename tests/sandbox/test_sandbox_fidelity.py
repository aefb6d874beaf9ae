"""Real Supabase projects' migrations apply on the sandbox as they do on Supabase (issue 6).

The corpora in tests/corpus/ are our own migration sets, written the way public Supabase projects
write theirs: self-wrapped transactions, dollar-quoted plpgsql, storage and realtime policies, vault,
cron, pg_net and webhooks, extensions in Supabase's schemas, drizzle's statement breakpoints. They are
applied through the Management API transport, then `inv db.check` must be clean. The other tests pin
down what each sandbox stand-in does (and does not do), as the README documents it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import threading
import time
import uuid
from base64 import urlsafe_b64encode
from pathlib import Path

import psycopg
import pytest
from conftest import Project, SandboxProcess, run_inv, user_project

from migrations_tasks.engine import Engine
from migrations_tasks.history.migrations import load
from migrations_tasks.history.status import Status
from migrations_tasks.sandbox import extension_inventory
from migrations_tasks.sandbox.catalog import PREINSTALLED, SUPABASE_EXTENSIONS, stand_in_comment
from migrations_tasks.sandbox.embedded import share_extension_dir
from migrations_tasks.sandbox.trusted import REFUSED_EXTENSIONS
from migrations_tasks.transport.connect import connect

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SUPABASE_CORPUS = CORPUS / "supabase_migrations"
DRIZZLE_CORPUS = CORPUS / "drizzle_migrations"
DEMO_USER = "a1b2c3d4-0000-4000-8000-000000000001"


def apply_through_the_api(project: Project, directory: Path) -> Engine:
    settings = project.settings(directory, "api")
    engine = Engine(connect(settings.target, settings), settings)
    local = load(directory)
    result = engine.apply(local)
    assert [o.status for o in result.outcomes] == ["applied"] * len(local.migrations)
    return engine


def sql(project: Project, query: str) -> list[tuple[object, ...]]:
    return project.sql(query)


def one(project: Project, query: str) -> object:
    rows = project.sql(query)
    assert len(rows) == 1, rows
    return rows[0][0]


# -- the corpora -----------------------------------------------------------------------------------


def test_the_supabase_style_corpus_applies_through_the_api_and_db_check_is_clean_afterwards(
    project: Project, tmp_path: Path
) -> None:
    engine = apply_through_the_api(project, SUPABASE_CORPUS)
    assert {e.status for e in engine.check(load(SUPABASE_CORPUS)).entries} == {Status.APPLIED}

    check = run_inv(
        "db.check",
        "--transport",
        "api",
        "--migrations-dir",
        str(SUPABASE_CORPUS),
        cwd=user_project(tmp_path),
        env=project.env,
    )
    assert check.returncode == 0, check.stdout + check.stderr

    # What the migrations built is really there and really works.
    assert one(project, f"select count(*) from public.profiles where id = '{DEMO_USER}'") == 1
    assert sql(
        project, "select tablename from pg_publication_tables where pubname = 'supabase_realtime' order by 1"
    ) == [("messages",), ("team_members",)]
    assert sql(project, "select id, public from storage.buckets order by id") == [
        ("avatars", True),
        ("documents", False),
    ]
    assert one(project, "select count(*) from pg_policies where schemaname = 'storage'") == 5
    assert sql(project, "select jobname, schedule from cron.job where jobname is not null order by 1") == [
        ("partman-maintenance", "@hourly"),
        ("purge-old-messages", "30 3 * * *"),
        ("send-digest", "0 8 * * 1-5"),
    ]
    queued = sql(project, "select url from net.http_request_queue order by id")
    assert ("https://project-ref.supabase.co/functions/v1/new-order",) in queued  # the webhook fired
    assert ("https://hooks.slack.example/services/T000/B000/XXXX",) in queued  # the trigger's pg_net call
    assert one(project, "select count(*) from supabase_functions.hooks where hook_name = 'notify-new-order'") == 1
    assert one(project, "select count(*) from realtime.messages where topic like 'team:%'") == 1
    assert one(project, "select count(*) from vault.decrypted_secrets where name = 'project_url'") == 1
    assert one(project, "select queue_length from pgmq.metrics('emails')") == 1
    sql(project, f"select public.set_local_password('{DEMO_USER}', 'pw-1')")
    assert one(project, f"select public.check_local_password('{DEMO_USER}', 'pw-1')") is True
    assert one(project, f"select public.check_local_password('{DEMO_USER}', 'pw-2')") is False
    assert one(project, "select encrypted_password = crypt('password123', encrypted_password) from auth.users") is True
    assert one(project, "select count(*) from public.audit_events_default") == 1
    assert one(project, "select 'refunded' = any(enum_range(null::public.order_status)::text[])") is True
    assert one(project, "select count(*) from public.search_articles('creme')") == 1
    nearby = sql(project, "select name from public.nearby_places(37.7955, -122.3937, 2000)")
    assert nearby == [("Ferry Building",), ("Coit Tower",)]


def test_the_drizzle_style_corpus_with_statement_breakpoints_applies_and_db_check_is_clean(
    project: Project, tmp_path: Path
) -> None:
    local = load(DRIZZLE_CORPUS)
    assert [m.version for m in local.migrations] == ["0000", "0001", "0002", "0003"]
    apply_through_the_api(project, DRIZZLE_CORPUS)
    check = run_inv(
        "db.check",
        "--transport",
        "api",
        "--migrations-dir",
        str(DRIZZLE_CORPUS),
        cwd=user_project(tmp_path),
        env=project.env,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert one(project, "select count(*) from pg_policies where tablename in ('accounts', 'projects')") == 2
    assert one(project, "select 'enterprise' = any(enum_range(null::public.plan)::text[])") is True


def test_a_self_wrapped_corpus_file_is_one_atomic_request_with_its_ledger_row(project: Project, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    source = next(SUPABASE_CORPUS.glob("*_types.sql"))
    (directory / source.name).write_text(source.read_text())
    migration = load(directory).migrations[0]
    assert migration.atomic and len(migration.units) == 1
    engine = apply_through_the_api(project, directory)
    assert engine.db.requests == 3  # read the ledger, create it, one request for the migration
    assert one(project, "select count(*) from supabase_migrations.schema_migrations") == 1
    assert one(project, "select to_regtype('public.order_status') is not null") is True


# -- the Supabase objects ----------------------------------------------------------------------------


def test_the_platform_roles_exist_with_supabase_attributes_and_memberships(project: Project) -> None:
    roles = dict(
        sql(project, "select rolname, rolcanlogin::text || rolinherit::text || rolbypassrls::text from pg_roles")
    )
    expected = {  # login, inherit, bypassrls
        "anon": "falsetruefalse",
        "authenticated": "falsetruefalse",
        "service_role": "falsetruetrue",
        "authenticator": "truefalsefalse",
        "supabase_admin": "truetruetrue",
        "supabase_auth_admin": "truefalsefalse",
        "supabase_storage_admin": "truefalsefalse",
        "dashboard_user": "falsetruefalse",
        "pgbouncer": "truetruefalse",
    }
    assert {name: roles.get(name) for name in expected} == expected
    members = set(
        sql(
            project,
            "select r.rolname, m.rolname from pg_auth_members a join pg_roles r on "
            "r.oid = a.roleid join pg_roles m on m.oid = a.member",
        )
    )
    assert {("anon", "authenticator"), ("authenticated", "authenticator"), ("service_role", "authenticator")} <= members


def test_auth_storage_and_realtime_tables_have_the_columns_and_types_migrations_reference(
    project: Project,
) -> None:
    columns = set(
        sql(
            project,
            """
        select table_schema || '.' || table_name || '.' || column_name, data_type
          from information_schema.columns
         where table_schema in ('auth', 'storage', 'realtime', 'vault', 'supabase_functions', 'net', 'cron')""",
        )
    )
    for column in [
        ("auth.users.id", "uuid"),
        ("auth.users.email", "character varying"),
        ("auth.users.phone", "text"),
        ("auth.users.raw_user_meta_data", "jsonb"),
        ("auth.users.is_anonymous", "boolean"),
        ("auth.identities.id", "uuid"),
        ("auth.identities.provider_id", "text"),
        ("auth.identities.email", "text"),
        ("auth.sessions.aal", "USER-DEFINED"),
        ("auth.mfa_factors.status", "USER-DEFINED"),
        ("auth.refresh_tokens.id", "bigint"),
        ("auth.one_time_tokens.token_hash", "text"),
        ("storage.buckets.id", "text"),
        ("storage.buckets.allowed_mime_types", "ARRAY"),
        ("storage.objects.name", "text"),
        ("storage.objects.owner_id", "text"),
        ("storage.objects.metadata", "jsonb"),
        ("realtime.messages.topic", "text"),
        ("realtime.messages.private", "boolean"),
        ("vault.secrets.secret", "text"),
        ("vault.decrypted_secrets.decrypted_secret", "text"),
        ("supabase_functions.hooks.request_id", "bigint"),
        ("net.http_request_queue.body", "bytea"),
    ]:
        assert column in columns
    functions = {
        r[0]
        for r in sql(
            project,
            "select oid::regprocedure::text from pg_proc where pronamespace in "
            "('auth'::regnamespace, 'storage'::regnamespace, 'realtime'::regnamespace,"
            " 'vault'::regnamespace, 'supabase_functions'::regnamespace)",
        )
    }
    assert {
        "auth.uid()",
        "auth.role()",
        "auth.jwt()",
        "auth.email()",
        "storage.foldername(text)",
        "storage.filename(text)",
        "storage.extension(text)",
        "realtime.topic()",
        "realtime.send(jsonb,text,text,boolean)",
        "vault.create_secret(text,text,text,uuid)",
        "supabase_functions.http_request()",
    } <= functions
    assert one(project, "select count(*) from pg_publication where pubname = 'supabase_realtime'") == 1
    assert one(project, "select count(*) from pg_publication_tables where pubname = 'supabase_realtime'") == 0
    assert {
        r[0]
        for r in sql(
            project,
            "select relname from pg_class where relnamespace = 'auth'::regnamespace "
            "and relkind = 'r' and not relrowsecurity",
        )
    } == set()


def test_the_jwt_helpers_read_the_claims_postgrest_sets(project: Project) -> None:
    claims = json.dumps({"sub": DEMO_USER, "role": "authenticated", "email": "demo@example.com", "aal": "aal2"})
    rows = sql(
        project,
        f"select set_config('request.jwt.claims', '{claims}', false), auth.uid()::text, "
        "auth.role(), auth.email(), auth.jwt() ->> 'aal'",
    )
    assert rows[0][1:] == (DEMO_USER, "authenticated", "demo@example.com", "aal2")


def test_storage_path_helpers_split_object_names_as_supabase_does(project: Project) -> None:
    assert sql(
        project,
        "select storage.foldername('u1/docs/report.final.pdf'), "
        "storage.filename('u1/docs/report.final.pdf'), storage.extension('u1/docs/report.final.pdf')",
    ) == [(["u1", "docs"], "report.final.pdf", "pdf")]


def test_storage_refuses_direct_deletes_unless_the_storage_api_setting_allows_them(project: Project) -> None:
    sql(project, "insert into storage.buckets (id, name) values ('b', 'b')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="Use the Storage API"):
        sql(project, "delete from storage.buckets where id = 'b'")
    sql(project, "begin; set local storage.allow_delete_query = 'true'; delete from storage.buckets; commit")
    assert one(project, "select count(*) from storage.buckets") == 0


def test_realtime_send_stores_a_private_broadcast_message_for_the_topic(project: Project) -> None:
    sql(project, "select realtime.send('{\"text\": \"hi\"}', 'chat', 'room:1')")
    rows = sql(project, "select topic, event, private, extension, payload ->> 'text' from realtime.messages")
    assert rows == [("room:1", "chat", True, "broadcast", "hi")]


def test_the_default_search_path_finds_extension_functions_unqualified(project: Project) -> None:
    assert one(project, "select current_setting('search_path')") == '"$user", public, extensions'
    assert isinstance(one(project, "select uuid_generate_v4()"), uuid.UUID)
    assert one(project, "select length(gen_random_bytes(4))") == 4


# -- extensions: inventory, creation, start-up listing -------------------------------------------------


def test_every_extension_on_supabases_list_is_real_or_a_stand_in_and_none_is_missing() -> None:
    inventory = extension_inventory()
    assert inventory.missing == ()
    assert set(inventory.real) | set(inventory.stand_ins) == set(SUPABASE_EXTENSIONS)
    assert not set(inventory.real) & set(inventory.stand_ins)
    assert {"vector", "pg_trgm", "citext", "moddatetime", "hstore", "ltree", "pg_stat_statements"} <= set(
        inventory.real
    )
    assert {
        "pgcrypto",
        "uuid-ossp",
        "pg_net",
        "pg_cron",
        "supabase_vault",
        "pg_graphql",
        "http",
        "pgjwt",
        "wrappers",
        "pgmq",
        "hypopg",
        "plpgsql_check",
        "pgtap",
        "postgis",
    } <= set(inventory.stand_ins)
    # a stand-in never shadows an extension the engine ships
    engine_ships = {p.stem for p in share_extension_dir().glob("*.control")}
    assert not engine_ships & set(inventory.stand_ins)
    for name in inventory.stand_ins:
        assert stand_in_comment(name).startswith("sandbox stand-in: ")


def test_every_stand_in_and_bootstrap_file_is_shipped_as_package_data() -> None:
    import fnmatch

    root = Path(__file__).resolve().parents[2]
    line = re.search(r"^migrations_tasks = \[(.*)\]$", (root / "pyproject.toml").read_text(), re.MULTILINE)
    assert line, "pyproject.toml declares the package data"
    patterns = re.findall(r'"([^"]+)"', line.group(1))
    package = root / "migrations_tasks"
    files = [
        p.relative_to(package).as_posix()
        for p in (package / "sandbox").rglob("*")
        if p.is_file() and p.suffix in (".sql", ".control")
    ]
    bootstrap_files = len(list((package / "sandbox" / "sql").glob("*.sql")))
    assert len(files) == 2 * len(extension_inventory().stand_ins) + bootstrap_files
    assert [f for f in files if not any(fnmatch.fnmatch(f, pattern) for pattern in patterns)] == []


#: On Supabase's list but refused to postgres: installed, not privileged (REFUSED_EXTENSIONS), deprecated
#: (intagg, xml2) or no extension at all (wal2json is a logical decoding plugin).
REFUSED = {*REFUSED_EXTENSIONS, "intagg", "xml2", "wal2json"} & set(SUPABASE_EXTENSIONS)


def test_postgres_creates_every_extension_supabase_lets_it_and_stand_ins_say_so_in_their_comment(
    project: Project,
) -> None:
    for name in sorted(set(SUPABASE_EXTENSIONS) - REFUSED):
        if name in (
            "pgmq",
            "pg_graphql",
            "supabase_vault",
            "pgsodium",
            "pg_tle",
            "postgis_topology",
            "postgis_tiger_geocoder",
        ):
            sql(project, f'create extension if not exists "{name}" cascade')  # their schema is fixed
        else:
            sql(project, f'create extension if not exists "{name}" with schema extensions cascade')
    installed = dict(sql(project, "select e.extname, obj_description(e.oid, 'pg_extension') from pg_extension e"))
    assert set(SUPABASE_EXTENSIONS) - REFUSED <= set(installed)
    stand_ins = set(extension_inventory().stand_ins)
    for name in set(SUPABASE_EXTENSIONS) - REFUSED:
        assert (installed[name] or "").startswith("sandbox stand-in: ") == (name in stand_ins), name


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_postgres_gets_supabases_error_for_an_extension_supabase_refuses(project: Project, name: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
        sql(project, f'create extension "{name}"')
    assert caught.value.diag.message_primary == f'permission denied to create extension "{name}"'
    assert caught.value.diag.message_hint == "Must be superuser to create this extension."


def test_a_new_project_already_has_the_extensions_supabase_preinstalls(project: Project) -> None:
    installed = {r[0] for r in sql(project, "select extname from pg_extension")}
    assert set(PREINSTALLED) <= installed


def test_the_sandbox_lists_real_and_stand_in_extensions_on_stderr_and_only_the_env_on_stdout() -> None:
    process = SandboxProcess()
    process.stop()
    assert process.process.stdout is not None and process.process.stderr is not None
    assert process.process.stdout.read() == ""  # nothing after the four .env lines
    assert list(process.env) == ["SUPABASE_API_URL", "SUPABASE_PROJECT_REF", "SUPABASE_ACCESS_TOKEN", "SANDBOX_DB_URL"]
    stderr = process.process.stderr.read()
    match = re.search(r"^sandbox: extensions: real: (.*); stand-ins: (.*)$", stderr, re.MULTILINE)
    assert match, stderr
    inventory = extension_inventory()
    assert match.group(1).split(", ") == list(inventory.real)
    assert match.group(2).split(", ") == list(inventory.stand_ins)


# -- what each stand-in does -----------------------------------------------------------------------


def test_uuid_ossp_generates_distinct_v4_and_time_based_v1_uuids(project: Project) -> None:
    v4 = [r[0] for r in sql(project, "select uuid_generate_v4() from generate_series(1, 500)")]
    assert len(set(v4)) == 500 and {u.version for u in v4} == {4}
    v1 = [r[0] for r in sql(project, "select uuid_generate_v1() from generate_series(1, 500)")]
    assert len(set(v1)) == 500 and {u.version for u in v1} == {1}
    assert abs(uuid.UUID(str(v1[0])).time / 1e7 - 12219292800 - time.time()) < 600  # 100 ns ticks since 1582


def test_uuid_ossp_name_based_uuids_match_pythons_uuid3_and_uuid5(project: Project) -> None:
    with psycopg.connect(project.db_url, autocommit=True) as conn:
        for name in ["", "example.com", "ünïcode/path?x='1'"]:
            row = conn.execute(
                "select uuid_generate_v3(uuid_ns_url(), %s), uuid_generate_v5(uuid_ns_dns(), %s)", (name, name)
            ).fetchone()
            assert row == (uuid.uuid3(uuid.NAMESPACE_URL, name), uuid.uuid5(uuid.NAMESPACE_DNS, name))


def test_pgcrypto_digest_and_hmac_match_hashlib_for_every_algorithm(project: Project) -> None:
    with psycopg.connect(project.db_url, autocommit=True) as conn:
        for size in (0, 1, 55, 56, 64, 119, 300):
            data = bytes((i * 31 + size) % 256 for i in range(size))
            for algorithm in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512"):
                got = conn.execute(
                    "select digest(%s::bytea, %s), hmac(%s::bytea, %s::bytea, %s)",
                    (data, algorithm, data, b"k" * 70, algorithm),
                ).fetchone()
                assert got == (hashlib.new(algorithm, data).digest(), hmac.new(b"k" * 70, data, algorithm).digest())
        text_digest = conn.execute("select encode(digest('héllo', 'sha256'), 'hex')").fetchone()
        assert text_digest == (hashlib.sha256("héllo".encode()).hexdigest(),)
        with pytest.raises(psycopg.Error, match="No such hash algorithm"):
            conn.execute("select digest('x', 'whirlpool')")


def test_pgcrypto_random_bytes_crypt_and_symmetric_encryption_behave_as_documented(project: Project) -> None:
    assert sql(project, "select length(gen_random_bytes(1024)), gen_random_bytes(16) <> gen_random_bytes(16)") == [
        (1024, True)
    ]
    with pytest.raises(psycopg.Error, match="Length not in range"):
        sql(project, "select gen_random_bytes(1025)")
    hashed = one(project, "select crypt('secret', gen_salt('bf', 8))")
    assert isinstance(hashed, str) and re.fullmatch(r"\$2a\$08\$[./0-9A-Za-z]{53}", hashed)
    assert sql(
        project, f"select crypt('secret', '{hashed}') = '{hashed}', crypt('other', '{hashed}') = '{hashed}'"
    ) == [(True, False)]
    assert one(project, "select pgp_sym_decrypt(pgp_sym_encrypt('top secret', 'pw'), 'pw')") == "top secret"
    with pytest.raises(psycopg.Error, match="Wrong key or corrupt data"):
        sql(project, "select pgp_sym_decrypt(pgp_sym_encrypt('top secret', 'pw'), 'nope')")
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="sandbox stand-in"):
        sql(project, "select pgp_pub_encrypt('x', '\\x00'::bytea)")


def test_pg_net_records_each_request_and_sends_nothing(project: Project) -> None:
    connections: list[object] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connections.append(listener.accept())
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        ids = sql(
            project,
            f"select net.http_post('http://127.0.0.1:{port}/hook', '{{\"a\": 1}}'), "
            f"net.http_get('http://127.0.0.1:{port}/x', '{{\"q\": \"a b\"}}'), "
            f"net.http_delete('http://127.0.0.1:{port}/y')",
        )[0]
        time.sleep(1.0)
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert connections == []
    queued = sql(
        project, "select id, method, url, convert_from(body, 'UTF8'), headers from net.http_request_queue order by id"
    )
    assert [(q[0], q[1], q[2]) for q in queued] == [
        (ids[0], "POST", f"http://127.0.0.1:{port}/hook"),
        (ids[1], "GET", f"http://127.0.0.1:{port}/x?q=a%20b"),
        (ids[2], "DELETE", f"http://127.0.0.1:{port}/y"),
    ]
    assert json.loads(str(queued[0][3])) == {"a": 1} and queued[0][4] == {"Content-Type": "application/json"}
    assert one(project, "select count(*) from net._http_response") == 0
    assert one(project, f"select (net._http_collect_response({ids[0]})).status::text") == "ERROR"


def test_a_database_webhook_queues_the_row_as_json_through_pg_net_and_logs_the_hook(project: Project) -> None:
    sql(project, "create table t (id int primary key, v text)")
    sql(
        project,
        "create trigger t_hook after insert on t for each row execute function "
        "supabase_functions.http_request('https://example.com/hook', 'POST', "
        "'{\"Content-Type\":\"application/json\"}', '{}', '1000')",
    )
    sql(project, "insert into t values (1, 'one')")
    body = one(project, "select convert_from(body, 'UTF8')::jsonb from net.http_request_queue")
    assert body == {
        "type": "INSERT",
        "table": "t",
        "schema": "public",
        "record": {"id": 1, "v": "one"},
        "old_record": None,
    }
    assert one(project, "select hook_name from supabase_functions.hooks") == "t_hook"


def test_pg_cron_records_jobs_in_cron_job_and_never_runs_them(project: Project) -> None:
    sql(project, "create table ticks (at timestamptz default now())")
    sql(project, "create extension pg_cron")
    job = one(project, "select cron.schedule('tick', '1 seconds', 'insert into public.ticks default values')")
    assert one(project, "select cron.schedule('tick', '2 seconds', 'insert into public.ticks default values')") == job
    other = one(project, "select cron.schedule('*/5 * * * *', 'select 1')")
    assert sql(project, "select jobid, jobname, schedule, active, username from cron.job order by jobid") == [
        (job, "tick", "2 seconds", True, "postgres"),
        (other, None, "*/5 * * * *", True, "postgres"),
    ]
    time.sleep(2.5)
    assert one(project, "select count(*) from public.ticks") == 0
    assert one(project, "select count(*) from cron.job_run_details") == 0
    assert one(project, "select cron.unschedule('tick')") is True
    with pytest.raises(psycopg.Error, match="could not find valid entry for job 'tick'"):
        sql(project, "select cron.unschedule('tick')")
    with pytest.raises(psycopg.Error, match="invalid schedule"):
        sql(project, "select cron.schedule('bad', '61 * * * *', 'select 1')")


def test_vault_secrets_round_trip_through_decrypted_secrets(project: Project) -> None:
    secret_id = one(project, "select vault.create_secret('s3cr3t-value', 'api_key', 'for tests')")
    assert sql(
        project, "select name, description, decrypted_secret, secret <> decrypted_secret from vault.decrypted_secrets"
    ) == [("api_key", "for tests", "s3cr3t-value", True)]
    sql(project, f"select vault.update_secret('{secret_id}', 'rotated')")
    assert one(project, "select decrypted_secret from vault.decrypted_secrets") == "rotated"


def test_pgjwt_signs_tokens_that_python_verifies_and_verifies_its_own(project: Project) -> None:
    sql(project, "create extension pgjwt with schema extensions")
    token = one(project, "select extensions.sign('{\"sub\": \"u1\"}'::json, 'key', 'HS512')")
    assert isinstance(token, str)
    head, payload, signature = token.split(".")
    expected = urlsafe_b64encode(hmac.new(b"key", f"{head}.{payload}".encode(), "sha512").digest()).rstrip(b"=")
    assert signature == expected.decode()
    assert sql(project, f"select valid, payload ->> 'sub' from extensions.verify('{token}', 'key', 'HS512')") == [
        (True, "u1")
    ]
    assert one(project, f"select valid from extensions.verify('{token}', 'wrong', 'HS512')") is False


def test_pgmq_delivers_messages_with_visibility_timeouts_and_archives_them(project: Project) -> None:
    sql(project, "create extension pgmq")
    sql(project, "select pgmq.create('jobs')")
    sql(project, "select pgmq.send_batch('jobs', array['{\"n\": 1}', '{\"n\": 2}']::jsonb[])")
    first = sql(project, "select msg_id, read_ct, message from pgmq.read('jobs', 30, 1)")
    assert [(r[1], r[2]) for r in first] == [(1, {"n": 1})]
    second = sql(project, "select msg_id, message from pgmq.read('jobs', 30, 5)")  # the first is invisible now
    assert [r[1] for r in second] == [{"n": 2}]
    assert one(project, f"select pgmq.archive('jobs', {first[0][0]}::bigint)") is True
    assert one(project, "select count(*) from pgmq.a_jobs") == 1


def test_pg_jsonschema_in_a_check_constraint_rejects_documents_that_do_not_match(project: Project) -> None:
    sql(project, "create extension pg_jsonschema")
    sql(
        project,
        """create table docs (d jsonb check (jsonb_matches_schema('{"type": "object", "required": ["n"],
                    "properties": {"n": {"type": "integer", "minimum": 1}}}', d)))""",
    )
    sql(project, "insert into docs values ('{\"n\": 3}')")
    with pytest.raises(psycopg.errors.CheckViolation):
        sql(project, "insert into docs values ('{\"n\": 0}')")
    assert one(project, "select jsonschema_validation_errors('{\"maxLength\": 2}', '\"abc\"')") == [
        ': "abc" is longer than 2 characters'
    ]


def test_pg_hashids_matches_the_hashids_reference_vectors(project: Project) -> None:
    sql(project, "create extension pg_hashids")
    assert sql(
        project,
        "select id_encode(12345, 'this is my salt'), id_encode(array[1, 2, 3], 'this is my salt'), "
        "id_encode(1, 'this is my salt', 8), id_decode('laHquq', 'this is my salt'), "
        "id_decode_once('gB0NV05e', 'this is my salt', 8)",
    ) == [("NkK9", "laHquq", "gB0NV05e", [1, 2, 3], 1)]


def test_postgis_enforces_the_column_type_and_srid_and_measures_geodesic_distance(project: Project) -> None:
    sql(project, "create extension postgis with schema extensions")
    sql(project, "create table p (id int, g geography(Point, 4326), m geometry(Point, 4326))")
    sql(project, "create index on p using gist (g)")
    sql(
        project,
        "insert into p values (1, 'POINT(-122.4194 37.7749)', st_setsrid(st_makepoint(-122.4194, 37.7749), "
        "4326)), (2, st_point(-118.2437, 34.0522)::geography, 'SRID=4326;POINT(-118.2437 34.0522)')",
    )
    with pytest.raises(psycopg.Error, match=r"Geometry SRID \(0\) does not match column SRID \(4326\)"):
        sql(project, "insert into p (id, m) values (3, 'POINT(1 2)')")
    with pytest.raises(psycopg.Error, match=r"Geometry type \(LineString\) does not match column type \(Point\)"):
        sql(project, "insert into p (id, m) values (3, 'SRID=4326;LINESTRING(0 0,1 1)')")
    metres = one(project, "select st_distance(a.g, b.g) from p a, p b where a.id = 1 and b.id = 2")
    assert isinstance(metres, float) and abs(metres - 559_042) < 100  # WGS84 geodesic, as PostGIS reports
    assert sql(project, "select st_asgeojson(g), st_x(m), st_srid(m) from p where id = 1") == [
        ('{"type":"Point","coordinates":[-122.4194,37.7749]}', -122.4194, 4326)
    ]
    assert (
        one(project, "select st_contains(st_makeenvelope(0, 0, 10, 10, 4326), st_setsrid(st_makepoint(5, 5), 4326))")
        is True
    )


def test_http_functions_exist_but_make_no_network_request(project: Project) -> None:
    sql(project, "create extension http with schema extensions")
    assert one(project, "select urlencode('a b&c')") == "a%20b%26c"
    with pytest.raises(psycopg.Error, match="makes no network requests"):
        sql(project, "select * from http_get('https://example.com')")


def test_the_sandbox_docs_name_every_extension_as_the_sandbox_provides_it() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "sandbox.md").read_text(encoding="utf-8")
    section = doc.split("## Extensions: real or stand-in", 1)[1]
    real = re.search(r"\*\*Real\*\* \([^)]*\): (.*?)\.\n\n", section, re.DOTALL)
    assert real, "docs/sandbox.md lists the real extensions"
    inventory = extension_inventory()
    assert [n.strip() for n in real.group(1).replace("\n", " ").split(",")] == list(inventory.real)
    table_names = {
        name.strip() for row in re.findall(r"^\| ([a-z0-9_, -]+) \|", section, re.MULTILINE) for name in row.split(",")
    }
    assert set(inventory.stand_ins) <= table_names
