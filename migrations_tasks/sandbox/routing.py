"""Which endpoint a request's path names, and the one method it answers: the Management API's and the sandbox's.

An unknown path, or a sandbox endpoint asked with another method, is answered 404; a Management API
endpoint asked with another method is answered 405 once the request has passed the checks every API
request goes through (:mod:`.server`).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

_API = re.compile(r"^/v1/projects/([^/]+)/(database/query(?:/read-only)?|health)$")
_PROJECT = re.compile(r"^/_sandbox/projects/([a-z]{20})$")


class Endpoint(enum.Enum):
    """An endpoint the sandbox answers; the value is its path after the project (or after ``/``)."""

    QUERY = "database/query"
    READ_ONLY_QUERY = "database/query/read-only"
    HEALTH = "health"
    STATS = "_sandbox/stats"
    NEW_PROJECT = "_sandbox/projects"
    PROJECT = "_sandbox/projects/{ref}"


_METHODS = {
    Endpoint.QUERY: "POST",
    Endpoint.READ_ONLY_QUERY: "POST",
    Endpoint.HEALTH: "GET",
    Endpoint.STATS: "GET",
    Endpoint.NEW_PROJECT: "POST",
    Endpoint.PROJECT: "DELETE",
}
_SANDBOX = (Endpoint.STATS, Endpoint.NEW_PROJECT, Endpoint.PROJECT)


@dataclass(frozen=True)
class Route:
    """The endpoint a path names, and the project ref in the path (empty when it has none)."""

    endpoint: Endpoint
    ref: str = ""

    @property
    def method(self) -> str:
        """Return the one HTTP method the endpoint answers."""
        return _METHODS[self.endpoint]

    @property
    def sandbox(self) -> bool:
        """Return True for the sandbox's own endpoints (``/_sandbox/*``), which api.supabase.com lacks."""
        return self.endpoint in _SANDBOX


def route(path: str) -> Route | None:
    """Return the endpoint ``path`` names, or None when it names none."""
    found = _API.match(path)
    if found:
        return Route(Endpoint(found.group(2)), found.group(1))
    if path == "/_sandbox/stats":
        return Route(Endpoint.STATS)
    if path == "/_sandbox/projects":
        return Route(Endpoint.NEW_PROJECT)
    found = _PROJECT.match(path)
    return Route(Endpoint.PROJECT, found.group(1)) if found else None
