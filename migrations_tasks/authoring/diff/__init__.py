"""``db.diff``: turn what ``supabase/schemas`` declares and the migrations lack into a new, proven migration.

Modules, in the order the data flows: ``sources`` (the schema files, in the Supabase CLI's order, parsed as
migrations, and the statements a declarative file cannot hold), ``renames`` (probable renames: asked, not
guessed), ``run`` (:func:`diff`: two throwaway databases, then db.pull's generation and proof),
``check`` (db.check's question: do the schema files and the migrations agree?), ``results`` and ``render``.
"""

from __future__ import annotations
