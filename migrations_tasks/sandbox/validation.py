"""What the API refuses before any SQL runs: a wrong token, a body of unknown or excessive length, a query body
of the wrong shape, a health request for unknown services.

Each check returns what it read, or a :class:`Refusal`: the status and JSON body to answer, and whether the
connection must close (a body left unread, or of unknown length, leaves the stream unusable).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from email.message import Message
from typing import Any

from .limits import TOO_LARGE_BODY

#: The services ``GET /v1/projects/{ref}/health`` knows.
SERVICES = ("auth", "db", "db_postgres_user", "pooler", "realtime", "rest", "storage", "pg_bouncer")


@dataclass(frozen=True)
class Refusal:
    """An answer that refuses a request: its status, its JSON body, and whether the connection must close."""

    status: int
    body: Any
    close: bool = False


def bearer_matches(header: str | None, token: bytes) -> bool:
    """Return True for an ``Authorization`` header of ``Bearer <token>``."""
    if not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode(), token)


def unauthorised(headers: Message) -> Refusal:
    """Return the 401 of a request without the token (its connection closes when it has a body left unread)."""
    unread = (headers.get("Content-Length") or "0").strip() != "0" or headers.get("Transfer-Encoding")
    return Refusal(401, {"message": "Unauthorized"}, close=bool(unread))


def body_length(headers: Message, max_body: int) -> int | Refusal:
    """Return the announced body length, or the refusal of a chunked, malformed or too large body."""
    if headers.get("Transfer-Encoding"):
        return Refusal(411, {"message": "Length Required"}, close=True)
    text = (headers.get("Content-Length") or "0").strip()
    if not text.isascii() or not text.isdigit():
        return Refusal(400, {"message": "Bad Request: invalid Content-Length"}, close=True)
    if int(text) > max_body:
        return Refusal(413, TOO_LARGE_BODY, close=True)
    return int(text)


@dataclass(frozen=True)
class QueryBody:
    """A query request: its SQL, its parameters (None: not given), and whether it runs read-only."""

    query: str
    parameters: list[Any] | None
    read_only: bool


def query_body(body: bytes, *, read_only_endpoint: bool) -> QueryBody | Refusal:
    """Read ``{"query", "parameters"?, "read_only"?}``; refuse a body that is not JSON of that shape (400)."""
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        return Refusal(400, {"message": "Body is not valid JSON"})
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return Refusal(400, {"message": "body/query must be a string"})
    parameters = payload.get("parameters")
    if parameters is not None and not isinstance(parameters, list):
        return Refusal(400, {"message": "body/parameters must be an array"})
    return QueryBody(payload["query"], parameters, read_only_endpoint or payload.get("read_only") is True)


def health_services(query: dict[str, list[str]]) -> list[str] | Refusal:
    """Return the services a health request asks about; refuse none, or an unknown one (400)."""
    services = query.get("services") or []
    if not services or any(s not in SERVICES for s in services):
        return Refusal(400, {"message": f"services must be some of {', '.join(SERVICES)}"})
    return services
