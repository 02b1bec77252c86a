"""Docker images for the SWE sandboxes, built offline from Debian packages (nothing is
pulled from a registry).

- :func:`build_base_image`: a Debian bookworm root file system made with
  ``debootstrap --variant=minbase`` (Python 3, pytest, git, procps) and loaded with
  ``docker import``. About 45 s and 210 MB; skipped when the tag exists.
- :func:`build_task_image`: ``FROM`` the base image, a generated SWE-Mini task's buggy
  repository committed in git at ``/testbed``; returns the task as a SWE-bench
  instance whose ``base_commit`` is that commit and whose ``image`` is the tag.

From the command line::

    python -m textagent_envs.swe.images base
    python -m textagent_envs.swe.images task calckit --seed 7 --nb-bugs 2 --out instances.jsonl
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

from .mini import MiniTask

BASE_IMAGE = "textagent-envs/debian-python:bookworm"
#: Debian packages in the base image (minbase adds the essential ones: bash, coreutils, findutils, ...).
BASE_PACKAGES = ("python3", "python3-pytest", "git", "procps")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
WORKDIR = "/testbed"
#: The command the grader runs in a task image's work directory.
TEST_CMD = "python3 -m pytest -rA -p no:cacheprovider tests"
_ENV = ("LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
# A fixed identity and date make the commit (and so base_commit) depend only on the files.
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "textagent-envs", "GIT_AUTHOR_EMAIL": "swe-mini@textagent-envs",
    "GIT_COMMITTER_NAME": "textagent-envs", "GIT_COMMITTER_EMAIL": "swe-mini@textagent-envs",
    "GIT_AUTHOR_DATE": "2025-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2025-01-01T00:00:00Z",
}


def _client():
    from .docker import docker_unavailable_reason
    from .sandbox import SandboxUnavailable

    reason = docker_unavailable_reason()
    if reason is not None:
        raise SandboxUnavailable(reason)
    import docker

    return docker.from_env(timeout=600)


def image_exists(tag: str, client: Any = None) -> bool:
    """Whether the local Docker engine has an image tagged ``tag``."""
    import docker

    own = client is None
    client = client or _client()
    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False
    finally:
        if own:
            client.close()


def build_base_image(tag: str = BASE_IMAGE, *, mirror: str = DEBIAN_MIRROR, force: bool = False) -> str:
    """Build the base image with debootstrap (needs root and the ``debootstrap``
    package) unless ``tag`` exists (or ``force``); returns ``tag``."""
    with closing(_client()) as client:
        if not force and image_exists(tag, client):
            return tag
        _debootstrap_and_import(client, tag, mirror)
    return tag


def _debootstrap_and_import(client: Any, tag: str, mirror: str) -> None:
    if shutil.which("debootstrap") is None:
        raise RuntimeError("debootstrap is not installed (Debian/Ubuntu: apt-get install debootstrap; .ci/run does it)")
    if os.geteuid() != 0:
        raise RuntimeError("debootstrap needs root to build the base image")
    with tempfile.TemporaryDirectory(prefix="textagent-rootfs-") as scratch:
        root = Path(scratch) / "rootfs"
        command = ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", "bookworm", str(root), mirror]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"debootstrap failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/locale"):
            shutil.rmtree(root / junk, ignore_errors=True)
        archive = Path(scratch) / "rootfs.tar"
        subprocess.run(["tar", "-C", str(root), "-cf", str(archive), "."], check=True)
        repository, _, version = tag.rpartition(":") if ":" in tag.split("/")[-1] else (tag, "", "latest")
        client.api.import_image(src=str(archive), repository=repository, tag=version,
                                changes=[f"ENV {e}" for e in _ENV] + ['CMD ["bash"]'])


def commit_repository(source: str | os.PathLike, dest: str | os.PathLike) -> str:
    """Copy ``source`` to ``dest`` (caches left out), commit it in a new git repository
    with a fixed author and date, and return the commit's sha."""
    dest = Path(dest)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".git"))
    _fix_times(dest)
    env = {**os.environ, **_GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "--no-gpg-sign", "-m", "base"]):
        subprocess.run(["git", "-c", "init.defaultBranch=main", *args], cwd=dest, env=env, check=True, capture_output=True)
    # An index without host stat data, and fixed times: the same files give the same
    # build context, so Docker's cache gives back the same image.
    (dest / ".git" / "index").unlink()
    subprocess.run(["git", "read-tree", "HEAD"], cwd=dest, env=env, check=True, capture_output=True)
    _fix_times(dest)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=dest, check=True, capture_output=True, text=True).stdout.strip()


def _fix_times(root: Path, when: int = 1735689600) -> None:
    for path in [root, *root.rglob("*")]:
        os.utime(path, (when, when), follow_symlinks=False)


def task_image_tag(task: MiniTask, *, hidden_tests: bool = False) -> str:
    """The image tag of a generated task: its id, a digest of its knobs (bug kinds
    included) and tests mode, and the generator version; two tasks that differ in any
    of these never share an image."""
    from .mini import GENERATOR_VERSION

    knobs = json.dumps({"knobs": task.knobs, "hidden_tests": hidden_tests, "patch": task.patch}, sort_keys=True)
    digest = hashlib.sha256(knobs.encode()).hexdigest()[:12]
    return f"textagent-envs/swe-mini:{task.instance_id}-{digest}-v{GENERATOR_VERSION}"


def tests_patch(repo: Path, folders: tuple[str, ...]) -> str:
    """A git patch that creates every file under ``repo``'s top-level ``folders`` (the
    tests an image leaves out in hidden-tests mode)."""
    parts = []
    for folder in folders:
        for path in sorted((repo / folder).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            rel = path.relative_to(repo).as_posix()
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            body = "".join(difflib.unified_diff([], lines, "/dev/null", f"b/{rel}", lineterm="\n"))
            body = body.replace("--- /dev/null\n", "", 1).replace(f"+++ b/{rel}\n", "", 1)
            if lines and not lines[-1].endswith("\n"):
                body += "\n\\ No newline at end of file\n"
            parts.append(f"diff --git a/{rel} b/{rel}\nnew file mode 100644\n--- /dev/null\n+++ b/{rel}\n{body}")
    return "".join(parts)


def build_task_image(task: MiniTask, tag: str, *, base: str = BASE_IMAGE, hidden_tests: bool = False) -> dict[str, Any]:
    """Build ``tag`` from the local ``base`` image with ``task``'s buggy repository
    committed at ``/testbed``; returns the SWE-bench instance (``base_commit``,
    ``image``, ``test_cmd`` and ``workdir`` filled in). ``hidden_tests``: the image has
    no ``tests/``; the instance's ``test_patch`` adds them at grading, as in SWE-bench."""
    from .mini import TEST_DIRS

    with closing(_client()) as client, tempfile.TemporaryDirectory(prefix="textagent-task-") as scratch:
        if not image_exists(base, client):
            raise RuntimeError(f"base image {base!r} is missing; build it with `python -m textagent_envs.swe.images base`")
        source = task.workspace
        test_patch = ""
        if hidden_tests:
            source = Path(scratch) / "source"
            shutil.copytree(task.workspace, source, ignore=lambda folder, names: [
                n for n in names if Path(folder) == task.workspace and n in TEST_DIRS])
            test_patch = tests_patch(task.workspace, TEST_DIRS)
        sha = commit_repository(source, Path(scratch) / "testbed")
        dockerfile = f"FROM {base}\nCOPY testbed {WORKDIR}\nWORKDIR {WORKDIR}\nLABEL textagent_envs.instance_id={task.instance_id}\n"
        context = io.BytesIO()
        with tarfile.open(fileobj=context, mode="w") as archive:
            info = tarfile.TarInfo("Dockerfile")
            info.size = len(dockerfile.encode())
            archive.addfile(info, io.BytesIO(dockerfile.encode()))
            archive.add(Path(scratch) / "testbed", arcname="testbed")
        context.seek(0)
        client.images.build(fileobj=context, custom_context=True, tag=tag, pull=False, rm=True, forcerm=True)
    return {**task.to_instance(hidden_tests=hidden_tests), "base_commit": sha, "image": tag, "workdir": WORKDIR,
            "test_cmd": TEST_CMD, "test_patch": test_patch}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m textagent_envs.swe.images", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    base = commands.add_parser("base", help="build the Debian base image (skipped when it exists)")
    base.add_argument("--tag", default=BASE_IMAGE)
    base.add_argument("--mirror", default=DEBIAN_MIRROR)
    base.add_argument("--force", action="store_true", help="rebuild even if the tag exists")
    task = commands.add_parser("task", help="generate a SWE-Mini task and build its image")
    task.add_argument("repo", help="a repository in tasks/swe_mini (e.g. calckit)")
    task.add_argument("--seed", type=int, default=0)
    task.add_argument("--nb-bugs", type=int, default=1)
    task.add_argument("--tag", help="image tag (default: textagent-envs/swe-mini:<instance_id>-<knobs digest>-v<N>)")
    task.add_argument("--hidden-tests", action="store_true", help="leave the tests out of the image (test_patch adds them)")
    task.add_argument("--out", help="append the SWE-bench instance as a JSON line to this file")
    args = parser.parse_args(argv)
    if args.command == "base":
        print(build_base_image(args.tag, mirror=args.mirror, force=args.force))
        return 0
    from .mini import make_task

    with tempfile.TemporaryDirectory(prefix="swe-mini-") as scratch:
        generated = make_task(args.repo, args.seed, scratch, nb_bugs=args.nb_bugs)
        tag = args.tag or task_image_tag(generated, hidden_tests=args.hidden_tests)
        instance = build_task_image(generated, tag, hidden_tests=args.hidden_tests)
    line = json.dumps(instance)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
