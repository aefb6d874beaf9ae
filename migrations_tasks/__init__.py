"""migrations-tasks: apply, verify and roll back Supabase migrations; ship releases; from Invoke and nox.

In your ``tasks.py``::

    from migrations_tasks import namespace
    ns = namespace()

Importing this package is cheap: heavy modules (httpx, pglast, psycopg) load only when a task runs.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__

__all__ = ["__version__", "namespace"]


def namespace(**collections: Any) -> Any:
    """Return the Invoke collection of every task (``db``, ``sandbox``...); add your own to it.

    It also checks the project's ``invoke.yaml`` next to the calling ``tasks.py``, which Invoke loads
    right after: a syntax error there stops with one clear message (exit 3) instead of a traceback.
    """
    import sys
    from pathlib import Path

    from .config.sources import check_project_config
    from .errors import ConfigError
    from .tasks import namespace as build

    caller = sys._getframe(1).f_globals.get("__file__")
    if caller:
        try:
            check_project_config(Path(caller).resolve().parent)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(3) from None
    return build(**collections)
