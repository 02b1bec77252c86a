import os
import time

import pytest

from textagent_envs.worker import BackendCrashed, BackendTimeout, ProcessBackend


@pytest.fixture
def backend():
    b = ProcessBackend("tests.fakes:Echo", {"prefix": "> "})
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


def test_calls_run_in_a_child(backend):
    assert backend.call("say", "hi", timeout=30) == "> hi"
    assert backend.call("pid", timeout=5) != os.getpid()


def test_exceptions_come_back(backend):
    with pytest.raises(ValueError, match="bad thing"):
        backend.call("fail", timeout=30)
    assert backend.call("say", "still here", timeout=5) == "> still here"


@pytest.mark.parametrize("method", ["spin", "sleep"])
def test_a_hung_call_is_cut_off_and_the_child_killed(backend, method):
    first = backend.call("pid", timeout=30)
    started = time.monotonic()
    with pytest.raises(BackendTimeout, match="did not answer"):
        backend.call(method, *([60] if method == "sleep" else []), timeout=0.5)
    assert time.monotonic() - started < 5
    assert not _alive(first)
    assert backend.call("pid", timeout=30) != first  # a fresh child serves the next call


def test_a_crash_is_reported_and_recovered(backend):
    with pytest.raises(BackendCrashed, match="exit code 3"):
        backend.call("die", timeout=30)
    assert backend.call("say", "again", timeout=30) == "> again"


def test_close_kills_the_child(backend):
    pid = backend.call("pid", timeout=30)
    backend.close()
    assert not _alive(pid)


def test_in_process_calls_are_cut_off_by_the_alarm():
    import signal

    from textagent_envs.worker import InProcessBackend

    backend = InProcessBackend("tests.fakes:Echo", {"prefix": "> "})
    assert backend.call("say", "hi", timeout=5) == "> hi"
    started = time.monotonic()
    with pytest.raises(BackendTimeout, match="did not answer 'spin'"):
        backend.call("spin", timeout=0.5)
    assert time.monotonic() - started < 5
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL  # the handler is put back
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_child_works_in_a_private_folder_removed_at_close(tmp_path, monkeypatch):
    # A game program that writes files (a save, a transcript) must not write them into
    # the caller's working directory.
    monkeypatch.chdir(tmp_path)
    child = ProcessBackend("pathlib:Path", {})
    try:
        workdir = child.call("cwd", timeout=30)
        assert str(workdir) != str(tmp_path) and workdir.is_dir() and list(workdir.iterdir()) == []
        child.call("joinpath", "x", timeout=30)
    finally:
        child.close()
    assert not workdir.exists()
    assert list(tmp_path.iterdir()) == []
