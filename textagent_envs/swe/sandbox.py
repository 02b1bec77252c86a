"""What every SWE sandbox shares: resource limits, a command's result, and output
capture that keeps memory bounded however much a command prints.

Backends: :mod:`textagent_envs.swe.bwrap` (bubblewrap, local, no daemon) and
:mod:`textagent_envs.swe.docker` (a Docker container through the ``docker`` SDK).
"""

from __future__ import annotations

import os
import selectors
import time
from dataclasses import dataclass
from typing import IO


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
    """

    timeout: float = 30.0
    memory_mb: int = 1024
    pids: int = 128
    file_size_mb: int = 64
    output_bytes: int = 1 << 20
    cpus: float = 1.0

    def __post_init__(self) -> None:
        for name in ("timeout", "memory_mb", "pids", "file_size_mb", "output_bytes", "cpus"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive number, got {value!r}")


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
