"""nox sessions: the CI gate and the project's checks, reproducible on a laptop.

nox -s lint tests                # what .ci/run runs (through dev.py; lint includes mypy)
nox -s demo                  # the README's main job on a throwaway sandbox
nox -s benchmark             # figures and ratios (installs dbmate and yoyo-migrations to compare)
nox -s stress                # faults on: kills, concurrent appliers, rate limits; prints a table
nox -s staging_gate -- --env sandbox   # the release gate, here on the sandbox (CI: --env staging)
nox -s migrations_pr -- --base origin/main   # db.lint + db.plan of a pull request's migrations, no secrets

Every session installs only pinned, hash-checked packages (requirements/, .github/requirements/).
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]
# A reused venv keeps a package that a newer lock dropped: `nox --reuse-venv=no -s lint tests` makes them anew.
nox.options.reuse_existing_virtualenvs = True

#: The pip every session's venv gets first; then the development and CI environment (what python3 dev.py
#: installs), and that of the benchmark (the sandbox extra and the peers it compares with). Each package is
#: pinned with the hash of each file (uv pip compile; see each header); python3 dev.py lock recompiles them.
PIP_REQUIREMENTS = "requirements/pip.txt"
DEV_REQUIREMENTS = "requirements/dev.txt"
BENCHMARK_REQUIREMENTS = "requirements/benchmark.txt"


def install_locked(session: nox.Session, requirements: str) -> None:
    """Install the pinned pip, every package of `requirements` (hash-checked) and the project, editable.

    The project is built from this checkout with the pinned setuptools, so nothing unpinned is fetched.
    """
    session.install("--require-hashes", "--no-deps", "-r", PIP_REQUIREMENTS)
    session.install("--require-hashes", "--no-deps", "-r", requirements)
    session.install("--no-deps", "--no-build-isolation", "-e", ".")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite (pytest arguments pass through)."""
    install_locked(session, DEV_REQUIREMENTS)
    workers = [] if any(a.startswith(("-n", "--numprocesses")) for a in session.posargs) else ["-n", "4"]
    session.run("pytest", *workers, *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Run every check of scripts/checks.py: format, lint, typing, the import test, the workflows."""
    install_locked(session, DEV_REQUIREMENTS)
    session.run("python", "scripts/checks.py")


@nox.session
def demo(session: nox.Session) -> None:
    """Run check -> apply -> check against a throwaway sandbox."""
    install_locked(session, DEV_REQUIREMENTS)
    session.run("inv", "sandbox.demo", *session.posargs)


@nox.session
def benchmark(session: nox.Session) -> None:
    """Print the benchmark table (pass --quick or --markdown docs/benchmark.md); dbmate and yoyo are locked too."""
    install_locked(session, BENCHMARK_REQUIREMENTS)
    session.run("python", "scripts/benchmark.py", *session.posargs)


@nox.session
def stress(session: nox.Session) -> None:
    """Run the stress scenarios against the sandbox with faults on (pass --quick for a short run)."""
    install_locked(session, DEV_REQUIREMENTS)
    session.run("python", "scripts/stress.py", *session.posargs)


#: Every package the gate's venv gets, pinned with the hash of each file (uv pip compile; see its header).
STAGING_GATE_REQUIREMENTS = ".github/requirements/staging-gate.txt"


@nox.session(reuse_venv=False)
def staging_gate(session: nox.Session) -> None:
    """Run the release gate in a fresh venv: `nox -s staging_gate -- --env staging [--apply-migrations]`.

    Without `--env` it targets staging, and missing staging secrets stop it (exit 3); it never falls back
    to the sandbox by itself: `-- --env sandbox` is an explicit choice. Every dependency is pinned and
    hash-checked; the project itself is built from this checkout with the pinned setuptools, so nothing
    unpinned is fetched. CI installs with `--install-only` in a step without secrets.
    """
    session.install("--require-hashes", "--no-deps", "-r", STAGING_GATE_REQUIREMENTS)
    session.install("--no-deps", "--no-build-isolation", ".")
    args = list(session.posargs)
    if not any(a == "--env" or a.startswith("--env=") for a in args):
        args = ["--env", "staging", *args]
    # On Ctrl-C the terminal signals nox and inv alike: give inv time for its orderly stop (undo, unlock,
    # record) before nox sends SIGTERM (which inv takes as a second signal: abort).
    session.run("inv", "release", *args, interrupt_timeout=300, terminate_timeout=30)


@nox.session
def migrations_pr(session: nox.Session) -> None:
    """Lint and rehearse the migrations a pull request adds, on a sandbox holding the base's (no secrets).

    `nox -s migrations_pr -- --base origin/main`: the sandbox gets the base ref's migrations, then db.lint and
    db.plan run on the working tree's; in GitHub Actions each finding is annotated once and the plan is the
    step summary. Every dependency is pinned and hash-checked (the staging gate's list, which holds the
    sandbox's), and the project is built from this checkout with the pinned setuptools.
    """
    session.install("--require-hashes", "--no-deps", "-r", STAGING_GATE_REQUIREMENTS)
    session.install("--no-deps", "--no-build-isolation", ".")
    session.run("python", "-m", "migrations_tasks.rehearsal.pull_request", *session.posargs)
