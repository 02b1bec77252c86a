"""SWE sandbox overheads: reset and per-step cost of each sandbox backend.

    python benchmarks/bench_swe.py --out docs/benchmarks.md

Rows (medians over --repeats runs):
- reset: ``env.reset(seed=...)`` of SWE-Mini-v0 on a cached task (bubblewrap), and
  ``DockerSandbox.reset(base_commit)`` on a reused container (Docker);
- step overhead: an env step running ``bash: true`` minus running ``bash -c true``
  directly on the host (the command itself), i.e. what the sandbox adds;
- file-tool step: an env ``view`` step (no sandbox process at all).
Targets (issue 6): reset <= 50 ms (bubblewrap), <= 500 ms (Docker, reused container);
step overhead <= 20 ms. Docker rows need a running engine and the base image
(``python -m textagent_envs.swe.images base``); otherwise the row says why it is missing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from markdown_section import write_section  # benchmarks/markdown_section.py (scripts run from their folder)

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym  # noqa: E402

import textagent_envs  # noqa: E402,F401
from textagent_envs.swe.tools import format_tool_call  # noqa: E402

START, END = "<!-- bench_swe:start -->", "<!-- bench_swe:end -->"


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def host_true_ms(repeats: int) -> float:
    return median_ms(lambda: subprocess.run(["bash", "-c", "true"], check=True), repeats)


def bench_bwrap(repeats: int) -> list[tuple[str, str, float, str]]:
    env = gym.make("SWE-Mini-v0", sandbox="bwrap", cache_dir=tempfile.mkdtemp(prefix="bench-swe-"), max_turns=10 * repeats + 10)
    env.reset(seed=3)  # generates and caches the task
    reset = median_ms(lambda: env.reset(seed=3), repeats)
    env.reset(seed=3)
    step = median_ms(lambda: env.step(format_tool_call("bash", command="true")), repeats)
    env.reset(seed=3)
    view = median_ms(lambda: env.step(format_tool_call("view", path="calckit/stats.py")), repeats)
    env.close()
    host = host_true_ms(repeats)
    return [
        ("bubblewrap", "reset (cached task, fresh workspace copy)", reset, "<= 50 ms"),
        ("bubblewrap", "step `bash: true`", step, ""),
        ("bubblewrap", "step overhead beyond the command (minus host `bash -c true`)", step - host, "<= 20 ms"),
        ("bubblewrap", "step `view` (file tool, no process)", view, ""),
    ]


def bench_docker(repeats: int) -> tuple[list[tuple[str, str, float, str]], str | None]:
    from textagent_envs.swe.docker import DockerSandbox, docker_unavailable_reason

    reason = docker_unavailable_reason()
    if reason is not None:
        return [], reason
    from textagent_envs.swe import images
    from textagent_envs.swe.mini import MiniKnobs, ensure_task

    try:
        base = images.build_base_image()
        task = ensure_task(MiniKnobs().task(3), tempfile.mkdtemp(prefix="bench-swe-"))
        instance = images.build_task_image(task, "textagent-envs/bench-swe:calckit-s3")
    except Exception as err:  # noqa: BLE001 - reported in the table instead
        return [], f"could not build the images ({err})"
    del base
    sandbox = DockerSandbox(instance["image"])
    try:
        sandbox.reset(instance["base_commit"])
        resets = []
        for _ in range(repeats):  # each reset undoes an episode: an edit, new files, a background process
            sandbox.run("echo x >> calckit/stats.py; touch new.py /tmp/y; sleep 100 &")
            start = time.perf_counter()
            sandbox.reset(instance["base_commit"])
            resets.append((time.perf_counter() - start) * 1000)
        reset = statistics.median(resets)
        step = median_ms(lambda: sandbox.run("true"), repeats)
    finally:
        sandbox.close()
    host = host_true_ms(repeats)
    return [
        ("docker", "reset after an episode (reused container)", reset, "<= 500 ms"),
        ("docker", "command `true`", step, ""),
        ("docker", "command overhead (minus host `bash -c true`)", step - host, "<= 20 ms"),
    ], None


def table(rows, docker_note: str | None, command: str) -> str:
    lines = [
        START,
        f"Made by `{command}` on this machine ({time.strftime('%Y-%m-%d')}); medians in ms.",
        "",
        "| sandbox | measure | ms | target |",
        "|---|---|---:|---|",
        *(f"| {box} | {what} | {ms:.1f} | {target} |" for box, what, ms, target in rows),
    ]
    if docker_note:
        lines += ["", f"Docker rows missing: {docker_note}."]
    return "\n".join(lines + [END])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--out", type=Path, help="markdown file whose bench_swe section is replaced")
    parser.add_argument("--no-docker", action="store_true")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    rows = bench_bwrap(args.repeats)
    docker_rows, note = ([], "skipped with --no-docker") if args.no_docker else bench_docker(args.repeats)
    command = "python benchmarks/bench_swe.py" + (f" --out {args.out}" if args.out else "")
    section = table(rows + docker_rows, note, command)
    print(section)
    if args.out:
        write_section(args.out, "swe", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
