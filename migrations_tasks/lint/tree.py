"""Read what a statement does from PostgreSQL's own syntax tree (pglast): which relations it acts on,
which it creates, and in which schema it creates objects (pure).

Unqualified names are taken as ``public``: Supabase's search path puts it first for migrations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pglast import ast, enums, parse_sql

DEFAULT_SCHEMA = "public"


def parse(text: str) -> Any:
    """Return the syntax tree of one statement (None when it is only comments or cannot be parsed)."""
    try:
        statements = parse_sql(text)
    except Exception:
        return None
    return statements[0].stmt if statements else None


def qualified(rv: Any) -> str:
    """Return ``schema.name`` of a RangeVar ("" for none)."""
    return f"{rv.schemaname or DEFAULT_SCHEMA}.{rv.relname}" if rv is not None else ""


def name_of(parts: Any) -> str:
    """Return ``schema.name`` of a qualified name given as a list of String nodes."""
    names = [str(p.sval) for p in parts or () if isinstance(p, ast.String)]
    if not names:
        return ""
    return ".".join(names[-2:]) if len(names) > 1 else f"{DEFAULT_SCHEMA}.{names[0]}"


def schema_of(name: str) -> str:
    """Return the schema part of ``schema.name``."""
    return name.split(".", 1)[0]


_RELATION_DROPS = {enums.ObjectType.OBJECT_TABLE, enums.ObjectType.OBJECT_INDEX, enums.ObjectType.OBJECT_VIEW}


def targets(node: Any) -> set[str]:
    """Return the existing relations a statement acts on (tables, or the index it drops), by name."""
    if isinstance(node, (ast.IndexStmt, ast.AlterTableStmt, ast.CreateTrigStmt, ast.RenameStmt)):
        return {qualified(node.relation)} if node.relation is not None else set()
    if isinstance(node, (ast.CreatePolicyStmt, ast.AlterPolicyStmt)):
        return {qualified(node.table)}
    if isinstance(node, (ast.DeleteStmt, ast.UpdateStmt, ast.InsertStmt)):
        return {qualified(node.relation)}
    if isinstance(node, ast.TruncateStmt):
        return {qualified(rv) for rv in node.relations or ()}
    if isinstance(node, ast.DropStmt) and node.removeType in _RELATION_DROPS:
        return {name_of(obj) for obj in node.objects or () if isinstance(obj, tuple)}
    if isinstance(node, ast.VacuumStmt):
        return {qualified(rel.relation) for rel in node.rels or () if rel.relation is not None}
    if isinstance(node, ast.ReindexStmt) and node.relation is not None:
        return {qualified(node.relation)}
    return set()


def referenced(node: Any) -> set[str]:
    """Return every relation a statement names (targets and, for foreign keys, referenced tables)."""
    out = set(targets(node))
    if isinstance(node, ast.AlterTableStmt):
        for cmd in node.cmds or ():
            definition = getattr(cmd, "def_", None)
            if isinstance(definition, ast.Constraint) and definition.pktable is not None:
                out.add(qualified(definition.pktable))
            if isinstance(definition, ast.ColumnDef):
                for constraint in definition.constraints or ():
                    if isinstance(constraint, ast.Constraint) and constraint.pktable is not None:
                        out.add(qualified(constraint.pktable))
    return out


def created(node: Any) -> set[str]:
    """Return the relations a statement creates, by name."""
    made = created_object(node)
    if made is not None and made[0] in ("table", "view"):
        return {made[1]}
    if isinstance(node, ast.IndexStmt) and node.idxname and node.relation is not None:
        return {f"{schema_of(qualified(node.relation))}.{node.idxname}"}
    return set()


#: The CREATE statements that make an object in a schema: node type, what it makes, where its name is.
_CREATES: tuple[tuple[type, str, Callable[[Any], str]], ...] = (
    (ast.CreateStmt, "table", lambda n: qualified(n.relation)),
    (ast.CreateTableAsStmt, "table", lambda n: qualified(getattr(n.into, "rel", None))),
    (ast.ViewStmt, "view", lambda n: qualified(n.view)),
    (ast.CreateSeqStmt, "sequence", lambda n: qualified(n.sequence)),
    (ast.CompositeTypeStmt, "type", lambda n: qualified(n.typevar)),
    (ast.CreateFunctionStmt, "function", lambda n: name_of(n.funcname)),
    (ast.CreateEnumStmt, "type", lambda n: name_of(n.typeName)),
    (ast.CreateDomainStmt, "domain", lambda n: name_of(n.domainname)),
    (ast.DefineStmt, "object", lambda n: name_of(n.defnames)),
)


def created_object(node: Any) -> tuple[str, str] | None:
    """Return (kind, schema.name) of the object a CREATE statement makes, for the schema rules."""
    for node_type, kind, name in _CREATES:
        if isinstance(node, node_type):
            return ("procedure" if getattr(node, "is_procedure", False) else kind), name(node)
    return None


def alter_subtypes(node: Any) -> list[Any]:
    """Return the subcommand kinds of an ALTER TABLE (AlterTableType members)."""
    if not isinstance(node, ast.AlterTableStmt):
        return []
    return [cmd.subtype for cmd in node.cmds or () if isinstance(cmd, ast.AlterTableCmd)]


def enables_rls(node: Any) -> str | None:
    """Return the table an ``ALTER TABLE ... ENABLE ROW LEVEL SECURITY`` is about (None: not one)."""
    if enums.AlterTableType.AT_EnableRowSecurity in alter_subtypes(node):
        return qualified(node.relation)
    return None


def sets_variable(node: Any, name: str) -> bool:
    """Return True when a statement is ``SET name = ...`` (also SET LOCAL)."""
    return isinstance(node, ast.VariableSetStmt) and (node.name or "").lower() == name


def walk(node: Any) -> Iterator[Any]:
    """Yield ``node`` and every node under it (CTEs, subqueries, expressions...)."""
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from walk(item)
        return
    if not isinstance(node, ast.Node):
        return
    yield node
    for slot in getattr(type(node), "__slots__", ()):
        yield from walk(getattr(node, slot, None))


def function_search_path_set(node: Any) -> str | None:
    """Return the function an ``ALTER FUNCTION ... SET search_path`` fixes (None: not one)."""
    if not isinstance(node, ast.AlterFunctionStmt) or node.func is None:
        return None
    sets = [a.arg for a in node.actions or () if isinstance(a, ast.DefElem) and a.defname == "set"]
    return name_of(node.func.objname) if any(sets_variable(s, "search_path") for s in sets) else None


def _text(node: Any) -> str | None:
    value = getattr(node, "val", None) if isinstance(node, ast.A_Const) else None
    return str(value.sval) if isinstance(value, ast.String) else None


def setting_value(node: Any, name: str) -> str | None:
    """Return the value a statement gives setting ``name`` (SET, SET LOCAL, set_config(); "" for RESET).

    None when the statement does not change it.
    """
    if isinstance(node, ast.VariableSetStmt) and (node.name or "").lower() == name:
        if node.kind != enums.VariableSetKind.VAR_SET_VALUE:
            return ""
        values = [_text(a) or str(getattr(getattr(a, "val", None), "ival", "")) for a in node.args or ()]
        return ",".join(values)
    found = None
    for sub in walk(node):
        if isinstance(sub, ast.FuncCall) and name_of(sub.funcname).split(".")[-1] == "set_config":
            args = list(sub.args or ())
            if len(args) >= 2 and (_text(args[0]) or "").lower() == name:
                found = _text(args[1]) or ""
    return found


_ROUTINES = {enums.ObjectType.OBJECT_FUNCTION, enums.ObjectType.OBJECT_PROCEDURE, enums.ObjectType.OBJECT_ROUTINE}
#: Parameter modes that make a function's identity (its input arguments): IN, INOUT, VARIADIC, default.
_INPUT_MODES = frozenset("ibvd")


def _type_name(t: Any) -> str:
    names = [str(p.sval) for p in t.names or () if isinstance(p, ast.String)]
    names = names[1:] if len(names) > 1 and names[0] == "pg_catalog" else names
    return ".".join(names) + "[]" * len(t.arrayBounds or ())


def dropped_functions(node: Any) -> list[str] | None:
    """Return the signatures a DROP FUNCTION names (None: not one, CASCADE, or a name without arguments)."""
    if not isinstance(node, ast.DropStmt) or node.removeType not in _ROUTINES:
        return None
    if node.behavior == enums.DropBehavior.DROP_CASCADE:
        return None
    out = []
    for obj in node.objects or ():
        if not isinstance(obj, ast.ObjectWithArgs) or obj.args_unspecified:
            return None
        out.append(f"{name_of(obj.objname)}({','.join(_type_name(t) for t in obj.objargs or ())})")
    return out


def function_signature(node: Any) -> str | None:
    """Return ``schema.name(type,...)`` of the function a CREATE FUNCTION makes (its input arguments' types)."""
    if not isinstance(node, ast.CreateFunctionStmt):
        return None
    args = [
        _type_name(p.argType)
        for p in node.parameters or ()
        if isinstance(p, ast.FunctionParameter) and str(getattr(p.mode, "value", p.mode)) in _INPUT_MODES
    ]
    return f"{name_of(node.funcname)}({','.join(args)})"


def made_again(node: Any, later: Iterable[Any]) -> bool:
    """Return True when every function ``node`` drops is created again, same signature, by a ``later`` statement."""
    dropped = dropped_functions(node)
    if not dropped:
        return False
    return set(dropped) <= {sig for n in later if (sig := function_signature(n)) is not None}
