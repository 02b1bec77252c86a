"""Runners: where a game engine's backend runs, with a time limit on every call.

A backend is the object that adapts an engine (Jericho, the native TextWorld engine,
ALFWorld's engines) to one protocol: ``load(game_file)``, ``reset()``, ``step(command)``
returning plain dicts, and optionally ``get_state``, ``set_state``, ``fork``. A runner
holds one backend and calls its methods, ``call(method, *args, timeout=...)``; the env
makes its runner with :func:`make_runner` from its ``isolation=`` argument:

:class:`InProcessRunner` (``isolation="none"``) runs the backend in this process (a
fraction of a microsecond per call). Its timeout is kept by one watchdog thread per
process (:class:`_Watchdog`): a call only writes its deadline, and a call that runs past
it is interrupted with :class:`BackendTimeout`, in any thread, whether stuck in Python
code or (in the main thread) asleep or blocked on a read; not one stuck inside a C
library (such as the Z-machine interpreter). In the main thread this uses a ``SIGALRM``
handler, installed only when ``SIGALRM`` has none (any other ``SIGALRM`` still does
what it did without it: ends the process); a handler of the caller's own is never
replaced.

:class:`ProcessRunner` (``isolation="process"``) starts ``python -m textagent_envs.worker`` (a fresh interpreter,
so the caller's ``__main__`` is never re-imported and no threads are forked), builds the
backend there from an import path, and forwards method calls over a pipe with
length-prefixed pickles. A call that does not answer within its timeout raises
:class:`BackendTimeout` and the child is killed; the next call starts a new one. The
child runs in a private, empty working directory (removed when it stops), so nothing the
game program writes (a save file, a transcript) lands in the caller's directory; give it
absolute paths.
"""

from __future__ import annotations

import copy
import ctypes
import importlib
import math
import os
import pickle
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import weakref
from typing import Any

from .checks import require_choice

_HEADER = struct.Struct("!Q")


class BackendTimeout(TimeoutError):
    """The backend did not answer within the step timeout and was killed."""


class BackendCrashed(RuntimeError):
    """The backend process died while serving a call."""


def _write_frame(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, remaining = [], size
    while remaining:
        if deadline is not None:
            timeout = deadline - time.monotonic()
            if timeout <= 0 or not select.select([fd], [], [], timeout)[0]:
                raise BackendTimeout
        chunk = os.read(fd, remaining)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int, deadline: float | None = None) -> Any:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    return pickle.loads(_read_exact(fd, size, deadline))


def _load(factory: str) -> Any:
    module, _, name = factory.partition(":")
    return getattr(importlib.import_module(module), name)


class InProcessRunner:
    """A backend object in this process; ``call`` limits each call with the process's
    :class:`_Watchdog` (a step only writes its deadline)."""

    def __init__(self, factory: str, kwargs: dict | None = None):
        self.factory = factory
        self._backend = _load(factory)(**(kwargs or {}))
        self._release = _WATCHDOG.hold(self)

    def call(self, method: str, *args: Any, timeout: float | None = None) -> Any:
        """Run ``backend.method(*args)``; :class:`BackendTimeout` if it runs past ``timeout``
        seconds (None: no limit). The backend may be left mid-call: make a new runner."""
        if timeout is None:
            return getattr(self._backend, method)(*args)
        watchdog = _WATCHDOG
        try:
            slot = _THREAD.slot
        except AttributeError:
            slot = watchdog.slot()
        try:
            # Armed: the watchdog cuts the call off once ``deadline`` passes (the slot is
            # this thread's, so arming needs no lock; disarming does).
            slot.fired = False
            deadline = slot.deadline = _monotonic() + timeout
            if deadline < watchdog.wake_at:  # earlier than the watchdog will look: tell it
                watchdog.poke()
            result = getattr(self._backend, method)(*args)
        except BackendTimeout:
            if not slot.fired:  # the backend's own BackendTimeout (e.g. from a runner it calls)
                raise
        finally:
            with watchdog.lock:  # never while the watchdog fires: nothing can land after the return
                slot.deadline = None
                if slot.fired:  # fired as the backend returned: drop it if it is still pending
                    watchdog.withdraw(slot)
        if slot.fired:
            raise BackendTimeout(f"the game backend did not answer {method!r} within {timeout} s and was stopped")
        return result

    def fork(self) -> "InProcessRunner":
        """A runner around ``backend.fork()``: an independent backend in the same state."""
        twin = copy.copy(self)
        twin._backend = self._backend.fork()
        twin._release = _WATCHDOG.hold(twin)
        return twin

    def close(self) -> None:
        self._release()
        close = getattr(self._backend, "close", None)
        if close is not None:
            close()


class _Slot:
    """One thread's call under watch: its deadline (None between calls) and whether the
    watchdog cut it off."""

    __slots__ = ("deadline", "fired", "ident", "__weakref__")

    def __init__(self, ident: int):
        self.deadline: float | None = None
        self.fired = False
        self.ident = ident


class _Watchdog:
    """The step timeout of every :class:`InProcessRunner` in this process: one daemon
    thread that sleeps until the earliest deadline of the calls under way and cuts off a
    call that runs past its own.

    A call writes its deadline into its thread's :class:`_Slot` and clears it under
    :attr:`lock` when it ends; the watchdog fires under the same lock, so it never fires
    into a call that has returned (and a firing that raced the return is withdrawn). A
    call in the main thread is cut off with ``SIGALRM`` (which also interrupts a sleep or
    a blocking read), through a handler (:func:`_on_alarm`) that the main thread installs
    when ``SIGALRM`` has none and keeps; a call in any other thread, or while another
    ``SIGALRM`` handler is installed (it is never replaced), gets :class:`BackendTimeout`
    raised in it by ``PyThreadState_SetAsyncExc`` at its next Python instruction. Neither
    stops code stuck inside a C library (use ``isolation="process"``). The thread runs
    while a runner is open (it stops at the last ``close()``) and is started again in a
    forked child.
    """

    def __init__(self):
        self.lock = threading.RLock()  # reentrant: a runner collected while it is held lets go
        self._wakeup = threading.Condition(self.lock)
        #: When the watchdog looks at the deadlines next (inf: it is looking, idle or not running:
        #: any deadline pokes it).
        self.wake_at = math.inf
        self._slots: weakref.WeakSet[_Slot] = weakref.WeakSet()
        self._thread: threading.Thread | None = None
        self._holders = 0
        #: SIGALRMs sent to the main thread and not yet seen by its handler.
        self._signals = 0

    def slot(self) -> _Slot:
        """This thread's slot (made at its first timed call)."""
        slot = _THREAD.slot = _Slot(threading.get_ident())
        with self.lock:
            self._slots.add(slot)
        return slot

    def hold(self, runner: Any) -> weakref.finalize:
        """Count ``runner`` as a user until the returned finalizer runs (at close or collection)."""
        with self.lock:
            self._holders += 1
        return weakref.finalize(runner, self._let_go)

    def _let_go(self) -> None:
        with self.lock:
            self._holders -= 1
            if self._holders > 0 or self._thread is None:
                return
            self._thread = None  # it sees this when it wakes, and ends
            self.wake_at = math.inf
            self._wakeup.notify()

    def poke(self) -> None:
        """A deadline earlier than the watchdog's next look was written: wake it (start it)."""
        if threading.current_thread() is threading.main_thread() and _get_handler(_SIGALRM) == _SIG_DFL:
            _set_handler(_SIGALRM, _on_alarm)  # SIGALRM has no handler (again): ours cuts the main thread off
        with self.lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="textagent-envs-watchdog", daemon=True)
                self._thread.start()
            self._wakeup.notify()

    def _watch(self) -> None:
        me = threading.current_thread()
        with self.lock:
            while self._thread is me:
                self.wake_at = math.inf  # looking: a deadline written meanwhile pokes
                now, next_look = _monotonic(), math.inf
                for slot in list(self._slots):
                    deadline = slot.deadline
                    if deadline is None or slot.fired:
                        continue
                    if deadline <= now:
                        slot.fired = True
                        self._fire(slot)
                    elif deadline < next_look:
                        next_look = deadline
                self.wake_at = next_look
                self._wakeup.wait(None if next_look == math.inf else next_look - now)

    def _fire(self, slot: _Slot) -> None:
        if slot.ident == threading.main_thread().ident and _get_handler(_SIGALRM) is _on_alarm:
            self._signals += 1
            signal.pthread_kill(slot.ident, _SIGALRM)
        else:
            _set_async_exc(ctypes.c_ulong(slot.ident), ctypes.py_object(BackendTimeout))

    def withdraw(self, slot: _Slot) -> None:
        """Drop a firing that has not been raised yet (the call returned in time to see it)."""
        _set_async_exc(ctypes.c_ulong(slot.ident), None)

    def _forked(self) -> None:
        """In a forked child: no watchdog thread (it was not copied) and no calls under way."""
        self.lock = threading.RLock()
        self._wakeup = threading.Condition(self.lock)
        self._thread = None
        self.wake_at = math.inf
        self._signals = 0
        for slot in list(self._slots):
            slot.deadline, slot.fired = None, False


def _on_alarm(signum: int, frame: Any) -> None:
    """The SIGALRM handler: a watchdog's cut-off of the main thread's call; any other
    SIGALRM does what it would have done with no handler (ends the process)."""
    watchdog = _WATCHDOG
    if watchdog._signals > 0:
        watchdog._signals -= 1
        slot = getattr(_THREAD, "slot", None)
        if slot is not None and slot.fired and slot.deadline is not None:
            raise BackendTimeout
        return  # the call returned as it was cut off: nothing to do
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.raise_signal(signal.SIGALRM)


try:  # CPython's C functions behind ``signal``: same calls, plain ints instead of enums
    from _signal import getsignal as _get_handler, signal as _set_handler
except ImportError:  # another Python: the public ones
    _get_handler, _set_handler = signal.getsignal, signal.signal
_SIGALRM = int(signal.SIGALRM)
_SIG_DFL = int(signal.SIG_DFL)
_monotonic = time.monotonic
_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
#: The calling thread's :class:`_Slot`, as ``_THREAD.slot``.
_THREAD = threading.local()
_WATCHDOG = _Watchdog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_WATCHDOG._forked)


def _kill(process: subprocess.Popen, workdir: str | None = None) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    for pipe in (process.stdin, process.stdout):
        pipe.close()
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


#: The folder that holds the ``textagent_envs`` package, put first on the child's path
#: (its working directory is a private empty folder, not the caller's).
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ProcessRunner:
    """A backend object living in a child process; call its methods with ``call``.

    ``factory`` is ``"module:callable"``; ``kwargs`` are passed to it in the child.
    """

    def __init__(self, factory: str, kwargs: dict | None = None):
        self.factory = factory
        self.kwargs = dict(kwargs or {})
        self._process: subprocess.Popen | None = None
        self._finalizer: weakref.finalize | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def _start(self) -> subprocess.Popen:
        workdir = tempfile.mkdtemp(prefix="textagent-worker-")
        env = dict(os.environ)
        inherited = [os.path.abspath(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        # The caller's directory stays importable (as it is for ``python -m``), only files go elsewhere.
        env["PYTHONPATH"] = os.pathsep.join([_PACKAGE_ROOT, *inherited, os.getcwd()])
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "textagent_envs.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                close_fds=True,
                cwd=workdir,
                env=env,
            )
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        self._process = process
        self._finalizer = weakref.finalize(self, _kill, process, workdir)
        _write_frame(process.stdin.fileno(), (self.factory, self.kwargs))
        return process

    def call(self, method: str, *args: Any, timeout: float | None = None) -> Any:
        """Run ``backend.method(*args)`` in the child; ``timeout`` seconds at most."""
        process = self._process if self._process is not None and self._process.poll() is None else self._start()
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            _write_frame(process.stdin.fileno(), (method, args))
            ok, value = _read_frame(process.stdout.fileno(), deadline)
        except BackendTimeout:
            self.close()
            raise BackendTimeout(f"the game backend did not answer {method!r} within {timeout} s and was stopped") from None
        except (EOFError, BrokenPipeError, OSError) as err:
            try:
                code = process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
            self.close()
            raise BackendCrashed(f"the game backend process died during {method!r} (exit code {code}): {err!r}") from None
        if not ok:
            raise value
        return value

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._process = None
        self._finalizer = None


#: ``isolation=`` values and the runner each one makes.
RUNNERS = {"none": InProcessRunner, "process": ProcessRunner}


def check_isolation(isolation: str) -> str:
    """``isolation`` if it names a runner (``"none"`` or ``"process"``), else ``ValueError``."""
    return require_choice("isolation", isolation, RUNNERS)


def make_runner(isolation: str, factory: str, kwargs: dict | None = None) -> "InProcessRunner | ProcessRunner":
    """The runner for ``isolation`` around the backend ``factory(**kwargs)`` (``"module:callable"``).

    >>> runner = make_runner("none", "collections:Counter", {"a": 2})
    >>> runner.call("most_common", timeout=5)
    [('a', 2)]
    """
    return RUNNERS[check_isolation(isolation)](factory, kwargs)


#: The runners' names before 0.2 (one release with a ``DeprecationWarning``).
_RENAMED = {"InProcessBackend": "InProcessRunner", "ProcessBackend": "ProcessRunner"}


def __getattr__(name: str) -> Any:
    if name in _RENAMED:
        new = _RENAMED[name]
        warnings.warn(f"textagent_envs.worker.{name} is now {new} (the old name goes in the next release)",
                      DeprecationWarning, stacklevel=2)
        return globals()[new]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _serve() -> None:
    # Our protocol owns the real stdout; anything the backend prints goes to stderr.
    stdin_fd, stdout_fd = os.dup(0), os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    try:
        factory, kwargs = _read_frame(stdin_fd)
    except EOFError:
        return
    backend = _load(factory)(**kwargs)
    while True:
        try:
            method, args = _read_frame(stdin_fd)
        except EOFError:
            return
        try:
            reply = (True, getattr(backend, method)(*args))
        except Exception as err:  # sent back and re-raised in the parent
            reply = (False, err)
        _write_frame(stdout_fd, reply)


if __name__ == "__main__":
    _serve()
