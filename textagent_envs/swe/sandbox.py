"""What every SWE sandbox shares: resource limits, a command's result, and output
capture that keeps memory bounded however much a command prints.

Backends: :mod:`textagent_envs.swe.bwrap` (bubblewrap, local, no daemon) and
:mod:`textagent_envs.swe.docker` (a Docker container through the ``docker`` SDK).
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..checks import require_number

#: Deepest folder nesting the host-side tools and grading accept in a workspace.
MAX_DEPTH = 64


class SandboxError(RuntimeError):
    """The sandbox could not be started or used (missing tool, no permission, ...)."""


class SandboxUnavailable(SandboxError):
    """This sandbox backend cannot run on this machine; the message says why and what to install."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for everything the agent runs.

    ``timeout``: wall-clock seconds per command (the command and all it started are
    killed). ``memory_mb``: memory of all the command's processes together. ``pids``:
    processes and threads at once (a fork bomb stops there). ``file_size_mb``: largest
    file a process may write. ``output_bytes``: output kept per command (the rest is
    read and dropped, with a note). ``cpus``: CPU share (Docker only).
    ``workspace_mb`` and ``workspace_files``: the most the workspace may hold (bubblewrap:
    checked after each command, which is told when the workspace is over; grading refuses
    a workspace over them, and folders nested deeper than :data:`MAX_DEPTH`).
    """

    timeout: float = 30.0
    memory_mb: int = 1024
    pids: int = 128
    file_size_mb: int = 64
    output_bytes: int = 1 << 20
    cpus: float = 1.0
    workspace_mb: int = 1024
    workspace_files: int = 20_000

    def __post_init__(self) -> None:
        for name in ("timeout", "memory_mb", "pids", "file_size_mb", "output_bytes", "cpus", "workspace_mb",
                     "workspace_files"):
            value = getattr(self, name)
            require_number(f"Limits.{name}", value, positive=True)


@dataclass(frozen=True)
class CommandResult:
    """What a command did: its output (stdout and stderr interleaved, capped at
    ``Limits.output_bytes``), its exit code (None when it was killed at the time limit),
    and how many output bytes were dropped."""

    output: str
    exit_code: int | None
    timed_out: bool = False
    dropped_bytes: int = 0
    seconds: float = 0.0
    #: A note from the sandbox for the agent (e.g. the workspace is full), or "".
    note: str = ""

    def observation(self) -> str:
        """The text an agent sees: the output, then notes on dropped output, a timeout
        or a non-zero exit code."""
        notes = []
        if self.dropped_bytes:
            notes.append(f"[{self.dropped_bytes} more bytes of output were dropped]")
        if self.timed_out:
            notes.append(f"[the command was stopped after {self.seconds:.0f} s: time limit]")
        elif self.exit_code not in (0, None):
            notes.append(f"[exit code {self.exit_code}]")
        if self.note:
            notes.append(f"[{self.note}]")
        return "\n".join([self.output.rstrip("\n"), *notes]).strip("\n") or "[no output]"


def read_capped(stream: IO[bytes], limit: int, deadline: float) -> tuple[bytes, int, bool]:
    """Read ``stream`` until EOF or ``deadline`` (a ``time.monotonic()`` value), keeping
    the first ``limit`` bytes. Returns (kept, dropped byte count, deadline reached)."""
    kept = bytearray()
    dropped = 0
    fd = stream.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return bytes(kept), dropped, True
            if not selector.select(remaining):
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return bytes(kept), dropped, False
            room = limit - len(kept)
            kept += chunk[:room]
            dropped += max(0, len(chunk) - room)
    finally:
        selector.close()


def workspace_overflow(root: str | os.PathLike, limits: Limits, deadline: float = 10.0) -> str | None:
    """Why the folder ``root`` is over ``limits`` (``workspace_mb``, ``workspace_files``,
    :data:`MAX_DEPTH`), or None. Walks without recursion and stops at the first limit
    passed, so it costs at most ``workspace_files`` entries read (or ``deadline`` seconds,
    after which the workspace counts as over: too big to check)."""
    stop = time.monotonic() + deadline
    files, size = 0, 0
    max_bytes = limits.workspace_mb << 20
    stack = [(os.fspath(root), 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            entries = os.scandir(folder)
        except OSError:
            continue
        with entries:
            for entry in entries:
                files += 1
                if files > limits.workspace_files:
                    return f"it holds more than {limits.workspace_files} files and folders"
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if depth + 1 >= MAX_DEPTH:
                            return f"it has folders nested deeper than {MAX_DEPTH} levels"
                        stack.append((entry.path, depth + 1))
                    elif entry.is_file(follow_symlinks=False):
                        size += entry.stat(follow_symlinks=False).st_blocks * 512
                except OSError:
                    continue
                if size > max_bytes:
                    return f"it holds more than {limits.workspace_mb} MB"
                if not files % 1024 and time.monotonic() > stop:
                    return f"it is too big to check in {deadline:.0f} s"
    return None


def remove_tree(path: str | os.PathLike) -> None:
    """Delete the folder ``path`` and everything in it, however deep (``shutil.rmtree``
    recurses and fails past ~1,000 levels; ``rm -rf`` does not). Missing: nothing to do."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    try:
        shutil.rmtree(path)
        return
    except (OSError, RecursionError):
        pass
    subprocess.run(["rm", "-rf", "--", os.fspath(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    if path.exists():
        raise OSError(f"could not remove {path}")
