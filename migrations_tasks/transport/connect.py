"""Connect to a :class:`~migrations_tasks.config.targets.Target`: the Management API or a PostgreSQL connection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config.targets import Target
from ..progress import Notify
from .database import Database

if TYPE_CHECKING:
    from ..config.settings import Settings


def connect(target: Target, policy: Settings | None = None, on_wait: Notify | None = None) -> Database:
    """Return a connection to ``target`` (the transport imported lazily: start-up stays fast).

    ``policy`` gives the timeouts and the request size limit (defaults without it); ``on_wait`` receives a
    message whenever the transport waits (rate limit, retry backoff). One connection per target: each
    paces itself on its own project's ``X-RateLimit-*`` headers.
    """
    timeout = policy.request_timeout if policy is not None else 120.0
    if target.transport == "postgres":
        from .postgres import PostgresDatabase

        assert target.db_url is not None
        return PostgresDatabase(target.db_url, timeout=timeout)
    from .management_api import ManagementApi

    assert target.access_token is not None and target.project_ref is not None
    return ManagementApi(
        target.api_url,
        target.project_ref,
        target.access_token,
        timeout=timeout,
        retry_deadline=policy.retry_deadline if policy is not None else 90.0,
        on_wait=on_wait,
        max_request_bytes=policy.request_max_bytes if policy is not None else None,
    )
