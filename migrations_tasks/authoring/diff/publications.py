"""Publications themselves (db.pull's generators handle their tables): created, changed, dropped (pure).

A declared ``CREATE PUBLICATION`` is a whole object the migrations may lack; the catalog's parts hold
each publication's options (``all tables``, what it publishes, ``via root``). Creations go after the
tables are made and before db.pull adds tables to them; drops go first among the drops.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...catalog import Snapshot
from ...sql import quote_literal
from ..pull.steps import Phase, Script

_ACTIONS = ("insert", "update", "delete", "truncate")


def _with(options: Mapping[str, Any]) -> str:
    publish = ", ".join(a for a in _ACTIONS if options.get(a))
    via_root = "true" if options.get("via root") else "false"
    return f"(publish = {quote_literal(publish)}, publish_via_partition_root = {via_root})"


def _items(snapshot: Snapshot) -> dict[str, Mapping[str, Any]]:
    found = snapshot.parts.get("publications") or {}
    return {str(name): value for name, value in found.items() if isinstance(value, Mapping)}


def publications(source: Snapshot, target: Snapshot) -> Script:
    """Return the statements that create, change and drop publications (their tables aside)."""
    have, want = _items(source), _items(target)
    script = Script()
    for name, options in sorted(want.items()):
        every = " FOR ALL TABLES" if options.get("all tables") else ""
        if name not in have:
            script.add(
                f"CREATE PUBLICATION {name}{every} WITH {_with(options)}", Phase.CHANGE, 0, f"create publication {name}"
            )
        elif bool(have[name].get("all tables")) != bool(options.get("all tables")):
            script.unsupported.append(f"publication {name}: FOR ALL TABLES changed (drop and create it by hand)")
        elif dict(have[name]) != dict(options):
            script.add(f"ALTER PUBLICATION {name} SET {_with(options)}", Phase.CHANGE, 0, f"change publication {name}")
    for name in sorted(set(have) - set(want)):
        script.add(f"DROP PUBLICATION {name}", Phase.DROP, 0, f"drop publication {name}", drop=True)
    return script
