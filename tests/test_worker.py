import os
import time

import pytest

from textagent_envs.worker import BackendCrashed, BackendTimeout, ProcessRunner


@pytest.fixture
def runner():
    b = ProcessRunner("tests.fakes:Echo", {"prefix": "> "})
    yield b
    b.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a killed child that was reaped is gone; a zombie would still answer kill(0)
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_calls_run_in_a_child(runner):
    assert runner.call("say", "hi", timeout=30) == "> hi"
    assert runner.call("pid", timeout=5) != os.getpid()


def test_exceptions_come_back(runner):
    with pytest.raises(ValueError, match="bad thing"):
        runner.call("fail", timeout=30)
    assert runner.call("say", "still here", timeout=5) == "> still here"


@pytest.mark.parametrize("method", ["spin", "sleep"])
def test_a_hung_call_is_cut_off_and_the_child_killed(runner, method):
    first = runner.call("pid", timeout=30)
    started = time.monotonic()
    with pytest.raises(BackendTimeout, match="did not answer"):
        runner.call(method, *([60] if method == "sleep" else []), timeout=0.5)
    assert time.monotonic() - started < 5
    assert not _alive(first)
    assert runner.call("pid", timeout=30) != first  # a fresh child serves the next call


def test_a_crash_is_reported_and_recovered(runner):
    with pytest.raises(BackendCrashed, match="exit code 3"):
        runner.call("die", timeout=30)
    assert runner.call("say", "again", timeout=30) == "> again"


def test_close_kills_the_child(runner):
    pid = runner.call("pid", timeout=30)
    runner.close()
    assert not _alive(pid)


def test_the_child_works_in_a_private_folder_removed_at_close(tmp_path, monkeypatch):
    # A game program that writes files (a save, a transcript) must not write them into
    # the caller's working directory.
    monkeypatch.chdir(tmp_path)
    child = ProcessRunner("pathlib:Path", {})
    try:
        workdir = child.call("cwd", timeout=30)
        assert str(workdir) != str(tmp_path) and workdir.is_dir() and list(workdir.iterdir()) == []
        child.call("joinpath", "x", timeout=30)
    finally:
        child.close()
    assert not workdir.exists()
    assert list(tmp_path.iterdir()) == []


def test_make_runner_picks_the_runner_of_the_isolation():
    from textagent_envs.worker import InProcessRunner, make_runner

    here = make_runner("none", "tests.fakes:Echo", {"prefix": "> "})
    child = make_runner("process", "tests.fakes:Echo", {"prefix": "> "})
    try:
        assert isinstance(here, InProcessRunner) and isinstance(child, ProcessRunner)
        assert here.call("pid", timeout=5) == os.getpid() != child.call("pid", timeout=30)
    finally:
        child.close()
    with pytest.raises(ValueError, match=r"isolation must be one of \['none', 'process'\], got 'docker'"):
        make_runner("docker", "tests.fakes:Echo")


@pytest.mark.parametrize("old, new", [("InProcessBackend", "InProcessRunner"), ("ProcessBackend", "ProcessRunner")])
def test_the_runners_old_names_still_work_with_a_deprecation_warning(old, new):
    import textagent_envs.worker as worker

    with pytest.warns(DeprecationWarning, match=f"{old} is now {new}"):
        cls = getattr(worker, old)
    assert cls is getattr(worker, new)
    with pytest.raises(AttributeError):
        worker.NoSuchRunner
