"""The targets as a GitHub Actions ``strategy.matrix``: one job per target, or per chunk of targets (pure).

Each entry's ``target`` is what ``--target`` takes (a name, or a comma list for a chunk), so a workflow's job
runs ``inv db.apply --target "${{ matrix.target }}"``; GitHub allows at most 256 jobs per matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ConfigError

#: The most jobs GitHub Actions makes of one matrix.
MAX_JOBS = 256


def github_matrix(names: Sequence[str], chunk: int = 1) -> dict[str, Any]:
    """Return ``{"include": [{"target": ..., "name": ...}, ...]}`` with ``chunk`` targets per entry."""
    if chunk < 1:
        raise ConfigError(f"--chunk must be a whole number of at least 1, not {chunk}.")
    groups = [list(names[i : i + chunk]) for i in range(0, len(names), chunk)]
    if len(groups) > MAX_JOBS:
        needed = -(-len(names) // MAX_JOBS)
        raise ConfigError(
            f"{len(names)} targets make {len(groups)} jobs; a GitHub Actions matrix has at most {MAX_JOBS}.",
            hint=f"Give --chunk {needed} (or more): each job then runs that many targets with --parallel.",
        )
    if chunk == 1:
        return {"include": [{"target": group[0], "name": group[0]} for group in groups]}
    total = len(groups)
    return {
        "include": [
            {"target": ",".join(group), "name": f"{n}/{total}: {group[0]}..{group[-1]}"}
            for n, group in enumerate(groups, 1)
        ]
    }
