"""``db.lint``: squawk's rules and ours over a set of migrations, as findings with levels (no database).

1. squawk runs once over every file (:mod:`.squawk`); each finding is placed on the statement our parser
   (PostgreSQL's own) split, and dropped when squawk's "existing table" rules hit a table an earlier
   migration of the same pending set, or an earlier statement of the same file, creates;
2. our Supabase rules run on each statement's syntax tree (:mod:`.supabase`);
3. ``-- lint-ignore rule: reason`` comments silence rules per statement (:mod:`.ignores`);
4. levels come from invoke.yaml over the defaults (:mod:`.rules`); ``off`` rules are dropped (squawk's are
   not even run); squawk's opt-in rules run when invoke.yaml gives them a level.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import sql
from ..config.subsections import LintSettings
from ..errors import ConfigError
from ..history.down import split_down_block
from ..history.migrations import Migration
from ..history.sqlfile import read_text
from . import ignores, squawk, supabase, tree
from .phases import classify_pending
from .results import Finding, LintResult
from .rules import (
    DOCS,
    EXISTING_TABLE_RULES,
    KNOWN_RULES,
    OFF,
    OWN_RULES,
    SQUAWK_RULES,
    SUPABASE_RULES,
    default_level,
)

SQUAWK_DOCS = "https://squawkhq.com/docs/"


def levels(settings: LintSettings) -> dict[str, str]:
    """Return every known rule's level; a rule name invoke.yaml gives that no one knows is a ConfigError."""
    unknown = sorted(set(settings.rules) - KNOWN_RULES)
    if unknown:
        raise ConfigError(
            f"invoke.yaml migrations.lint.rules names unknown rules: {', '.join(unknown)}.",
            hint=f"Use squawk's rule names or ours (listed in {DOCS}).",
        )
    return {rule: settings.rules.get(rule, default_level(rule)) for rule in KNOWN_RULES}


@dataclass
class _File:
    """One migration file as the rules see it: its text, statements' spans and syntax trees."""

    migration: Migration
    text: str
    spans: list[tuple[int, int]]
    nodes: list[Any]
    index: sql.LineIndex
    ignores: ignores.Ignores

    @classmethod
    def read(cls, migration: Migration) -> _File:
        up, _down, _shifts = split_down_block(read_text(migration.path), migration.path)
        pieces = sql.split(up)
        spans = [(p.start, p.end) for p in pieces]
        nodes = [tree.parse(up[s:e]) for s, e in spans]
        return cls(migration, up, spans, nodes, sql.LineIndex(up), ignores.find(up, spans, KNOWN_RULES))

    def statement_at(self, offset: int) -> int | None:
        """Return the statement an offset belongs to (comments before a statement count as its own)."""
        return next((i for i, (_start, end) in enumerate(self.spans) if offset < end), None)

    def offset(self, line0: int, byte_column: int) -> int:
        """Return the character offset of squawk's 0-based line and UTF-8 byte column."""
        start = self.index.line_start(line0 + 1)
        end = self.text.find("\n", start)
        line = self.text[start : end if end >= 0 else len(self.text)]
        return start + len(line.encode("utf-8")[:byte_column].decode("utf-8", "ignore"))


class _Collector:
    """Turns rule hits into findings with levels, honouring ignore comments."""

    def __init__(self, result: LintResult, level_of: Mapping[str, str]) -> None:
        self.result = result
        self.level_of = level_of

    def add(self, file: _File, offset: int, rule: str, message: str, help: str, source: str) -> None:
        level = self.level_of.get(rule, default_level(rule))
        if level == OFF:
            return
        index = file.statement_at(offset)
        line, column = file.index.position(offset)
        finding = Finding(
            str(file.migration.path), line, column, rule, level, message, help, source, file.migration.version, index
        )
        reason = file.ignores.silenced(index, rule)
        if reason is not None:
            self.result.silenced.append((finding, reason))
        else:
            self.result.findings.append(finding)


def _squawk_findings(
    files: Sequence[_File], found: Sequence[squawk.RawFinding], collect: _Collector, pending_set: bool
) -> None:
    by_path: dict[str, list[squawk.RawFinding]] = {}
    for item in found:
        by_path.setdefault(os.path.normpath(item.file), []).append(item)
    created_before: set[str] = set()
    for file in files:
        for item in by_path.get(os.path.normpath(str(file.migration.path)), []):
            if item.rule == squawk.SYNTAX_ERROR:
                collect.result.notes.append(
                    f"{file.migration.path}: squawk could not parse this file (PostgreSQL's parser can), so "
                    "squawk's rules did not run on it; our Supabase rules did."
                )
                continue
            offset = file.offset(item.line, item.column)
            index = file.statement_at(offset)
            node = file.nodes[index] if index is not None else None
            hit = tree.targets(node) if node is not None else set()
            new = (created_before if pending_set else set()) | _created(file.nodes[: index or 0])
            if item.rule in EXISTING_TABLE_RULES and hit and hit <= new:
                continue  # the table is new: this file, or an earlier pending migration, creates it
            if (
                item.rule == "ban-drop-function"
                and index is not None
                and tree.made_again(node, file.nodes[index + 1 :])
            ):
                continue  # dropped to be made again, same signature, in the same transaction: callers see no gap
            fix = item.help or f"See {SQUAWK_DOCS}{item.rule}"
            collect.add(file, offset, item.rule, item.message, fix, "squawk")
        for node in file.nodes:
            created_before |= tree.created(node)


def _created(nodes: Sequence[Any]) -> set[str]:
    return {name for node in nodes for name in tree.created(node)}


def _supabase_findings(files: Sequence[_File], exposed: frozenset[str], collect: _Collector) -> None:
    enabled = {name for file in files for node in file.nodes if (name := tree.enables_rls(node))}
    fixed = {name for file in files for node in file.nodes if (name := tree.function_search_path_set(node))}
    revoked = {name for file in files for node in file.nodes for name in supabase.revoked_from_anon(node)}
    for file in files:
        ctx = supabase.Context(exposed, enabled, fixed, revoked=revoked)
        for (start, _end), node in zip(file.spans, file.nodes):
            for rule, what in supabase.check(node, ctx):
                spec = SUPABASE_RULES[rule]
                collect.add(file, start, rule, f"{what}: {spec.message}", spec.help, "supabase")
        for invalid in file.ignores.invalid:
            spec = OWN_RULES["lint-ignore-invalid"]
            collect.add(file, invalid.offset, spec.name, f"{spec.message} ({invalid.problem})", spec.help, "lint")


def lint(
    migrations: Sequence[Migration],
    settings: LintSettings,
    *,
    exposed_schemas: Sequence[str],
    scope: str = "pending",
    every: Sequence[Migration] = (),
) -> LintResult:
    """Lint ``migrations`` (in apply order); ``scope`` "pending" treats them as one set applied together.

    ``every`` (all local migrations, in order) gives the release phases the column types of the earlier ones.
    """
    started = time.perf_counter()
    level_of = levels(settings)
    result = LintResult(scope, [str(m.path) for m in migrations])
    files = [_File.read(m) for m in migrations]
    exclude = sorted(rule for rule in SQUAWK_RULES if level_of[rule] == OFF)
    include = sorted(rule for rule in SQUAWK_RULES if settings.rules.get(rule, OFF) != OFF)  # opt-in ones too
    paths = [str(m.path) for m in migrations]
    found = squawk.run(paths, pg_version=settings.pg_version, exclude=exclude, include=include)
    collect = _Collector(result, level_of)
    _squawk_findings(files, found, collect, scope == "pending")
    _supabase_findings(files, frozenset(exposed_schemas), collect)
    order = {str(m.path): i for i, m in enumerate(migrations)}
    result.findings.sort(key=lambda f: (order.get(f.file, 0), f.line, f.column, f.rule))
    result.phases = classify_pending(every or migrations, migrations)
    result.seconds = time.perf_counter() - started
    return result
