"""One catalog model: one snapshot of a database's schema, read in one request, and one comparison.

:func:`request` reads a :class:`Snapshot` (the core objects, the detail statements need, and the parts:
everything else ``pg_dump --schema-only`` emits, plus what a user may change in Supabase's own schemas);
:func:`compare` lists every :class:`Difference` between two snapshots, and :data:`NOT_COMPARED` what it leaves
out. Drift (``db.verify``), ``db.pull``'s proof and ``db.plan``'s rollback proof all use these.
"""

from .compare import NOT_COMPARED, compare
from .diff import DIFFERS, ONLY_DATABASE, ONLY_MIGRATIONS, Difference
from .snapshot import Snapshot, as_json, request

__all__ = [
    "DIFFERS",
    "NOT_COMPARED",
    "ONLY_DATABASE",
    "ONLY_MIGRATIONS",
    "Difference",
    "Snapshot",
    "as_json",
    "compare",
    "request",
]
