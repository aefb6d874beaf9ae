"""What every task shares: the task class, settings from the context, the reporter, signals, exit codes."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import invoke.tasks
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.parser.argument import Argument

from ..config.settings import Settings, load_settings
from ..errors import ConfigError, MigrationFileError, MigrationsTasksError
from ..output import github, streams
from ..output.reporter import Reporter
from ..progress import StopRequest

if TYPE_CHECKING:
    from ..history.migrations import LocalMigrations
    from ..transport.database import Database


class WholeNumber(Argument):
    """An option shown as ``=INT``; a value that is not a whole number reaches the task as written.

    Invoke would raise a bare ValueError (a traceback) for it; the task's settings refuse it instead, naming
    the option, with the documented exit code (``--batch-size must be a whole number, not 'many'.``, exit 3).
    """

    def set_value(self, value: Any, cast: bool = True) -> None:
        try:
            super().set_value(value, cast=cast)
        except ValueError:
            super().set_value(value, cast=False)


class Task(invoke.tasks.Task[Any]):
    """Invoke's Task, for every task here (made by :func:`task`), plus two things.

    * ``whole_numbers``: options that take a whole number, shown as ``--batch-size=INT`` in ``--help`` also
      when their default is None (Invoke takes an option's type from its default, and None reads as a
      string). None stays "not given", so a setting from the environment or invoke.yaml still applies.
    * The body runs with stdout and stderr guarded (:func:`migrations_tasks.output.streams.guarded`): a reader
      that leaves early (``inv db.lint --json | head -c 600``) costs the rest of the output, not a traceback.
    """

    def __init__(self, body: Callable[..., Any], *, whole_numbers: Iterable[str] = (), **options: Any) -> None:
        super().__init__(body, **options)
        self.whole_numbers = frozenset(whole_numbers)

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        return [
            WholeNumber(
                names=a.names,
                kind=int,
                default=a.default,
                help=a.help,
                positional=a.positional,
                optional=a.optional,
                incrementable=a.incrementable,
                attr_name=a.attr_name,
            )
            if a.name in self.whole_numbers
            else a
            for a in super().get_arguments(ignore_unknown_help)
        ]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with streams.guarded():
            return super().__call__(*args, **kwargs)


def task(**options: Any) -> Callable[[Callable[..., Any]], Task]:
    """Invoke's ``@task(...)`` making a :class:`Task` (which also takes ``whole_numbers=[...]``)."""
    return cast(Callable[[Callable[..., Any]], Task], invoke.tasks.task(klass=Task, **options))


def settings(c: Context, require_database: bool = True, **flags: Any) -> Settings:
    """Return validated settings from the task's flags, the environment, .env and Invoke config.

    With ``target`` (``--target NAME``) they are that one target's (several are refused: the task takes one).
    In GitHub Actions the secrets are masked (``::add-mask::``) before anything else is printed.
    """
    spec = flags.get("target")
    if spec:
        chosen = targets(c, need_secrets=False, **flags)  # how many, before what they lack
        if len(chosen) != 1:
            names = ", ".join(s.target.label for s in chosen)
            raise ConfigError(
                f"--target {spec} names {len(chosen)} targets ({names}); this task runs on one.",
                hint="Give one target's name or project ref.",
            )
        return targets(c, **flags)[0]
    result = load_settings(
        getattr(c, "config", None), flags=flags, dotenv_path=Path(".env"), require_database=require_database
    )
    github.mask(result.secrets())
    return result


def targets(c: Context, *, need_secrets: bool = True, **flags: Any) -> list[Settings]:
    """Return the settings of every target ``flags["target"]`` names (a target, a group, a comma list).

    Every chosen target's secrets are masked in GitHub Actions before anything else is printed.
    """
    given = [f"--{k.replace('_', '-')}" for k in ("project_ref", "transport") if flags.get(k)]
    if given:
        raise ConfigError(
            f"Give --target or {' and '.join(given)}, not both.",
            hint="A target in invoke.yaml (migrations.targets) says its transport and project ref itself.",
        )
    base = load_settings(getattr(c, "config", None), flags=flags, dotenv_path=Path(".env"))
    chosen = base.select(str(flags["target"]), need_secrets=need_secrets)
    github.mask([secret for s in chosen for secret in s.secrets()])
    return chosen


@contextmanager
def database(
    c: Context, reporter: Reporter, *, warn: bool = True, **flags: Any
) -> Iterator[tuple[Settings, LocalMigrations, Database]]:
    """Read settings, load the migrations (printing their warnings), connect; close the connection after."""
    from ..history.migrations import load
    from ..transport.connect import connect

    s = settings(c, **flags)
    local = load(s.migrations_dir, s.rollbacks_dir)
    if warn:
        for warning in local.warnings:
            reporter.warn(warning)
    db = connect(s.target, s, on_wait=reporter.progress)
    try:
        yield s, local, db
    finally:
        db.close()


class SignalAbort(KeyboardInterrupt):
    """The KeyboardInterrupt a second signal raises; it knows which signal that was (SIGTERM after a SIGINT...)."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal.Signals(signal_number).name)
        self.signal_number = signal_number


def abort_exit_code(exc: BaseException) -> int:
    """Return 128 + the signal behind a KeyboardInterrupt (SIGINT when it does not say)."""
    return 128 + int(getattr(exc, "signal_number", signal.SIGINT))


@contextmanager
def exits(reporter: Reporter) -> Iterator[None]:
    """Turn foreseeable errors into a message and Invoke's Exit with the documented code."""
    try:
        yield
    except MigrationsTasksError as exc:
        reporter.error(exc)
        annotate_error(exc)
        raise Exit(code=exc.exit_code) from None
    except KeyboardInterrupt as exc:
        reporter.error(
            MigrationsTasksError(
                "Aborted. A request that was in flight either committed as a whole or not at all.",
                hint="Run db.check to see where the database is, then run the task again.",
            )
        )
        raise Exit(code=abort_exit_code(exc)) from None


@contextmanager
def stop_on_signals(reporter: Reporter, stopping: str) -> Iterator[StopRequest]:
    """While inside, SIGINT/SIGTERM ask the run to stop at its next safe point; a second signal aborts.

    ``stopping`` says what happens next (``"stopping at the next safe point"``); a second signal restores
    the previous handlers and raises :class:`SignalAbort` (a KeyboardInterrupt).
    """
    stop = StopRequest()
    previous: dict[signal.Signals, Any] = {}

    def handler(signum: int, frame: object) -> None:
        if stop.signal_number:
            for sig, old in previous.items():
                signal.signal(sig, old)
            raise SignalAbort(signum)
        stop.ask(signum)
        reporter.progress(f"\n{signal.Signals(signum).name} received: {stopping}")

    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
    except ValueError:  # not the main thread: no signal handling
        previous = {}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def stoppable(reporter: Reporter, stopping: str, aborted: str) -> Iterator[StopRequest]:
    """Errors become exit codes; SIGINT / SIGTERM ask the run to stop at its next safe point.

    A second signal aborts: the KeyboardInterrupt it raises has run every ``finally`` of the work by the
    time it arrives here, which prints ``aborted`` (what to check now) and exits 128 + that signal.
    """
    with exits(reporter), stop_on_signals(reporter, stopping) as stop:
        try:
            yield stop
        except KeyboardInterrupt as exc:
            reporter.progress(aborted)
            raise Exit(code=abort_exit_code(exc)) from None


def annotate_error(exc: MigrationsTasksError) -> None:
    """In GitHub Actions, pin an error to the migration file and line it is about."""
    problems = getattr(exc, "problems", None) or [exc]
    for problem in problems:
        file = getattr(problem, "path", None)
        line = getattr(problem, "line", None)
        column = problem.column if isinstance(problem, MigrationFileError) else None
        github.annotate("error", problem.message, file=file, line=line, column=column, title=type(problem).__name__)
