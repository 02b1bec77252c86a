"""Cost of forking an episode (``env.unwrapped.fork(k)``, ``textagent_envs.fork(env, k)``).

Measured in one run, beside a step and a reset of the same env so the ratios speak:

* TextWorld ``w2-o3-q4`` (native engine) and ALFWorld at real size (level 7: 30
  receptacles, 30 objects; fast engine), both mid-episode with admissible commands and
  the text infos: ``get_state`` / ``set_state``, a bare fork (``k=1`` and per fork of
  ``k=8``), a fork of what ``gym.make`` returned (``TimeLimit`` and a ``DenseReward``
  around it, copied with their state), a step, and a bare fork with
  ``isolation="process"`` (a child process per fork);
* SWE-Mini (bubblewrap): a fork (the workspace copied, two sandboxes set up) for
  ``k=1`` and per fork of ``k=8``, against a reset. Whether the file system clones
  files (copy-on-write) or copies them is printed.

Run from the repository root (about a minute)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_fork.py --out docs/benchmarks.md

``--repeats N`` (default 2000 for the game forks), ``--quick`` (a smoke test). With
``--out FILE`` the section between ``<!-- bench_fork:start -->`` and
``<!-- bench_fork:end -->`` is replaced (or appended with its markers).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import datetime
import fcntl
import platform
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

from markdown_section import write_section  # benchmarks/markdown_section.py (scripts run from their folder)

import gymnasium as gym

import textagent_envs
from textagent_envs import infos
from textagent_envs.wrappers import DenseReward

EXTRA = ("description", "inventory", "location")
GAMES = {
    "TextWorld w2-o3-q4 (native)": ("TextWorld-Custom-w2-o3-q4-v0", {"engine": "native"}, 1),
    "ALFWorld level 7 (fast)": ("ALFWorld-v0", {"level": 7, "engine": "fast"}, 3),
}


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def per_call(fn, repeats: int, calls_per_run: int = 1) -> float:
    """Median seconds per call over 5 batches of ``repeats`` runs of ``fn``."""
    batches = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        batches.append((time.perf_counter() - start) / (repeats * calls_per_run))
    return statistics.median(batches)


def game_rows(repeats: int) -> list[tuple[str, str, float]]:
    rows = []
    for name, (env_id, kwargs, seed) in GAMES.items():
        progress(f"{name} ...")
        env = DenseReward(gym.make(env_id, extra_infos=EXTRA, max_episode_steps=100, **kwargs))
        _, info = env.reset(seed=seed)
        walkthrough = info[infos.WALKTHROUGH]
        env.step(walkthrough[0])
        base = env.unwrapped
        state = base.get_state()
        forks: list = []

        def step_and_back():
            base.step(walkthrough[1])
            base.set_state(state)

        measured = {
            "get_state": per_call(base.get_state, repeats),
            "set_state": per_call(lambda: base.set_state(state), repeats),
            "step (+ set_state back)": per_call(step_and_back, repeats),
            "fork(1), bare env": per_call(lambda: base.fork(1), repeats),
            "fork(8), per fork": per_call(lambda: base.fork(8), max(1, repeats // 8), 8),
            "textagent_envs.fork(env, 1), wrapped": per_call(lambda: textagent_envs.fork(env, 1), repeats),
        }
        env.close()
        isolated = gym.make(env_id, extra_infos=EXTRA, isolation="process", **kwargs)
        isolated.reset(seed=seed)
        isolated.step(walkthrough[0])

        def fork_process():
            forks.extend(isolated.unwrapped.fork(1))

        measured['fork(1), isolation="process"'] = per_call(fork_process, 1)
        for twin in forks:
            twin.close()
        isolated.close()
        rows += [(name, what, seconds) for what, seconds in measured.items()]
    return rows


def clones_here(folder: Path) -> bool:
    """Whether this file system makes copy-on-write clones (FICLONE)."""
    src, dst = folder / "clone-src", folder / "clone-dst"
    src.write_bytes(b"x" * 4096)
    with open(src, "rb") as a, open(dst, "wb") as b:
        try:
            fcntl.ioctl(b.fileno(), 0x40049409, a.fileno())
            return True
        except OSError:
            return False


def swe_rows(repeats: int) -> tuple[list[tuple[str, str, float]], str]:
    progress("SWE-Mini ...")
    env = gym.make("SWE-Mini-v0", sandbox="bwrap")
    env.reset(seed=3)
    base = env.unwrapped
    files = sum(1 for p in base._root.joinpath("repo").rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in base._root.joinpath("repo").rglob("*") if p.is_file())
    name = f"SWE-Mini calckit ({files} files, {size // 1024} KB)"

    def fork_time(k: int) -> float:
        """Seconds per fork of ``k`` (the forks are closed afterwards, untimed)."""
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            twins = base.fork(k)
            times.append((time.perf_counter() - start) / k)
            for twin in twins:
                twin.close()
        return statistics.median(times)

    rows = [
        (name, "reset (the task's workspace copied in)", per_call(lambda: env.reset(seed=3), repeats)),
        (name, "fork(1)", fork_time(1)),
        (name, "fork(8), per fork", fork_time(8)),
    ]
    blob = base._root / "repo" / "data.bin"
    blob.write_bytes(os.urandom(10 << 20))  # what an agent might leave: 10 MB more to copy
    rows.append((name, "fork(1), 10 MB more in the workspace", fork_time(1)))
    blob.unlink()
    tmp = Path(tempfile.mkdtemp(dir=base._root.parent))
    try:
        fs = "copy-on-write clones" if clones_here(tmp) else "plain copies (this file system has no clones)"
    finally:
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()
    env.close()
    return rows, fs


def unit(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:,.2f} ms"


def render(command: str, rows, fs: str) -> str:
    lines = [
        "## Forks: copies of a running episode",
        "",
        f"`{command}` ({datetime.date.today()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs shared with other jobs; wall clock, median of 5 batches). Each env is mid-episode, with admissible "
        "commands and the description, inventory and location infos; \"wrapped\" is what "
        "`gym.make(..., max_episode_steps=100)` returns inside a `DenseReward`, forked with its "
        f"wrappers' state. SWE-Mini workspaces here: {fs}.",
        "",
        "| env | operation | time |",
        "|---|---|---:|",
    ]
    lines += [f"| {env} | {what} | {unit(seconds)} |" for env, what, seconds in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    repeats = 16 if args.quick else args.repeats
    rows = game_rows(repeats)
    swe, fs = swe_rows(2 if args.quick else 8)
    command = "python benchmarks/bench_fork.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    section = render(command.strip(), rows + swe, fs)
    print(section)
    if args.out:
        write_section(args.out, "fork", section)


if __name__ == "__main__":
    main()
