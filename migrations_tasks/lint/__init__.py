"""``db.lint``: migration-safety rules (squawk's) and Supabase rules (ours) over migration files, no database.

Modules: ``rules`` (names, levels, messages and fixes), ``squawk`` (run the binary of the squawk-cli wheel,
read its JSON), ``tree`` (what a statement does, from PostgreSQL's syntax tree), ``supabase`` (our rules),
``ignores`` (``-- lint-ignore rule: reason`` comments), ``run`` (:func:`~.run.lint`), ``results`` and
``render``. Nothing is imported here, so loading the package stays cheap.
"""
