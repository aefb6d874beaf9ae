"""Parse ``deploy.ssh``: how ssh connects and which host keys it trusts (pure).

Host keys are always verified. What would quietly undo that is refused here:

- ``host_key_checking`` other than ``yes`` or ``accept-new``, and ``StrictHostKeyChecking=no`` in options;
- a null device (``/dev/null``, ``/dev//null``, ``none``...) as ``known_hosts_file`` or as
  ``UserKnownHostsFile`` in options: ssh would remember no key, so ``accept-new`` would trust any key on
  every run; and, with an ``inspect`` callable (the settings reader's), a path that is not a regular file
  (a symlink to ``/dev/null``);
- ``accept-new`` in CI (``ci``) when no host keys are provided: neither ``DEPLOY_SSH_KNOWN_HOSTS`` nor a
  known_hosts file that holds keys. A CI runner starts with an empty known_hosts, so every run would trust
  whatever key answers;
- ``accept-new`` where ssh could not remember an accepted key: ssh adds it to the first known_hosts file
  (a configured one comes before ``DEPLOY_SSH_KNOWN_HOSTS``' temporary copy, see
  :func:`~.ssh.ssh_options`), so with ``DEPLOY_SSH_KNOWN_HOSTS`` and no configured file, or (with an
  ``unwritable`` callable, the settings reader's) a first file that cannot be written or created, the key
  would be forgotten and any key trusted again on the next run.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..config.validate import Problems
from ..secret import Secret
from .config import HOST_KEY_CHECKING, INSECURE_OPTIONS, SSH_OPTION_RE, KnownHostsFile, SshConfig, null_device

KNOWN_KEYS = {
    "config_file",
    "known_hosts_file",
    "identity_file",
    "host_key_checking",
    "connect_timeout",
    "multiplex",
    "batch_mode",
    "options",
}
#: Reads what a known_hosts path holds (I/O: the settings reader passes one; None trusts the paths).
Inspect = Callable[[str], KnownHostsFile]
#: Says why ssh could not add a key to a known_hosts path, or None (I/O: the settings reader passes one).
Unwritable = Callable[[str], "str | None"]


def _checking(errors: Problems, spec: Mapping[str, Any]) -> str:
    raw = spec.get("host_key_checking")
    if isinstance(raw, bool):  # YAML reads an unquoted yes/no as a boolean
        raw = "yes" if raw else "no"
    checking = (errors.text("deploy.ssh.host_key_checking", raw) or "yes").strip().lower()
    if checking not in HOST_KEY_CHECKING:
        errors.add(
            "deploy.ssh.host_key_checking",
            f"must be 'yes' or 'accept-new', not {checking!r}: host keys "
            "are always verified (put the key in known_hosts, or in DEPLOY_SSH_KNOWN_HOSTS for CI).",
        )
        return "yes"
    return checking


def _options(errors: Problems, value: Any) -> tuple[tuple[str, str], ...]:
    options: list[tuple[str, str]] = []
    for key, item in errors.mapping("deploy.ssh.options", value).items():
        where = f"deploy.ssh.options.{key}"
        text = errors.text(where, "yes" if item is True else "no" if item is False else item, required=True)
        if not isinstance(key, str) or not SSH_OPTION_RE.match(key):
            errors.add("deploy.ssh.options", f"has an invalid option name {key!r}.")
            continue
        if text is None:
            continue
        if text.strip().lower() in INSECURE_OPTIONS.get(key.lower(), set()):
            errors.add(where, f"= {text} would switch host key verification off; refused.")
            continue
        options.append((key, text))
    return tuple(options)


def _option_files(options: tuple[tuple[str, str], ...]) -> Iterator[tuple[str, str]]:
    """Yield ``(where, path)`` for each file of a ``UserKnownHostsFile`` option (ssh splits on blanks)."""
    for key, value in options:
        if key.lower() == "userknownhostsfile":
            try:
                paths = shlex.split(value)
            except ValueError:
                paths = value.split()
            yield from ((f"deploy.ssh.options.{key}", path) for path in paths)


def _known_files(errors: Problems, files: list[tuple[str, str]], inspect: Inspect | None) -> bool:
    """Refuse null devices and non-files among known_hosts paths; return whether one holds keys."""
    holds_keys = False
    for where, path in files:
        if null_device(path):
            errors.add(
                where,
                f"= {path} is a null device: ssh would remember no host key (and accept-new would trust any key "
                "on every run); refused. Name a real known_hosts file.",
            )
            continue
        kind = inspect(path) if inspect is not None else KnownHostsFile.KEYS
        if kind == KnownHostsFile.NOT_A_FILE:
            errors.add(where, f"= {path} {kind}: it cannot hold host keys; refused. Name a real known_hosts file.")
        holds_keys = holds_keys or kind == KnownHostsFile.KEYS
    return holds_keys


def _remembered(
    errors: Problems, first: tuple[str, str] | None, *, from_environment: bool, unwritable: Unwritable | None
) -> None:
    """Refuse ``accept-new`` when ssh could not remember the keys it accepts (``first``: where it writes them)."""
    if first is None:
        if from_environment:
            errors.add(
                "deploy.ssh.host_key_checking",
                "is accept-new, but the only known_hosts is DEPLOY_SSH_KNOWN_HOSTS, copied to a temporary file "
                "removed after the run: a key accepted for a host it does not list would be forgotten, and any "
                "key trusted on every run. Set ssh.known_hosts_file to a writable file (accepted keys are kept "
                "there), or list every host in DEPLOY_SSH_KNOWN_HOSTS and use host_key_checking: yes.",
            )
        return
    where, path = first
    problem = unwritable(path) if unwritable is not None and not null_device(path) else None
    if problem:
        errors.add(
            where,
            f"= {path} {problem}: with host_key_checking accept-new, ssh adds accepted host keys there; it "
            "could not, and would trust any key on every run. Create the directory (or make the file "
            "writable), or name a writable known_hosts file.",
        )


def parse_ssh(
    errors: Problems,
    value: Any,
    *,
    known_hosts: str | None,
    private_key: Secret | None,
    ci: bool = False,
    inspect: Inspect | None = None,
    unwritable: Unwritable | None = None,
) -> SshConfig:
    """Return the ssh settings, recording every problem in ``errors`` (see the module docstring)."""
    spec = errors.mapping("deploy.ssh", value)
    unknown = set(spec) - KNOWN_KEYS
    if unknown:
        errors.add("deploy.ssh", f"has unknown keys: {', '.join(sorted(map(str, unknown)))}.")
    checking = _checking(errors, spec)
    options = _options(errors, spec.get("options"))
    known_files = errors.strings("deploy.ssh.known_hosts_file", spec.get("known_hosts_file"))
    listed = [(f"deploy.ssh.known_hosts_file[{i}]", p) for i, p in enumerate(known_files)]
    files = [*listed, *_option_files(options)]
    holds_keys = _known_files(errors, files, inspect)
    known: Secret | None = None
    if known_hosts is not None and known_hosts.strip():
        known = Secret(known_hosts.replace("\r\n", "\n").strip() + "\n")
    if checking == "accept-new":
        _remembered(errors, files[0] if files else None, from_environment=known is not None, unwritable=unwritable)
    if ci and checking == "accept-new" and known is None and not holds_keys:
        errors.add(
            "deploy.ssh.host_key_checking",
            "is accept-new in CI (CI is set), but no host keys are provided: every run would trust whatever "
            "key the server presents. Set DEPLOY_SSH_KNOWN_HOSTS to verified known_hosts lines (ssh-keyscan, "
            "then compare the fingerprints), or point ssh.known_hosts_file at a file that holds them, or use "
            "host_key_checking: yes.",
        )
    return SshConfig(
        config_file=errors.text("deploy.ssh.config_file", spec.get("config_file")),
        known_hosts_files=known_files,
        known_hosts=known,
        identity_file=errors.text("deploy.ssh.identity_file", spec.get("identity_file")),
        private_key=private_key,
        host_key_checking=checking,
        connect_timeout=int(
            errors.number("deploy.ssh.connect_timeout", spec.get("connect_timeout"), 10, minimum=1, integer=True)
        ),
        multiplex=errors.boolean("deploy.ssh.multiplex", spec.get("multiplex"), True),
        batch_mode=errors.boolean("deploy.ssh.batch_mode", spec.get("batch_mode"), True),
        options=options,
    )
