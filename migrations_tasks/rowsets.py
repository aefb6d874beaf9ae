"""Which rows a multi-statement query answers, as the Management API does (leaf).

Both the direct transport and the sandbox's imitation of the API collect a psycopg cursor's result sets
here, so they answer alike: the rows of the last statement that returned rows.
"""

from __future__ import annotations

from typing import Any


def answer_rows(cursor: Any) -> list[dict[str, Any]]:
    """Return the rows of the last statement that returned rows, reading every result set of ``cursor``."""
    rows: list[dict[str, Any]] = []
    while True:
        if cursor.description is not None:
            names = [c.name for c in cursor.description]
            rows = [dict(zip(names, r)) for r in cursor.fetchall()]
        if not cursor.nextset():
            return rows
