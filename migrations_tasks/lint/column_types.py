"""Column types as the migrations declare them, and which type changes widen without a rewrite (pure).

The release phases (:mod:`.phases`) read a column's old type from here when a migration changes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pglast import ast, enums

from .tree import qualified

AT = enums.AlterTableType


@dataclass
class Columns:
    """Column types as the migrations so far declare them (``schema.table.column`` -> ``varchar(20)``)."""

    types: dict[str, str] = field(default_factory=dict)

    def learn(self, node: Any) -> None:
        """Record the columns a CREATE TABLE or ALTER TABLE makes, retypes or drops."""
        if isinstance(node, ast.CreateStmt):
            table = qualified(node.relation)
            for element in node.tableElts or ():
                if isinstance(element, ast.ColumnDef) and element.typeName is not None:
                    self.types[f"{table}.{element.colname}"] = type_text(element.typeName)
        if not isinstance(node, ast.AlterTableStmt) or node.relation is None:
            return
        table = qualified(node.relation)
        for cmd in node.cmds or ():
            if not isinstance(cmd, ast.AlterTableCmd):
                continue
            definition = cmd.def_
            if cmd.subtype == AT.AT_AddColumn and isinstance(definition, ast.ColumnDef) and definition.typeName:
                self.types[f"{table}.{definition.colname}"] = type_text(definition.typeName)
            elif cmd.subtype == AT.AT_AlterColumnType and isinstance(definition, ast.ColumnDef):
                self.types[f"{table}.{cmd.name}"] = type_text(definition.typeName)
            elif cmd.subtype == AT.AT_DropColumn:
                self.types.pop(f"{table}.{cmd.name}", None)


_ALIASES = {"int4": "integer", "int8": "bigint", "int2": "smallint", "bpchar": "char", "float8": "double precision"}


def type_text(t: Any) -> str:
    """Return a type as ``name(mod,...)`` with pg_catalog's prefix left out (``varchar(20)``)."""
    names = [str(p.sval) for p in t.names or () if isinstance(p, ast.String)]
    names = names[1:] if len(names) > 1 and names[0] == "pg_catalog" else names
    name = _ALIASES.get(".".join(names), ".".join(names))
    mods = [str(getattr(getattr(m, "val", None), "ival", "?")) for m in t.typmods or ()]
    return name + (f"({','.join(mods)})" if mods else "") + "[]" * len(t.arrayBounds or ())


def _split(text: str) -> tuple[str, tuple[int, ...]]:
    base, _, rest = text.partition("(")
    mods = tuple(int(m) for m in rest.rstrip(")").split(",") if m.strip().isdigit()) if rest else ()
    return base, mods


def widens(old: str, new: str) -> bool:
    """Return True when changing a column from ``old`` to ``new`` keeps every value and rewrites nothing."""
    if old == new:
        return True
    (old_base, old_mods), (new_base, new_mods) = _split(old), _split(new)
    if old.endswith("[]") or new.endswith("[]"):
        return False
    if old_base == "varchar" and new_base == "text":
        return True
    if old_base != new_base or old_base not in ("varchar", "varbit", "numeric"):
        return False
    if not new_mods:  # varchar(n) -> varchar, numeric(p,s) -> numeric
        return True
    if not old_mods or len(old_mods) != len(new_mods):
        return False
    if old_base == "numeric":  # more digits, same scale
        return new_mods[0] >= old_mods[0] and new_mods[1:] == old_mods[1:]
    return new_mods[0] >= old_mods[0]
