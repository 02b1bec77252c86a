"""Progress on long waits: a one-line spinner with the elapsed time and an estimate.

Generating and compiling a game, checking an env or making a task set can take from a
few seconds to minutes. Wrap such a wait in :func:`waiting` and a user at a terminal sees
what is happening instead of silence::

    from textagent_envs.progress import waiting

    with waiting("generating tw-cooking game (seed 3)", kind="generate tw-cooking"):
        ...

- Nothing is printed for waits shorter than ``delay`` (1 s), nor when standard error is
  not a terminal (logs, CI, notebooks piping output), nor with
  ``TEXTAGENT_ENVS_PROGRESS=0``; ``TEXTAGENT_ENVS_PROGRESS=1`` forces it on.
- ``kind`` names a kind of wait; how long that kind took before is remembered (a small
  JSON file in the game cache, best effort) and shown as "usually ~N s".
- Waits in several threads at once share one line: it shows the oldest and how many more.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from typing import IO, Iterator

from .cache import cache_root

PROGRESS_ENV_VAR = "TEXTAGENT_ENVS_PROGRESS"
FRAMES = "|/-\\"
_TIMINGS_FILE = "timings.json"


def progress_enabled(stream: IO[str] | None = None) -> bool:
    """Whether waits are shown on ``stream`` (standard error by default)."""
    setting = os.environ.get(PROGRESS_ENV_VAR, "").strip()
    if setting in ("0", "1"):
        return setting == "1"
    stream = sys.stderr if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Timings:
    """Typical durations per kind of wait: an exponential average kept in the cache."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, float] | None = None

    def _path(self):
        return cache_root() / _TIMINGS_FILE

    def _load(self) -> dict[str, float]:
        if self._loaded is None:
            try:
                data = json.loads(self._path().read_text())
                self._loaded = {k: float(v) for k, v in data.items() if isinstance(v, (int, float)) and v >= 0}
            except (OSError, ValueError, AttributeError):
                self._loaded = {}
        return self._loaded

    def estimate(self, kind: str) -> float | None:
        with self._lock:
            return self._load().get(kind)

    def record(self, kind: str, seconds: float) -> None:
        with self._lock:
            table = self._load()
            old = table.get(kind)
            table[kind] = seconds if old is None else 0.7 * old + 0.3 * seconds
            try:
                path = self._path()
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
                tmp.write_text(json.dumps(table, sort_keys=True))
                os.replace(tmp, path)
            except OSError:
                pass  # a read-only cache only costs the estimate


TIMINGS = _Timings()


class _Wait:
    def __init__(self, what: str, kind: str | None, delay: float):
        self.what, self.kind, self.delay = what, kind, delay
        self.started = time.monotonic()
        self.estimate = TIMINGS.estimate(kind) if kind else None

    def line(self, now: float, frame: str, others: int) -> str:
        elapsed = now - self.started
        text = f"{frame} {self.what} ... {elapsed:.0f} s"
        if self.estimate is not None and self.estimate >= 1:
            text += f" (usually ~{self.estimate:.0f} s)"
        if others:
            text += f" [+{others} more]"
        return text


class _Display:
    """One renderer thread for every active wait; writes only while some wait is due."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waits: list[_Wait] = []
        self._thread: threading.Thread | None = None
        self._stream: IO[str] = sys.stderr
        self._shown = 0  # characters on the line now

    def add(self, wait: _Wait, stream: IO[str]) -> None:
        with self._lock:
            self._waits.append(wait)
            self._stream = stream
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="textagent-envs-progress", daemon=True)
                self._thread.start()

    def remove(self, wait: _Wait) -> None:
        with self._lock:
            self._waits.remove(wait)
            if not self._waits:
                self._clear()

    def _clear(self) -> None:
        if self._shown:
            with contextlib.suppress(OSError, ValueError):
                self._stream.write("\r" + " " * self._shown + "\r")
                self._stream.flush()
            self._shown = 0

    def _run(self) -> None:
        tick = 0
        while True:
            time.sleep(0.2)
            with self._lock:
                if not self._waits:
                    self._clear()
                    self._thread = None
                    return
                now = time.monotonic()
                first = self._waits[0]
                if now - first.started < first.delay:
                    continue
                text = first.line(now, FRAMES[tick % len(FRAMES)], len(self._waits) - 1)
                tick += 1
                with contextlib.suppress(OSError, ValueError):
                    self._stream.write("\r" + text.ljust(self._shown))
                    self._stream.flush()
                self._shown = max(self._shown, len(text))


_DISPLAY = _Display()


@contextlib.contextmanager
def waiting(what: str, *, kind: str | None = None, delay: float = 1.0,
            stream: IO[str] | None = None) -> Iterator[None]:
    """Show ``what`` with a spinner while the block runs (see the module docstring).

    ``kind`` (optional) groups waits of the same sort so the next one can say how long
    it usually takes; its duration is recorded only when the block succeeds.
    """
    stream = sys.stderr if stream is None else stream
    shown = progress_enabled(stream)
    wait = _Wait(what, kind, delay)
    if shown:
        _DISPLAY.add(wait, stream)
    try:
        yield
    finally:
        if shown:
            _DISPLAY.remove(wait)
    if kind:
        TIMINGS.record(kind, time.monotonic() - wait.started)
