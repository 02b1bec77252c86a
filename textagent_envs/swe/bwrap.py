"""A local sandbox with bubblewrap: agent commands run with no network, a read-only
system, a private ``/tmp``, the workspace as the only writable folder, and limits.

What each command gets:

- its own user, PID, network, IPC, UTS and cgroup namespaces (``--unshare-all``): no
  network but a private loopback, no view of host processes, so no way to signal them;
- read-only binds of the system folders (``/usr`` and its links) and of the Python
  runtime that runs the tests; nothing else of the host is visible (no ``/home``,
  ``/root``, ``/work``, host ``/tmp``);
- the workspace at ``/workspace``, read-write; a fresh tmpfs at ``/tmp``;
- all capabilities dropped, a new session (no terminal injection), a clean environment;
- limits: a wall-clock timeout, a pids and a memory cgroup (fork and memory bombs stop
  there), a file-size rlimit, and output read with a cap;
- when the command ends, its PID namespace ends, so nothing it started survives.

The pids and memory limits need a writable cgroup hierarchy (root, v1 or v2) or, for
an unprivileged user, ``RLIMIT_NPROC`` and ``RLIMIT_AS``. Where neither works the
sandbox refuses to start (:class:`SandboxUnavailable`) rather than run without them.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Sequence

from .sandbox import CommandResult, Limits, SandboxError, SandboxUnavailable, read_capped
from .tools import LocalFiles

#: Where the workspace appears inside the sandbox.
WORKDIR = "/workspace"
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
_ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime")
_CGROUP_ROOT = Path("/sys/fs/cgroup")


def bwrap_unavailable_reason() -> str | None:
    """None when bubblewrap can start a sandbox here, else why and what to install."""
    exe = shutil.which("bwrap")
    if exe is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap; `make test` does it as root)"
    probe = subprocess.run([exe, "--unshare-all", "--ro-bind", "/", "/", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"bubblewrap cannot create namespaces here: {probe.stderr.strip()}"
    return None


class _Cgroups:
    """A pids and a memory cgroup for one sandbox (cgroup v1 or v2), removed on close."""

    def __init__(self, limits: Limits):
        name = f"textagent-envs-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.dirs: list[Path] = []
        v1 = _CGROUP_ROOT / "pids"
        try:
            if v1.is_dir():
                pids, memory = v1 / name, _CGROUP_ROOT / "memory" / name
                pids.mkdir()
                self.dirs.append(pids)
                (pids / "pids.max").write_text(str(limits.pids))
                memory.mkdir()
                self.dirs.append(memory)
                (memory / "memory.limit_in_bytes").write_text(str(limits.memory_mb << 20))
                swap = memory / "memory.memsw.limit_in_bytes"
                if swap.exists():
                    swap.write_text(str(limits.memory_mb << 20))
            else:
                group = _CGROUP_ROOT / name
                group.mkdir()
                self.dirs.append(group)
                (group / "pids.max").write_text(str(limits.pids))
                (group / "memory.max").write_text(str(limits.memory_mb << 20))
                (group / "memory.swap.max").write_text("0")
        except OSError as error:
            self.close()
            raise SandboxUnavailable(f"cannot create a pids/memory cgroup under {_CGROUP_ROOT}: {error}") from None

    def join(self) -> None:
        """Move the calling process into the cgroups (runs in the child before exec)."""
        for group in self.dirs:
            (group / "cgroup.procs").write_text(str(os.getpid()))

    def kill_all(self) -> None:
        for _ in range(100):
            pids = {int(p) for group in self.dirs for p in (group / "cgroup.procs").read_text().split()}
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        raise SandboxError(f"processes {sorted(pids)} survived SIGKILL in {self.dirs[0]}")

    def close(self) -> None:
        for group in reversed(self.dirs):
            try:
                group.rmdir()
            except FileNotFoundError:
                pass
        self.dirs = []


class BwrapSandbox:
    """Runs agent commands in ``workspace`` under bubblewrap.

    ``python``: the interpreter whose runtime (and site-packages, for pytest) is made
    visible read-only; the sandbox's ``python`` and ``python3`` are that interpreter.
    ``network=True`` shares the host network (off by default).
    ``files`` gives the file tools' view of the same workspace.
    """

    def __init__(
        self,
        workspace: str | os.PathLike,
        *,
        limits: Limits = Limits(),
        network: bool = False,
        python: str = sys.executable,
        read_only_paths: Sequence[str] = (),
    ):
        reason = bwrap_unavailable_reason()
        if reason is not None:
            raise SandboxUnavailable(reason)
        self.workspace = Path(workspace).resolve()
        if not self.workspace.is_dir():
            raise FileNotFoundError(f"workspace {str(self.workspace)!r} is not a directory")
        self.limits = limits
        self.files = LocalFiles(self.workspace)
        self._cgroups = _Cgroups(limits) if os.geteuid() == 0 else None
        self._prefix = self._command_prefix(network, python, read_only_paths)

    def _command_prefix(self, network: bool, python: str, read_only_paths: Sequence[str]) -> list[str]:
        args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        if network:
            args.append("--share-net")
        for path in _SYSTEM_DIRS:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        for path in _ETC_FILES:
            if os.path.exists(path):
                args += ["--ro-bind", path, path]
        interpreter = Path(python)
        venv = interpreter.parent.parent
        runtime = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix) if p}
        if (venv / "pyvenv.cfg").exists():
            runtime.add(str(venv))
        runtime |= {os.path.realpath(p) for p in read_only_paths}
        for path in sorted(runtime):
            if not path.startswith("/usr/"):
                args += ["--ro-bind", path, path]
        path_dirs = [str(interpreter.parent), "/usr/local/bin", "/usr/bin", "/bin"]
        args += [
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
            "--bind", str(self.workspace), WORKDIR, "--chdir", WORKDIR,
            "--hostname", "sandbox", "--clearenv",
            "--setenv", "PATH", ":".join(path_dirs), "--setenv", "HOME", "/tmp",
            "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "LANG", "C.UTF-8",
        ]
        shell = "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"
        return args + ["--", shell, "-c"]

    def _limit_child(self) -> None:
        """Runs in the child between fork and exec: cgroups, rlimits."""
        size = self.limits.file_size_mb << 20
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self._cgroups is not None:
            self._cgroups.join()
        else:  # unprivileged: these bind a normal user
            memory = self.limits.memory_mb << 20
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_NPROC, (self.limits.pids, self.limits.pids))

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run ``command`` with the shell in the workspace; never raises for what the
        command does (a timeout, a crash, an error exit are in the result)."""
        if not isinstance(command, str):
            raise TypeError(f"command must be a str, got {type(command).__name__}")
        if "\x00" in command:
            return CommandResult("The command contains a NUL character, which a shell cannot take.", 2)
        if self._prefix is None:
            raise SandboxError("the sandbox is closed")
        timeout = self.limits.timeout if timeout is None else timeout
        start = time.monotonic()
        process = subprocess.Popen(
            self._prefix + [command], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=self._limit_child,
        )
        try:
            kept, dropped, timed_out = read_capped(process.stdout, self.limits.output_bytes, start + timeout)
        finally:
            self._stop(process)
        code = None if timed_out else process.returncode
        output = kept.decode("utf-8", errors="replace")
        if code is not None and code > 128 and not output.strip():
            output = f"[killed by signal {code - 128}]"
        return CommandResult(output, code, timed_out, dropped, time.monotonic() - start)

    def _stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.stdout.close()
        process.wait()
        if self._cgroups is not None:
            self._cgroups.kill_all()

    def close(self) -> None:
        """Remove the cgroups; idempotent. (No process outlives a command.)"""
        if self._cgroups is not None:
            self._cgroups.kill_all()
            self._cgroups.close()
            self._cgroups = None
        self._prefix = None

    def __enter__(self) -> BwrapSandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
