"""migrations-tasks: apply, verify and roll back Supabase migrations; ship releases; from Invoke and nox.

In your ``tasks.py``::

    from migrations_tasks import namespace
    ns = namespace()

Importing this package is cheap: heavy modules (httpx, pglast, psycopg) load only when a task runs.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "namespace"]


def namespace(**collections: Any) -> Any:
    """Return the Invoke collection of every task (``db``, ``sandbox``...); add your own to it."""
    from .tasks import namespace as build

    return build(**collections)
