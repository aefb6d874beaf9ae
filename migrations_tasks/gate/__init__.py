"""The release gate (``inv release``, ``nox -s staging_gate``): check -> (apply) -> verify -> deploy -> health.

Modules: ``flow`` (:func:`run`: the order of the steps, and how a run ends), ``steps`` (each step, and undoing
this run's migrations on failure), ``record`` (the run record and its summaries), ``compat`` (the previous
release's verify scripts after the expand phase), ``options`` (the ``release`` section of invoke.yaml:
environments and policies as enums), ``environment`` (:func:`run_gate`: settings for an environment, and
the sandbox when it is one).
"""

from __future__ import annotations

from .environment import run_gate
from .flow import run
from .options import ContractPolicy, GateOptions, MigrationsPolicy, PlanPolicy, load_gate_options
from .record import RunRecord, RunStatus, Step, StepStatus, summary_markdown, summary_text
from .steps import StepFailed

__all__ = [
    "ContractPolicy",
    "GateOptions",
    "MigrationsPolicy",
    "PlanPolicy",
    "RunRecord",
    "RunStatus",
    "Step",
    "StepFailed",
    "StepStatus",
    "load_gate_options",
    "run",
    "run_gate",
    "summary_markdown",
    "summary_text",
]
