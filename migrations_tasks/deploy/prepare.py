"""Before the switch: what ships, under which release id, how it travels, and preparing it on a host.

:func:`stage` selects the files (unpacking an archive) and names the release, once for every host.
After the lock, :func:`transfer_for` picks rsync or the tar stream per host; :func:`prepare` uploads the
release, links the shared files and runs the ``before_switch`` commands on one host; :func:`discard`
removes a release this run created and never switched to.
"""

from __future__ import annotations

import datetime as dt
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DeployError, DeployFailed, Interrupted, RemoteCommandError
from . import bundle as bundles
from . import releases as rel
from . import shared
from .config import DeployConfig, clean_revision
from .results import DeployStatus
from .session import HostRun, Run
from .ssh import rsync_destination, rsync_shell


@dataclass
class Upload:
    """The local side of an upload, built once for every host."""

    bundle: bundles.Bundle
    list_file: str
    scratch: Path
    archive: str | None = None


def stage(
    c: Any,
    config: DeployConfig,
    scratch: Path,
    release_id: str | None,
    *,
    dry_run: bool,
    now: Callable[[], dt.datetime],
) -> tuple[str, Upload]:
    """Select the files to ship (in ``scratch``) and return the release id with the :class:`Upload`."""
    bundle = _bundle(config, scratch)
    shared.refuse_symlinked_parents(bundle, {"shared_files": config.shared_files, "shared_dirs": config.shared_dirs})
    if release_id is None:
        revision = config.revision or (None if dry_run else clean_revision(_git_revision(c, bundle.root)))
        release_id = rel.new_release_id(now(), revision)
    elif not rel.valid_release_name(release_id):
        raise ConfigError(f"{release_id!r} is not a valid release id (letters, digits, '.', '_', '-').")
    list_file = scratch / "files.list"
    list_file.write_bytes(bundle.list_bytes())
    return release_id, Upload(bundle=bundle, list_file=str(list_file), scratch=scratch)


def _bundle(config: DeployConfig, scratch: Path) -> bundles.Bundle:
    if config.archive:
        unpacked = scratch / "unpacked"
        unpacked.mkdir()
        root = bundles.extract(Path(config.archive).expanduser(), unpacked)
    elif config.build_dir:
        root = Path(config.build_dir).expanduser()
    else:
        raise ConfigError(
            "Nothing says what to ship.",
            hint="Set deploy.build_dir (the directory to upload) or deploy.archive in invoke.yaml, "
            "or pass --build-dir / --archive.",
        )
    bundle = bundles.select(root, config.include, config.exclude)
    if not bundle.files:
        raise ConfigError(
            f"Nothing to ship: {root} has no files after include/exclude.",
            hint="Check deploy.build_dir (or --build-dir) and deploy.include / deploy.exclude.",
        )
    return bundle


def _git_revision(c: Any, directory: Path) -> str | None:
    where = directory if directory.is_dir() else Path(".")
    try:
        result = c.run(
            shlex.join(["git", "-C", str(where), "rev-parse", "--short=7", "HEAD"]) + " 2>/dev/null",
            hide=True,
            warn=True,
            in_stream=False,
        )
    except Exception:
        return None
    text = (result.stdout or "").strip()
    return text if result.exited == 0 and text else None


def transfer_for(run: Run, h: HostRun) -> str:
    """Return how the release reaches ``h``: ``rsync`` when both ends have it (or it is asked for), else ``tar``."""
    mode = run.config.transfer
    local_rsync = shutil.which("rsync") is not None
    if mode == "tar":
        return "tar"
    if mode == "rsync":
        if not local_rsync:
            raise ConfigError(
                "deploy.transfer is rsync, but rsync is not installed here.",
                hint="Install rsync, or set deploy.transfer: auto (tar over ssh when rsync is missing).",
            )
        if not run.dry_run and not h.state.rsync:
            raise DeployError(
                f"{h.name}: deploy.transfer is rsync, but rsync is not installed there.",
                hint="Install rsync on the host, or set deploy.transfer: auto.",
            )
        return "rsync"
    return "rsync" if local_rsync and (run.dry_run or h.state.rsync) else "tar"


def _pack(run: Run, upload: Upload) -> str:
    """Make the gzip'd tar once (locally) for every host that gets the tar stream."""
    if upload.archive is None:
        archive = str(upload.scratch / "release.tar.gz")
        argv = ["tar", "--null", "--no-recursion", "-C", str(upload.bundle.root), "-T", upload.list_file]
        line = shlex.join([*argv, "-czf", archive]) + " < /dev/null"
        run.hosts[0].runner.run_line(line, what="pack the release (locally) for the tar stream", transport="none")
        upload.archive = archive
    return upload.archive


def _upload(run: Run, h: HostRun, release_id: str, upload: Upload) -> None:
    described = upload.bundle.describe()
    if h.transfer == "rsync":
        argv = ["rsync", "-a", "-s", "--from0", f"--files-from={upload.list_file}"]
        if h.state.current is not None and h.state.current in h.state.releases:
            # unchanged files are copied on the server from the live release instead of sent again
            argv.append(f"--copy-dest={h.layout.release(h.state.current)}")
        if not h.host.local:
            argv += ["-z", "-e", rsync_shell(run.config.ssh, h.runner.files, h.host)]
            destination = rsync_destination(h.host, h.layout.release(release_id))
        else:
            destination = h.layout.release(release_id) + "/"
        argv += ["--", f"{upload.bundle.root}/", destination]
        h.runner.run_line(shlex.join(argv) + " < /dev/null", what=f"upload {described} (rsync)", transport="rsync")
    else:
        archive = _pack(run, upload)
        h.runner.run(
            rel.extract_script(h.layout, release_id),
            what=f"upload {described} (tar over ssh)" if not h.host.local else f"copy {described} (tar)",
            stdin_file=archive,
        )


def _link_shared(run: Run, h: HostRun, release_id: str) -> None:
    config = run.config
    try:
        h.runner.run(
            shared.link_script(h.layout, release_id, config.shared_files, config.shared_dirs),
            what="link shared files and directories",
        )
    except RemoteCommandError as exc:
        if exc.exit_status == shared.MISSING_SHARED_FILE:
            missing = exc.output.removeprefix("missing shared file: ").strip()
            raise DeployError(
                f"{h.name}: the shared file {missing} does not exist; the release would start without it.",
                hint=f"Create it on the host once (e.g. scp .env.production {h.host.address or 'localhost'}:"
                f"{shlex.quote(missing)}), then deploy again.",
            ) from None
        if exc.exit_status == shared.SYMLINKED_PARENT:
            parent = exc.output.removeprefix("symlinked parent: ").strip()
            raise DeployError(
                f"{h.name}: releases/{release_id}/{parent} is a symbolic link; linking shared paths under it "
                "would reach outside the release, so nothing was linked there.",
                hint=f"Make {parent} a real directory in the build, or share {parent} whole.",
            ) from None
        raise


def prepare(run: Run, h: HostRun, release_id: str, upload: Upload) -> None:
    """Upload the release to one host, link the shared files and run the ``before_switch`` commands there."""
    config = run.config
    _upload(run, h, release_id, upload)
    if config.shared_files or config.shared_dirs:
        _link_shared(run, h, release_id)
    env = {**config.env, **h.host.env}
    for command in config.before_switch:
        run.announce(h, "$", command)
        h.runner.run(
            rel.command_script(h.layout, release_id, command, env), what=f"before_switch: {command}", show=True
        )
    if not run.dry_run:
        run.say(f"[{h.name}] prepared releases/{release_id} ({h.transfer})")


def prepare_all(run: Run, release_id: str, upload: Upload, started: float) -> None:
    """Prepare every host; on a stop request or a failure, remove the new release everywhere and raise."""
    try:
        for h in run.hosts:
            run.stop_point(f"before preparing {h.name}")
            prepare(run, h, release_id, upload)
        run.stop_point("before the switch")
    except Interrupted as exc:
        run.say(exc.message)
        for h in run.hosts:
            discard(run, h, release_id)
            run.log(h, run.log_line(h, action="deploy", release=release_id, result="stopped", stage="prepare"))
        raise
    except (DeployError, ConfigError) as exc:
        run.say(f"Preparing failed: {exc.message}")
        for h in run.hosts:
            h.error = exc.message if getattr(exc, "host", h.name) == h.name else None
            discard(run, h, release_id)
            run.log(
                h,
                run.log_line(
                    h, action="deploy", release=release_id, result="failed", stage="prepare", error=exc.message
                ),
            )
        result = run.result(release_id, DeployStatus.FAILED, started, error=exc.message)
        raise DeployFailed(
            f"Deploy of {release_id} failed before the switch: {exc.message}\n"
            "Nothing was switched: the live release is unchanged on every host.",
            result=result,
            cause=exc,
            hint=exc.hint,
        ) from None


def discard(run: Run, h: HostRun, release_id: str) -> None:
    """Remove a release this run created on a host and never switched to; a failure is a warning."""
    if not h.prepared:
        return
    try:
        h.runner.run(rel.remove_script(h.layout, [release_id]), what=f"remove releases/{release_id}")
        h.prepared = False
    except DeployError as exc:
        run.say(
            f"warning: {h.name}: could not remove releases/{release_id} ({exc.message}); it was never live "
            "and will be pruned later."
        )
