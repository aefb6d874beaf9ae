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
as the run record's JSON shows them too.

``contract`` (:class:`ContractPolicy`): when contract migrations run. ``after-health`` (the default): expand
and data migrations before the switch, contract ones once the new release is healthy, so a release rolled
back by its health check runs on a schema it knows; ``next-release``: contract ones wait for the next
release (which runs them before its switch); ``before-switch``: every migration before the switch (no
phases). With a phased policy a release that went live keeps its expand migrations whatever
``undo_migrations_after_switch`` says: the previous release runs on them by construction, and undoing them
would drop what the new release wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import sources
from ..config.targets import FleetOptions
from ..config.validate import Problems
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


class ContractPolicy(TextEnum):
    """When contract migrations run in a release (``release.environments.<name>.contract``)."""

    AFTER_HEALTH = "after-health"  # expand and data before the switch, contract once health passed
    NEXT_RELEASE = "next-release"  # contract left pending; the next release runs it before its switch
    BEFORE_SWITCH = "before-switch"  # every pending migration before the switch (no phases)


#: Each policy's words, in order (for checking a value read from invoke.yaml or given by a caller).
MIGRATIONS_POLICIES = tuple(p.value for p in MigrationsPolicy)
PLAN_POLICIES = tuple(p.value for p in PlanPolicy)
CONTRACT_POLICIES = tuple(p.value for p in ContractPolicy)

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
    #: When contract migrations run (see :class:`ContractPolicy`).
    contract: ContractPolicy = ContractPolicy.AFTER_HEALTH


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


def _word(problems: Problems, where: str, value: Any, words: tuple[str, ...]) -> str | None:
    """Return ``value`` when it is one of ``words``, else record the problem and return None."""
    word = {False: "off"}.get(value, str(value))  # YAML reads `off` as false
    if word in words:
        return word
    problems.add(where, f"must be {', '.join(repr(w) for w in words[:-1])} or {words[-1]!r}, not {word!r}.")
    return None


def load_gate_options(config: Any, env: str) -> GateOptions:
    """Return the gate options of ``env``; an unknown environment is an error, never the sandbox.

    Every bad value of the environment is reported at once (one ConfigError, exit 3).
    """
    section = sources.section(config, RELEASE_SECTION)
    environments = _environments(section)
    if env not in environments:
        raise ConfigError(
            f"Unknown environment {env!r}.",
            hint=f"Known: {', '.join(sorted(environments))}. Define it under '{RELEASE_SECTION}: environments:' "
            "in invoke.yaml.",
        )
    spec = environments[env]
    where = f"invoke.yaml {RELEASE_SECTION}.environments.{env}"
    problems = Problems()
    policy = _word(problems, f"{where}.migrations", spec.get("migrations", "block"), MIGRATIONS_POLICIES)
    plan = _word(problems, f"{where}.plan", spec.get("plan", "block"), PLAN_POLICIES)
    contract = _word(
        problems, f"{where}.contract", spec.get("contract", ContractPolicy.AFTER_HEALTH), CONTRACT_POLICIES
    )
    ref = spec.get("project_ref")
    project_ref = problems.attempt(validate_project_ref, str(ref), f"{where}.project_ref") if ref else None
    undo = spec.get(UNDO_AFTER_SWITCH, False)
    if not isinstance(undo, bool):
        problems.add(f"{where}.{UNDO_AFTER_SWITCH}", f"must be true or false, not {undo!r}.")
    targets = spec.get("targets")
    if targets is not None and (not isinstance(targets, str) or not targets.strip()):
        problems.add(f"{where}.targets", "must name a target group (or a comma list).")
    fleet = problems.attempt(
        lambda: FleetOptions.read(spec.get("parallel"), spec.get("canary"), spec.get("on_error"), section=where)
    )
    problems.raise_if_any()
    return GateOptions(
        env=env,
        targets=targets.strip() if targets else None,
        fleet=fleet or FleetOptions(),  # None only with a problem, raised above
        policy=MigrationsPolicy(policy),
        project_ref=project_ref,
        sandbox=bool(spec.get("sandbox", False)),
        deploy=bool(spec.get("deploy", True)),
        record_dir=str(section.get("record_dir", ".release")),
        stop=str(spec["stop"]) if spec.get("stop") else None,
        undo_after_switch=bool(undo),
        plan=PlanPolicy(plan),
        contract=ContractPolicy(contract),
    )
