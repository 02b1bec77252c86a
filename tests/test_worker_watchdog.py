"""The in-process runner's step timeout (one watchdog thread per process): calls that run
past their timeout are cut off in any thread, asleep or busy; nothing is ever raised after
a call returned; the caller's SIGALRM handler is left alone; forks and close work."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from textagent_envs.worker import BackendTimeout, InProcessRunner

WATCHDOG = "textagent-envs-watchdog"


@pytest.fixture
def runner():
    runner = InProcessRunner("tests.fakes:Echo", {"prefix": "> "})
    yield runner
    runner.close()


def _cut_off(runner, method, *args, timeout=0.3):
    started = time.monotonic()
    with pytest.raises(BackendTimeout, match=f"did not answer {method!r} within {timeout} s"):
        runner.call(method, *args, timeout=timeout)
    return time.monotonic() - started


@pytest.mark.parametrize("method, args", [("spin", ()), ("spin_for", (30,)), ("sleep", (30,))])
def test_a_call_in_the_main_thread_is_cut_off_busy_or_asleep(runner, method, args):
    assert runner.call("say", "hi", timeout=5) == "> hi"
    assert _cut_off(runner, method, *args) < 5
    assert runner.call("say", "again", timeout=5) == "> again"  # the runner still serves calls
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no timer armed per call


def test_a_call_in_another_thread_is_cut_off(runner):
    # Before the watchdog, a call off the main thread had no timeout at all.
    outcome = []

    def work():
        try:
            outcome.append(runner.call("spin_for", 20, timeout=0.3))
        except BackendTimeout as err:
            outcome.append(err)

    thread = threading.Thread(target=work)
    started = time.monotonic()
    thread.start()
    thread.join(30)
    assert isinstance(outcome[0], BackendTimeout) and "did not answer 'spin_for'" in str(outcome[0])
    assert time.monotonic() - started < 10


def test_a_call_that_returns_in_time_answers_and_nothing_lands_later(runner):
    # Many calls around a tiny timeout, in the main thread and in four others at once:
    # each either answers or raises BackendTimeout from inside call(); a cut-off landing
    # after call() returned would be raised in the loop's own code and fail the test.
    errors, counts = [], {}

    def work(name):
        answered = cut = 0
        try:
            for i in range(1500):
                # answers at once, sleeps past the timeout, or is busy about as long as it
                method, args = [("say", ("x",)), ("sleep", (0.002,)), ("spin_for", (0.0005,))][i % 3]
                try:
                    runner.call(method, *args, timeout=0.0005)
                    answered += 1
                except BackendTimeout:
                    cut += 1
                total = 0
                for k in range(30):  # Python code after the call returned
                    total += k
        except BaseException as err:  # a cut-off that landed outside a call
            errors.append(f"{name}: {err!r}")
        counts[name] = (answered, cut)

    threads = [threading.Thread(target=work, args=(f"thread {n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    work("main")
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert all(answered > 0 and cut > 0 for answered, cut in counts.values()), counts
    time.sleep(0.2)  # a late firing would land here
    assert runner.call("say", "x", timeout=5) == "> x"


def test_the_callers_sigalrm_handler_is_never_replaced_and_calls_are_still_cut_off(runner):
    seen = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: seen.append(signum))
    try:
        assert runner.call("say", "x", timeout=5) == "> x"
        assert _cut_off(runner, "spin_for", 20) < 10
        assert signal.getsignal(signal.SIGALRM) is not previous and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        signal.raise_signal(signal.SIGALRM)
        assert seen == [signal.SIGALRM]  # the caller's handler gets its own alarms
    finally:
        signal.signal(signal.SIGALRM, previous)


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})


def test_a_sigalrm_of_someone_else_still_ends_the_process():
    # The handler the watchdog installs for the main thread acts as no handler for any
    # other SIGALRM (the default: the process ends).
    proc = _python(
        "import signal, time\n"
        "from textagent_envs.worker import InProcessRunner\n"
        "runner = InProcessRunner('tests.fakes:Echo')\n"
        "assert runner.call('say', 'x', timeout=5) == 'x'\n"
        "signal.alarm(1)\n"
        "time.sleep(30)\n"
        "print('survived')\n"
    )
    assert proc.returncode == -signal.SIGALRM and "survived" not in proc.stdout, proc.stderr


def test_a_forked_child_has_its_own_watchdog(runner):
    assert runner.call("say", "x", timeout=5) == "> x"  # the parent's watchdog runs
    pid = os.fork()
    if pid == 0:  # the child: the watchdog thread was not copied, a new one must start
        code = 1
        try:
            runner.call("spin_for", 20, timeout=0.3)
        except BackendTimeout:
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert _cut_off(runner, "spin_for", 20) < 10  # and the parent's still works


def test_the_watchdog_thread_ends_when_the_last_runner_closes():
    proc = _python(
        "import threading\n"
        "from textagent_envs.worker import InProcessRunner\n"
        "names = lambda: [t.name for t in threading.enumerate()]\n"
        "a, b = InProcessRunner('tests.fakes:Echo'), InProcessRunner('tests.fakes:Echo')\n"
        "a.call('say', 'x', timeout=5); b.call('say', 'x', timeout=5)\n"
        f"assert {WATCHDOG!r} in names()\n"
        "a.close()\n"
        f"assert {WATCHDOG!r} in names()\n"
        "b.close()\n"
        f"[t.join(10) for t in threading.enumerate() if t.name == {WATCHDOG!r}]\n"
        "print(names())\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['MainThread']"
