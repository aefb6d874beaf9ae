"""What the Supabase CLI's diff is known to miss, each written by db.diff and proven, then nothing left to do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SandboxProcess
from declarative import Declarative

from migrations_tasks.authoring.diff.results import DiffStatus


@dataclass(frozen=True)
class Miss:
    id: str
    before: dict[str, str]
    after: dict[str, str]
    #: Statements the second migration must hold.
    expected: tuple[str, ...]


TABLE = "create table public.t (id int primary key, body text);\n"
MISSES = [
    Miss(
        "grants",
        {"10.sql": TABLE},
        {"10.sql": TABLE + "revoke all on public.t from anon;\ngrant select on public.t to anon;\n"},
        ("REVOKE DELETE, INSERT, REFERENCES, TRIGGER, TRUNCATE, UPDATE ON TABLE public.t FROM anon",),
    ),
    Miss(
        "security invoker",
        {"10.sql": TABLE + "create view public.v as select id from public.t;\n"},
        {"10.sql": TABLE + "create view public.v with (security_invoker = true) as select id from public.t;\n"},
        ("security_invoker",),
    ),
    Miss(
        "publications",
        {"10.sql": TABLE},
        {"10.sql": TABLE + "create publication p for table public.t with (publish = 'insert');\n"},
        ("CREATE PUBLICATION p WITH (publish = 'insert'", "ALTER PUBLICATION p ADD TABLE public.t"),
    ),
    Miss(
        "a function used by a check",
        {"10.sql": TABLE},
        {
            "05.sql": "create function public.ok(value text) returns boolean language sql immutable "
            "as $$ select value <> '' $$;\n",
            "10.sql": TABLE + "alter table public.t add constraint t_body_ok check (public.ok(body));\n",
        },
        ("CREATE OR REPLACE FUNCTION public.ok", "CHECK (public.ok(body))"),
    ),
    Miss(
        "cross-schema order",
        {"10.sql": TABLE},
        {
            "00.sql": "create schema zz;\ncreate type zz.kind as enum ('a', 'b');\n",
            "10.sql": TABLE.replace("body text", "body text, kind zz.kind")
            + "create schema aa;\ncreate view aa.v as select id, kind from public.t;\n",
        },
        ("CREATE SCHEMA zz", "CREATE TYPE zz.kind", "kind zz.kind", "CREATE VIEW aa.v"),
    ),
]


@pytest.mark.parametrize("miss", MISSES, ids=[m.id for m in MISSES])
def test_what_the_cli_misses_is_written_in_an_order_that_applies_and_then_nothing_differs(
    sandbox: SandboxProcess, tmp_path: Path, miss: Miss
) -> None:
    work = Declarative(sandbox, tmp_path)
    work.write(miss.before)
    assert work.diff("before").status is DiffStatus.WRITTEN
    work.write(miss.after)
    result = work.diff("after")
    assert result.status is DiffStatus.WRITTEN, (result.proof.problem, result.proof.remaining)
    up = result.proof.text.split("-- migrate:down", 1)[0]
    positions = [up.find(statement) for statement in miss.expected]
    assert all(p >= 0 for p in positions), (miss.expected, up)
    assert positions == sorted(positions), up
    assert work.diff("again").status is DiffStatus.NOTHING
