"""The server layout: the shell snippets run for real with sh in a temporary deploy path, and the decisions."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from migrations_tasks.deploy import releases as rel
from migrations_tasks.deploy.remote_state import RemoteState, parse_state, prune_candidates, rollback_target
from migrations_tasks.errors import NoRollbackTarget

NOW = dt.datetime(2025, 11, 26, 15, 58, 0, 123456, tzinfo=dt.timezone.utc)


def sh(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30)


def sh_stdin(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-s"], input=script, capture_output=True, text=True, timeout=60)


def lock(token: str, who: str = "alice@laptop", release: str = "r1") -> rel.LockInfo:
    return rel.LockInfo(
        token=token, who=who, machine="laptop", pid=4242, since="2025-11-26T15:00:00Z", action="deploy", release=release
    )


@pytest.fixture
def layout(tmp_path: Path) -> rel.Layout:
    return rel.Layout(str(tmp_path / 'it\'s a "deploy" $(path)' / "app"))


def begin(layout: rel.Layout, token: str = "t1", release: str | None = None) -> RemoteState:
    result = sh(rel.begin_script(layout, lock(token), check_rsync=True, release_id=release))
    assert result.returncode == 0, result.stderr
    return parse_state(result.stdout)


def make_release(layout: rel.Layout, name: str, state: str | None = rel.LIVE) -> None:
    Path(layout.release(name)).mkdir(parents=True)
    if state:
        Path(layout.states).mkdir(parents=True, exist_ok=True)
        Path(layout.state(name)).write_text(state + "\n")


# -- release ids -------------------------------------------------------------------------------------------


def test_release_ids_are_utc_timestamps_that_sort_in_time_order() -> None:
    local = NOW.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    assert rel.new_release_id(local) == "20251126-155800.123"
    assert rel.new_release_id(NOW, "abc1234") == "20251126-155800.123-abc1234"
    ids = [
        rel.new_release_id(NOW + dt.timedelta(milliseconds=ms), sha)
        for ms, sha in ((0, "fff"), (1, None), (999, "aaa"), (60_000, None), (86_400_000, "000"))
    ]
    assert sorted(ids) == ids
    assert all(rel.valid_release_name(i) for i in ids)


# -- the lock -------------------------------------------------------------------------------------------------


def test_the_first_begin_takes_the_lock_and_creates_the_release(layout: rel.Layout) -> None:
    state = begin(layout, "t1", release="r1")
    assert state.locked and state.created == "created"
    assert state.releases == ("r1",) and state.states == {"r1": rel.PREPARED}
    owner = Path(layout.lock, "owner").read_text()
    assert "who=alice@laptop" in owner and "token=t1" in owner


def test_a_second_begin_sees_the_holder_and_changes_nothing(layout: rel.Layout) -> None:
    begin(layout, "t1", release="r1")
    state = begin(layout, "t2", release="r2")
    assert not state.locked and state.created is None
    assert state.holder == {
        "who": "alice@laptop",
        "machine": "laptop",
        "pid": "4242",
        "since": "2025-11-26T15:00:00Z",
        "action": "deploy",
        "release": "r1",
    }
    assert not Path(layout.release("r2")).exists()


def test_the_lock_is_released_only_by_its_owner_unless_broken_on_purpose(layout: rel.Layout) -> None:
    begin(layout, "t1")
    assert "unlocked no" in sh(rel.unlock_script(layout, "t2")).stdout
    assert Path(layout.lock).is_dir()
    assert "unlocked yes" in sh(rel.unlock_script(layout, "t1")).stdout
    assert not Path(layout.lock).exists()
    begin(layout, "t1")
    assert "unlocked yes" in sh(rel.unlock_script(layout, None)).stdout
    assert "unlocked none" in sh(rel.unlock_script(layout, None)).stdout


def test_an_existing_release_directory_is_never_reused(layout: rel.Layout) -> None:
    make_release(layout, "r1")
    assert begin(layout, "t1", release="r1").created == "exists"


def test_the_holder_is_described_with_its_age() -> None:
    holder = {
        "who": "alice@laptop",
        "pid": "42",
        "machine": "laptop",
        "since": "2025-11-26T15:50:00Z",
        "action": "deploy",
        "release": "r9",
    }
    text = rel.describe_holder(holder, NOW)
    assert text == "alice@laptop (pid 42 on laptop), since 2025-11-26T15:50:00Z (8 min ago), deploying r9"
    assert "killed" in rel.describe_holder({})


# -- switching ----------------------------------------------------------------------------------------------


def test_switch_points_current_at_the_release_with_a_relative_link_and_marks_it_live(layout: rel.Layout) -> None:
    make_release(layout, "r1", rel.PREPARED)
    result = sh(rel.switch_script(layout, "r1", "tok"))
    assert result.returncode == 0, result.stderr
    assert os.readlink(layout.current) == "releases/r1"
    assert Path(layout.state("r1")).read_text().strip() == rel.LIVE
    assert [p.name for p in Path(layout.root).iterdir() if p.name.startswith(".current")] == []


def test_switch_refuses_a_missing_release_and_leaves_current_alone(layout: rel.Layout) -> None:
    make_release(layout, "r1")
    sh(rel.switch_script(layout, "r1", "tok"))
    assert sh(rel.switch_script(layout, "nope", "tok")).returncode != 0
    assert os.readlink(layout.current) == "releases/r1"


def test_switch_is_atomic_so_a_reader_never_finds_current_missing(layout: rel.Layout) -> None:
    make_release(layout, "a")
    make_release(layout, "b")
    sh(rel.switch_script(layout, "a", "t0"))
    flips = "\n".join(rel.switch_script(layout, "b" if i % 2 else "a", f"t{i}") for i in range(40))
    seen: set[str] = set()
    misses = 0
    done = threading.Event()

    def read() -> None:
        nonlocal misses
        while not done.is_set():
            try:
                seen.add(os.readlink(layout.current))
            except OSError:
                misses += 1

    reader = threading.Thread(target=read)
    reader.start()
    try:
        assert sh_stdin(flips).returncode == 0
    finally:
        done.set()
        reader.join()
    assert misses == 0
    assert seen == {"releases/a", "releases/b"}


# -- user commands ------------------------------------------------------------------------------------------------


def test_user_commands_run_in_the_release_with_its_paths_in_the_environment(layout: rel.Layout) -> None:
    make_release(layout, "r1", rel.PREPARED)
    script = rel.command_script(
        layout,
        "r1",
        'printf "%s|%s|%s|%s" "$(pwd)" "$RELEASE_ID" "$PORT" "$GREETING"',
        {"PORT": "8000", "GREETING": 'it\'s "quoted" $(not run)'},
    )
    result = sh(script)
    assert result.stdout == f'{layout.release("r1")}|r1|8000|it\'s "quoted" $(not run)'


# -- state, log, prune ------------------------------------------------------------------------------------------


def test_the_probe_reports_a_missing_deploy_path_without_creating_it(layout: rel.Layout) -> None:
    state = parse_state(sh(rel.probe_script(layout)).stdout)
    assert not state.exists and state.current is None
    assert not Path(layout.root).exists()


def test_the_probe_reads_current_releases_states_and_ignores_foreign_names(layout: rel.Layout) -> None:
    make_release(layout, "r1")
    make_release(layout, "r2", rel.FAILED)
    make_release(layout, "r3", None)
    Path(layout.releases, "old copy").mkdir()
    sh(rel.switch_script(layout, "r1", "tok"))
    state = parse_state(sh(rel.probe_script(layout)).stdout)
    assert state.current == "r1"
    assert state.releases == ("r1", "r2", "r3") and state.ignored == ("old copy",)
    assert state.states == {"r1": rel.LIVE, "r2": rel.FAILED}
    assert state.holder is None


def test_a_current_that_is_not_a_release_link_is_reported(layout: rel.Layout) -> None:
    Path(layout.current).mkdir(parents=True)
    assert parse_state(sh(rel.probe_script(layout)).stdout).current_raw == "(a directory, not a symlink)"


def test_log_lines_are_json_appended_one_per_event(layout: rel.Layout) -> None:
    Path(layout.meta).mkdir(parents=True)
    for result in ("ok", "rolled-back"):
        line = rel.log_line(
            at=NOW, action="deploy", release="r1", result=result, who='alice\'s "laptop"', host="web1", previous=None
        )
        assert sh(rel.log_script(layout, line)).returncode == 0
    entries = [json.loads(x) for x in Path(layout.log).read_text().splitlines()]
    assert [e["result"] for e in entries] == ["ok", "rolled-back"]
    assert entries[0] == {
        "at": "2025-11-26T15:58:00Z",
        "action": "deploy",
        "release": "r1",
        "result": "ok",
        "who": 'alice\'s "laptop"',
        "host": "web1",
    }


def test_finish_prunes_logs_and_unlocks_in_one_script(layout: rel.Layout) -> None:
    begin(layout, "t1")
    make_release(layout, "old")
    result = sh(rel.finish_script(layout, "t1", log='{"x": 1}', remove=["old"]))
    assert "unlocked yes" in result.stdout
    assert not Path(layout.release("old")).exists() and not Path(layout.state("old")).exists()
    assert Path(layout.log).read_text() == '{"x": 1}\n'


def state_of(current: str | None, **states: str) -> RemoteState:
    return RemoteState(current=current, releases=tuple(sorted(states)), states=states)


def test_rollback_goes_to_the_newest_good_release_skipping_failed_and_never_live_ones() -> None:
    state = state_of("r5", r1=rel.LIVE, r2=rel.LIVE, r3=rel.FAILED, r4=rel.PREPARED, r5=rel.LIVE)
    assert rollback_target(state, "web1") == "r2"
    assert rollback_target(state, "web1", to="r3") == "r3"


def test_rollback_without_a_target_explains_why_and_changes_nothing() -> None:
    with pytest.raises(NoRollbackTarget, match="no release other than the current one was ever live"):
        rollback_target(state_of("r1", r1=rel.LIVE, r2=rel.PREPARED), "web1")
    with pytest.raises(NoRollbackTarget, match="every other release that was live is marked failed"):
        rollback_target(state_of("r3", r1=rel.FAILED, r2=rel.FAILED, r3=rel.LIVE), "web1")
    with pytest.raises(NoRollbackTarget, match="no release 'r9'"):
        rollback_target(state_of("r1", r1=rel.LIVE), "web1", to="r9")


def test_pruning_keeps_the_newest_and_never_the_live_or_previous_release() -> None:
    state = state_of("r2", **{f"r{i}": rel.LIVE for i in range(1, 8)})
    assert prune_candidates(state, 3, protect=["r1"]) == ["r3", "r4"]
    assert prune_candidates(state, 1) == ["r1", "r3", "r4", "r5", "r6"]
