"""Which rows a multi-statement query answers, as the Management API does (leaf).

postgres-meta keeps the last result set whose row list is not empty (``SELECT 1; SELECT 1 WHERE false``
answers ``[{"?column?": 1}]``), and ``[]`` when there is none. Both the direct transport and the sandbox's
imitation of the API collect a psycopg cursor's result sets here, so they answer alike.
"""

from __future__ import annotations

from typing import Any


def answer_rows(cursor: Any) -> list[dict[str, Any]]:
    """Return the rows of the last result set of ``cursor`` that has rows (``[]`` when none has)."""
    rows: list[dict[str, Any]] = []
    while True:
        if cursor.description is not None:
            fetched = cursor.fetchall()
            if fetched:
                names = [c.name for c in cursor.description]
                rows = [dict(zip(names, r)) for r in fetched]
        if not cursor.nextset():
            return rows
