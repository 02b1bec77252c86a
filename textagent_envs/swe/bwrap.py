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

import json
import os
import resource
import shutil
import signal
import socket
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

# A small process that lives in the sandbox's cgroups with its limits and starts each
# command (so a command pays neither a fork of this big interpreter nor a cgroup move,
# ~20 ms together). It gets the command's argv and its output pipe over a socket and
# answers with the pid, then the exit code.
_LAUNCHER = r"""
import json, os, signal, socket, sys
sock = socket.socket(fileno=int(sys.argv[1]))
while True:
    msg, fds, _, _ = socket.recv_fds(sock, 1 << 20, 1)
    if not msg or not fds:
        break
    out = fds[0]
    try:
        pid = os.posix_spawn(json.loads(msg)[0], json.loads(msg), {}, setsid=True,
            setsigdef=(signal.SIGPIPE, signal.SIGXFSZ), file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, out, 2), (os.POSIX_SPAWN_CLOSE, out)])
    except OSError as error:
        os.close(out)
        sock.sendall(json.dumps({"error": str(error)}).encode() + b"\n")
        continue
    os.close(out)
    sock.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    status = os.waitpid(pid, 0)[1]
    sock.sendall(json.dumps({"status": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
"""


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

    def kill_all(self, keep: int | None = None) -> None:
        """SIGKILL every process in the cgroups but ``keep``."""
        for _ in range(100):
            pids = {int(p) for group in self.dirs for p in (group / "cgroup.procs").read_text().split()} - {keep}
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
        self._launcher: subprocess.Popen | None = None
        self._socket: socket.socket | None = None
        self._replies = None

    def _command_prefix(self, network: bool, python: str, read_only_paths: Sequence[str]) -> list[str]:
        args = [shutil.which("bwrap"), "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        if network:
            args.append("--share-net")
        # The scratch /tmp first: later binds (a runtime that lives under /tmp) go on top of it.
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
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

    def _ensure_launcher(self) -> None:
        if self._launcher is not None and self._launcher.poll() is None:
            return
        self._drop_launcher()
        ours, theirs = socket.socketpair()
        self._launcher = subprocess.Popen(
            [sys.executable, "-S", "-c", _LAUNCHER, str(theirs.fileno())], pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=self._limit_child,
        )
        theirs.close()
        self._socket, self._replies = ours, ours.makefile("rb")

    def _drop_launcher(self) -> None:
        if self._launcher is not None:
            self._launcher.kill()
            self._launcher.wait()
        if self._socket is not None:
            self._replies.close()
            self._socket.close()
        self._launcher = self._socket = self._replies = None

    def _reply(self, timeout: float) -> dict:
        self._socket.settimeout(timeout)
        line = self._replies.readline()
        if not line:
            raise SandboxError("the sandbox launcher died")
        return json.loads(line)

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
        for attempt in range(2):  # a launcher killed by the last command (e.g. by the OOM killer) is restarted
            self._ensure_launcher()
            read_end, write_end = os.pipe()
            try:
                socket.send_fds(self._socket, [json.dumps(self._prefix + [command]).encode()], [write_end])
                started = self._reply(10.0)
                break
            except (OSError, SandboxError, ValueError):
                os.close(read_end)
                self._drop_launcher()
                if attempt:
                    raise SandboxError("could not start a command in the sandbox") from None
            finally:
                os.close(write_end)
        if "error" in started:
            os.close(read_end)
            raise SandboxError(f"could not start bubblewrap: {started['error']}")
        pid = started["pid"]
        with open(read_end, "rb", buffering=0) as output:
            kept, dropped, timed_out = read_capped(output, self.limits.output_bytes, start + timeout)
            if timed_out:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            code = self._reply(10.0)["status"]
        except (OSError, SandboxError, ValueError):
            self._drop_launcher()
            code = -signal.SIGKILL
        if self._cgroups is not None:
            self._cgroups.kill_all(keep=self._launcher.pid if self._launcher else None)
        output = kept.decode("utf-8", errors="replace")
        if code < 0 and not output.strip():
            output = f"[killed by signal {-code}]"
        return CommandResult(output, None if timed_out else code, timed_out, dropped, time.monotonic() - start)

    def close(self) -> None:
        """Stop the launcher and remove the cgroups; idempotent. (No command's process
        outlives the command.)"""
        self._drop_launcher()
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
