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
- when the command ends, its PID namespace ends, so nothing it started survives;
- only file descriptors 0-2: the launcher that starts commands keeps its control socket to
  itself, and the host checks every reply on it (see :meth:`BwrapSandbox._reply`);
- after each command, a census of the workspace against ``Limits.workspace_mb`` /
  ``workspace_files`` and :data:`~textagent_envs.swe.sandbox.MAX_DEPTH`: a full workspace
  is said in the command's observation.

The pids and memory limits need a writable cgroup hierarchy (root, v1 or v2) or, for
an unprivileged user, ``RLIMIT_NPROC`` and ``RLIMIT_AS``. Where neither works the
sandbox refuses to start (:class:`SandboxUnavailable`) rather than run without them.
"""

from __future__ import annotations

import json
import os
import resource
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from ..checks import is_int
from .cleanup import cgroup_name, kill_cgroup_processes, reap_once
from .sandbox import CommandResult, Limits, SandboxError, SandboxUnavailable, read_capped, workspace_overflow
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
import json, os, signal, socket, struct, sys
sock = socket.socket(fileno=int(sys.argv[1]))
os.set_inheritable(sock.fileno(), False)  # only this process holds the channel; commands get fds 0-2
def exactly(n, got=b""):
    while len(got) < n:
        more = sock.recv(n - len(got))
        if not more:
            sys.exit(0)
        got += more
    return got
done = None  # the last command's process: reaped only when the next one is asked for, so
while True:  # the host can check its pid in /proc (the host waits for the status first)
    head, fds, _, _ = socket.recv_fds(sock, 8, 1)
    if done is not None:
        os.waitpid(done, 0)
        done = None
    if not head or not fds:
        break
    out = fds[0]
    os.set_inheritable(out, False)
    argv = json.loads(exactly(struct.unpack("!Q", exactly(8, head))[0]))
    try:
        pid = os.posix_spawn(argv[0], argv, {}, setsid=True,
            setsigdef=(signal.SIGPIPE, signal.SIGXFSZ), file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, out, 2)])
    except (OSError, ValueError) as error:
        os.close(out)
        sock.sendall(json.dumps({"error": str(error)}).encode() + b"\n")
        continue
    os.close(out)
    sock.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    code = info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
    done = pid
    sock.sendall(json.dumps({"status": code}).encode() + b"\n")
"""

#: Longest reply line the host reads from the launcher (its replies are ~30 bytes).
_MAX_REPLY = 256
#: Longest command a process can be given (Linux's MAX_ARG_STRLEN, less the final NUL).
MAX_COMMAND_BYTES = (128 << 10) - 1


class _BadReply(Exception):
    """The launcher's channel gave something the launcher never sends (``died``: nothing)."""

    def __init__(self, message: str, died: bool = False):
        super().__init__(message)
        self.died = died


def _short(error: BaseException) -> str:
    return str(error) or type(error).__name__


def _fault_note(fault: str) -> str:
    return f"[the sandbox stopped this command: its launcher's channel gave {fault}; the sandbox was restarted]"


def _refusal(command: str) -> str | None:
    """Why ``command`` cannot be run at all, or None."""
    if "\x00" in command:
        return "The command contains a NUL character, which a shell cannot take."
    try:
        size = len(command.encode("utf-8"))
    except UnicodeEncodeError as error:
        return (f"The command contains a character that is not valid text ({command[error.start]!r} at "
                f"character {error.start}, a lone surrogate); remove it.")
    if size > MAX_COMMAND_BYTES:
        return (f"The command is {size} bytes long; a command line holds at most {MAX_COMMAND_BYTES}. Write long "
                "content to a file with the create tool and run that file instead.")
    return None


def bwrap_unavailable_reason() -> str | None:
    """None when bubblewrap can start a sandbox here, else why and what to install."""
    exe = shutil.which("bwrap")
    if exe is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap; `make test` does it as root)"
    if exe in _WORKING:  # probed once per process (a probe starts a sandbox: ~40 ms)
        return None
    probe = subprocess.run([exe, "--unshare-all", "--ro-bind", "/", "/", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"bubblewrap cannot create namespaces here: {probe.stderr.strip()}"
    _WORKING.add(exe)
    return None


#: bubblewrap executables that started a sandbox in this process.
_WORKING: set[str] = set()


class _Cgroups:
    """A pids and a memory cgroup for one sandbox (cgroup v1 or v2), removed on close."""

    def __init__(self, limits: Limits):
        name = cgroup_name()
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
        survivors = kill_cgroup_processes(self.dirs, keep)
        if survivors:
            raise SandboxError(f"processes {sorted(survivors)} survived SIGKILL in {self.dirs[0]}")

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
        reap_once()  # what killed owners left (workspaces, cgroups); once per process
        self.workspace = Path(workspace).resolve()
        if not self.workspace.is_dir():
            raise FileNotFoundError(f"workspace {str(self.workspace)!r} is not a directory")
        self.limits = limits
        self.files = LocalFiles(self.workspace)
        self._cgroups = _Cgroups(limits) if os.geteuid() == 0 else None
        self._prefix = self._command_prefix(network, python, read_only_paths)
        self._launcher: subprocess.Popen | None = None
        self._socket: socket.socket | None = None
        self._pending = b""

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
        self._socket, self._pending = ours, b""

    def _drop_launcher(self) -> None:
        if self._launcher is not None:
            self._launcher.kill()
            self._launcher.wait()
        if self._socket is not None:
            self._socket.close()
        self._launcher = self._socket = None
        self._pending = b""
        if self._cgroups is not None:
            self._cgroups.kill_all()

    def _reply(self, key: str, timeout: float) -> Any:
        """The launcher's next reply, which must be ``{key: value}`` (or, for ``"pid"``,
        ``{"error": message}``), checked: a pid must be the launcher's own child, leading
        its own process group (never 0, 1 or another host process); a status an exit code.
        Anything else raises :class:`_BadReply`."""
        line = self._read_line(time.monotonic() + timeout)
        if line is None:
            raise _BadReply("nothing (it died or hung)", died=True)
        if not line.endswith(b"\n"):
            raise _BadReply("a reply longer than the launcher ever sends")
        try:
            reply = json.loads(line)
        except ValueError:
            raise _BadReply(f"a reply that is not JSON: {line[:80]!r}") from None
        if not isinstance(reply, dict) or len(reply) != 1:
            raise _BadReply(f"a reply of the wrong shape: {line[:80]!r}")
        if key == "pid" and isinstance(reply.get("error"), str):
            return reply
        value = reply.get(key)
        if not is_int(value):
            raise _BadReply(f"a reply without an integer {key!r}: {line[:80]!r}")
        if key == "pid" and not self._is_launcher_child(value):
            raise _BadReply(f"pid {value} is not a process the launcher started")
        if key == "status" and not -64 <= value <= 255:
            raise _BadReply(f"exit status {value} is not an exit status")
        return value

    def _reply_ready(self, deadline: float) -> bool:
        """Whether a reply (or the launcher's end) arrives before ``deadline``."""
        if b"\n" in self._pending:
            return True
        return bool(select.select([self._socket], [], [], max(0.0, deadline - time.monotonic()))[0])

    def _read_line(self, deadline: float) -> bytes | None:
        """One line of at most ``_MAX_REPLY`` bytes (longer: the first ``_MAX_REPLY``
        bytes, no newline), or None when the launcher ends or ``deadline`` passes."""
        while b"\n" not in self._pending and len(self._pending) < _MAX_REPLY:
            if not self._reply_ready(deadline):
                return None
            try:
                more = self._socket.recv(_MAX_REPLY)
            except OSError:
                return None
            if not more:
                return None
            self._pending += more
        end = self._pending.find(b"\n") + 1 or _MAX_REPLY
        line, self._pending = self._pending[:end], self._pending[end:]
        return line

    def _is_launcher_child(self, pid: int) -> bool:
        """Whether ``pid`` is a child of the launcher that leads its own process group (as
        the launcher's ``setsid`` makes it). Read from ``/proc``; the launcher has not
        reaped it yet (it waits only after replying), so a dead child still shows."""
        if pid <= 1 or self._launcher is None or pid == self._launcher.pid:
            return False
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (OSError, ValueError):
            return False
        fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp ...
        return len(fields) > 2 and fields[1] == str(self._launcher.pid) and fields[2] == str(pid)

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run ``command`` with the shell in the workspace; never raises for what the
        command does (a timeout, a crash, an error exit, a command too long are in the
        result). :class:`SandboxError` only when the sandbox cannot start commands at all."""
        if not isinstance(command, str):
            raise TypeError(f"command must be a str, got {type(command).__name__}")
        if self._prefix is None:
            raise SandboxError("the sandbox is closed")
        refused = _refusal(command)
        if refused:
            return CommandResult(refused, 2)
        timeout = self.limits.timeout if timeout is None else timeout
        start = time.monotonic()
        payload = json.dumps(self._prefix + [command]).encode()
        for attempt in range(2):  # a launcher killed by the last command (e.g. by the OOM killer) is restarted
            self._ensure_launcher()
            read_end, write_end = os.pipe()
            try:
                socket.send_fds(self._socket, [struct.pack("!Q", len(payload))], [write_end])
                self._socket.sendall(payload)
                started = self._reply("pid", 10.0)
                break
            except (OSError, _BadReply) as error:
                os.close(read_end)
                self._drop_launcher()  # nothing of this channel is trusted again
                if isinstance(error, _BadReply) and not error.died:
                    return CommandResult(_fault_note(str(error)), None)
                if attempt:
                    raise SandboxError(f"could not start a command in the sandbox: {error}") from None
            finally:
                os.close(write_end)
        if isinstance(started, dict):
            os.close(read_end)
            return CommandResult(f"The command could not be started: {started['error']}.", 126)
        pid, fault = started, None
        with open(read_end, "rb", buffering=0) as output:
            kept, dropped, timed_out = read_capped(output, self.limits.output_bytes, start + timeout)
        if not timed_out and not self._reply_ready(start + timeout):  # output closed, command still running
            timed_out = True
        if timed_out:
            self._kill_group(pid)
        try:
            code = self._reply("status", 10.0)
        except _BadReply as error:
            fault, code = str(error), -signal.SIGKILL
            self._drop_launcher()  # nothing of this channel is trusted again
        if self._cgroups is not None:
            self._cgroups.kill_all(keep=self._launcher.pid if self._launcher else None)
        output = kept.decode("utf-8", errors="replace")
        over = workspace_overflow(self.workspace, self.limits)
        note = f"the workspace is full: {over}; delete files (grading refuses a full workspace)" if over else ""
        if fault is not None:
            output += "\n" + _fault_note(fault)
        elif code < 0 and not output.strip():
            output = f"[killed by signal {-code}]"
        return CommandResult(output, None if timed_out else code, timed_out, dropped, time.monotonic() - start, note)

    def _kill_group(self, pid: int) -> None:
        """SIGKILL the command's process group, checked again to be the launcher's child."""
        if self._is_launcher_child(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        """Stop the launcher and remove the cgroups; idempotent. (No command's process
        outlives the command.)"""
        self._drop_launcher()
        if self._cgroups is not None:
            self._cgroups.kill_all()
            self._cgroups.close()
            self._cgroups = None
        self._prefix = None

    def __getstate__(self):
        raise TypeError(f"a {type(self).__name__} owns live processes and cannot be copied or pickled; make another")

    def __enter__(self) -> BwrapSandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
