"""The server layout, as POSIX shell snippets, and the pure decisions about it.

Under the deploy path (every path below is ``shlex.quote``-d into the scripts)::

    releases/<release-id>/     one directory per release; ids sort in time order
    current -> releases/<id>   the live release; replaced atomically (new symlink, then ``mv -T``)
    shared/                    files and directories linked into every release (.env, uploads...)
    .deploy/lock/owner         the deploy lock: ``mkdir`` is atomic; owner holds who/when/release/token
    .deploy/log                append-only, one JSON line per deploy, rollback and forced unlock
    .deploy/state/<id>         ``prepared`` -> ``live`` (was switched to) -> ``failed`` (rolled back from)

Rollbacks only go to releases whose state is ``live``: a release that was uploaded but never switched to
(a failed or killed deploy) is never a rollback target. Scripts print ``key value`` lines that
:mod:`.remote_state` reads, and where the decisions on that state live.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import PurePosixPath

from .config import RELEASE_NAME_RE, quote_env

META = ".deploy"
LIVE, PREPARED, FAILED = "live", "prepared", "failed"


def q(value: str) -> str:
    """Quote one word for sh."""
    return shlex.quote(value)


@dataclass(frozen=True)
class Layout:
    """Paths under one host's deploy path."""

    root: str

    def _join(self, *parts: str) -> str:
        return str(PurePosixPath(self.root, *parts))

    @property
    def releases(self) -> str:
        return self._join("releases")

    @property
    def current(self) -> str:
        return self._join("current")

    @property
    def shared(self) -> str:
        return self._join("shared")

    @property
    def meta(self) -> str:
        return self._join(META)

    @property
    def lock(self) -> str:
        return self._join(META, "lock")

    @property
    def log(self) -> str:
        return self._join(META, "log")

    @property
    def states(self) -> str:
        return self._join(META, "state")

    def release(self, release_id: str) -> str:
        return self._join("releases", release_id)

    def state(self, release_id: str) -> str:
        return self._join(META, "state", release_id)


# -- release ids --------------------------------------------------------------------------------------


def new_release_id(now: dt.datetime, revision: str | None = None) -> str:
    """Return ``YYYYMMDD-HHMMSS.mmm[-rev]`` in UTC: fixed width, so ids sort in time order."""
    utc = now.astimezone(dt.timezone.utc)
    stamp = f"{utc:%Y%m%d-%H%M%S}.{utc.microsecond // 1000:03d}"
    return f"{stamp}-{revision}" if revision else stamp


def iso(moment: dt.datetime) -> str:
    """Return ``moment`` as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC), as the lock and the log write it."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def valid_release_name(name: str) -> bool:
    """Return whether ``name`` is a release directory name this tool will touch."""
    return bool(RELEASE_NAME_RE.match(name))


# -- the lock ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LockInfo:
    """Who holds (or wants) a host's deploy lock. ``token`` proves ownership when releasing it."""

    token: str
    who: str
    machine: str
    pid: int
    since: str
    action: str
    release: str

    def lines(self) -> list[str]:
        """Return the owner file's ``key=value`` lines, in field order (token first)."""
        return [f"{f.name}={_one_line(str(getattr(self, f.name)))}" for f in fields(self)]


def _one_line(text: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in text)


def describe_holder(holder: Mapping[str, str], now: dt.datetime | None = None) -> str:
    """Return e.g. ``alice@laptop (pid 42 on laptop), since 2025-01-01T10:00:00Z (3 min ago), deploying X``."""
    if not holder:
        return "an unknown holder (no owner file: a deploy was killed while taking the lock?)"
    text = holder.get("who", "unknown")
    if holder.get("pid") or holder.get("machine"):
        text += f" (pid {holder.get('pid', '?')} on {holder.get('machine', '?')})"
    if holder.get("since"):
        text += f", since {holder['since']}{_age(holder['since'], now)}"
    action, release = holder.get("action", ""), holder.get("release")
    verb = {"deploy": "deploying", "rollback": "rolling back to"}.get(action, action)
    if release:
        text += f", {verb or 'for'} {release}"
    return text


def _age(since: str, now: dt.datetime | None) -> str:
    try:
        then = dt.datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        return ""
    now = now or dt.datetime.now(dt.timezone.utc)
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f" ({seconds} s ago)"
    if seconds < 7200:
        return f" ({seconds // 60} min ago)"
    return f" ({seconds // 3600} h ago)"


# -- reading a host's state ------------------------------------------------------------------------------


def _probe_body(layout: Layout, *, check_rsync: bool) -> str:
    lines = [
        f"cd {q(layout.root)} 2>/dev/null || {{ echo missing; exit 0; }}",
        "if [ -L current ]; then printf 'current %s\\n' \"$(readlink current)\";"
        " elif [ -e current ]; then echo 'current-not-link'; fi",
        'for d in releases/*; do [ -d "$d" ] && printf \'release %s\\n\' "${d#releases/}"; done',
        f'for f in {META}/state/*; do [ -f "$f" ] && printf \'state %s %s\\n\' "${{f#{META}/state/}}"'
        ' "$(head -n 1 "$f")"; done',
    ]
    if check_rsync:
        lines.append("if command -v rsync >/dev/null 2>&1; then echo 'rsync yes'; fi")
    return "\n".join(lines)


def probe_script(layout: Layout, *, check_rsync: bool = False) -> str:
    """Return a read-only script that prints the state of a deploy path (and who holds its lock)."""
    return "\n".join(
        [
            _probe_body(layout, check_rsync=check_rsync),
            f"if [ -d {META}/lock ]; then echo 'locked no'; sed 's/^/lock /' {META}/lock/owner 2>/dev/null; fi",
            "exit 0",
        ]
    )


def begin_script(layout: Layout, lock: LockInfo, *, check_rsync: bool = False, release_id: str | None = None) -> str:
    """Return a script that creates the layout, takes the lock if free, and prints the state.

    ``mkdir`` of the lock directory is the atomic test-and-set; the owner file is written right after.
    When the lock is held the script changes nothing and prints the holder (``lock key=value`` lines).
    With ``release_id``, a taken lock is followed by creating that release's directory (state
    ``prepared``), refusing an existing one: one round trip instead of two.
    """
    owner = " ".join(q(line) for line in lock.lines())
    create: list[str] = []
    if release_id is not None:
        release = q(layout.release(release_id))
        create = [
            f"  if [ -e {release} ]; then echo 'new-release exists'",
            f"  elif mkdir -- {release} && printf '%s\\n' {PREPARED} > {q(layout.state(release_id))}; then "
            "echo 'new-release created'",
            "  else echo 'new-release failed'; fi",
        ]
    return "\n".join(
        [
            f"mkdir -p -- {q(layout.releases)} {q(layout.shared)} {q(layout.states)} || exit 1",
            f"if mkdir -- {q(layout.lock)} 2>/dev/null; then",
            f"  printf '%s\\n' {owner} > {q(layout.lock + '/owner')} || {{ rm -rf -- {q(layout.lock)}; exit 1; }}",
            "  echo 'locked yes'",
            *create,
            "else",
            "  echo 'locked no'",
            f"  sed 's/^/lock /' {q(layout.lock + '/owner')} 2>/dev/null",
            "fi",
            _probe_body(layout, check_rsync=check_rsync),
            "exit 0",
        ]
    )


# -- changing a host ---------------------------------------------------------------------------------


def extract_script(layout: Layout, release_id: str) -> str:
    """Return a script that unpacks a gzip'd tar from standard input into the release directory."""
    return f"tar -xzf - -C {q(layout.release(release_id))}"


def command_env(layout: Layout, release_id: str, env: Mapping[str, str]) -> dict[str, str]:
    """Return the variables every user command sees (``RELEASE_PATH``...) plus the configured ones."""
    return {
        **env,
        "DEPLOY_PATH": layout.root,
        "RELEASE_ID": release_id,
        "RELEASE_PATH": layout.release(release_id),
        "SHARED_PATH": layout.shared,
    }


def command_script(
    layout: Layout, release_id: str, command: str, env: Mapping[str, str], *, in_current: bool = False
) -> str:
    """Return a script that runs a user's shell command in the release (or ``current``) directory."""
    directory = layout.current if in_current else layout.release(release_id)
    return "\n".join([f"cd -- {q(directory)} || exit 1", quote_env(command_env(layout, release_id, env)), command])


def switch_script(layout: Layout, release_id: str, token: str) -> str:
    """Return a script that points ``current`` at the release atomically and marks the release live.

    A new symlink is made next to ``current`` and renamed over it (``mv -T``: rename(2)), so every
    reader sees either the old or the new release, never a missing link.
    """
    temp = f"{layout.root}/.current-{token}"
    return "\n".join(
        [
            f"if [ ! -d {q(layout.release(release_id))} ]; then echo 'no such release directory' >&2; exit 1; fi",
            f"rm -f -- {q(temp)}",
            f"ln -s -- {q('releases/' + release_id)} {q(temp)} || exit 1",
            f"mv -T -- {q(temp)} {q(layout.current)} || {{ rm -f -- {q(temp)}; exit 1; }}",
            f"printf '%s\\n' {LIVE} > {q(layout.state(release_id))}",
            f"printf 'current %s\\n' \"$(readlink {q(layout.current)})\"",
        ]
    )


def mark_script(layout: Layout, release_id: str, state: str) -> str:
    """Return a script that records a release's state (``failed`` skips it in later rollbacks)."""
    return f"printf '%s\\n' {q(state)} > {q(layout.state(release_id))}"


def remove_script(layout: Layout, release_ids: Sequence[str]) -> str:
    """Return a script that deletes releases and their state files."""
    paths = [p for r in release_ids for p in (layout.release(r), layout.state(r))]
    return f"rm -rf -- {' '.join(q(p) for p in paths)}" if paths else "true"


def log_line(
    *, at: dt.datetime, action: str, release: str | None, result: str, who: str, host: str, **extra: str | None
) -> str:
    """Return one JSON log line (no newline)."""
    entry = {"at": iso(at), "action": action, "release": release, "result": result, "who": who, "host": host}
    entry.update({k: v for k, v in extra.items() if v is not None})
    return json.dumps(entry, separators=(", ", ": "))


def log_script(layout: Layout, line: str) -> str:
    """Return a script that appends one line to the deploy log."""
    return f"printf '%s\\n' {q(line)} >> {q(layout.log)}"


def finish_script(layout: Layout, token: str, *, log: str, remove: Sequence[str] = ()) -> str:
    """Return a script that prunes releases, appends the log line and releases the lock: one round trip."""
    steps = [remove_script(layout, remove)] if remove else []
    return "\n".join([*steps, log_script(layout, log), unlock_script(layout, token)])


def unlock_script(layout: Layout, token: str | None) -> str:
    """Return a script that releases the lock if ``token`` owns it (``None``: break it, whoever holds it)."""
    lock, owner = q(layout.lock), q(layout.lock + "/owner")
    mine = "true" if token is None else f"grep -qxF -- {q('token=' + token)} {owner} 2>/dev/null"
    return "\n".join(
        [
            f"if [ ! -d {lock} ]; then echo 'unlocked none'; exit 0; fi",
            f"if {mine}; then",
            f"  rm -rf -- {lock} && echo 'unlocked yes'",
            "else",
            "  echo 'unlocked no'",
            f"  sed 's/^/lock /' {owner} 2>/dev/null",
            "fi",
        ]
    )
