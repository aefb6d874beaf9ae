"""``db.plan``: rehearse pending migrations on a real engine and prove their down SQL; the live project gets one read.

Modules: ``live`` (the one request to the live project), ``probe`` (SQL that watches locks, file nodes and
scans from inside the rehearsal's transaction), ``locks`` (lock modes and what they block), ``rehearse``
(one migration, statement by statement, as db.apply sends it), ``proof`` (the rollback proof), ``run``
(:func:`~.run.plan`), ``results``, ``render`` and ``pull_request`` (``nox -s migrations_pr``). Nothing is
imported here.
"""
