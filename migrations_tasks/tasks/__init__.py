"""The Invoke layer: thin tasks that read Settings, call the engine and report.

Each module is one collection; :func:`namespace` assembles them for a user's ``tasks.py``.
"""

from __future__ import annotations

from typing import Any

from invoke.collection import Collection


def namespace(**extra: Any) -> Collection:
    """Return a Collection with ``db``, ``deploy``, ``sandbox`` and the ``release`` task, plus any given."""
    from . import authoring, db, deploy, fleet, gate, preflight, sandbox

    ns = Collection()
    ns.add_collection(Collection.from_module(db), name="db")
    for added in (preflight.lint, preflight.plan, fleet.targets_task):  # db.lint, db.plan, db.targets
        ns.collections["db"].add_task(added)
    for authoring_task in (
        authoring.new,
        authoring.pull,
        authoring.diff,
    ):  # db.new, db.pull, db.diff: tasks/authoring.py
        ns.collections["db"].add_task(authoring_task)
    ns.add_collection(Collection.from_module(deploy), name="deploy")
    ns.add_collection(Collection.from_module(sandbox), name="sandbox")
    ns.add_task(gate.release)
    for name, collection in extra.items():
        ns.add_collection(collection, name=name)
    return ns
