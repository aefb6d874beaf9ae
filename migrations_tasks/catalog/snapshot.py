"""One database's catalog as read: the core snapshot, the detail statements need, and the parts (the model)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import core, detail, parts
from .diff import Catalog, normalise

Item = dict[str, Any]


def as_json(value: Any) -> Any:
    """Return a JSON value that may arrive as text (the Management API) or decoded (psycopg)."""
    if isinstance(value, str):
        return json.loads(value) if value else None
    return value


#: Read before the snapshot: with an empty search_path PostgreSQL prints every name schema-qualified.
PATH_SQL = "SELECT set_config('search_path', '', true) AS path"


def columns_sql(schemas: Sequence[str] = (), ignore: Sequence[str] = ()) -> str:
    """Return the snapshot's three columns (``catalog``, ``detail``, ``parts``) for a final ``SELECT``."""
    return (
        f"{core.snapshot_sql(schemas, ignore)} AS catalog,\n  {detail.detail_sql(schemas, ignore)} AS detail,\n"
        f"  {parts.parts_sql(schemas, ignore)} AS parts"
    )


def request(schemas: Sequence[str] = (), ignore: Sequence[str] = (), *, extra: str = "") -> str:
    """Return the statements that read the whole snapshot after :data:`PATH_SQL`; ``extra`` adds columns first."""
    return f"{PATH_SQL};\nSELECT {extra}{columns_sql(schemas, ignore)}"


@dataclass
class Snapshot:
    """One database's catalog: the core snapshot as read, its normalised form, the detail by name, the parts."""

    raw: Mapping[str, Any]
    detail: Mapping[str, Any] = field(default_factory=dict)
    parts: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.normal: Catalog = normalise(self.raw)
        self._items: dict[str, dict[str, Item]] = {}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Snapshot:
        """Return the snapshot in a row with ``catalog`` and ``detail`` columns."""
        return cls(as_json(row.get("catalog")) or {}, as_json(row.get("detail")) or {}, as_json(row.get("parts")) or {})

    def items(self, category: str) -> dict[str, Item]:
        """Return a category's objects by name: what the drift snapshot says, with the detail merged in."""
        if category not in self._items:
            merged: dict[str, Item] = {}
            raw = self.raw.get(category) or []
            if category == "schemas":
                raw = [{"name": name} for name in raw]
            for item in raw:
                merged[str(item["name"])] = dict(item)
            for item in self.detail.get(category) or []:
                name = str(item["name"])
                if name in merged or category not in self.raw:  # the drift snapshot decides what exists
                    merged.setdefault(name, {}).update(item)
            for item in merged.values():
                _merge_columns(item)
            self._items[category] = merged
        return self._items[category]


def _merge_columns(table: Item) -> None:
    """Merge a table's ``column_detail`` into its ``columns`` (both lists of dicts by column name)."""
    detail = {str(c["name"]): c for c in table.pop("column_detail", None) or []}
    if detail:
        table["columns"] = [{**c, **detail.get(str(c["name"]), {})} for c in table.get("columns") or []]
