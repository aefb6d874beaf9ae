"""Release phases: is a pending migration an *expand*, a *contract* or a *data* migration? (pure)

* **expand**: what the previous release tolerates: new tables, views, functions, indexes, nullable columns
  or columns with a default, constraints added NOT VALID, relaxing (DROP NOT NULL, DROP DEFAULT), a
  binary-compatible widening (``varchar(n)`` to ``varchar(m > n)`` or ``text``), grants, permissive policies;
* **contract**: what the previous release may fail on: dropping or renaming a table, column, function or
  type, a narrowing type change, SET NOT NULL, VALIDATE or a constraint added valid, revokes, restrictive
  policies, dropping or altering a policy, renaming an enum value;
* **data**: DML (INSERT, UPDATE, DELETE, MERGE, COPY, a DO block or CALL, whose effects the file does not show).

A migration's phase is its statements' (data with expand is expand, data with contract is contract); one
with both expand and contract statements is *mixed* and cannot be phased unless its first lines state the
phase (``-- phase: expand`` or ``-- phase: contract``, read by :mod:`migrations_tasks.history.migrations`).
The old type of a column whose type changes is read from the earlier migrations' statements (:class:`Columns`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pglast import ast, enums

from ..history.migrations import Migration
from ..wording import TextEnum, first_line
from .column_types import Columns, type_text, widens
from .tree import created, made_again, parse, qualified, targets

AT = enums.AlterTableType


class Phase(TextEnum):
    """When a migration runs in a release: before the switch (expand, data) or after health (contract)."""

    EXPAND = "expand"
    CONTRACT = "contract"
    DATA = "data"


@dataclass(frozen=True)
class StatementPhase:
    """One statement's phase and why (``phase`` None: it changes nothing the app sees, ``SET`` say)."""

    line: int
    text: str
    phase: Phase | None
    reason: str


@dataclass(frozen=True)
class MigrationPhase:
    """A migration's phase, the reason in one line, and each statement's."""

    version: str
    name: str
    filename: str
    phase: Phase
    reason: str
    statements: tuple[StatementPhase, ...] = ()
    stated: bool = False
    #: Expand and contract statements in one file that states no phase: it cannot be phased.
    mixed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return it as JSON-able data."""
        return {
            "version": self.version,
            "name": self.name,
            "phase": self.phase.value,
            "reason": self.reason,
            "stated": self.stated,
            "mixed": self.mixed,
            "statements": [
                {"line": s.line, "phase": s.phase.value if s.phase else None, "reason": s.reason}
                for s in self.statements
            ],
        }


_EXPAND, _CONTRACT, _DATA = Phase.EXPAND, Phase.CONTRACT, Phase.DATA
Verdict = tuple[Phase | None, str]

_DML = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt, ast.CopyStmt, ast.SelectStmt)
_CREATES = (
    ast.CreateStmt,
    ast.CreateTableAsStmt,
    ast.ViewStmt,
    ast.CreateFunctionStmt,
    ast.IndexStmt,
    ast.CreateSeqStmt,
    ast.CreateEnumStmt,
    ast.CompositeTypeStmt,
    ast.CreateDomainStmt,
    ast.CreateSchemaStmt,
    ast.CreateExtensionStmt,
    ast.CreateTrigStmt,
    ast.DefineStmt,
    ast.CommentStmt,
)
_NAMES = {
    "CreateStmt": "a table",
    "CreateTableAsStmt": "a table",
    "ViewStmt": "a view",
    "CreateFunctionStmt": "a function",
    "IndexStmt": "an index",
    "CreateSeqStmt": "a sequence",
    "CreateEnumStmt": "a type",
    "CompositeTypeStmt": "a type",
    "CreateDomainStmt": "a domain",
    "CreateSchemaStmt": "a schema",
    "CreateExtensionStmt": "an extension",
    "CreateTrigStmt": "a trigger",
    "CommentStmt": "a comment",
}
#: Renames the previous release does not notice: it never names these objects.
_QUIET_RENAMES = {
    enums.ObjectType.OBJECT_INDEX,
    enums.ObjectType.OBJECT_TABCONSTRAINT,
    enums.ObjectType.OBJECT_TRIGGER,
    enums.ObjectType.OBJECT_POLICY,
}


def _column_def(definition: Any) -> Verdict:
    """Return the phase of ``ADD COLUMN``: NOT NULL without a default is a contract (old inserts omit it)."""
    constraints = [c.contype for c in definition.constraints or () if isinstance(c, ast.Constraint)]
    not_null = definition.is_not_null or enums.ConstrType.CONSTR_NOTNULL in constraints
    filled = {enums.ConstrType.CONSTR_DEFAULT, enums.ConstrType.CONSTR_IDENTITY, enums.ConstrType.CONSTR_GENERATED}
    column = definition.colname
    if not_null and not filled & set(constraints):
        return _CONTRACT, f"adds NOT NULL column {column} without a default: the previous release's inserts omit it"
    if not_null:
        return _EXPAND, f"adds column {column}, NOT NULL with a default"
    return _EXPAND, f"adds nullable column {column}"


def _constraint(definition: Any) -> Verdict:
    if isinstance(definition, ast.Constraint) and definition.skip_validation:
        return _EXPAND, f"adds constraint {definition.conname or ''} NOT VALID (existing rows are not checked)".replace(
            "  ", " "
        )
    return _CONTRACT, "adds a valid constraint: the previous release's writes could violate it"


def _retype(table: str, cmd: Any, columns: Columns) -> Verdict:
    new = type_text(cmd.def_.typeName)
    old = columns.types.get(f"{table}.{cmd.name}")
    if cmd.def_.raw_default is not None:
        return _CONTRACT, f"changes column {cmd.name}'s type to {new} with USING (values are rewritten)"
    if old is None:
        return _CONTRACT, f"changes column {cmd.name}'s type to {new}; its old type is not in the migrations"
    if widens(old, new):
        return _EXPAND, f"widens column {cmd.name} from {old} to {new} (binary-compatible)"
    return _CONTRACT, f"changes column {cmd.name} from {old} to {new} (narrowing or not binary-compatible)"


def _alter_cmd(table: str, cmd: Any, columns: Columns) -> Verdict:
    """Return the phase of one ALTER TABLE subcommand."""
    kind, column = cmd.subtype, cmd.name
    if kind == AT.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
        return _column_def(cmd.def_)
    if kind == AT.AT_DropColumn:
        return _CONTRACT, f"drops column {column}"
    if kind == AT.AT_AlterColumnType and isinstance(cmd.def_, ast.ColumnDef):
        return _retype(table, cmd, columns)
    if kind == AT.AT_SetNotNull:
        return _CONTRACT, f"sets NOT NULL on column {column}: the previous release may write NULL"
    if kind == AT.AT_DropNotNull:
        return _EXPAND, f"drops NOT NULL on column {column} (relaxes)"
    if kind == AT.AT_ColumnDefault:
        return _EXPAND, f"{'sets' if cmd.def_ is not None else 'drops'} the default of column {column}"
    if kind == AT.AT_AddConstraint:
        return _constraint(cmd.def_)
    if kind == AT.AT_ValidateConstraint:
        return _CONTRACT, f"validates constraint {column}: the previous release's writes could violate it"
    if kind in (AT.AT_EnableRowSecurity, AT.AT_ForceRowSecurity):
        return _CONTRACT, "turns row level security on: access narrows to what policies allow"
    if kind in (AT.AT_DropIdentity, AT.AT_DetachPartition):
        return _CONTRACT, "drops an identity or detaches a partition the previous release may use"
    return _EXPAND, "changes nothing the previous release reads or writes"


def _alter_table(node: Any, columns: Columns) -> list[Verdict]:
    table = qualified(node.relation)
    return [_alter_cmd(table, cmd, columns) for cmd in node.cmds or () if isinstance(cmd, ast.AlterTableCmd)]


def _drop(node: Any, later: Sequence[Any]) -> Verdict:
    kind = str(node.removeType.name).removeprefix("OBJECT_").lower().replace("_", " ")
    if made_again(node, later):
        return _EXPAND, f"replaces {kind}(s) created again with the same signature"
    if node.removeType == enums.ObjectType.OBJECT_POLICY:
        return _CONTRACT, "drops a policy: access may narrow"
    if node.removeType == enums.ObjectType.OBJECT_INDEX:
        return _EXPAND, "drops an index (the previous release does not name it)"
    return _CONTRACT, f"drops: {kind}"


def _rename(node: Any) -> Verdict:
    kind = str(node.renameType.name).removeprefix("OBJECT_").lower()
    if node.renameType in _QUIET_RENAMES:
        return _EXPAND, f"renames a {kind} (the previous release does not name it)"
    return _CONTRACT, f"renames a {kind}: the previous release uses the old name"


def _grant(node: Any) -> Verdict:
    return (_EXPAND, "grants a privilege") if node.is_grant else (_CONTRACT, "revokes a privilege")


def _policy(node: Any) -> Verdict:
    if node.permissive:
        return _EXPAND, f"creates permissive policy {node.policy_name!r} (widens access)"
    return _CONTRACT, f"creates restrictive policy {node.policy_name!r} (narrows access)"


def _enum(node: Any) -> Verdict:
    if node.oldVal:
        return _CONTRACT, f"renames enum value {node.oldVal!r}: the previous release writes the old one"
    return _EXPAND, f"adds enum value {node.newVal!r}"


def _default_privileges(node: Any) -> Verdict:
    return _grant(node.action) if node.action is not None else (_EXPAND, "changes default privileges")


#: Statement kinds with one verdict, by node type; the first match decides.
_BY_KIND: tuple[tuple[type | tuple[type, ...], Any], ...] = (
    (_DML, lambda n: (_DATA, f"{type(n).__name__.removesuffix('Stmt').upper()} changes rows (data)")),
    ((ast.DoStmt, ast.CallStmt), lambda n: (_DATA, "a DO block or CALL: its effects are not in the file (data)")),
    (ast.TruncateStmt, lambda n: (_DATA, "TRUNCATE removes rows (data)")),
    (ast.CreatePolicyStmt, _policy),
    (ast.AlterPolicyStmt, lambda n: (_CONTRACT, f"alters policy {n.policy_name!r}: access may narrow")),
    (ast.AlterEnumStmt, _enum),
    (ast.RenameStmt, _rename),
    ((ast.GrantStmt, ast.GrantRoleStmt), _grant),
    (ast.AlterDefaultPrivilegesStmt, _default_privileges),
    (
        ast.AlterObjectSchemaStmt,
        lambda n: (_CONTRACT, "moves an object to another schema: the previous release uses the old name"),
    ),
    ((ast.VariableSetStmt, ast.TransactionStmt), lambda n: (None, "a session setting or transaction control")),
    (_CREATES, lambda n: (_EXPAND, f"creates {_NAMES.get(type(n).__name__, 'something new')}")),
)


def classify_node(node: Any, columns: Columns, later: Sequence[Any] = ()) -> list[Verdict]:
    """Return the phase of one statement's syntax tree, with a reason per effect (most give one)."""
    if node is None:
        return [(None, "not parsed")]
    if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        return _alter_table(node, columns)
    if isinstance(node, ast.DropStmt):
        return [_drop(node, later)]
    for kinds, verdict in _BY_KIND:
        if isinstance(node, kinds):
            return [verdict(node)]
    return [(_EXPAND, f"{type(node).__name__.removesuffix('Stmt')}: changes nothing the previous release uses")]


def _overall(verdicts: Sequence[StatementPhase]) -> tuple[Phase, str, bool]:
    """Return a migration's phase from its statements', its reason, and whether it mixes expand and contract."""
    contract = [s for s in verdicts if s.phase is Phase.CONTRACT]
    expand = [s for s in verdicts if s.phase is Phase.EXPAND]
    data = [s for s in verdicts if s.phase is Phase.DATA]
    if contract and expand:
        why = f"mixes expand (line {expand[0].line}: {expand[0].reason}) and contract (line {contract[0].line}: "
        return Phase.CONTRACT, why + f"{contract[0].reason})", True
    if contract:
        return Phase.CONTRACT, f"line {contract[0].line}: {contract[0].reason}", False
    if expand:
        return Phase.EXPAND, f"line {expand[0].line}: {expand[0].reason}", False
    if data:
        return Phase.DATA, f"line {data[0].line}: {data[0].reason}", False
    return Phase.EXPAND, "no statement changes the schema", False


def _new_to_the_release(verdicts: list[Verdict], node: Any, new: set[str]) -> list[Verdict]:
    """Return ``verdicts`` with a contract on relations this release creates counted as expand."""
    acted_on = targets(node)
    if not acted_on or not acted_on <= new:
        return verdicts
    names = ", ".join(sorted(acted_on))
    return [
        (_EXPAND, f"{reason}, on {names}, new in this release (the previous release does not use it)")
        if phase is _CONTRACT
        else (phase, reason)
        for phase, reason in verdicts
    ]


def classify(migration: Migration, columns: Columns | None = None, new: set[str] | None = None) -> MigrationPhase:
    """Return ``migration``'s phase.

    ``columns`` (the earlier migrations' column types) learns its statements; ``new`` (the relations created
    by the release's earlier statements: a contract on them is an expand) learns what it creates.
    """
    columns = columns if columns is not None else Columns()
    new = new if new is not None else set()
    nodes = [parse(s.text) for s in migration.statements]
    out: list[StatementPhase] = []
    for index, (statement, node) in enumerate(zip(migration.statements, nodes)):
        verdicts = _new_to_the_release(classify_node(node, columns, nodes[index + 1 :]), node, new)
        for phase, reason in verdicts:
            out.append(StatementPhase(statement.line, first_line(statement.text), phase, reason))
        columns.learn(node)
        new |= created(node)
    phase, reason, mixed = _overall(out)
    stated = migration.stated_phase
    if stated is not None:
        return MigrationPhase(
            migration.version,
            migration.name,
            migration.filename,
            Phase(stated),
            f"stated on its first lines (-- phase: {stated}); the statements say: {reason}",
            tuple(out),
            stated=True,
        )
    return MigrationPhase(migration.version, migration.name, migration.filename, phase, reason, tuple(out), mixed=mixed)


def classify_pending(every: Iterable[Migration], pending: Iterable[Migration]) -> list[MigrationPhase]:
    """Return the phase of each ``pending`` migration; the column types come from every migration before it."""
    wanted = {m.version for m in pending}
    columns = Columns()
    new: set[str] = set()
    out: list[MigrationPhase] = []
    for migration in every:
        if len(out) == len(wanted):  # none left: the later files need not be parsed
            break
        if migration.version in wanted:
            out.append(classify(migration, columns, new))
        else:
            for statement in migration.statements:
                columns.learn(parse(statement.text))
    return out
