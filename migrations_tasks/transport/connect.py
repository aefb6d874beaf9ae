"""Pick the transport the settings select: the Management API or a direct PostgreSQL connection."""

from __future__ import annotations

from ..config.settings import Settings
from ..progress import Notify
from .database import Database


def connect(settings: Settings, on_wait: Notify | None = None) -> Database:
    """Return the transport ``settings`` select (imported lazily: start-up stays fast).

    ``on_wait`` receives a message whenever the transport waits (rate limit, retry backoff).
    """
    if settings.transport == "postgres":
        from .postgres import PostgresDatabase

        assert settings.db_url is not None
        return PostgresDatabase(settings.db_url, timeout=settings.request_timeout)
    from .management_api import ManagementApi

    assert settings.access_token is not None and settings.project_ref is not None
    return ManagementApi(
        settings.api_url,
        settings.project_ref,
        settings.access_token,
        timeout=settings.request_timeout,
        retry_deadline=settings.retry_deadline,
        on_wait=on_wait,
        max_request_bytes=settings.request_max_bytes,
    )
