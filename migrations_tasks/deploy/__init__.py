"""Ship a release to servers over SSH, switch atomically, check health, roll back when unhealthy.

Plain functions with typed results, for tasks and for release flows alike::

    from migrations_tasks.settings import load_deploy_settings
    from migrations_tasks.deploy import deploy, DeployFailed

    config = load_deploy_settings(c.config, environment="staging")
    try:
        result = deploy(c, config)          # DeployResult: release, hosts, health
    except DeployFailed as exc:
        result = exc.result                 # rolled back? on which hosts?

Modules, from the edge inwards: ``flow`` (orchestration), ``runner`` (the only caller of ``c.run``),
``ssh`` (OpenSSH command lines), ``releases`` (the server layout as shell snippets, and decisions),
``bundle`` (which local files ship), ``health`` (polling), ``config`` (typed settings), ``results``.
Importing this package does not import httpx.
"""

from __future__ import annotations

from ..errors import DeployError, DeployFailed, RollbackIncomplete
from .config import DeployConfig, HealthCheck, HealthConfig, Host
from .flow import check_health, deploy, rollback, status, unlock
from .health import HealthResult
from .results import DeployResult, HostOutcome, RollbackResult

__all__ = [
    "DeployConfig",
    "DeployError",
    "DeployFailed",
    "DeployResult",
    "HealthCheck",
    "HealthConfig",
    "HealthResult",
    "Host",
    "HostOutcome",
    "RollbackIncomplete",
    "RollbackResult",
    "check_health",
    "deploy",
    "rollback",
    "status",
    "unlock",
]
