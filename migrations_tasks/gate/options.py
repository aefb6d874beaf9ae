"""Settings of the ``release`` section: the gate's environments and their policies.

``release.environments.<name>`` in invoke.yaml, over the defaults (staging and production block on pending
migrations; the sandbox applies them on a throwaway sandbox). An unknown environment is an error, never
the sandbox.

``undo_migrations_after_switch``: when a deploy fails after its release went live (it served traffic and may
have written rows), whether this run's migrations are still undone with their down SQL. Off for production
and for any environment that does not say (a ``DROP`` can lose what real users wrote); on for staging (its
data is disposable, and undoing leaves it matching the release that is live again, so the next attempt
replays the same migrations) and the sandbox (thrown away).

The policies are enums (:class:`MigrationsPolicy`, :class:`PlanPolicy`) whose values are invoke.yaml's words,
as the run record's JSON shows them too; a new policy (the contract phase's) gets its enum here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import sources
from ..config.targets import FleetOptions
from ..config.values import validate_project_ref
from ..errors import ConfigError
from ..wording import TextEnum


class MigrationsPolicy(TextEnum):
    """What pending migrations do to a release (``release.environments.<name>.migrations``)."""

    BLOCK = "block"  # the release stops before applying anything (exit 1)
    APPLY = "apply"  # they are applied (after db.lint + db.plan), then verified and deployed


class PlanPolicy(TextEnum):
    """What db.lint + db.plan do before applying (``release.environments.<name>.plan``)."""

    BLOCK = "block"  # a plan that fails, or cannot run, stops the release before applying
    STRICT = "strict"  # as block, and a plan that needs a review (strong locks on busy tables...) stops it too
    WARN = "warn"  # it is recorded and said; the release goes on
    OFF = "off"  # no rehearsal


#: Each policy's words, in order (for checking a value read from invoke.yaml or given by a caller).
MIGRATIONS_POLICIES = tuple(p.value for p in MigrationsPolicy)
PLAN_POLICIES = tuple(p.value for p in PlanPolicy)

RELEASE_SECTION = "release"
UNDO_AFTER_SWITCH = "undo_migrations_after_switch"
DEFAULT_ENVIRONMENTS: dict[str, dict[str, Any]] = {
    "staging": {"migrations": MigrationsPolicy.BLOCK, UNDO_AFTER_SWITCH: True},
    "production": {"migrations": MigrationsPolicy.BLOCK, UNDO_AFTER_SWITCH: False},
    "sandbox": {"migrations": MigrationsPolicy.APPLY, "sandbox": True, UNDO_AFTER_SWITCH: True},
}


@dataclass(frozen=True)
class GateOptions:
    """One environment of the release gate (``release.environments.<name>`` in invoke.yaml)."""

    env: str
    policy: MigrationsPolicy = MigrationsPolicy.BLOCK
    project_ref: str | None = None
    sandbox: bool = False
    deploy: bool = True
    record_dir: str = ".release"
    stop: str | None = None
    #: Undo this run's migrations after a failed deploy whose release went live (see the module docstring).
    undo_after_switch: bool = False
    plan: PlanPolicy = PlanPolicy.BLOCK
    #: ``targets: GROUP``: the migrations steps run on every target it names (migrations.targets), as a fleet.
    targets: str | None = None
    fleet: FleetOptions = field(default_factory=FleetOptions)


def _environments(section: dict[str, Any]) -> dict[str, dict[str, Any]]:
    environments = {name: dict(spec) for name, spec in DEFAULT_ENVIRONMENTS.items()}
    configured = section.get("environments") or {}
    if not isinstance(configured, dict):
        raise ConfigError(f"invoke.yaml: '{RELEASE_SECTION}.environments' must be a mapping of names.")
    for name, spec in configured.items():
        if not isinstance(spec or {}, dict):
            raise ConfigError(f"invoke.yaml: '{RELEASE_SECTION}.environments.{name}' must be a mapping.")
        environments.setdefault(str(name), {}).update(spec or {})
    return environments


def load_gate_options(config: Any, env: str) -> GateOptions:
    """Return the gate options of ``env``; an unknown environment is an error, never the sandbox."""
    section = sources.section(config, RELEASE_SECTION)
    environments = _environments(section)
    if env not in environments:
        raise ConfigError(
            f"Unknown environment {env!r}.",
            hint=f"Known: {', '.join(sorted(environments))}. Define it under '{RELEASE_SECTION}: environments:' "
            "in invoke.yaml.",
        )
    spec = environments[env]
    policy = str(spec.get("migrations", "block"))
    if policy not in MIGRATIONS_POLICIES:
        raise ConfigError(
            f"invoke.yaml {RELEASE_SECTION}.environments.{env}.migrations must be 'block' or 'apply', not {policy!r}."
        )
    plan = {False: "off"}.get(spec.get("plan", "block"), str(spec.get("plan", "block")))  # YAML reads `off` as false
    if plan not in PLAN_POLICIES:
        raise ConfigError(
            f"invoke.yaml {RELEASE_SECTION}.environments.{env}.plan must be 'block', 'strict', 'warn' or 'off', "
            f"not {plan!r}."
        )
    ref = spec.get("project_ref")
    where = f"invoke.yaml {RELEASE_SECTION}.environments.{env}.project_ref"
    undo = spec.get(UNDO_AFTER_SWITCH, False)
    if not isinstance(undo, bool):
        raise ConfigError(
            f"invoke.yaml {RELEASE_SECTION}.environments.{env}.{UNDO_AFTER_SWITCH} must be true or false, not {undo!r}."
        )
    targets = spec.get("targets")
    if targets is not None and (not isinstance(targets, str) or not targets.strip()):
        raise ConfigError(
            f"invoke.yaml {RELEASE_SECTION}.environments.{env}.targets must name a target group (or a comma list)."
        )
    where_env = f"invoke.yaml {RELEASE_SECTION}.environments.{env}"
    fleet = FleetOptions.read(spec.get("parallel"), spec.get("canary"), spec.get("on_error"), section=where_env)
    return GateOptions(
        env=env,
        targets=targets.strip() if targets else None,
        fleet=fleet,
        policy=MigrationsPolicy(policy),
        project_ref=validate_project_ref(str(ref), where) if ref else None,
        sandbox=bool(spec.get("sandbox", False)),
        deploy=bool(spec.get("deploy", True)),
        record_dir=str(section.get("record_dir", ".release")),
        stop=str(spec["stop"]) if spec.get("stop") else None,
        undo_after_switch=undo,
        plan=PlanPolicy(plan),
    )
