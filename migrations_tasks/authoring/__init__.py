"""Write migrations: ``db.new`` (a correctly named empty file) and ``db.pull`` (live changes, proven).

Modules: ``new`` (the Supabase CLI's file name rule and the file template, pure) and ``pull/`` (the
live catalog into statements, proven on a throwaway database before anything is written).
"""

from __future__ import annotations
