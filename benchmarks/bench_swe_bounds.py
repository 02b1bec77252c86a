"""What the SWE sandboxes' bounds cost (issue 16): each bound's price on a normal step, and
the hostile case it holds.

Measured: a bubblewrap command (``true``) with the per-command checks (launcher replies
validated, workspace census); the census alone on a task's workspace and on one of 19,000
files; a ``view`` of a 4 MB file of newlines (time and peak memory traced); a directory
``view`` of a folder of 111,000 files; the start-up reaper with nothing to reap; and, when
Docker and the task image are here, an output flood (``cat /dev/zero``) against a 3 s
limit.

Run from the repository root (about a minute)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_swe_bounds.py

It prints a Markdown table (docs/swe.md, "What the sandboxes guarantee and bound").
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path


def timed(fn, repeats: int = 1) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    from textagent_envs.swe.bwrap import BwrapSandbox
    from textagent_envs.swe.cleanup import reap
    from textagent_envs.swe.mini import repo_path
    from textagent_envs.swe.sandbox import Limits, remove_tree, workspace_overflow
    from textagent_envs.swe.tools import MAX_FILE_BYTES, FileTools

    rows = []
    work = Path(tempfile.mkdtemp(prefix="bench-swe-bounds-"))
    try:
        import shutil

        task = work / "task"
        shutil.copytree(repo_path("calckit"), task)
        limits = Limits()
        with BwrapSandbox(task, limits=limits) as box:
            box.run("true")
            rows.append(("bwrap command `true`, with the reply checks and the workspace census",
                         f"{timed(lambda: box.run('true'), 30) * 1e3:.1f} ms"))
        rows.append(("workspace census, practice repository",
                     f"{timed(lambda: workspace_overflow(task, limits), 30) * 1e3:.2f} ms"))
        big = work / "many"
        big.mkdir()
        for i in range(19_000):
            (big / f"f{i}").touch()
        rows.append(("workspace census, 19,000 files (under the 20,000 limit)",
                     f"{timed(lambda: workspace_overflow(big, limits), 5) * 1e3:.0f} ms"))
        for i in range(19_000, 111_000):
            (big / f"f{i}").touch()
        tools = FileTools(work)
        rows.append(("`view` of a folder of 111,000 files (1,000 listed)", f"{timed(lambda: tools.view('many'), 3) * 1e3:.0f} ms"))
        (work / "newlines.txt").write_bytes(b"\n" * (MAX_FILE_BYTES - 1))
        tracemalloc.start()
        seconds = timed(lambda: tools.view("newlines.txt"))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append(("`view` of a 4 MiB file of newlines (the largest read)", f"{seconds * 1e3:.0f} ms, {peak / 2**20:.0f} MiB peak"))
        rows.append(("start-up reaper, nothing to reap (bubblewrap)", f"{timed(lambda: reap(docker=False), 5) * 1e3:.1f} ms"))
        rows.append(("start-up reaper, with Docker", f"{timed(lambda: reap(docker=True), 3) * 1e3:.0f} ms"))
        flood = _docker_flood()
        if flood:
            rows.append(("Docker: `cat /dev/zero` against a 3 s limit", flood))
    finally:
        remove_tree(work)
    print("| bound | cost |\n|---|---|")
    for name, cost in rows:
        print(f"| {name} | {cost} |")
    return 0


def _docker_flood() -> str | None:
    from textagent_envs.swe.docker import DockerSandbox, docker_unavailable_reason
    from textagent_envs.swe.images import image_exists
    from textagent_envs.swe.sandbox import Limits

    image = "textagent-envs/test-calckit:pytest"  # built by tests/swe/test_docker.py
    if docker_unavailable_reason() is not None or not image_exists(image):
        print(f"(Docker row left out: no engine or no image {image})", file=sys.stderr)
        return None
    with DockerSandbox(image, workdir="/testbed", limits=Limits(timeout=3.0)) as box:
        box.run("true")
        seconds = [box.run("cat /dev/zero").seconds for _ in range(3)]
    return f"{max(seconds):.1f} s worst of 3"


if __name__ == "__main__":
    sys.exit(main())
