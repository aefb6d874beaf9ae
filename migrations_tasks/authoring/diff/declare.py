"""``db.pull --schemas``: the live schema into ``supabase/schemas``, proven before anything is written.

The schema files (:mod:`.sources`, in the Supabase CLI's order) are built on a throwaway database as
``db.diff`` builds them (:mod:`.build`); db.pull's generator writes the statements from their catalog to the
live one (rehearsed there). With no schema file yet, that is the whole schema, laid out one file per schema
(:mod:`.layout`); otherwise the statements are appended to the last file in the order, under a comment that
says where they came from. The proof: every schema file, as it would be written, is built on a second
throwaway database and its catalog compared with the live one (the comparison ``db.verify`` and ``db.diff``
use); a difference left, or a statement that fails, writes nothing and names it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ...catalog import Snapshot, compare
from ...config.settings import Settings
from ...errors import ConfigError, MigrationFailed, MigrationFileError
from ...progress import Notify
from ...verify.throwaway import Throwaway
from ..pull.proof import Unproven, Workbench, generate, remaining, tolerated
from ..pull.script import FUNCTION_BODIES_OFF, statement_text
from ..pull.steps import Step
from .build import build_declared, two_throwaways
from .layout import lay_out
from .sources import SCHEMAS_DIR, parse_schema, schema_files, schema_paths

COMMAND = "db.pull --schemas"


@dataclass
class SchemaWrite:
    """The schema files' new texts, proven; :meth:`commit` writes them."""

    texts: dict[Path, str] = field(default_factory=dict)
    #: The files that do not exist yet (the others are rewritten: statements appended).
    created: list[Path] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    where: str = ""

    def commit(self) -> list[Path]:
        """Write the files (a new file is never written over); return them."""
        for path, text in self.texts.items():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("x" if path in self.created else "w", encoding="utf-8", newline="\n") as handle:
                    handle.write(text)
            except FileExistsError:
                raise MigrationFileError(f"{path} already exists; it was not written.", path=str(path)) from None
            except OSError as exc:
                raise MigrationFileError(f"Cannot write {path}: {exc.strerror}.", path=str(path)) from None
        return list(self.texts)


def _with_bodies_off(statements: Sequence[str]) -> list[str]:
    """Return a file's statements, function bodies checked at run time when it makes functions (as pg_dump)."""
    makes = any(s.startswith(("CREATE OR REPLACE FUNCTION", "CREATE OR REPLACE PROCEDURE")) for s in statements)
    return [FUNCTION_BODIES_OFF, *statements] if makes else list(statements)


def _body(statements: Sequence[str], commented: Sequence[Step]) -> str:
    parts = [f"{sql};" for sql in _with_bodies_off(statements)]
    if commented:
        drops = "\n".join(f"-- {line}" for s in commented for line in f"{statement_text(s)};".split("\n"))
        parts.append(
            "-- The live database lacks these; dropping is destructive, so they stay commented out (inv db.pull\n"
            "-- --schemas --include-drops writes them; better: remove the objects from the files above).\n" + drops
        )
    return "\n\n".join(parts) + "\n"


def texts_for(
    files: Sequence[Path], directory: Path, steps: Sequence[Step], commented: Sequence[Step], now: datetime
) -> tuple[dict[Path, str], list[Path]]:
    """Return the new texts of the schema files, and which of them are new (see the module docstring)."""
    stamp = now.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    statements = [statement_text(s) for s in steps]
    if files:
        last = files[-1]
        old = last.read_text(encoding="utf-8")
        header = (
            f"-- Pulled from the live database by inv {COMMAND} on {stamp}: move these statements where they\n"
            "-- belong (db.diff and db.check show that the move changes nothing).\n\n"
        )
        return {
            last: old + ("" if old.endswith("\n") or not old else "\n") + "\n" + header + _body(statements, commented)
        }, []
    layout = lay_out(statements)
    out: dict[Path, str] = {}
    for name, part in layout.files:
        header = f"-- {name}: declared from the live database by inv {COMMAND} on {stamp}.\n\n"
        out[directory / name] = header + _body(part, [])
    return out, list(out)


def _built(bench: Workbench, files: Sequence[Path], directory: Path) -> Snapshot:
    """Build ``files`` (named as in ``directory``) on ``bench``; a failure is Unproven, naming file and line."""
    try:
        return build_declared(bench, parse_schema(files, directory))
    except MigrationFailed as exc:
        raise Unproven(
            "the schema files with the pulled statements do not build",
            [exc.message.replace(str(directory) + "/", "")],
            hint="Write this change into the schema files by hand; docs/declarative.md says what is written.",
        ) from None


def _proven(bench: Workbench, files: Sequence[Path], texts: dict[Path, str], scratch: Path, root: Path) -> Snapshot:
    """Build every schema file as it would be written, in a copy under ``scratch`` (``root``: the supabase
    directory the files are named from); return its catalog."""
    copies = []
    for path in [*files, *(p for p in texts if p not in files)]:
        copy = scratch / (path.relative_to(root) if path.is_relative_to(root) else path.name)
        copy.parent.mkdir(parents=True, exist_ok=True)
        if path in texts:
            copy.write_text(texts[path], encoding="utf-8")
        else:
            shutil.copyfile(path, copy)
        copies.append(copy)
    return _built(bench, copies, scratch)


def into_schemas(
    live: Snapshot, supabase_dir: Path, settings: Settings, *, include_drops: bool, now: datetime, say: Notify
) -> SchemaWrite | None:
    """Return the schema files' new texts, proven to build the live schema (None: they already do)."""
    files = schema_files(supabase_dir)
    if not files and schema_paths(supabase_dir):
        raise ConfigError(
            f"{supabase_dir / 'config.toml'}: [db.migrations] schema_paths lists no file yet, so db.pull --schemas "
            f"cannot tell where to write the whole schema.",
            hint="Remove schema_paths (then the files go to supabase/schemas/), or create the files it lists.",
        )
    directory = supabase_dir / SCHEMAS_DIR
    info = Throwaway()
    with ExitStack() as stack:
        urls = two_throwaways(stack, settings, info, f"{COMMAND} builds the schema files")
        bench, check = Workbench(urls[0], settings, COMMAND), Workbench(urls[1], settings, COMMAND)
        stack.callback(bench.close)
        stack.callback(check.close)
        say(f"pull: building the {len(files)} schema file(s) on a throwaway database ...")
        declared = _built(bench, files, directory) if files else bench.snapshot()
        initial = compare(declared, live)
        if not initial:
            return None
        say(f"pull: {len(initial)} difference(s) between the schema files and the live database; writing them ...")
        up = generate(bench, declared, live, include_drops=include_drops)
        if up.unsupported:
            raise Unproven("some live differences cannot be written into the schema files", up.unsupported)
        texts, created = texts_for(files, directory, up.steps, up.commented, now)
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mt-schemas-")))
        after = _proven(check, files, texts, scratch, supabase_dir)
        left = remaining(after, live, tolerated(initial, include_drops))
        if left:
            raise Unproven("the schema files with the pulled statements do not build the live schema", left)
        return SchemaWrite(texts, created, [s.summary for s in up.steps if s.summary], info.where)
