"""Labels on everything the SWE sandboxes create, and the reaper of what a dead owner left.

Each bubblewrap workspace folder, cgroup and Docker container carries its owner: the
process id and that process's start time (so a recycled pid is not mistaken for the
owner). A process killed with SIGKILL cannot clean up; :func:`reap` removes whatever an
owner that is gone left behind: workspace folders (any depth), cgroups (their processes
killed first) and containers (with the agent's background processes in them).

It runs once per process when the first SWE sandbox starts, and on demand::

    textagent-envs clean [--dry-run]

or ``textagent_envs.swe.cleanup.reap()`` from Python.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

#: Name prefix of an SWE-Mini episode folder (workspace and grading copy).
WORKSPACE_PREFIX = "textagent-envs-swe-"
#: Name prefix of the sandboxes' cgroups.
CGROUP_PREFIX = "textagent-envs-"
#: Docker label holding a container's owner (``host:pid:start``).
DOCKER_LABEL = "textagent_envs.owner"
_CGROUP_ROOT = Path("/sys/fs/cgroup")
_TAGGED = re.compile(r"^textagent-envs-(?:swe-)?(\d+)-(\d+)-")
_reaped: set[bool] = set()
_lock = threading.Lock()


def _start_time(pid: int) -> int | None:
    """The start time (clock ticks after boot) of process ``pid``, or None if there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    return int(stat[stat.rfind(")") + 2:].split()[19])


def owner_tag(pid: int | None = None) -> str:
    """``"<pid>-<start time>"`` of this process (or ``pid``): what names and labels carry."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}-{_start_time(pid)}"


def owner_alive(tag: str) -> bool:
    """Whether the process a ``"<pid>-<start>"`` tag names is still running."""
    pid, start = (int(v) for v in tag.split("-"))
    return _start_time(pid) == start


def workspace_dir() -> Path:
    """A new episode folder in the temporary directory, named with this process as owner."""
    return Path(tempfile.mkdtemp(prefix=f"{WORKSPACE_PREFIX}{owner_tag()}-"))


def cgroup_name() -> str:
    return f"{CGROUP_PREFIX}{owner_tag()}-{os.urandom(4).hex()}"


def docker_labels() -> dict[str, str]:
    return {DOCKER_LABEL: f"{socket.gethostname()}:{owner_tag()}"}


def _orphaned(name: str) -> bool:
    match = _TAGGED.match(name)
    return bool(match) and not owner_alive(f"{match[1]}-{match[2]}")


def _cgroup_dirs() -> list[Path]:
    roots = [_CGROUP_ROOT / "pids", _CGROUP_ROOT / "memory"] if (_CGROUP_ROOT / "pids").is_dir() else [_CGROUP_ROOT]
    found = []
    for root in roots:
        try:
            found += [p for p in root.iterdir() if p.name.startswith(CGROUP_PREFIX) and p.is_dir()]
        except OSError:
            continue
    return found


def leftovers(*, alive_only: bool = True, owner: str | None = None) -> list[str]:
    """What the SWE sandboxes have on this machine now: with ``alive_only`` (default) only
    what a dead owner left, else everything labelled (workspaces, cgroups, containers);
    with ``owner`` (an :func:`owner_tag`), only what that process made."""
    def keep(name: str) -> bool:
        match = _TAGGED.match(name)
        return bool(match) and (owner is None or f"{match[1]}-{match[2]}" == owner) and (
            not alive_only or not owner_alive(f"{match[1]}-{match[2]}"))

    found = [str(p) for p in Path(tempfile.gettempdir()).glob(WORKSPACE_PREFIX + "*") if keep(p.name)]
    found += [str(p) for p in _cgroup_dirs() if keep(p.name)]
    found += [f"docker:{c}" for c in _containers(alive_only, owner)]
    return sorted(found)


def _containers(orphaned_only: bool, owner: str | None = None) -> list[str]:
    """Ids of this host's labelled containers (those of dead owners, or all; of ``owner``)."""
    from .docker_probe import docker_unavailable_reason

    if docker_unavailable_reason() is not None:
        return []
    import docker

    host = socket.gethostname()
    try:
        client = docker.from_env(timeout=30)
        ids = []
        for container in client.containers.list(all=True, filters={"label": DOCKER_LABEL}):
            owner_host, _, tag = container.labels.get(DOCKER_LABEL, "").partition(":")
            if owner_host == host and owner in (None, tag) and (not orphaned_only or not owner_alive(tag)):
                ids.append(container.id)
        client.close()
        return ids
    except Exception:  # the daemon went away: nothing we can list
        return []


def kill_cgroup_processes(groups: list[Path], keep: int | None = None) -> set[int]:
    """SIGKILL every process in ``groups`` but ``keep``, until none is left or 100 rounds
    have passed; the pids that survived (empty when all are gone)."""
    pids: set[int] = set()
    for _ in range(100):
        pids = {int(p) for group in groups for p in (group / "cgroup.procs").read_text().split()} - {keep}
        if not pids:
            return pids
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)
    return pids


def _kill_cgroup(group: Path) -> None:
    kill = group / "cgroup.kill"
    if kill.exists():
        kill.write_text("1")
    try:
        kill_cgroup_processes([group])
    except OSError:  # the group went away meanwhile
        return


def reap(*, dry_run: bool = False, docker: bool = True) -> list[str]:
    """Remove what owners that are gone left behind; returns what was (or, with
    ``dry_run``, would be) removed. Safe to run while other processes use their envs."""
    from .sandbox import remove_tree

    removed = []
    for path in Path(tempfile.gettempdir()).glob(WORKSPACE_PREFIX + "*"):
        if _orphaned(path.name):
            removed.append(str(path))
            if not dry_run:
                try:
                    remove_tree(path)
                except OSError:
                    removed.pop()
    for group in _cgroup_dirs():
        if _orphaned(group.name):
            removed.append(str(group))
            if not dry_run:
                _kill_cgroup(group)
                try:
                    group.rmdir()
                except OSError:
                    removed.pop()
    if docker:
        ids = _containers(orphaned_only=True)
        if ids and not dry_run:
            import docker as docker_sdk

            client = docker_sdk.from_env(timeout=60)
            for container_id in list(ids):
                try:
                    client.api.remove_container(container_id, force=True)
                except Exception:
                    ids.remove(container_id)
            client.close()
        removed += [f"docker:{c}" for c in ids]
    return removed


def reap_once(*, docker: bool = False) -> None:
    """:func:`reap` the first time any sandbox of this process starts (never raises)."""
    with _lock:
        if docker in _reaped:
            return
        _reaped.add(docker)
    try:
        reap(docker=docker)
    except Exception:
        pass
