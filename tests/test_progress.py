import io
import threading
import time

import pytest

from textagent_envs import progress
from textagent_envs.progress import PROGRESS_ENV_VAR, progress_enabled, waiting


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture(autouse=True)
def fresh_timings(monkeypatch, tmp_path):
    monkeypatch.setenv("TEXTAGENT_ENVS_CACHE", str(tmp_path))
    monkeypatch.delenv(PROGRESS_ENV_VAR, raising=False)
    monkeypatch.setattr(progress, "TIMINGS", progress._Timings())


def test_a_long_wait_on_a_terminal_shows_what_it_waits_for_then_clears_the_line():
    out = Terminal()
    with waiting("generating a game", delay=0.1, stream=out):
        time.sleep(0.7)
    text = out.getvalue()
    assert "generating a game ... 0 s" in text
    assert text.endswith("\r")  # the line is blanked when the wait ends


def test_short_waits_and_pipes_print_nothing(monkeypatch):
    out = Terminal()
    with waiting("quick", delay=5, stream=out):
        time.sleep(0.3)
    assert out.getvalue() == ""
    piped = io.StringIO()
    with waiting("slow", delay=0, stream=piped):
        time.sleep(0.5)
    assert piped.getvalue() == ""


def test_the_switch_forces_it_on_or_off(monkeypatch):
    monkeypatch.setenv(PROGRESS_ENV_VAR, "1")
    assert progress_enabled(io.StringIO())
    monkeypatch.setenv(PROGRESS_ENV_VAR, "0")
    assert not progress_enabled(Terminal())


def test_the_next_wait_of_a_kind_says_how_long_it_usually_takes(tmp_path):
    with waiting("first", kind="compile", stream=io.StringIO()):
        time.sleep(1.1)
    assert (tmp_path / "timings.json").is_file()
    progress.TIMINGS = progress._Timings()  # a new process reads the remembered timing
    out = Terminal()
    with waiting("second", kind="compile", delay=0.1, stream=out):
        time.sleep(0.5)
    assert "(usually ~1 s)" in out.getvalue()


def test_a_failed_wait_is_not_remembered(tmp_path):
    with pytest.raises(RuntimeError):
        with waiting("doomed", kind="boom", stream=io.StringIO()):
            raise RuntimeError("no")
    assert progress.TIMINGS.estimate("boom") is None


def test_waits_in_several_threads_share_one_line():
    out = Terminal()
    started = threading.Barrier(3)

    def work():
        with waiting("thread wait", delay=0.1, stream=out):
            started.wait()
            time.sleep(0.8)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "[+2 more]" in out.getvalue()
    assert "\n" not in out.getvalue()
