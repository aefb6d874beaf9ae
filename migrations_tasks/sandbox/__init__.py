"""A local stand-in for a Supabase project: real PostgreSQL plus an API server that answers like Supabase.

Start it with ``python -m migrations_tasks.sandbox`` (see ``--help``), or in Python::

    with Sandbox() as sandbox:
        print(sandbox.env)   # SUPABASE_API_URL, SUPABASE_PROJECT_REF, SUPABASE_ACCESS_TOKEN, SANDBOX_DB_URL

The cluster lives in a directory (temporary unless ``root`` is given). The first project's database is
``postgres``, as on Supabase; more projects can be created (``create_project``), each a copy of a
template database holding the Supabase objects, so tests get fresh projects in milliseconds.

The Supabase objects are created by the SQL files in ``sql/`` (applied in name order). Extensions
Supabase offers but the engine does not ship are SQL-only stand-ins from ``extensions/``, copied into
the sandbox's directory at every start and added with ``extension_control_path``; see
:mod:`migrations_tasks.sandbox.catalog` for which is which.
"""

from __future__ import annotations

from .catalog import Inventory
from .embedded import SandboxError
from .faults import Faults
from .instance import Sandbox, extension_inventory

__all__ = ["Faults", "Inventory", "Sandbox", "SandboxError", "extension_inventory"]
