"""The database tasks over several targets (``--target GROUP`` or a comma list): one home for "many targets".

A task hands over what it does per target (a :data:`~migrations_tasks.fleet.jobs.Work` made from
:class:`~migrations_tasks.fleet.jobs.Jobs`); this module reads the targets and the fleet flags, runs them
(:func:`migrations_tasks.fleet.schedule.run_targets`) with SIGINT/SIGTERM stopping every target at a
migration boundary, and reports (:mod:`migrations_tasks.fleet.render`). A single target's name or ref runs
the task as usual, with its own report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from invoke.context import Context
from invoke.exceptions import Exit

from ..errors import ConfigError
from ..output.reporter import Reporter
from ._common import exits, settings, stop_on_signals, targets, task

if TYPE_CHECKING:
    from ..config.settings import Settings
    from ..fleet.jobs import Jobs, Work
    from ..history.migrations import LocalMigrations

STOPPING_ALL = "stopping every target at its next migration boundary (send it again to abort at once)."


def several(c: Context, where: Any) -> bool:
    """Return True when ``--target`` names a group or several targets (then the task runs as a fleet).

    The fleet flags without ``--target`` are refused (exit 3), naming them.
    """
    spec = where.target
    if not spec:
        loose = [f"--{k.replace('_', '-')}" for k in ("parallel", "canary") if getattr(where, k, None) is not None]
        if loose:
            with exits(Reporter(json=where.json)):
                raise ConfigError(f"{' and '.join(loose)} need --target naming several targets or a group.")
        return False
    with exits(Reporter(json=where.json)):
        base = settings(c, require_database=False, migrations_dir=where.migrations_dir)
    return "," in spec or spec.strip() in base.groups


def run_fleet(
    c: Context,
    where: Any,
    task: str,
    work: Callable[[Jobs], Work],
    *,
    done_word: str = "applied",
    flags: Mapping[str, Any] | None = None,
    schemas: bool = False,
) -> Any:
    """Run ``work`` on every target ``where.target`` names; exit with the highest target exit code.

    ``schemas`` (db.check): also compare supabase/schemas with the migrations, once for all targets.
    """
    from ..engine.render import say_schemas, schemas_document
    from ..errors import EXIT_FAILED
    from ..fleet.jobs import Jobs
    from ..fleet.report import render_fleet, render_line
    from ..fleet.results import FleetOptions
    from ..fleet.schedule import run_targets
    from ..history.migrations import load

    reporter = Reporter(json=where.json)
    with exits(reporter), stop_on_signals(reporter, STOPPING_ALL) as stop:
        options = FleetOptions.read(where.parallel, where.canary, where.on_error)
        given = {"migrations_dir": where.migrations_dir, "transport": where.transport, "project_ref": where.project_ref}
        chosen = targets(c, target=where.target, **given, **(flags or {}))
        local = load(chosen[0].migrations_dir, chosen[0].rollbacks_dir)
        for warning in local.warnings:
            reporter.warn(warning)
        jobs = Jobs(local, reporter.progress)
        reporter.progress(
            f"{task} on {len(chosen)} targets, {options.parallel} at a time"
            + (f", the first {options.canary} alone first" if options.canary else "")
            + f", on error: {options.on_error}."
        )
        runs = run_targets(
            chosen,
            jobs.job(work(jobs)),
            options,
            label=lambda s: s.target.label,
            stop=stop,
            on_done=lambda run: render_line(reporter, run, done_word),
        )
        differences = _schemas(chosen[0], local, reporter) if schemas else None
        code = render_fleet(
            reporter,
            runs,
            task=task,
            done_word=done_word,
            floor=EXIT_FAILED if differences else 0,
            extra=schemas_document(differences),
        )
        if not reporter.json:
            say_schemas(reporter, differences)
    if code:
        raise Exit(code=code)
    return runs


def _schemas(settings: Settings, local: LocalMigrations, reporter: Reporter) -> list[str] | None:
    """Return how supabase/schemas differs from the migrations (None without schema files): the same for all."""
    from ..authoring.diff.check import schemas_differences

    return schemas_differences(local, settings, settings.migrations_dir.parent, reporter.progress)


@task(
    name="targets",
    help={
        "target": "list only the targets this names (a target, a group, a project ref, or a comma list)",
        "github_matrix": "print the JSON a GitHub Actions strategy.matrix takes (one line: for $GITHUB_OUTPUT)",
        "chunk": "with --github-matrix: targets per matrix entry (default 1; GitHub allows 256 entries)",
        "json": "print one JSON document instead of the table",
    },
    whole_numbers=["chunk"],
)
def targets_task(
    c: Context, target: str | None = None, github_matrix: bool = False, chunk: int = 1, json: bool = False
) -> Any:
    """List the named targets (invoke.yaml migrations.targets) and their groups; --github-matrix for Actions."""
    import json as jsonlib

    from ..fleet.matrix import github_matrix as matrix_of
    from ..output.reporter import table

    reporter = Reporter(json=json)
    with exits(reporter):
        base = settings(c, require_database=False)
        spec = target or ",".join(base.targets)
        if not spec:
            raise ConfigError(
                "No targets: invoke.yaml has no migrations.targets.",
                hint="Name them there (docs/fleet.md), or give --target with project refs.",
            )
        if not isinstance(chunk, int):
            raise ConfigError(f"--chunk must be a whole number of at least 1, not {chunk!r}.")
        chosen = base.select(spec, need_secrets=False)
        names = [s.target.label for s in chosen]
        if github_matrix:
            print(jsonlib.dumps(matrix_of(names, chunk), separators=(",", ":")), file=reporter.out, flush=True)
            return names
        member_of = {n: [g for g, members in base.groups.items() if n in members] for n in names}
        entries: list[dict[str, Any]] = [
            {
                "target": s.target.label,
                "transport": s.transport,
                "project_ref": s.project_ref,
                "groups": member_of[s.target.label],
                "missing": list(base.targets[s.target.label].missing) if s.target.label in base.targets else [],
            }
            for s in chosen
        ]
        if reporter.json:
            reporter.document({"targets": entries, "groups": {g: list(m) for g, m in base.groups.items()}})
            return names
        rows = [
            [
                e["target"],
                e["transport"],
                e["project_ref"] or "-",
                ", ".join(e["groups"]) or "-",
                "; ".join(e["missing"]) or "set",
            ]
            for e in entries
        ]
        reporter.say(table(rows, ["TARGET", "TRANSPORT", "PROJECT", "GROUPS", "SECRETS"]))
    return names
