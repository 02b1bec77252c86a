"""Speed of our ALFWorld env and its native engine next to alfworld's own (textworld's ``PddlEnv``).

For three household sizes, small (2 receptacles, 2 objects), medium (10, 10) and ALFWorld
size (30, 30), a few generated games (one per task type in turn) are played by both:

* ``PddlEnv``: ``textworld.start(game.tw-pddl, wrappers=[AlfredDemangler(), AlfredInfos])``
  with admissible commands, as ALFWorld's ``AlfredTWEnv`` plays its games;
* ``fast``: :class:`textagent_envs.alfworld.engine.AlfredEngine` with admissible commands
  computed after every step;
* ``env``: the whole ``ALFWorld-v0`` environment (``engine="fast"``, info dict, progress
  score, command checks): what a user of each package gets, so the env against PddlEnv
  is the like-for-like ratio (env against env); the bare engine's ratio beside it.

Measured: reset (mean over resets of an already loaded game), load + reset (a game not
seen before: what a new task costs), and steps per second on one fixed command stream:
the walkthrough, then commands drawn from the admissible ones with a seeded generator,
every fifth an inadmissible one, reset when the game is won. Both engines get the same
stream, and after every step the run checks that they agree (admissible commands, won,
moves, the reply up to the order of listed items); the last column says whether they did.

The implementations are measured in turn within each repeat; each ratio is the median of
the per-repeat ratios. Compare ratios, not absolute times.

Run from the repository root::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_alfworld.py --out docs/benchmarks.md

Options: ``--games N`` per size (default 3), ``--repeats R`` (default 3), ``--quick`` (1
game, 1 repeat, few steps). The defaults take ~5-6 minutes on a quiet 2-core machine
(PddlEnv plays ~2 steps/s at ALFWorld size); ``--games 2 --repeats 2`` takes under half
that. With ``--out FILE`` the section between
``<!-- bench_alfworld:start -->`` and ``<!-- bench_alfworld:end -->`` is replaced (or
appended with its markers).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import datetime
import platform
import re
import shlex
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from markdown_section import write_section  # benchmarks/markdown_section.py (scripts run from their folder)

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textagent_envs.alfworld.engine import AlfredEngine  # noqa: E402
from textagent_envs.alfworld.env import ALFWorldEnv  # noqa: E402
from textagent_envs.alfworld.households import generate_household, write_game  # noqa: E402
from textagent_envs.alfworld.knobs import TASK_TYPES, ALFWorldKnobs  # noqa: E402

SIZES = {"small": (2, 2, 0), "medium": (10, 10, 2), "ALFWorld size": (30, 30, 5)}
#: Steps per game and repeat: PddlEnv is slow, the fast engine gets more for a stable rate.
PDDL_STEPS = {"small": 60, "medium": 40, "ALFWorld size": 25}
FAST_STEPS = 1000
RESETS = {"pddl": 3, "fast": 50}
_LIST = re.compile(r"(you see )([^.]*)")


def unordered(text: str) -> str:
    return _LIST.sub(lambda m: m.group(1) + "|".join(sorted(m.group(2).replace(", and ", ", ").split(", "))), text)


class Pddl:
    name = "PddlEnv"

    def __init__(self, game_file: Path):
        import textworld
        from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos

        request = textworld.EnvInfos(feedback=True, won=True, moves=True, admissible_commands=True)
        self.env = textworld.start(str(game_file), request_infos=request, wrappers=[AlfredDemangler(), AlfredInfos])
        self.state = None

    def reset(self):
        self.state = self.env.reset()
        return self.observe()

    def step(self, command: str):
        self.state, _, _ = self.env.step(command)
        return self.observe()

    def observe(self):
        s = self.state
        return s.feedback, s.admissible_commands, bool(s.won), s.moves

    def close(self):
        self.env.close()


class Fast:
    name = "fast"

    def __init__(self, game_file: Path):
        self.engine = AlfredEngine.from_file(game_file)
        self.reply = ""

    def reset(self):
        self.reply = self.engine.reset()
        return self.observe()

    def step(self, command: str):
        self.reply = self.engine.step(command)
        return self.observe()

    def observe(self):
        e = self.engine
        return self.reply, e.admissible_commands(), e.won, e.moves

    def close(self):
        pass


class Env:
    """The Gymnasium env on the same game file (fast engine)."""

    name = "env"

    def __init__(self, game_file: Path):
        self.env = ALFWorldEnv(engine="fast")
        self.game_file = str(game_file)

    def reset(self):
        obs, info = self.env.reset(options={"task": self.game_file})
        return obs, info["admissible_commands"], info["won"], info["moves"]

    def step(self, command: str):
        obs, _, terminated, _, info = self.env.step(command)
        return obs, info["admissible_commands"], info["won"], info["moves"]

    def close(self):
        self.env.close()


def command_stream(game_file: Path, n: int, seed: int) -> list[tuple[str, bool]]:
    """(command, reset after it) pairs, made on the fast engine: the walkthrough, then
    seeded admissible picks, every fifth an inadmissible command."""
    import json

    walkthrough = json.loads(game_file.read_text())["walkthrough"]
    engine = AlfredEngine.from_file(game_file)
    engine.reset()
    rng = np.random.default_rng(seed)
    out, step = [], 0
    while len(out) < n:
        if step < len(walkthrough):
            command = walkthrough[step]
        elif step % 5 == 4:
            command = "take the moon from the sky"
        else:
            commands = engine.admissible_commands()
            command = commands[int(rng.integers(len(commands)))]
        engine.step(command)
        step += 1
        out.append((command, engine.won))
        if engine.won:
            engine.reset()
            step = 0
    return out


def timed_run(runner, stream) -> tuple[float, list]:
    runner.reset()
    seen = []
    start = time.perf_counter()
    for command, then_reset in stream:
        seen.append(runner.step(command))
        if then_reset:
            runner.reset()
    return time.perf_counter() - start, seen


def time_resets(runner, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        runner.reset()
    return (time.perf_counter() - start) / n


def time_load(kind, game_file: Path) -> float:
    start = time.perf_counter()
    runner = kind(game_file)
    runner.reset()
    elapsed = time.perf_counter() - start
    runner.close()
    return elapsed


def agree(a, b) -> bool:
    return unordered(a[0]) == unordered(b[0]) and a[1:] == b[1:]


@dataclass
class Row:
    """Medians for one size: steps/s, reset and load + reset times (ms), per-game ratios
    (ours over PddlEnv for steps/s, PddlEnv over ours for times)."""

    size: str
    pddl_sps: float
    env_sps: float
    env_step_ratio: float
    fast_sps: float
    fast_step_ratio: float
    pddl_reset: float
    env_reset: float
    env_reset_ratio: float
    fast_reset: float
    pddl_load: float
    env_load: float
    env_load_ratio: float
    generate: float
    agreed: bool
    steps_checked: int


def bench_size(size: str, games: int, repeats: int, quick: bool, workdir: Path) -> Row:
    receptacles, objects, distractors = SIZES[size]
    files, made = [], []
    for i in range(games):
        knobs = ALFWorldKnobs(task_type=TASK_TYPES[i % 6], nb_receptacles=receptacles, nb_objects=objects, nb_distractors=distractors)
        start = time.perf_counter()
        files.append(write_game(generate_household(knobs, 100 + i), workdir / size / str(i)))
        made.append(time.perf_counter() - start)
    pddl_steps = 8 if quick else PDDL_STEPS[size]
    fast_steps = 100 if quick else FAST_STEPS
    ratios = {"env step": [], "fast step": [], "env reset": [], "env load": []}
    sps, resets, loads = ({"PddlEnv": [], "fast": [], "env": []} for _ in range(3))
    agreed, checked = True, 0
    for repeat in range(repeats):
        for i, game_file in enumerate(files):
            progress(f"{size}: game {i + 1}/{len(files)}, repeat {repeat + 1}/{repeats}")
            short = command_stream(game_file, pddl_steps, seed=repeat)
            long = command_stream(game_file, fast_steps, seed=repeat)
            order = (Pddl, Fast, Env) if (repeat + i) % 2 == 0 else (Env, Fast, Pddl)
            rates, seen, reset_times = {}, {}, {}
            for kind in order:
                runner = kind(game_file)
                stream = short if kind is Pddl else long
                elapsed, seen[kind.name] = timed_run(runner, stream)
                rates[kind.name] = len(stream) / elapsed
                reset_times[kind.name] = time_resets(runner, 1 if quick else RESETS["pddl" if kind is Pddl else "fast"])
                runner.close()
            for name, rate in rates.items():
                sps[name].append(rate)
            for name, value in reset_times.items():
                resets[name].append(value)
            load = {kind.name: time_load(kind, game_file) for kind in (Pddl, Fast, Env)}
            for name, value in load.items():
                loads[name].append(value)
            ratios["env step"].append(rates["env"] / rates["PddlEnv"])
            ratios["fast step"].append(rates["fast"] / rates["PddlEnv"])
            ratios["env reset"].append(reset_times["PddlEnv"] / reset_times["env"])
            ratios["env load"].append(load["PddlEnv"] / load["env"])
            pairs = list(zip(seen["PddlEnv"], seen["fast"])) + list(zip(seen["fast"], seen["env"]))
            checked += len(seen["PddlEnv"])
            agreed &= all(agree(a, b) for a, b in pairs)
    med = statistics.median
    ms = {name: {what: med(values[name]) * 1000 for what, values in (("reset", resets), ("load", loads))} for name in sps}
    return Row(
        size, med(sps["PddlEnv"]), med(sps["env"]), med(ratios["env step"]), med(sps["fast"]), med(ratios["fast step"]),
        ms["PddlEnv"]["reset"], ms["env"]["reset"], med(ratios["env reset"]), ms["fast"]["reset"],
        ms["PddlEnv"]["load"], ms["env"]["load"], med(ratios["env load"]), med(made) * 1000, agreed, checked,
    )


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def table(rows: list[Row]) -> str:
    lines = [
        "| size (receptacles, objects) | PddlEnv steps/s | env steps/s | **env / PddlEnv** | fast engine steps/s | "
        "fast / PddlEnv | PddlEnv reset ms | env reset ms | **reset, env / PddlEnv** | fast reset ms | "
        "PddlEnv load+reset ms | env load+reset ms | **load+reset, env / PddlEnv** | new household ms | same outcomes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        size = f"{r.size} {SIZES[r.size][:2]}"
        lines.append(
            f"| {size} | {r.pddl_sps:.1f} | {r.env_sps:,.0f} | {r.env_step_ratio:,.0f}x | {r.fast_sps:,.0f} | "
            f"{r.fast_step_ratio:,.0f}x | {r.pddl_reset:.0f} | {r.env_reset:.3f} | {r.env_reset_ratio:,.0f}x | "
            f"{r.fast_reset:.3f} | {r.pddl_load:.0f} | {r.env_load:.1f} | {r.env_load_ratio:,.0f}x | {r.generate:.1f} | "
            f"{'yes' if r.agreed else 'NO'} ({r.steps_checked} steps) |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="markdown file whose bench_alfworld section to replace or append")
    parser.add_argument("--games", type=int, default=3, help="games per size (default 3)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per game (default 3)")
    parser.add_argument("--quick", action="store_true", help="1 game, 1 repeat, few steps: a smoke test")
    args = parser.parse_args(argv)
    if args.games < 1 or args.repeats < 1:
        parser.error("--games and --repeats must be at least 1")
    games, repeats = (1, 1) if args.quick else (args.games, args.repeats)
    command = shlex.join(["python", "benchmarks/bench_alfworld.py", *sys.argv[1:]]) if argv is None else "bench_alfworld.main()"
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [bench_size(size, games, repeats, args.quick, Path(tmp)) for size in SIZES]
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    section = "\n".join([
        "## ALFWorld: our env and native engine against alfworld's PddlEnv",
        "",
        f"Produced by `{command}` (from the repository root) on {when}.",
        "",
        f"Machine: Python {platform.python_version()}, alfworld {version('alfworld')}, textworld {version('textworld')}, "
        f"{os.cpu_count()} CPUs ({usable} usable), OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}.",
        "",
        f"Workload: {games} generated game(s) per size (task types in turn), {repeats} repeat(s); per game one "
        f"command stream (walkthrough, then seeded admissible picks and every fifth an inadmissible command; reset "
        f"on a win), {'8' if args.quick else '/'.join(map(str, PDDL_STEPS.values()))} steps for PddlEnv (by size) and "
        f"{FAST_STEPS if not args.quick else 100} "
        "for the fast engine and the env; admissible commands computed at every step by all. The like-for-like "
        "comparison is env against env: `ALFWorld-v0` (`engine=\"fast\"`, with its info dict, progress score and "
        "command checks) against `PddlEnv` with alfworld's wrappers (what alfworld's `AlfredTWEnv` plays); the bare "
        "engine's ratio is beside it. Reset: a reset of the loaded game; load+reset: a new env or engine on a game "
        "file, then a reset. Ratios are medians of per-game ratios (ours over PddlEnv for steps, PddlEnv over ours "
        "for times). New household: generating a game with its checked walkthrough and writing its trial folder "
        "(median over the games). Machine shared with other jobs while measured. `same outcomes`: after every "
        "PddlEnv step, both engines (and the env) gave the same admissible commands, win and move count, and the "
        "same reply up to the order of listed items.",
        "",
        table(rows),
    ])
    print(section)
    if args.out:
        write_section(args.out, "alfworld", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
