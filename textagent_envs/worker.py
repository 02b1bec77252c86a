"""Runners: where a game engine's backend runs, with a time limit on every call.

A backend is the object that adapts an engine (Jericho, the native TextWorld engine,
ALFWorld's engines) to one protocol: ``load(game_file)``, ``reset()``, ``step(command)``
returning plain dicts, and optionally ``get_state``, ``set_state``, ``fork``. A runner
holds one backend and calls its methods, ``call(method, *args, timeout=...)``; the env
makes its runner with :func:`make_runner` from its ``isolation=`` argument:

:class:`InProcessRunner` (``isolation="none"``) runs the backend in this process (no
overhead). Its timeout is a ``SIGALRM`` timer, so it interrupts a backend stuck in Python
code, but not one stuck inside a C library (such as the Z-machine interpreter), and it is
only armed in the main thread when no other ``SIGALRM`` handler is installed.

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
import importlib
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
    """A backend object in this process; ``call`` limits each call with a SIGALRM timer."""

    def __init__(self, factory: str, kwargs: dict | None = None):
        self.factory = factory
        self._backend = _load(factory)(**(kwargs or {}))

    def call(self, method: str, *args: Any, timeout: float | None = None) -> Any:
        if timeout is None or not _can_use_alarm():
            return getattr(self._backend, method)(*args)

        def on_alarm(signum, frame):
            raise BackendTimeout(f"the game backend did not answer {method!r} within {timeout} s and was stopped")

        # The signal module's own functions without its enum conversions (~8 us a call less).
        previous = _set_handler(_SIGALRM, on_alarm)
        _setitimer(_ITIMER_REAL, timeout)
        try:
            return getattr(self._backend, method)(*args)
        finally:
            _setitimer(_ITIMER_REAL, 0)
            _set_handler(_SIGALRM, previous)

    def fork(self) -> "InProcessRunner":
        """A runner around ``backend.fork()``: an independent backend in the same state."""
        twin = copy.copy(self)
        twin._backend = self._backend.fork()
        return twin

    def close(self) -> None:
        close = getattr(self._backend, "close", None)
        if close is not None:
            close()


try:  # CPython's C functions behind ``signal``: same calls, plain ints instead of enums
    from _signal import getsignal as _get_handler, setitimer as _setitimer, signal as _set_handler
except ImportError:  # another Python: the public ones
    _get_handler, _setitimer, _set_handler = signal.getsignal, signal.setitimer, signal.signal
_SIGALRM = int(signal.SIGALRM)
_ITIMER_REAL = int(signal.ITIMER_REAL)
_NO_HANDLER = (int(signal.SIG_DFL), int(signal.SIG_IGN), None)


def _can_use_alarm() -> bool:
    return threading.get_ident() == threading.main_thread().ident and _get_handler(_SIGALRM) in _NO_HANDLER


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
