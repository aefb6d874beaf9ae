"""The sandbox answers like Supabase's Management API (see shared/reference/supabase.md)."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from conftest import CANARY, Project, SandboxFactory, SandboxProcess


def query(project: Project, sql: str, path: str = "query", token: str | None = None) -> tuple[int, object]:
    return project.sandbox.call("POST", f"/v1/projects/{project.ref}/database/{path}", {"query": sql}, token)


def test_it_printed_exactly_four_env_lines_with_a_loopback_api(sandbox: SandboxProcess) -> None:
    assert list(sandbox.env) == ["SUPABASE_API_URL", "SUPABASE_PROJECT_REF", "SUPABASE_ACCESS_TOKEN", "SANDBOX_DB_URL"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sandbox.api_url)
    assert re.fullmatch(r"[a-z]{20}", sandbox.ref)
    assert sandbox.token == CANARY


def test_select_one_answers_201_with_the_recorded_shape(project: Project) -> None:
    assert query(project, "SELECT 1") == (201, [{"?column?": 1}])


def test_only_the_rows_of_the_last_statement_that_returned_rows_come_back(project: Project) -> None:
    status, rows = query(project, "select 1 as a; select 2 as b, 'x' as c; create table t (id int)")
    assert (status, rows) == (201, [{"b": 2, "c": "x"}])
    assert query(project, "create table u (id int)") == (201, [])


def test_several_statements_run_in_one_implicit_transaction(project: Project) -> None:
    status, _ = query(project, "create table tx (id int); insert into tx values (1); select 1/0")
    assert status == 400
    assert project.sql("select to_regclass('tx')") == [(None,)]


def test_sql_errors_are_400_in_postgres_meta_format_with_sqlstate_and_line(project: Project) -> None:
    status, body = query(project, "select 1;\nselect * from nope")
    assert status == 400
    assert isinstance(body, dict)
    message = body["message"]
    assert message.startswith('Failed to run sql query: ERROR:  42P01: relation "nope" does not exist')
    assert "LINE 2: select * from nope" in message


def test_detail_and_hint_lines_are_included(project: Project) -> None:
    query(project, "create table k (id int primary key); insert into k values (1)")
    status, body = query(project, "insert into k values (1)")
    assert status == 400
    assert isinstance(body, dict)
    assert "ERROR:  23505:" in body["message"]
    assert "DETAIL:  Key (id)=(1) already exists." in body["message"]  # two spaces, as postgres-meta


def test_a_wrong_token_is_401_and_an_unknown_ref_is_404(project: Project) -> None:
    assert query(project, "select 1", token="sbp_not_the_token")[0] == 401
    status, _ = project.sandbox.call("POST", "/v1/projects/abcdefghijabcdefghij/database/query", {"query": "select 1"})
    assert status == 404


def test_the_read_only_endpoint_refuses_writes(project: Project) -> None:
    assert query(project, "select 1 as one", "query/read-only") == (201, [{"one": 1}])
    status, body = query(project, "create table ro (id int)", "query/read-only")
    assert status == 400
    assert isinstance(body, dict) and "25006" in body["message"]


def test_no_session_state_survives_between_requests(project: Project) -> None:
    query(project, "set statement_timeout = '1234ms'")
    for _ in range(3):
        assert query(project, "select current_setting('statement_timeout') as t")[1] != [{"t": "1234ms"}]


def test_each_request_gets_a_fresh_session_as_postgres_meta_s_new_connection_does(project: Project) -> None:
    """A custom setting once set reads '' (not NULL) for the rest of a connection: none may be reused."""
    fresh = "select current_setting('app.flag', true) is null as unset, pg_backend_pid() as pid"
    status, first = query(project, fresh)
    assert status == 201 and isinstance(first, list) and first[0]["unset"] is True
    assert query(project, "select set_config('app.flag', 'on', false) as v") == (201, [{"v": "on"}])
    query(project, "set role anon; create temp table leftover (id int); select pg_advisory_lock(7)")
    assert query(project, "begin; create table half (id int)") == (201, [])  # a block left open rolls back
    assert project.sql("select to_regclass('public.half')") == [(None,)]
    for _ in range(3):
        status, rows = query(project, f"{fresh}, current_user as who, to_regclass('pg_temp.leftover') as t")
        assert status == 201 and isinstance(rows, list)
        assert rows[0]["unset"] is True and rows[0]["who"] == "postgres" and rows[0]["t"] is None
        assert rows[0]["pid"] != first[0]["pid"]


def test_copy_from_stdin_is_answered_at_once_as_node_postgres_refuses_it_for_postgres_meta(project: Project) -> None:
    """node-postgres answers the server's CopyInResponse with CopyFail('No source stream defined')."""
    status, body = query(project, "create table copied (id int);\ncopy copied from stdin;\nselect 1")
    assert status == 400 and isinstance(body, dict)
    assert body["message"] == (
        "Failed to run sql query: ERROR:  57014: COPY from stdin failed: No source stream defined\n"
        "CONTEXT:  COPY copied, line 1\n"
    )
    assert project.sql("select to_regclass('public.copied')") == [(None,)]  # the request rolled back
    assert query(project, "select 1 as one") == (201, [{"one": 1}])


def test_health_reports_each_requested_service(project: Project) -> None:
    status, body = project.sandbox.call("GET", f"/v1/projects/{project.ref}/health?services=db&services=rest")
    assert status == 200
    assert [(s["name"], s["status"]) for s in body] == [("db", "ACTIVE_HEALTHY"), ("rest", "ACTIVE_HEALTHY")]


def test_responses_carry_rate_limit_headers(project: Project) -> None:
    request = urllib.request.Request(
        f"{project.sandbox.api_url}/v1/projects/{project.ref}/database/query",
        data=json.dumps({"query": "select 1"}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {project.sandbox.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(response.headers)


def test_stats_count_api_requests_per_project(project: Project) -> None:
    assert project.requests() == 0
    query(project, "select 1")
    query(project, "select 1")
    assert project.requests() == 2


def test_supabase_objects_exist_and_the_search_path_includes_extensions(project: Project) -> None:
    rows = project.sql(
        "select rolname from pg_roles where rolname in ('anon','authenticated','service_role') order by 1"
    )
    assert rows == [("anon",), ("authenticated",), ("service_role",)]
    assert project.sql("select to_regclass('auth.users') is not null") == [(True,)]
    _, rows = query(project, "select current_setting('search_path') as p")
    assert rows == [{"p": '"$user", public, extensions'}]
    _status, rows = query(
        project,
        "select set_config('request.jwt.claims', "
        '\'{"sub": "8f0b0a7e-1a4c-4c52-9d3e-1a2b3c4d5e6f", "role": "authenticated"}\', true); '
        "select auth.uid()::text as uid, auth.role() as role, auth.jwt() ->> 'role' as j",
    )
    assert rows == [{"uid": "8f0b0a7e-1a4c-4c52-9d3e-1a2b3c4d5e6f", "role": "authenticated", "j": "authenticated"}]


def post_raw(sandbox: SandboxProcess, ref: str, sql: str) -> tuple[int, dict[str, str]] | str:
    """POST a query on a new connection; return (status, headers) or "dropped"."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(sandbox.api_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Authorization": f"Bearer {sandbox.token}", "Content-Type": "application/json"}
    try:
        conn.request("POST", f"/v1/projects/{ref}/database/query", json.dumps({"query": sql}), headers)
        response = conn.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    except (http.client.RemoteDisconnected, ConnectionResetError):
        return "dropped"
    finally:
        conn.close()


@pytest.fixture
def faulty(sandbox_factory: SandboxFactory) -> SandboxProcess:
    return sandbox_factory("--fail-every", "3", "--drop-every", "4")


@pytest.fixture
def limited(sandbox_factory: SandboxFactory) -> SandboxProcess:
    return sandbox_factory("--rate-limit", "5")


def test_fail_every_answers_503_without_running_and_drop_every_commits_then_hangs_up(
    faulty: SandboxProcess,
) -> None:
    project = faulty.new_project()
    outcomes = [post_raw(faulty, project.ref, f"create table f{n} (id int)") for n in range(1, 9)]
    statuses = [o if isinstance(o, str) else o[0] for o in outcomes]
    assert statuses == [201, 201, 503, "dropped", 201, 503, 201, "dropped"]
    existing = {r[0] for r in project.sql("select tablename from pg_tables where tablename like 'f_'")}
    # 503s ran nothing; dropped answers still committed
    assert existing == {"f1", "f2", "f4", "f5", "f7", "f8"}
    project.close()


def test_the_rate_limit_answers_429_without_retry_after_counting_each_project_apart(limited: SandboxProcess) -> None:
    project = limited.new_project()
    outcomes = [post_raw(limited, project.ref, "select 1") for _ in range(7)]
    assert all(isinstance(o, tuple) for o in outcomes)
    statuses = [o[0] for o in outcomes if isinstance(o, tuple)]
    assert statuses == [201] * 5 + [429] * 2
    first, last = outcomes[0], outcomes[-1]
    assert isinstance(first, tuple) and isinstance(last, tuple)
    assert first[1]["X-RateLimit-Limit"] == "5" and first[1]["X-RateLimit-Remaining"] == "4"
    assert last[1]["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(last[1]["X-RateLimit-Reset"]) <= 60
    assert "Retry-After" not in last[1]
    other = limited.new_project()  # the limit is per project, as Supabase's: another project's budget is whole
    fresh = post_raw(limited, other.ref, "select 1")
    assert isinstance(fresh, tuple) and fresh[0] == 201 and fresh[1]["X-RateLimit-Remaining"] == "4"
    other.close()


def parameterised(project: Project, sql: str, parameters: list[object]) -> tuple[int, object]:
    body = {"query": sql, "parameters": parameters}
    return project.sandbox.call("POST", f"/v1/projects/{project.ref}/database/query", body)


def test_parameters_bind_dollar_placeholders_as_postgres_meta_does(project: Project) -> None:
    sql = "select $1::int + $2::int as n, $1 as again, '%' as pct, $3::jsonb ->> 'k' as k, $4::text[] as a"
    assert parameterised(project, sql, [2, "3", {"k": "v"}, ["x", 'y"']]) == (
        201,
        [{"n": 5, "again": 2, "pct": "%", "k": "v", "a": ["x", 'y"']}],
    )


def test_parameterised_requests_get_supautils_rules_too(project: Project) -> None:
    status, body = parameterised(project, "drop role anon", [])
    assert status == 400 and '"anon" is a reserved role' in str(body), body


def test_the_read_only_endpoint_answers_many_identical_requests_on_pooled_connections(project: Project) -> None:
    answers = [query(project, "select 1 as one", "query/read-only") for _ in range(12)]
    assert answers == [(201, [{"one": 1}])] * 12


def test_the_read_only_endpoint_runs_as_supabase_read_only_user_and_reads_everything(project: Project) -> None:
    query(
        project,
        "create table hidden (id int); insert into hidden values (1); alter table hidden enable row level "
        "security; alter table hidden force row level security; revoke all on hidden from public",
    )
    status, rows = query(
        project, "select current_user as who, (select count(*) from public.hidden) as n", "query/read-only"
    )
    assert (status, rows) == (201, [{"who": "supabase_read_only_user", "n": 1}])


def test_api_requests_run_as_a_postgres_that_is_not_a_superuser(project: Project) -> None:
    status, rows = query(project, "select current_user as who, rolsuper from pg_roles where rolname = current_user")
    assert (status, rows) == (201, [{"who": "postgres", "rolsuper": False}])
