"""Bad input, case by case: one clear message, a documented exit code, no traceback, no secret, and no
request at all when the problem is local. Every case is listed in docs/bad-input.md (checked here)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import CANARY, Project, run_inv, user_project

DOCS = Path(__file__).resolve().parents[2] / "docs" / "bad-input.md"
LEDGER = "supabase_migrations.schema_migrations"


@dataclass
class Ctx:
    cwd: Path
    migrations: Path
    env: dict[str, str]
    project: Project
    rogue_url: str
    args: list[str] = field(default_factory=list)
    #: The URL of a plain PostgreSQL server (no sandbox template), started on first use.
    plain_postgres: Callable[[], str] = lambda: ""

    def write(self, name: str, data: str | bytes) -> Path:
        path = self.migrations / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        return path


@dataclass
class Case:
    id: str
    prepare: Callable[[Ctx], None]
    code: int
    expect: str
    task: str = "db.apply"
    local: bool = True  # no request may reach the API


def rogue(ctx: Ctx, ref: str) -> None:
    ctx.env.update(SUPABASE_API_URL=ctx.rogue_url, SUPABASE_PROJECT_REF=ref)
    (ctx.cwd / "invoke.yaml").write_text("migrations:\n  retry_deadline: 1\n")


def sparse(ctx: Ctx) -> None:
    with open(ctx.migrations / "1_huge.sql", "wb") as f:
        f.truncate(50 * 1024 * 1024)


CASES = [
    Case("missing-directory", lambda c: c.args.extend(["--migrations-dir", "nowhere"]), 3, "does not exist"),
    Case(
        "directory-is-a-file",
        lambda c: (c.args.extend(["--migrations-dir", "f"]), (c.cwd / "f").write_text("")),
        3,
        "is not a directory",
    ),
    Case(
        "unreadable-file", lambda c: (c.migrations / "1_x.sql").symlink_to("/proc/self/mem"), 3, "cannot read the file"
    ),
    Case(
        "directory-named-sql", lambda c: (c.migrations / "1_dir.sql").mkdir(), 3, "is a directory, not a migration file"
    ),
    Case(
        "broken-symlink",
        lambda c: (c.migrations / "1_gone.sql").symlink_to(c.cwd / "missing.sql"),
        3,
        "broken symbolic link",
    ),
    Case("invalid-utf8", lambda c: c.write("1_latin1.sql", b"select 'caf\xe9';"), 3, "not valid UTF-8"),
    Case("nul-byte", lambda c: c.write("1_nul.sql", b"select 1;\x00"), 3, "contains a NUL byte"),
    Case("file-of-50-mb", sparse, 3, "larger than the 16 MB limit"),
    Case("empty-file", lambda c: c.write("1_empty.sql", ""), 0, "no SQL statements", local=False),
    Case(
        "comments-only", lambda c: c.write("1_notes.sql", "-- todo\n/* later */\n"), 0, "no SQL statements", local=False
    ),
    Case("version-too-long", lambda c: c.write("1" * 25 + "_long.sql", "select 1;"), 3, "digits; at most 20"),
    Case(
        "duplicate-version",
        lambda c: (c.write("01_a.sql", "select 1;"), c.write("1_b.sql", "select 1;")),
        3,
        "Duplicate migration version",
    ),
    Case("non-ascii-name", lambda c: c.write("1_café_ünïcode.sql", "select 1;"), 0, "café_ünïcode", local=False),
    Case(
        "undecodable-name",
        lambda c: os.close(os.open(os.fsencode(c.migrations) + b"/1_\xff.sql", os.O_CREAT | os.O_WRONLY)),
        3,
        "file name is not valid UTF-8",
    ),
    Case(
        "syntax-error",
        lambda c: c.write("1_typo.sql", "create tabel t (id int);"),
        3,
        '1_typo.sql:1:8: syntax error at or near "tabel"',
    ),
    Case(
        "rollback-in-file",
        lambda c: c.write("1_rb.sql", "begin;\nselect 1;\nrollback;"),
        3,
        "ROLLBACK in a migration file",
    ),
    Case(
        "copy-from-stdin",
        lambda c: c.write("1_rows.sql", "create table t (id int);\ncopy t from stdin;\n1\n\\.\n"),
        3,
        "1_rows.sql:2:1: COPY ... FROM STDIN reads its rows from the client",
    ),
    Case(
        "concurrently-inside-begin",
        lambda c: c.write("1_c.sql", "begin;\ncreate index concurrently i on t (x);\ncommit;"),
        3,
        "cannot run inside the file's BEGIN",
    ),
    Case(
        "concurrently-unnamed-index",
        lambda c: c.write("1_c.sql", "create table t (x int);\ncreate index concurrently on t (x);\n"),
        3,
        "1_c.sql:2:1: CREATE INDEX CONCURRENTLY without an index name",
    ),
    Case(
        "file-name-not-a-migration",
        lambda c: c.write("notes.sql", "select 1;"),
        0,
        "file name does not match <version>_<name>.sql",
        local=False,
    ),
    Case(
        "malformed-dotenv",
        lambda c: (
            c.env.clear(),
            (c.cwd / ".env").write_text("SUPABASE_PROJECT_REF=abc\nthis line is not an assignment\n"),
        ),
        3,
        "has lines that are not KEY=value (line 2)",
    ),
    Case(
        "invalid-invoke-yaml",
        lambda c: (c.cwd / "invoke.yaml").write_text("migrations: [unclosed\n"),
        3,
        "not valid YAML",
    ),
    Case(
        "invoke-yaml-section-not-a-mapping",
        lambda c: (c.cwd / "invoke.yaml").write_text("migrations: 5\n"),
        3,
        "must be a mapping of settings",
    ),
    Case(
        "project-ref-wrong-shape",
        lambda c: c.env.update(SUPABASE_PROJECT_REF="my-project"),
        3,
        "is not a Supabase project ref",
    ),
    Case(
        "api-url-with-credentials",
        lambda c: c.env.update(SUPABASE_API_URL="https://me:pw@api.supabase.com"),
        3,
        "must not contain credentials",
    ),
    Case(
        "api-url-plain-http", lambda c: c.env.update(SUPABASE_API_URL="http://api.example.com"), 3, "uses plain http://"
    ),
    Case(
        "token-with-newline",
        lambda c: c.env.update(SUPABASE_ACCESS_TOKEN=c.env["SUPABASE_ACCESS_TOKEN"] + "\n"),
        3,
        "contains whitespace or control characters",
    ),
    Case(
        "db-url-raw-percent",
        lambda c: c.env.update(SUPABASE_DB_URL=f"postgresql://postgres:Hunter2%zz{CANARY}@127.0.0.1:5432/postgres"),
        3,
        "SUPABASE_DB_URL is not a valid PostgreSQL connection URL: a '%' is not followed by two hexadecimal digits",
    ),
    Case(
        "drift-db-url-raw-percent",
        lambda c: c.env.update(MIGRATIONS_DRIFT_DB_URL=f"postgresql://postgres:{CANARY}%@127.0.0.1:5432/postgres"),
        3,
        "MIGRATIONS_DRIFT_DB_URL is not a valid PostgreSQL connection URL",
    ),
    Case(
        "db-url-without-tls",
        lambda c: c.env.update(SUPABASE_DB_URL=f"postgresql://postgres:{CANARY}@db.example.com:5432/postgres"),
        3,
        "SUPABASE_DB_URL connects to db.example.com with no sslmode (libpq's default 'prefer')",
    ),
    Case("unknown-task-flag", lambda c: c.args.append("--bogus"), 1, "No idea what '--bogus' is!"),
    Case("unknown-transport", lambda c: c.args.extend(["--transport", "smoke"]), 3, "must be 'api' or 'postgres'"),
    Case("missing-settings", lambda c: c.env.clear(), 3, "Missing settings"),
    Case(
        "lock-timeout-malformed",
        lambda c: (c.cwd / "invoke.yaml").write_text("migrations:\n  lock_timeout: soon\n"),
        3,
        "lock_timeout must look like",
    ),
    Case(
        "ledger-column-of-wrong-type",
        lambda c: c.project.sql(
            f"create schema supabase_migrations; create table {LEDGER} (version text primary key, statements text)"
        ),
        3,
        "statements has type text; expected text[]",
        local=False,
    ),
    Case(
        "ledger-unknown-required-column",
        lambda c: c.project.sql(
            f"create schema supabase_migrations; create table {LEDGER} (version text primary key, owner text not null)"
        ),
        3,
        "NOT NULL column(s) without a default",
        local=False,
    ),
    Case(
        "ledger-row-without-file",
        lambda c: c.project.sql(
            f"create schema supabase_migrations; create table {LEDGER} (version text primary key); "
            f"insert into {LEDGER} values ('20200101000000')"
        ),
        2,
        "Remote migration versions not found",
        local=False,
    ),
    Case(
        "wrong-token",
        lambda c: c.env.update(SUPABASE_ACCESS_TOKEN="sbp_0000000000000000"),
        3,
        "rejected the access token (401",
        local=False,
    ),
    Case(
        "unknown-project",
        lambda c: c.env.update(SUPABASE_PROJECT_REF="zzzzzzzzzzzzzzzzzzzz"),
        3,
        "was not found",
        local=False,
    ),
    Case(
        "connection-refused",
        lambda c: (rogue(c, "aaaaaaaaaaaaaaaaaaaa"), c.env.update(SUPABASE_API_URL="http://127.0.0.1:9")),
        3,
        "Cannot connect",
    ),
    Case("answer-not-json", lambda c: rogue(c, "notjsonaaaaaaaaaaaaa"), 3, "body that is not JSON"),
    Case("html-error-page", lambda c: rogue(c, "htmlpageaaaaaaaaaaaa"), 3, "text/html body instead of JSON"),
    Case("200-instead-of-201", lambda c: rogue(c, "okinsteadaaaaaaaaaaa"), 3, "where 201 Created was expected"),
    Case("truncated-json", lambda c: rogue(c, "truncatedaaaaaaaaaaa"), 3, "body that is not JSON"),
    Case(
        "json-object-instead-of-rows", lambda c: rogue(c, "objectaaaaaaaaaaaaaa"), 3, "instead of a list of row objects"
    ),  # db.lint (issue 14)
    Case("lint-unknown-rule", lambda c: lint_rules(c, "ban-everything: error"), 3, "names unknown rules", "db.lint"),
    Case(
        "lint-unknown-level",
        lambda c: lint_rules(c, "ban-drop-column: loud"),
        3,
        "must be error, warn or off",
        "db.lint",
    ),
    Case(
        "lint-file-not-a-migration",
        lambda c: (c.args.extend(["--files", "notes.sql"]), (c.cwd / "notes.sql").write_text("select 1;")),
        3,
        "not a migration file",
        "db.lint",
    ),
    Case(
        "drift-server-not-a-sandbox",
        lambda c: c.env.update(MIGRATIONS_DRIFT_DB_URL=c.plain_postgres()),
        3,
        "without the sandbox's supabase_template database",
        task="db.verify",
        local=False,
    ),
    # batched apply and the API's body limit (issues 13 and 16)
    Case(
        "request-over-size-limit",
        lambda c: (
            (c.cwd / "invoke.yaml").write_text("migrations:\n  request_max_bytes: 2048\n"),
            c.write("1_big.sql", "".join(f"create table t{n} (id int);\n" for n in range(150))),
        ),
        3,
        "over the 2,048-byte limit of a Management API request",
        local=False,
    ),
    Case(
        "batch-size-not-a-number",
        lambda c: (c.cwd / "invoke.yaml").write_text("migrations:\n  batch_size: many\n"),
        3,
        "invoke.yaml migrations.batch_size must be a whole number, not 'many'.",
    ),
    Case("batch-size-zero", lambda c: c.args.extend(["--batch-size", "0"]), 3, "--batch-size must be at least 1."),
    Case(
        "batch-size-flag-not-a-number",
        lambda c: c.args.extend(["--batch-size", "many"]),
        3,
        "--batch-size must be a whole number, not 'many'.",
    ),
    Case(
        "steps-flag-not-a-number",
        lambda c: c.args.extend(["--steps", "many"]),
        3,
        "--steps must be a whole number, not 'many'.",
        task="db.rollback",
    ),
]

# -- deploy settings (issue 12): a local host, so no sshd is needed -------------------------------------------


def deploy_config(ctx: Ctx, extra: str = "", *, path: str | None = None) -> None:
    """Write an invoke.yaml that deploys ``build/`` to a directory of ``ctx.cwd``, plus ``extra`` lines."""
    (ctx.cwd / "build").mkdir(exist_ok=True)
    (ctx.cwd / "build" / "index.html").write_text("hi")
    where = path or str(ctx.cwd / "srv")
    hosts = f"  hosts: [{{name: box, local: true, path: '{where}'}}]\n"
    (ctx.cwd / "invoke.yaml").write_text(f"deploy:\n{hosts}  build_dir: build\n{extra}")
    ctx.env.update(DEPLOY_SSH_KNOWN_HOSTS="")


def symlinked_shared_dir(ctx: Ctx) -> None:
    deploy_config(ctx, "  shared_dirs: [cfg/data]\n")
    (ctx.cwd / "outside" / "data").mkdir(parents=True)
    (ctx.cwd / "build" / "cfg").symlink_to(ctx.cwd / "outside")


CASES += [
    Case(
        "deploy-path-is-root", lambda c: deploy_config(c, path="//"), 3, "must be a dedicated directory", "deploy.vps"
    ),
    Case(
        "known-hosts-null-device",
        lambda c: deploy_config(
            c, "  ssh: {host_key_checking: accept-new, options: {UserKnownHostsFile: /dev//null}}\n"
        ),
        3,
        "UserKnownHostsFile = /dev//null is a null device",
        "deploy.vps",
    ),
    Case(
        "accept-new-in-ci-without-host-keys",
        lambda c: (deploy_config(c, "  ssh: {host_key_checking: accept-new}\n"), c.env.update(CI="true")),
        3,
        "is accept-new in CI (CI is set), but no host keys are provided",
        "deploy.vps",
    ),
    Case(
        "shared-dir-under-a-symlink",
        symlinked_shared_dir,
        3,
        "lies under cfg, a symbolic link in the build",
        "deploy.vps",
    ),
]


def targets_config(ctx: Ctx, groups: str = "") -> None:
    """Name two targets (one whose token variable is not set) and a group of both, plus ``groups``."""
    (ctx.cwd / "invoke.yaml").write_text(
        f"migrations:\n  targets:\n    home: {{project_ref: {ctx.project.ref}}}\n"
        f"    eu: {{project_ref: {'e' * 20}, token_env: TOKEN_EU}}\n"
        f"  target_groups:\n    both: [home, eu]\n{groups}"
    )


CASES += [
    Case(
        "group-names-an-unknown-target",
        lambda c: (targets_config(c, "    typo: [home, nobody]\n"), c.args.extend(["--target", "typo"])),
        3,
        "target_groups.typo names unknown targets: nobody",
        "db.check",
    ),
    Case(
        "target-without-its-token",
        lambda c: (targets_config(c), c.args.extend(["--target", "both"])),
        3,
        "Missing TOKEN_EU (the access token of target eu)",
    ),
    Case(
        "several-targets-for-one-target-task",
        lambda c: (targets_config(c), c.args.extend(["--target", "both"])),
        3,
        "--target both names 2 targets (home, eu); this task runs on one",
        "db.pull",
    ),
    Case(
        "target-and-project-ref",
        lambda c: (targets_config(c), c.args.extend(["--target", "both", "--project-ref", c.project.ref])),
        3,
        "Give --target or --project-ref, not both.",
    ),
]


def lint_rules(ctx: Ctx, line: str) -> None:
    (ctx.cwd / "invoke.yaml").write_text(f"migrations:\n  lint:\n    rules:\n      {line}\n")


ROGUE_ANSWERS = {
    "notjsonaaaaaaaaaaaaa": (201, "text/plain", b"OK"),
    "htmlpageaaaaaaaaaaaa": (502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    "okinsteadaaaaaaaaaaa": (200, "application/json", b"[]"),
    "truncatedaaaaaaaaaaa": (201, "application/json", b'[{"columns": [{"name": "vers'),
    "objectaaaaaaaaaaaaaa": (201, "application/json", b'{"rows": []}'),
}


class RogueHandler(BaseHTTPRequestHandler):
    """An 'API' that answers in every wrong way a proxy or a misconfigured URL can."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ref = self.path.split("/")[3] if self.path.count("/") >= 3 else ""
        status, kind, body = ROGUE_ANSWERS.get(ref, (404, "application/json", b'{"message": "no"}'))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def rogue_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RogueHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def plain_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server the sandbox did not set up (no Supabase objects, no template)."""
    import secrets
    import shutil

    from migrations_tasks.sandbox.embedded import bare_server

    server = bare_server(tmp_path_factory.mktemp("plain"), password=secrets.token_hex(8))
    with server:
        yield server.url("postgres")
    shutil.rmtree(server.data_dir.parent, ignore_errors=True)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_one_clear_message_and_a_documented_exit_code(
    case: Case, project: Project, tmp_path: Path, rogue_url: str, request: pytest.FixtureRequest
) -> None:
    cwd = user_project(tmp_path)
    migrations = cwd / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    env = {k: v for k, v in project.env.items() if k != "SUPABASE_DB_URL"}
    ctx = Ctx(
        cwd, migrations, env, project, rogue_url, plain_postgres=lambda: request.getfixturevalue("plain_postgres")
    )
    case.prepare(ctx)
    result = run_inv(case.task, *ctx.args, cwd=cwd, env=ctx.env)
    output = result.stdout + result.stderr
    assert result.returncode == case.code, output
    assert case.expect in output, output
    if case.code:
        assert output.count("error:") <= 1 or "problems" in output
    if case.local:
        assert project.requests() == 0, "a local problem must not send any request"


def test_every_case_is_documented_with_its_message_and_exit_code() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert len(CASES) >= 30
    for case in CASES:
        row = next((line for line in text.splitlines() if line.startswith(f"| `{case.id}` ")), None)
        assert row is not None, f"{case.id} is missing from docs/bad-input.md"
        assert f"| {case.code} |" in row, f"{case.id}: exit code {case.code} not documented"
        assert case.expect.replace("|", "\\|") in row, f"{case.id}: message {case.expect!r} not documented"
