"""An httpx transport in front of the real sandbox: it forwards each request and lets a test choose the answer.

The database is real (a forwarded migration really commits); only the answer is chosen, for the moments a
local server cannot produce on cue: a 408 after the SQL committed (or without running it), a connection
lost after half of a batch committed, a 400 without a SQLSTATE, a server that refuses explicit transaction
blocks. It is the client's injection seam (``httpx.MockTransport``), as respx uses it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from conftest import Project

from migrations_tasks.engine import Engine, Event
from migrations_tasks.secret import Secret
from migrations_tasks.transport.management_api import ManagementApi

#: Decides the answer to one request: (its SQL, a function that forwards it and returns the real answer).
Rule = Callable[[str, Callable[[str], httpx.Response]], httpx.Response]


def forward_all(query: str, forward: Callable[[str], httpx.Response]) -> httpx.Response:
    """Answer with the sandbox's real answer."""
    return forward(query)


def blocks(query: str) -> int:
    """Return how many migrations (transaction blocks) a request carries (0: not a batch)."""
    return query.count("BEGIN;\n")


def first_blocks(query: str, count: int) -> str:
    """Return a batch's SQL cut after its first ``count`` blocks (what a connection lost mid-way committed)."""
    head, *rest = query.split("BEGIN;\n")
    return head + "".join("BEGIN;\n" + block for block in rest[:count])


def failure(status: int, message: str) -> httpx.Response:
    """Return an error answer shaped like the API's."""
    return httpx.Response(status, json={"message": message})


def answer(status: int, message: str, when: Callable[[str], bool], *, runs: bool, times: int = 0) -> Rule:
    """Return a rule answering ``status`` to the requests ``when`` picks, having run them (``runs``) or not.

    ``times`` limits how many requests get that answer (0: all that ``when`` picks); the others are forwarded.
    """
    given: list[str] = []

    def rule(query: str, forward: Callable[[str], httpx.Response]) -> httpx.Response:
        if not when(query) or (times and len(given) >= times):
            return forward(query)
        given.append(query)
        if runs:
            forward(query)
        return failure(status, message)

    return rule


def writes_of(table: str) -> Callable[[str], bool]:
    """Pick the requests that apply the generated migration creating ``table`` (not ledger reads)."""
    return lambda query: f"public.{table} " in query and "INSERT INTO" in query


def batches(query: str) -> bool:
    """Pick the requests that carry more than one migration."""
    return blocks(query) > 1


@dataclass
class Interposer:
    """Forwards to the sandbox; ``rule`` chooses each answer; ``queries`` records what was asked."""

    api_url: str
    token: str
    rule: Rule = forward_all
    queries: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._client = httpx.Client(base_url=self.api_url, timeout=60)

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer one request of the client under test."""
        query = json.loads(request.content)["query"]
        self.queries.append(query)

        def forward(sql: str) -> httpx.Response:
            real = self._client.post(
                request.url.path, json={"query": sql}, headers={"Authorization": f"Bearer {self.token}"}
            )
            return httpx.Response(real.status_code, headers=real.headers, content=real.content)

        return self.rule(query, forward)

    def writes(self) -> list[str]:
        """Return the queries that were migrations or batches (not reads)."""
        return [q for q in self.queries if "pg_advisory_xact_lock" in q and "SELECT coalesce(json_agg" not in q]

    def close(self) -> None:
        """Close the forwarding client."""
        self._client.close()


def engine_through(
    interposer: Interposer, project: Project, migrations_dir: Path, events: list[Event] | None = None, **config: Any
) -> Engine:
    """Return an Engine on ``project`` whose every request goes through ``interposer``."""
    settings = project.settings(migrations_dir, "api", **{"retry_deadline": 20, **config})
    db = ManagementApi(
        interposer.api_url,
        project.ref,
        Secret(interposer.token),
        transport=httpx.MockTransport(interposer.handler),
        retry_deadline=settings.retry_deadline,
        max_request_bytes=settings.request_max_bytes,
    )
    return Engine(db, settings, on_event=events.append if events is not None else None)
