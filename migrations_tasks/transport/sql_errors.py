"""PostgreSQL's error as postgres-meta writes it in a 400's message, read back into a :class:`SqlError`.

The text looks like ``ERROR:  42P01: relation "x" does not exist`` followed by ``LINE n:``, ``DETAIL:``,
``HINT:``, ``QUERY:`` and ``CONTEXT:`` lines; a message without a SQLSTATE gives an error without one.
"""

from __future__ import annotations

import re

from ..errors import SqlError

_ERROR_HEAD = re.compile(r"(?:ERROR|FATAL|PANIC):\s+([0-9A-Z]{5}):\s?(.*)")
_FIELD = re.compile(r"^(DETAIL|HINT|QUERY|CONTEXT|LINE (\d+)):\s?(.*)$")


def parse_sql_error(message: str) -> SqlError:
    """Parse postgres-meta's error text (``Failed to run sql query: ERROR:  42P01: ...``)."""
    lines = message.splitlines() or [message]
    head = _ERROR_HEAD.search(lines[0])
    if head is None:
        text = lines[0].removeprefix("Failed to run sql query:").strip() or message.strip()
        return SqlError(text or "The SQL failed without a message.")
    # QUERY (the internal query of a PL/pgSQL error) is recognised so it does not run into the field
    # before it, and dropped: the direct PostgreSQL transport does not report it either.
    fields: dict[str, list[str]] = {"DETAIL": [], "HINT": [], "QUERY": [], "CONTEXT": []}
    primary = [head.group(2)]
    current: list[str] | None = primary
    line: int | None = None
    for raw in lines[1:]:
        match = _FIELD.match(raw)
        if match is None:
            if current is not None and raw.strip() and not raw.strip().startswith("^"):
                current.append(raw)
            continue
        if match.group(2):
            line = int(match.group(2))
            current = None
            continue
        current = fields[match.group(1)]
        current.append(match.group(3))

    def joined(items: list[str]) -> str | None:
        text = "\n".join(items).strip()
        return text or None

    return SqlError(
        joined(primary) or "",
        sqlstate=head.group(1),
        detail=joined(fields["DETAIL"]),
        hint=joined(fields["HINT"]),
        context=joined(fields["CONTEXT"]),
        line=line,
    )
