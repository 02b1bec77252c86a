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

Every command is a ``docker exec`` of ``bash -c`` in the work directory; its output
(stdout and stderr in one stream) is read with a cap, and at the time limit every
process in the container except PID 1 is killed.

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
import selectors
import socket
import stat
import struct
import tarfile
import time
import weakref
from typing import Any

from .sandbox import CommandResult, Limits, SandboxError, SandboxUnavailable

#: Capabilities kept (Docker's default set minus network, mknod, chroot, audit, setfcap, setpcap).
KEEP_CAPABILITIES = ("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID")
#: Largest patch :meth:`DockerSandbox.diff` returns.
MAX_PATCH_BYTES = 32 << 20

# PID 1: waits on the (never written) stdin; a trapped USR1 kills everything else.
_PID1 = "trap 'kill -9 -1' USR1; trap '' TERM INT HUP QUIT; while :; do read -r _ || sleep 1; done"

# Kill every process but PID 1 and this shell; exit 0 once only zombies are left.
# Builtins only, so it works while a fork bomb holds the pids limit.
_KILL_ALL = r"""
for ((i = 0; i < 200; i++)); do
  kill -9 -1 2>/dev/null
  left=0
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = 1 ] || [ "$p" = $$ ] || { read -r line < /proc/$p/stat 2>/dev/null && st=${line##*) } && [ "${st%% *}" != Z ] && left=1; }
  done
  [ $left = 0 ] && exit 0
done
exit 1
"""

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
scratch=$(mktemp -d) || exit 5
trap 'rm -rf "$scratch"' EXIT
export GIT_INDEX_FILE=$scratch/index GIT_OBJECT_DIRECTORY=$scratch/objects GIT_ALTERNATE_OBJECT_DIRECTORIES=$PWD/.git/objects
git() { command git -c safe.directory='*' -c core.fsmonitor=false "$@"; }
git read-tree "$2" || exit 4
git ls-files -z -o --exclude-standard | xargs -0 -r git add -N -- || exit 4
git diff --binary --no-color --no-ext-diff --no-textconv "$2"
"""


def docker_unavailable_reason() -> str | None:
    """None when a Docker engine answers here, else why (SDK missing, no daemon, permission)."""
    try:
        import docker
    except ImportError:
        return "the docker SDK is not installed (pip install 'textagent_envs[swe]')"
    try:
        client = docker.from_env(timeout=10)
    except docker.errors.DockerException as error:
        return f"no Docker engine answers ({error}); start dockerd (.ci/run does it as root)"
    try:
        client.ping()
    except Exception as error:
        text = str(error)
        if "Permission denied" in text or "PermissionError" in text:
            return f"no permission to use the Docker socket ({text}); run as root or join the docker group"
        return f"no Docker engine answers ({text}); start dockerd (.ci/run does it as root)"
    finally:
        client.close()
    return None


def _read_frames(sock: socket.socket, limit: int, deadline: float) -> tuple[bytes, int, bool]:
    """Read Docker's multiplexed exec stream (8-byte frame headers) until EOF or
    ``deadline``, keeping the first ``limit`` payload bytes. Returns (kept, dropped
    byte count, deadline reached); memory stays bounded by ``limit``."""
    kept = bytearray()
    dropped = 0
    header = bytearray()
    payload_left = 0
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return bytes(kept), dropped, True
            if not selector.select(remaining):
                continue
            chunk = sock.recv(1 << 16)
            if not chunk:
                return bytes(kept), dropped, False
            view = memoryview(chunk)
            while view:
                if payload_left == 0:
                    take = min(8 - len(header), len(view))
                    header += view[:take]
                    view = view[take:]
                    if len(header) == 8:
                        payload_left = struct.unpack(">I", header[4:])[0]
                        header.clear()
                    continue
                take = min(payload_left, len(view))
                room = max(0, limit - len(kept))
                kept += view[: min(take, room)]
                dropped += max(0, take - room)
                payload_left -= take
                view = view[take:]
    finally:
        selector.close()


def _remove_container(client: Any, container_id: str) -> None:
    try:
        client.api.remove_container(container_id, force=True)
    except Exception:
        pass


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
        if not self._sandbox._container().put_archive(self.root, buffer.getvalue()):
            raise OSError(f"the engine refused to write {rel}")

    def listing(self, rel: str, depth: int) -> list[str]:
        script = (
            'cd "$1" && find "$2" -mindepth 1 -maxdepth "$3" -name .git -prune -o '
            "\\( -type d -o -xtype d \\) -printf '%p/\\0' -o -printf '%p\\0'"
        )
        start = "." if rel in ("", ".") else "./" + rel
        out, code = self._sandbox._exec(["bash", "-c", script, "listing", self.root, start, str(depth)])
        if code != 0:
            raise FileNotFoundError(f"cannot list {rel}")
        return [p.removeprefix("./") for p in out.decode("utf-8", "replace").split("\0") if p]


class DockerSandbox:
    """Runs agent commands in a Docker container made from ``image``, in ``workdir``
    (a git repository in the image).

    The container starts at the first use (``reset``, ``run`` or a file operation).
    ``files`` gives the file tools' view of the same work directory. ``recreated``
    counts the resets that had to start a new container because reuse was unsafe.
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
        if client is None:
            reason = docker_unavailable_reason()
            if reason is not None:
                raise SandboxUnavailable(reason)
            import docker

            client = docker.from_env(timeout=120)
        self.image = image
        self.workdir = posixpath.normpath(workdir)
        self.limits = limits
        self.network = network
        self.client = client
        self.files = ContainerFiles(self)
        self.recreated = 0
        self._id: str | None = None
        self._closed = False
        self._finalizer: weakref.finalize | None = None
        self._base: dict[str, Any] = {}
        self._tracked_at: dict[str, set[str]] = {}
        self._head_content = b""
        self._pristine = False

    # ------------------------------------------------------------------ lifecycle
    def _create(self) -> None:
        import docker

        from docker.types import Ulimit

        size = self.limits.file_size_mb << 20
        memory = f"{self.limits.memory_mb}m"
        try:
            container = self.client.containers.create(
                self.image, ["bash", "-c", _PID1], stdin_open=True, detach=True, init=False, privileged=False,
                working_dir="/", hostname="sandbox", labels={"textagent_envs.sandbox": "docker"},
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
        self._finalizer = weakref.finalize(self, _remove_container, self.client, container.id)
        container.start()
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

    def _container(self):
        if self._closed:
            raise SandboxError("the sandbox is closed")
        if self._id is None:
            self._create()
        return self.client.containers.get(self._id)

    def _root(self) -> str:
        if self._id is None:
            self._container()
        return self._base["root"]

    def _remove(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # removes the container, once
            self._finalizer = None
        self._id = None

    def close(self) -> None:
        """Remove the container (and every process in it); idempotent."""
        self._remove()
        self._closed = True

    def __enter__(self) -> DockerSandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ commands
    def _exec(self, argv: list[str], stdin: bytes | None = None, limit: int | None = None,
              deadline: float | None = None) -> tuple[bytes, int | None]:
        """Run ``argv`` in the container (internal use); returns (output, exit code)."""
        if self._id is None:
            self._container()
        out, code, _, _ = self._exec_stream(argv, "/", limit or (1 << 62), deadline or time.monotonic() + 600, stdin)
        return out, code

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
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self._container()
        self._pristine = False
        start = time.monotonic()
        argv = ["bash", "-c", "exec 2>&1\n" + command]
        try:
            kept, code, dropped, timed_out = self._exec_stream(argv, self._root(), self.limits.output_bytes, start + timeout)
        except Exception as error:  # the engine could not start it: most often the pids limit is full
            self._kill_all()
            return CommandResult(
                f"[the command could not start ({_short(error)}); every process in the sandbox was killed]",
                None, False, 0, time.monotonic() - start,
            )
        if timed_out:
            self._kill_all()
        output = kept.decode("utf-8", errors="replace")
        if code is not None and code > 128 and not output.strip():
            output = f"[killed by signal {code - 128}]"
        return CommandResult(output, code, timed_out, dropped, time.monotonic() - start)

    def _kill_all(self) -> None:
        """Kill every process in the container except PID 1, and wait until they are gone."""
        api = self.client.api
        for _ in range(50):
            try:
                api.kill(self._id, "SIGUSR1")  # PID 1 kills the rest; needs no free pid
                _, code = self._exec(["bash", "-c", _KILL_ALL], deadline=time.monotonic() + 10)
                if code == 0:
                    return
            except Exception:
                pass
            time.sleep(0.05)
        raise SandboxError(f"could not stop the processes in container {self._id[:12]}")

    # ------------------------------------------------------------------ reset
    def reset(self, base_commit: str | None = None) -> None:
        """A fresh workspace at ``base_commit`` (default: the commit the image has).
        Starts the container on first use; afterwards reuses it when that is safe,
        else replaces it (``recreated`` counts those)."""
        if base_commit is not None and (not isinstance(base_commit, str) or not re.fullmatch(r"[\w./~^-]+", base_commit)):
            raise ValueError(f"base_commit must be a git revision, got {base_commit!r}")
        self._container()
        base = self._resolve_commit(base_commit) if base_commit else self._base["head"]
        plan: list[str] | None = []
        if not self._pristine:
            self._kill_all()
            plan = self._cleanup_plan(self._changes(), base)
            if plan is None:
                self._recreate()
                base = self._resolve_commit(base_commit) if base_commit else self._base["head"]
                plan = []
        if self._pristine and base == self._base["head"]:
            return
        head = self._head_content if base == self._base["head"] else (base + "\n").encode()
        out, code = self._exec(["bash", "-c", _RESTORE, "restore", self._root(), base, head.decode(), *plan])
        if code != 0:
            raise SandboxError(f"could not restore {self.workdir} to {base}: {out.decode('utf-8', 'replace').strip()}")
        self._pristine = False
        if out != self._base["mounted"]:  # /dev or /etc/hosts... changed: not in the layer, cannot be restored
            self._recreate()
            if base != self._base["head"]:
                self.reset(base_commit)

    def _recreate(self) -> None:
        self._remove()
        self.recreated += 1
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
        ``"file"`` (anything not a directory) or ``"deleted"``."""
        container = self.client.containers.get(self._id)
        upper = (container.attrs.get("GraphDriver") or {}).get("Data", {}).get("UpperDir")
        if upper and os.access(upper, os.R_OK | os.X_OK):
            changes = {}
            for folder, dirnames, filenames in os.walk(upper):
                base = "/" + os.path.relpath(folder, upper) if folder != upper else ""
                for name in dirnames + filenames:
                    info = os.lstat(os.path.join(folder, name))
                    whiteout = stat.S_ISCHR(info.st_mode) and info.st_rdev == 0
                    changes[posixpath.normpath(f"{base}/{name}")] = (
                        "deleted" if whiteout else "dir" if stat.S_ISDIR(info.st_mode) else "file"
                    )
            return changes
        return {c["Path"]: "deleted" if c["Kind"] == 2 else "changed" for c in (container.diff() or [])}

    def _cleanup_plan(self, changes: dict[str, str], base: str) -> list[str] | None:
        """The work-directory paths to delete for a clean reset, or None when the
        container cannot be reused safely."""
        root, baseline = self._root(), self._base
        tracked = baseline["tracked"] | self._tracked_at.get(base, set())
        new: list[str] = []
        for path, kind in changes.items():
            if baseline["changes"].get(path) == kind:
                continue
            if path == "/tmp" or path.startswith("/tmp/") or root.startswith(path.rstrip("/") + "/"):
                continue
            if path == root:
                continue
            if not path.startswith(root + "/"):
                return None  # outside the work directory and /tmp
            rel = path[len(root) + 1:]
            if rel == ".git" or rel.startswith(".git/"):
                if rel not in (".git", ".git/index", ".git/HEAD"):
                    return None
            elif rel in tracked:
                continue
            elif rel in baseline["dirs"]:
                if kind not in ("dir", "changed"):
                    return None  # a folder of the image replaced by something else
            elif rel in baseline["untracked"]:
                return None  # an ignored/untracked file of the image changed: cannot restore it
            elif kind != "deleted":
                new.append(rel)
        new.sort()
        top: list[str] = []
        for rel in new:
            if not top or not rel.startswith(top[-1] + "/"):
                top.append(rel)
        if sum(len(p) + 1 for p in top) > 100_000:
            return None
        return top

    # ------------------------------------------------------------------ git
    def diff(self, base_commit: str) -> str:
        """The work directory against ``base_commit`` as a unified git diff (binary
        patches included), untracked files included, ignored files left out."""
        base = self._resolve_commit(base_commit)
        out, code = self._exec(["bash", "-c", _DIFF, "diff", self._root(), base], limit=MAX_PATCH_BYTES + 1)
        if code != 0:
            raise SandboxError(f"git diff failed in {self.workdir}: {out.decode('utf-8', 'replace')[-2000:]}")
        if len(out) > MAX_PATCH_BYTES:
            raise SandboxError(f"the diff is larger than {MAX_PATCH_BYTES} bytes")
        return out.decode("utf-8", "replace")

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


def _names(raw: bytes) -> list[str]:
    return [n.decode("utf-8", "surrogateescape") for n in raw.split(b"\0") if n]


def _short(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
