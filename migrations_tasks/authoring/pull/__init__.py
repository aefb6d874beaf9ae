"""``db.pull``: turn what the live database has and the migrations lack into a new, proven migration.

Modules, in the order the data flows: ``catalog`` (the drift check's snapshot plus what generating
statements needs: quoted names, object ids, grants, sequences), ``steps`` (a statement and its place in
the file), ``tables`` and ``objects`` and ``grants`` (catalog differences into statements, pure),
``generate`` (all of them, in an order PostgreSQL accepts), ``script`` (the migration file's text),
``proof`` (the throwaway database: apply, compare, roll back, compare), ``record`` (the live ledger row),
``run`` (:func:`pull`), ``results`` and ``render``.
"""

from __future__ import annotations
