"""Ship a release to servers over SSH, switch atomically, check health, roll back when unhealthy.

Plain functions with typed results, for tasks and for release flows alike::

    from migrations_tasks.deploy.settings import load_deploy_settings
    from migrations_tasks.deploy import deploy, DeployFailed

    config = load_deploy_settings(c.config, environment="staging")
    try:
        result = deploy(c, config)          # DeployResult: release, hosts, health
    except DeployFailed as exc:
        result = exc.result                 # rolled back? on which hosts?

Pass ``runtime=Runtime(...)`` (``migrations_tasks.deploy.runtime``) to inject the clock, sleep, the HTTP
transport of the health checks, or a stop request.

Modules, from the edge inwards: ``operations`` (deploy, rollback, status, unlock, check_health: the order of
the steps), ``switch`` (switch, restart, switch back, finish), ``prepare`` (what ships, upload, shared links,
before_switch), ``session`` (per-run host state, connections, the lock, the log), ``runner`` (the only caller
of ``c.run``), ``ssh`` (OpenSSH command lines), ``releases`` (the server layout as shell snippets, and
decisions), ``bundle`` (which local files ship), ``shared`` (linking shared paths), ``health`` (polling),
``results`` (typed outcomes, status enums), ``runtime`` (injected callables), ``settings`` / ``parse`` /
``parse_ssh`` / ``config`` (typed settings). Importing this package does not import httpx.
"""

from __future__ import annotations

from ..errors import DeployError, DeployFailed, RollbackIncomplete
from .config import DeployConfig, HealthCheck, HealthConfig, Host
from .health import HealthResult
from .operations import check_health, deploy, rollback, status, unlock
from .results import DeployResult, HostOutcome, RollbackResult
from .runtime import Runtime

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
    "Runtime",
    "check_health",
    "deploy",
    "rollback",
    "status",
    "unlock",
]
