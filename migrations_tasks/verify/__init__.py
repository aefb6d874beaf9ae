"""Prove a live database: ``db.verify`` and what it is made of.

Modules: ``run`` (:func:`verify`: the four checks, one request on the live database), ``request`` (that
request and its answer), ``scripts`` (verify scripts), ``lints`` (advisories as SQL), ``drift`` (catalog
snapshot and diff), ``throwaway`` (the throwaway database the migrations are applied to), ``checks`` (the
verdicts) and ``results``.
"""

from __future__ import annotations

from .results import VerifyResult
from .run import verify

__all__ = ["VerifyResult", "verify"]
