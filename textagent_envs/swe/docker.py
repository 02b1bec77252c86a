"""A sandbox in a Docker container, through the ``docker`` SDK (imported lazily).

One container serves many episodes. It starts from ``image`` with an idle shell as
PID 1 and these settings:

- no network (``network_mode="none"``) unless asked; no bind mounts, no volumes;
- memory (swap included), CPU, pids and file-size limits from :class:`Limits`;
- all capabilities dropped except the few a root user needs to work on its own files
  (``CHOWN``, ``DAC_OVERRIDE``, ``FOWNER``, ``FSETID``, ``KILL``, ``SETGID``,
  ``SETUID``), ``no-new-privileges``, never privileged, its own PID namespace;
- no init process: PID 1 is a ``bash`` loop that reaps orphans, ignores every signal
  sent from inside, and on ``SIGUSR1`` (sent by the sandbox through the engine, which
  needs no free process slot) kills every other process. So ``kill -9 -1`` from a
  command cannot stop the container, and a fork bomb that filled the pids limit can
  still be stopped.

Every command runs with ``bash -c`` in the work directory, started by a runner shell
kept alive in the container (one ``docker exec`` serves many commands, so a command
costs a few ms instead of the ~60 ms of an exec); its output (stdout and stderr in one
stream) is read with a cap, and at the time limit every process in the container except
PID 1 is killed (the runner too; the next command starts a new one).

:meth:`DockerSandbox.reset` restores the workspace and reuses the container when that
is safe: it kills every process, reads the container's file-system changes since the
image (the overlay upper directory when the engine is local, else ``docker diff``),
deletes files the episode created in the work directory, restores tracked files with
``git read-tree -u --reset``, rewrites ``.git/HEAD`` and wipes ``/tmp`` and
``/dev/shm``. It recreates the container instead (counted in
:attr:`DockerSandbox.recreated`) when anything changed that it cannot restore exactly:
a file outside the work directory and ``/tmp``, anything in ``.git`` other than the
index and ``HEAD`` (commits, stashes, objects, config, hooks), an untracked or ignored
file that came with the image (build artefacts), or the container's own ``/dev``,
``/etc/hosts``, ``/etc/hostname``, ``/etc/resolv.conf``.

The image needs ``bash``, coreutils, findutils and ``git``, and the work directory must
be a git repository (SWE-bench images and :mod:`textagent_envs.swe.images` are).
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import secrets
import selectors
import shlex
import socket
import stat
import struct
import tarfile
import time
import weakref
from typing import Any

from ..checks import require_number
from .cleanup import docker_labels, reap_once
from .docker_probe import docker_unavailable_reason  # noqa: F401  (public here too)
from .sandbox import MAX_DEPTH, CommandResult, Limits, SandboxError, SandboxUnavailable
from .tools import MAX_LISTING

#: Capabilities kept (Docker's default set minus network, mknod, chroot, audit, setfcap, setpcap).
KEEP_CAPABILITIES = ("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID")
#: Largest patch :meth:`DockerSandbox.diff` returns.
MAX_PATCH_BYTES = 32 << 20

# PID 1: waits on the (never written) stdin; a trapped USR1 kills everything else.
_PID1 = "trap 'kill -9 -1' USR1; trap '' TERM INT HUP QUIT; while :; do read -r _ || sleep 1; done"

#: Most changed paths of a container's layer a reset reads before it replaces the container instead.
_MAX_LAYER_ENTRIES = 100_000


class _LayerTooBig(Exception):
    """The container's layer is too big or deep to check; the container is replaced."""


#: Longest wait for the processes of a command to die before the container is replaced.
_KILL_SECONDS = 5.0

_SEP = b"\0\x01textagent\x01\0"
_SEP_SH = r"printf '\0\001textagent\001\0'"
# What Docker manages outside the container's file-system layer (not seen by docker diff).
_MOUNTED_STATE = "ls -A /dev; cat /etc/hosts /etc/hostname /etc/resolv.conf 2>/dev/null"

_BASELINE = rf"""
cd "$1" || {{ echo "the work directory $1 does not exist in the image" >&2; exit 3; }}
pwd -P; {_SEP_SH}
git -c safe.directory='*' rev-parse --verify -q HEAD || {{ echo "$1 is not a git repository with a commit" >&2; exit 4; }}
{_SEP_SH}; cat .git/HEAD; {_SEP_SH}
git -c safe.directory='*' ls-files -z; {_SEP_SH}
git -c safe.directory='*' ls-files -z -o; {_SEP_SH}
find . -path ./.git -prune -o -type d -print0; {_SEP_SH}
{_MOUNTED_STATE}
"""

_RESTORE = rf"""
cd "$1" || exit 3
base=$2; head=$3; shift 3
[ $# -gt 0 ] && rm -rf -- "$@"
err=$(git -c safe.directory='*' -c core.fsmonitor=false read-tree -u --reset "$base" 2>&1) || {{ echo "$err"; exit 4; }}
printf '%s' "$head" > .git/HEAD
shopt -s nullglob dotglob
rm -rf /tmp/* /dev/shm/*
{_MOUNTED_STATE}
"""

# The diff writes its index and the objects `git add -N` makes into a scratch folder,
# so the repository itself is not touched.
_DIFF = r"""
cd "$1" || exit 3
scratch=$(mktemp -d) && mkdir "$scratch/objects" || exit 5
trap 'rm -rf "$scratch"' EXIT
export GIT_INDEX_FILE=$scratch/index GIT_OBJECT_DIRECTORY=$scratch/objects GIT_ALTERNATE_OBJECT_DIRECTORIES=$PWD/.git/objects
git() { command git -c safe.directory='*' -c core.fsmonitor=false "$@"; }
git read-tree "$2" || exit 4
git ls-files -z -o --exclude-standard | xargs -0 -r git add -N -- || exit 4
base=$2; mode=${3:-patch}; shift 3 2>/dev/null || shift $#
export GIT_LITERAL_PATHSPECS=1
if [ "$mode" = names ]; then git diff --name-only -z --no-renames "$base"; exit; fi
if [ "$mode" = some ] && [ $# -eq 0 ]; then exit 0; fi
git diff --binary --no-color --no-ext-diff --no-textconv --no-renames "$base" -- "$@"
"""


class _Frames:
    """The payload of Docker's multiplexed exec stream (8-byte frame headers, stdout
    and stderr alike), read chunk by chunk with a deadline."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.header = bytearray()
        self.payload_left = 0
        self.selector = selectors.DefaultSelector()
        self.selector.register(sock, selectors.EVENT_READ)

    def read(self, deadline: float) -> bytes | None:
        """The next payload bytes; ``b""`` at the end of the stream, None at ``deadline``."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if not self.selector.select(remaining):
                continue
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return b""
            out = bytearray()
            view = memoryview(chunk)
            while view:
                if self.payload_left == 0:
                    take = min(8 - len(self.header), len(view))
                    self.header += view[:take]
                    view = view[take:]
                    if len(self.header) == 8:
                        self.payload_left = struct.unpack(">I", self.header[4:])[0]
                        self.header.clear()
                    continue
                take = min(self.payload_left, len(view))
                out += view[:take]
                self.payload_left -= take
                view = view[take:]
            if out:
                return bytes(out)

    def close(self) -> None:
        self.selector.close()


class _Capped:
    """Keeps the first ``limit`` bytes given to it and counts the rest."""

    def __init__(self, limit: int):
        self.limit, self.kept, self.dropped = limit, bytearray(), 0

    def add(self, data: bytes) -> None:
        room = max(0, self.limit - len(self.kept))
        self.kept += data[:room]
        self.dropped += max(0, len(data) - room)


def _read_frames(sock: socket.socket, limit: int, deadline: float) -> tuple[bytes, int, bool]:
    """Read an exec stream until EOF or ``deadline``, keeping the first ``limit``
    payload bytes. Returns (kept, dropped byte count, deadline reached)."""
    frames, out = _Frames(sock), _Capped(limit)
    try:
        while True:
            data = frames.read(deadline)
            if not data:
                return bytes(out.kept), out.dropped, data is None
            out.add(data)
    finally:
        frames.close()


class _Runner:
    """A shell kept running in the container (one ``docker exec``) that runs each
    command with ``bash -c`` and ends its output with a marker holding a random nonce
    and the exit code: a command then costs a few ms instead of a ``docker exec``.
    Output that background processes print later lands in later commands' output, as
    in a terminal."""

    SCRIPT = r"""
while IFS= read -r -d '' nonce && IFS= read -r -d '' command; do
  cd "$1" 2>/dev/null
  bash -c "exec 2>&1
$command" </dev/null
  printf '\0%s %d\0' "$nonce" $?
done
"""

    def __init__(self, api: Any, container_id: str, workdir: str):
        # Its $0 starts bash's own error messages, so a failed fork of the runner is told apart.
        self.name = f"textagent-runner-{secrets.token_hex(4)}"
        self.exec_id = api.exec_create(container_id, ["bash", "-c", self.SCRIPT, self.name, workdir], stdin=True)["Id"]
        self.stream = api.exec_start(self.exec_id, socket=True)
        self.sock = getattr(self.stream, "_sock", self.stream)
        self.frames = _Frames(self.sock)
        self._finalizer = weakref.finalize(self, _close_stream, self.frames, self.stream)

    def run(self, command: str, limit: int, deadline: float) -> tuple[bytes, int | None, int, str]:
        """(kept output, exit code, dropped bytes, how it ended: "done", "timeout",
        "died" when the runner itself was killed, "nofork" when it could not start the
        command because the pids limit is full)."""
        nonce = secrets.token_hex(16).encode()
        self.sock.sendall(nonce + b"\0" + command.encode("utf-8", "surrogateescape") + b"\0")
        marker = b"\0" + nonce + b" "
        nofork = self.name.encode() + b": fork: "
        keep = max(len(marker), len(nofork))
        out, pending = _Capped(limit), b""
        while True:
            data = self.frames.read(deadline)
            if not data:
                out.add(pending)
                return bytes(out.kept), None, out.dropped, "timeout" if data is None else "died"
            pending += data
            if nofork in pending:
                return bytes(out.kept) + pending[:limit], None, 0, "nofork"
            while True:  # look for the end marker; keep a tail that may hold its start
                at = pending.find(marker)
                if at < 0:
                    if len(pending) > keep:
                        out.add(pending[:-keep])
                        pending = pending[-keep:]
                    break
                end = pending.find(b"\0", at + len(marker))
                if end < 0 and len(pending) - at <= len(marker) + 4:  # the rest is still coming
                    out.add(pending[:at])
                    pending = pending[at:]
                    break
                code = pending[at + len(marker):end] if end >= 0 else b""
                if code.isdigit():
                    out.add(pending[:at])
                    return bytes(out.kept), int(code), out.dropped, "done"
                out.add(pending[:at + 1])  # something that only looked like the marker
                pending = pending[at + 1:]

    def close(self) -> None:
        self._finalizer()


def _close_stream(frames: _Frames, stream: Any) -> None:
    frames.close()
    stream.close()


def _remove_container(client: Any, container_id: str, seconds: float = 10.0) -> None:
    """Remove a container, retrying for up to ``seconds`` while the engine is busy (e.g.
    still draining a command's output flood, or a removal already in progress)."""
    import docker

    deadline = time.monotonic() + seconds
    while True:
        try:
            client.api.remove_container(container_id, force=True)
            return
        except docker.errors.NotFound:
            return
        except Exception:
            if time.monotonic() > deadline:
                return  # left for `textagent-envs clean` (the container carries its owner)
            time.sleep(0.5)


def _release(client: Any, state: dict[str, Any], own_client: bool) -> None:
    """Remove the sandbox's container and close the client it made (at close, garbage
    collection or interpreter exit)."""
    if state.get("container"):
        _remove_container(client, state.pop("container"))
    if own_client:
        client.close()


class ContainerFiles:
    """:class:`~textagent_envs.swe.tools.WorkspaceFiles` for the sandbox's work
    directory inside its container, so :class:`~textagent_envs.swe.tools.FileTools`
    works there. Paths are resolved with ``realpath`` inside the container (symbolic
    links followed as the container sees them); files are written with ``put_archive``
    keeping an existing file's mode and owner."""

    def __init__(self, sandbox: DockerSandbox):
        self._sandbox = sandbox

    @property
    def root(self) -> str:
        return self._sandbox._root()

    def _full(self, rel: str) -> str:
        return self.root if rel in ("", ".") else posixpath.join(self.root, rel)

    def resolve(self, path: str) -> str | None:
        root = self.root
        out, code = self._sandbox._exec(["realpath", "-m", "--", posixpath.join(root, path)])
        target = out.decode("utf-8", "surrogateescape").rstrip("\n")
        if code != 0 or not target:
            return None
        if target == root:
            return "."
        return target[len(root) + 1:] if target.startswith(root + "/") else None

    def kind(self, rel: str) -> str | None:
        out, _ = self._sandbox._exec(
            ["bash", "-c", 'if [ -d "$1" ]; then echo dir; elif [ -f "$1" ]; then echo file; fi', "kind", self._full(rel)]
        )
        return out.decode().strip() or None

    def size(self, rel: str) -> int:
        out, code = self._sandbox._exec(["stat", "-L", "-c", "%s", "--", self._full(rel)])
        if code != 0 or not out.strip().isdigit():
            raise FileNotFoundError(out.decode("utf-8", "replace").strip() or f"cannot read {rel}")
        return int(out)

    def read_bytes(self, rel: str) -> bytes:
        out, code = self._sandbox._exec(["cat", "--", self._full(rel)])
        if code != 0:
            raise FileNotFoundError(out.decode("utf-8", "replace").strip() or f"cannot read {rel}")
        return out

    def write_bytes(self, rel: str, data: bytes) -> None:
        full = self._full(rel)
        self._sandbox._pristine = False
        out, code = self._sandbox._exec(["stat", "-c", "%f %u %g", "--", full])
        mode, uid, gid = 0o644, 0, 0
        if code == 0:
            raw_mode, uid, gid = (int(v, 16) if i == 0 else int(v) for i, v in enumerate(out.split()))
            if not stat.S_ISREG(raw_mode):
                raise IsADirectoryError(f"{rel} is not a regular file")
            mode = stat.S_IMODE(raw_mode)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            info = tarfile.TarInfo(rel)
            info.size, info.mode, info.uid, info.gid, info.mtime = len(data), mode, uid, gid, int(time.time())
            archive.addfile(info, io.BytesIO(data))
        if not self._sandbox.client.api.put_archive(self._sandbox._container(), self.root, buffer.getvalue()):
            raise OSError(f"the engine refused to write {rel}")

    def listing(self, rel: str, depth: int) -> list[str]:
        script = (
            'cd "$1" && find "$2" -mindepth 1 -maxdepth "$3" -name .git -prune -o '
            "\\( -type d -o -xtype d \\) -printf '%p/\\0' -o -printf '%p\\0' | head -z -n \"$4\""
        )
        start = "." if rel in ("", ".") else "./" + rel
        out, code = self._sandbox._exec(["bash", "-c", script, "listing", self.root, start, str(depth),
                                         str(MAX_LISTING + 1)])
        if code != 0:
            raise FileNotFoundError(f"cannot list {rel}")
        return [p.removeprefix("./") for p in out.decode("utf-8", "replace").split("\0") if p]


class DockerSandbox:
    """Runs agent commands in a Docker container made from ``image``, in ``workdir``
    (a git repository in the image).

    The container starts at the first use (``reset``, ``run`` or a file operation).
    ``files`` gives the file tools' view of the same work directory. ``recreated``
    counts the resets that had to start a new container because reuse was unsafe;
    ``recreate_reason`` says why the last one did.
    ``client``: a ``docker.DockerClient`` (default: ``docker.from_env()``).
    Use it as a context manager or call :meth:`close`.

    >>> box = DockerSandbox("textagent-envs/task:calckit")  # doctest: +SKIP
    >>> box.reset(); box.run("python3 -m pytest -q tests").exit_code  # doctest: +SKIP
    """

    def __init__(
        self,
        image: str,
        *,
        workdir: str = "/testbed",
        limits: Limits = Limits(),
        network: bool = False,
        client: Any = None,
    ):
        if not isinstance(image, str) or not image:
            raise ValueError(f"image must be a non-empty str, got {image!r}")
        if not isinstance(workdir, str) or not workdir.startswith("/"):
            raise ValueError(f"workdir must be an absolute path, got {workdir!r}")
        if not isinstance(limits, Limits):
            raise TypeError(f"limits must be a Limits, got {type(limits).__name__}")
        own_client = client is None
        if own_client:
            reason = docker_unavailable_reason()
            if reason is not None:
                raise SandboxUnavailable(reason)
            import docker

            client = docker.from_env(timeout=120)
        reap_once(docker=True)  # containers of killed owners; once per process
        self.image = image
        self.workdir = posixpath.normpath(workdir)
        self.limits = limits
        self.network = network
        self.client = client
        self.files = ContainerFiles(self)
        self.recreated = 0
        self.recreate_reason: str | None = None
        self._id: str | None = None
        self._closed = False
        self._state: dict[str, Any] = {}
        self._finalizer = weakref.finalize(self, _release, client, self._state, own_client)
        self._base: dict[str, Any] = {}
        self._tracked_at: dict[str, set[str]] = {}
        self._head_content = b""
        self._pristine = False
        self._runner: _Runner | None = None

    # ------------------------------------------------------------------ lifecycle
    def _create(self) -> None:
        import docker

        from docker.types import Ulimit

        size = self.limits.file_size_mb << 20
        memory = f"{self.limits.memory_mb}m"
        try:
            container = self.client.containers.create(
                self.image, ["bash", "-c", _PID1], stdin_open=True, detach=True, init=False, privileged=False,
                working_dir="/", hostname="sandbox", labels={"textagent_envs.sandbox": "docker", **docker_labels()},
                network_mode="bridge" if self.network else "none",
                mem_limit=memory, memswap_limit=memory, nano_cpus=int(self.limits.cpus * 1e9),
                pids_limit=self.limits.pids,
                ulimits=[Ulimit(name="fsize", soft=size, hard=size), Ulimit(name="core", soft=0, hard=0)],
                cap_drop=["ALL"], cap_add=list(KEEP_CAPABILITIES), security_opt=["no-new-privileges"],
            )
        except docker.errors.ImageNotFound:
            raise SandboxError(
                f"Docker image {self.image!r} is not here (nothing is pulled); build it, e.g. "
                "`python -m textagent_envs.swe.images base` or `... task`"
            ) from None
        self._id = container.id
        self._pristine = True
        self._state["container"] = container.id
        try:
            container.start()
        except docker.errors.APIError as error:
            self._remove()
            raise SandboxError(f"the container of {self.image!r} did not start (it needs bash): {_short(error)}") from None
        self._record_baseline()

    def _record_baseline(self) -> None:
        out, code = self._exec(["bash", "-c", _BASELINE, "baseline", self.workdir])
        if code != 0:
            message = out.decode("utf-8", "replace").strip()
            self._remove()
            raise SandboxError(f"image {self.image!r} cannot serve as a workspace: {message}")
        root, head, head_content, tracked, untracked, dirs, mounted = out.split(_SEP)
        self._base = {
            "root": root.decode().strip(),
            "head": head.decode().strip(),
            "tracked": set(_names(tracked)),
            "untracked": set(_names(untracked)),
            "dirs": {d.removeprefix("./") for d in _names(dirs)},
            "mounted": mounted,
            "changes": self._changes(),
        }
        self._head_content = head_content
        self._tracked_at = {self._base["head"]: self._base["tracked"]}

    def _container(self) -> str:
        """The container's id, starting the container if there is none yet."""
        if self._closed:
            raise SandboxError("the sandbox is closed")
        if self._id is None:
            self._create()
        return self._id

    def _root(self) -> str:
        if self._id is None:
            self._container()
        return self._base["root"]

    def _remove(self) -> None:
        self._drop_runner()
        if self._state.get("container"):
            _remove_container(self.client, self._state.pop("container"))
        self._id = None

    def close(self) -> None:
        """Remove the container (and every process in it); idempotent."""
        self._remove()
        self._finalizer()
        self._closed = True

    def __getstate__(self):
        raise TypeError(f"a {type(self).__name__} owns live processes and cannot be copied or pickled; make another")

    def __enter__(self) -> DockerSandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ commands
    def _exec(self, argv: list[str], stdin: bytes | None = None, limit: int | None = None,
              deadline: float | None = None, direct: bool = False) -> tuple[bytes, int | None]:
        """Run ``argv`` in the container (internal use): through the runner, or as its
        own ``docker exec`` with ``stdin`` or ``direct``. Returns (output, exit code)."""
        if self._id is None:
            self._container()
        limit = limit or (1 << 62)
        deadline = deadline or time.monotonic() + 600
        if stdin is None and not direct:
            out, code, _, ended = self._shell(shlex.join(argv), limit, deadline)
            if ended == "nofork":  # the pids limit is full: free it, as run() does
                self._kill_all()
                out, code, _, ended = self._shell(shlex.join(argv), limit, deadline)
            if ended == "done":
                return out, code
            if ended == "timeout":
                self._kill_all()
                return out, None
        out, code, _, _ = self._exec_stream(argv, "/", limit, deadline, stdin)
        return out, code

    def _shell(self, command: str, limit: int, deadline: float) -> tuple[bytes, int | None, int, str]:
        """Run ``command`` through the runner (started when needed); the runner is
        dropped when it did not finish cleanly."""
        try:
            if self._runner is None:
                self._runner = _Runner(self.client.api, self._id, self.workdir)
            result = self._runner.run(command, limit, deadline)
        except OSError as error:  # the runner's socket broke
            result = (f"[{_short(error)}]".encode(), None, 0, "died")
        if result[3] != "done":
            self._drop_runner()
        return result

    def _drop_runner(self) -> None:
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def _exec_stream(self, argv: list[str], workdir: str, limit: int, deadline: float,
                     stdin: bytes | None = None) -> tuple[bytes, int | None, int, bool]:
        api = self.client.api
        exec_id = api.exec_create(self._id, argv, stdin=stdin is not None, workdir=workdir)["Id"]
        stream = api.exec_start(exec_id, socket=True)
        sock = getattr(stream, "_sock", stream)
        try:
            if stdin is not None:
                sock.sendall(stdin)
                sock.shutdown(socket.SHUT_WR)
            kept, dropped, timed_out = _read_frames(sock, limit, deadline)
        finally:
            stream.close()
        if timed_out:
            return kept, None, dropped, True
        for _ in range(200):
            info = api.exec_inspect(exec_id)
            if not info["Running"]:
                return kept, info["ExitCode"], dropped, False
            time.sleep(0.005)
        return kept, info["ExitCode"], dropped, False

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run ``command`` with ``bash -c`` in the work directory; stdout and stderr
        interleaved, capped at ``limits.output_bytes``. At the time limit every
        process in the container but PID 1 is killed (background ones from earlier
        commands too) and ``exit_code`` is None. Never raises for what the command does."""
        if not isinstance(command, str):
            raise TypeError(f"command must be a str, got {type(command).__name__}")
        if "\x00" in command:
            return CommandResult("The command contains a NUL character, which a shell cannot take.", 2)
        timeout = self.limits.timeout if timeout is None else timeout
        require_number("timeout (seconds)", timeout, positive=True)
        self._container()
        self._pristine = False
        start = time.monotonic()
        note, recreated = "", self.recreated
        for attempt in range(2):
            kept, code, dropped, ended = self._shell(command, self.limits.output_bytes, start + timeout)
            if not (ended == "nofork" or (ended == "died" and b"exec failed" in kept[:300])):
                break
            if attempt == 1:
                return CommandResult(f"[the command could not start: {kept.decode('utf-8', 'replace').strip()[:500]}]",
                                     None, False, 0, time.monotonic() - start)
            # The engine could not start a process, most often because the pids limit
            # is full (a fork bomb left running): free it and try once more.
            self._kill_all()
            note = "[the sandbox could not start a process (pids limit); every process in it was killed first]\n"
        output = kept.decode("utf-8", errors="replace")
        if ended == "timeout":
            self._kill_all()
        elif ended == "died":
            code = 137
            output += "\n[the shell running the command was killed]"
        elif 128 < code <= 128 + 64 and not output.strip():
            output = f"[killed by signal {code - 128}]"
        if self.recreated != recreated:
            output += "\n[processes could not be stopped: the sandbox was restarted with a fresh workspace]"
        return CommandResult(note + output, code, ended == "timeout", dropped, time.monotonic() - start)

    def processes(self) -> list[str]:
        """Command lines of the processes in the container as the engine lists them
        (``docker top``), leaving out PID 1 and the sandbox's runner shell."""
        if self._id is None:
            return []
        api = self.client.api
        own = {api.inspect_container(self._id)["State"]["Pid"]}
        if self._runner is not None:
            own.add(api.exec_inspect(self._runner.exec_id)["Pid"])
        top = api.top(self._id)
        pid, command = top["Titles"].index("PID"), top["Titles"].index("CMD")
        return [row[command] for row in top["Processes"] if int(row[pid]) not in own]

    def _kill_all(self) -> None:
        """Kill every process in the container except PID 1 (the runner too), and wait
        until only zombies are left, watching with ``docker top`` (no exec: an exec can
        stall behind a flood of output the engine is still draining). Bounded: after
        ``_KILL_SECONDS`` the container is replaced."""
        self._drop_runner()
        api = self.client.api
        deadline = time.monotonic() + _KILL_SECONDS
        pid1 = None
        while time.monotonic() < deadline:
            try:
                api.kill(self._id, "SIGUSR1")  # PID 1 kills the rest; needs no free pid
                pid1 = pid1 or str(api.inspect_container(self._id)["State"]["Pid"])
                top = api.top(self._id, ps_args="-o pid,stat")
                if all(pid == pid1 or state.startswith("Z") for pid, state in top["Processes"]):
                    return
            except Exception:
                pass
            time.sleep(0.05)
        self._recreate("processes in the container survived SIGKILL")

    # ------------------------------------------------------------------ reset
    def reset(self, base_commit: str | None = None) -> None:
        """A fresh workspace at ``base_commit`` (default: the commit the image has).
        Starts the container on first use; afterwards reuses it when that is safe,
        else replaces it (``recreated`` counts those)."""
        if base_commit is not None and (not isinstance(base_commit, str) or not re.fullmatch(r"[\w./~^-]+", base_commit)):
            raise ValueError(f"base_commit must be a git revision, got {base_commit!r}")
        self._container()
        base = self._base["head"] if base_commit in (None, self._base["head"]) else self._resolve_commit(base_commit)
        plan: list[str] = []
        if not self._pristine:
            self._kill_all()
            try:
                plan, why = self._cleanup_plan(self._changes(), base)
            except _LayerTooBig as error:
                plan, why = [], str(error)
            if why is not None:
                self._recreate(why)
                base = self._base["head"] if base_commit in (None, self._base["head"]) else self._resolve_commit(base_commit)
                plan = []
        if self._pristine and base == self._base["head"]:
            return
        head = self._head_content if base == self._base["head"] else (base + "\n").encode()
        out, code = self._exec(["bash", "-c", _RESTORE, "restore", self._root(), base, head.decode(), *plan])
        if code != 0:
            raise SandboxError(f"could not restore {self.workdir} to {base}: {out.decode('utf-8', 'replace').strip()}")
        self._pristine = False
        if out != self._base["mounted"]:  # not in the container's layer, so not restored
            self._recreate("/dev, /etc/hosts, /etc/hostname or /etc/resolv.conf changed")
            if base != self._base["head"]:
                self.reset(base_commit)

    def _recreate(self, why: str) -> None:
        self._remove()
        self.recreated += 1
        self.recreate_reason = why
        self._container()

    def _resolve_commit(self, revision: str) -> str:
        out, code = self._exec(["git", "-C", self._root(), "-c", "safe.directory=*", "rev-parse", "--verify", "-q",
                                revision + "^{commit}"])
        if code != 0:
            raise SandboxError(f"{revision!r} is not a commit of the repository in {self.workdir}")
        sha = out.decode().strip()
        if sha not in self._tracked_at:
            names, _ = self._exec(["git", "-C", self._root(), "-c", "safe.directory=*", "ls-tree", "-r", "-z",
                                   "--name-only", sha])
            self._tracked_at[sha] = set(_names(names))
        return sha

    def _changes(self) -> dict[str, str]:
        """Paths changed in the container's layer since the image: path -> ``"dir"``,
        ``"opaque"`` (a folder deleted and made again: what the image had in it is
        gone), ``"file"`` (anything not a folder), ``"deleted"``, or ``"changed"``
        (from ``docker diff``, which does not say)."""
        container = self.client.containers.get(self._id)
        upper = (container.attrs.get("GraphDriver") or {}).get("Data", {}).get("UpperDir")
        if upper and os.access(upper, os.R_OK | os.X_OK):
            changes = {}
            stack = [(upper, "", 0)]  # no recursion, bounded: a layer over the bounds is not reused
            while stack:
                folder, base, depth = stack.pop()
                if depth > MAX_DEPTH or len(changes) > _MAX_LAYER_ENTRIES:
                    raise _LayerTooBig(f"the container's layer holds over {_MAX_LAYER_ENTRIES} changes or "
                                       f"folders deeper than {MAX_DEPTH} levels")
                with os.scandir(folder) as entries:
                    for entry in entries:
                        info = entry.stat(follow_symlinks=False)
                        if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
                            kind = "deleted"  # an overlay whiteout
                        elif stat.S_ISDIR(info.st_mode):
                            kind = "opaque" if _is_opaque(entry.path) else "dir"
                            stack.append((entry.path, f"{base}/{entry.name}", depth + 1))
                        else:
                            kind = "file"
                        changes[posixpath.normpath(f"{base}/{entry.name}")] = kind
            return changes
        return {c["Path"]: "deleted" if c["Kind"] == 2 else "changed" for c in (container.diff() or [])}

    def _cleanup_plan(self, changes: dict[str, str], base: str) -> tuple[list[str], str | None]:
        """The work-directory paths to delete for a clean reset, and why the container
        cannot be reused safely (None when it can)."""
        root, baseline = self._root(), self._base
        tracked = baseline["tracked"] | self._tracked_at.get(base, set())
        new: list[str] = []
        for path, kind in changes.items():
            before = baseline["changes"].get(path)
            if before is not None and (before == kind or "changed" in (before, kind)):
                continue
            if path == "/tmp" or path.startswith("/tmp/") or root.startswith(path.rstrip("/") + "/"):
                continue
            if path == root:
                continue
            if not path.startswith(root + "/"):
                return [], f"{path} changed (outside the work directory and /tmp)"
            rel = path[len(root) + 1:]
            if rel == ".git" or rel.startswith(".git/"):
                if rel not in (".git", ".git/index", ".git/HEAD"):
                    return [], f"{path} changed (git state other than the index and HEAD)"
            elif rel in tracked:
                continue
            elif rel in baseline["dirs"]:
                if kind not in ("dir", "changed", "opaque"):
                    return [], f"{path}, a folder of the image, was replaced"
                if kind == "opaque" and any(u.startswith(rel + "/") for u in baseline["untracked"]):
                    return [], f"{path}, a folder holding untracked files of the image, was deleted"
            elif rel in baseline["untracked"]:
                return [], f"{path}, an untracked or ignored file of the image, changed"
            elif kind != "deleted":
                new.append(rel)
        new.sort()
        top: list[str] = []
        for rel in new:
            if not top or not rel.startswith(top[-1] + "/"):
                top.append(rel)
        if sum(len(p) + 1 for p in top) > 100_000:
            return [], f"{len(top)} new paths in the work directory"
        return top, None

    # ------------------------------------------------------------------ git
    def diff(self, base_commit: str, paths: list[str] | None = None) -> str:
        """The work directory against ``base_commit`` as a unified git diff (binary
        patches included), untracked files included, ignored files left out; only
        ``paths`` (literal paths) when given."""
        base = self._resolve_commit(base_commit)
        extra = ["patch"] if paths is None else ["some", *paths]
        out, code = self._exec(["bash", "-c", _DIFF, "diff", self._root(), base, *extra], limit=MAX_PATCH_BYTES + 1)
        if code != 0:
            raise SandboxError(f"git diff failed in {self.workdir}: {out.decode('utf-8', 'replace')[-2000:]}")
        if len(out) > MAX_PATCH_BYTES:
            raise SandboxError(f"the diff is larger than {MAX_PATCH_BYTES} bytes")
        return out.decode("utf-8", "replace")

    def changed_paths(self, base_commit: str) -> list[str]:
        """The paths :meth:`diff` would cover (changed, added, deleted), read as a
        NUL-separated list: exact names, never quoted or escaped."""
        base = self._resolve_commit(base_commit)
        out, code = self._exec(["bash", "-c", _DIFF, "diff", self._root(), base, "names"], limit=MAX_PATCH_BYTES + 1)
        if code != 0:
            raise SandboxError(f"git diff failed in {self.workdir}: {out.decode('utf-8', 'replace')[-2000:]}")
        return _names(out)

    def apply(self, patch: str) -> None:
        """Apply a unified diff in the work directory with ``git apply``;
        :class:`SandboxError` with git's message when it does not apply."""
        if not isinstance(patch, str):
            raise TypeError(f"patch must be a str, got {type(patch).__name__}")
        if not patch.strip():
            return
        self._container()
        self._pristine = False
        data = patch.encode("utf-8") if patch.endswith("\n") else (patch + "\n").encode("utf-8")
        out, code = self._exec(
            ["git", "-C", self._root(), "-c", "safe.directory=*", "apply", "--whitespace=nowarn", "-"], stdin=data
        )
        if code != 0:
            raise SandboxError(f"the patch does not apply: {out.decode('utf-8', 'replace').strip()}")


def _is_opaque(path: str) -> bool:
    for name in ("trusted.overlay.opaque", "user.overlay.opaque"):
        try:
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
        except OSError:
            pass
    return False


def _names(raw: bytes) -> list[str]:
    return [n.decode("utf-8", "surrogateescape") for n in raw.split(b"\0") if n]


def _short(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
