"""Speed of the textagent_envs TextWorld environments, next to textworld's own gym API.

For each registered TextWorld id (default: all of them) this measures:

* game generation: ``ensure_game`` of the id's task for seed 1 into a fresh, empty cache
  directory (cold), then the same call again (cached);
* reset: mean time of ``reset`` on that already generated game, for our env (in a child
  process, and in-process, the default) and for textworld's gym env on the same file;
* steps per second, with and without admissible commands, for our env (both
  isolations) and for ``textworld.gym`` on the same ``.z8`` file, requesting the same
  infos; and the step time of ours relative to textworld's (100% = equally fast).

The step workload is fixed and the same for every implementation: the game's
walkthrough, each command followed by ``look`` or ``inventory`` in turn; when an
episode ends the env is reset and the cycle starts again. Only step time is counted,
never reset time. Neither env has a step limit (ours is made with
``max_episode_steps=-1``, textworld's with ``max_episode_steps=None``).

The machine is assumed to be noisy: the implementations are measured in turn within each
repeat (alternating the order), each number is the median over ``--repeats`` runs of
``--steps`` steps, and each ratio is the median of the per-repeat ratios. Compare
ratios, not absolute times. A last table gives games per second for fresh generation of
the w2-o3-q4 preset over a few seeds.

Run from the repository root (takes several minutes)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_textworld.py --out docs/benchmarks.md

Options: ``--ids ID ...`` (only these ids), ``--steps N`` (default 500), ``--repeats R``
(default 5), ``--quick`` (a smoke test: 50 steps, 1 repeat, 2 ids). With ``--out FILE``
the section between ``<!-- bench_textworld:start -->`` and ``<!-- bench_textworld:end -->``
in FILE is replaced (or appended, markers included, if FILE has none), so other sections
of the file survive. The tables go to stdout, progress to stderr.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy is imported, and for child processes

import argparse
import datetime
import itertools
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from markdown_section import write_section  # benchmarks/markdown_section.py (scripts run from their folder)
from typing import Iterator

import gymnasium as gym
import textworld
import textworld.gym

import textagent_envs  # noqa: F401  (registers the ids)
from textagent_envs import infos
from textagent_envs.registration import ENTRIES
from textagent_envs.textworld.games import ensure_game

ROOT = Path(__file__).resolve().parent.parent
SEED = 1
#: Our env's engine here: Inform 7 (Jericho), what textworld.gym plays, on the same game
#: files (named, not left to the default, which may change).
ENGINE = "inform7"
GENERATION_PRESET = "TextWorld-Custom-w2-o3-q4-v0"
QUICK_IDS = ("TextWorld-Custom-w2-o3-q4-v0", "TextWorld-CoinCollector-v0")

#: The implementations compared: ours in a child process, ours in-process (the default),
#: and textworld's gym env. Labels are the table's column names.
IMPLEMENTATIONS = {
    "process": "ours, process",
    "none": "ours, in-process",
    "textworld": "textworld.gym",
}


@dataclass(frozen=True)
class Profile:
    steps: int
    repeats: int
    resets: int  # resets averaged for the reset time
    warmup: int  # untimed steps per env before measuring
    generation_seeds: int  # seeds generated for the games-per-second table


FULL = Profile(steps=500, repeats=5, resets=10, warmup=20, generation_seeds=5)
QUICK = Profile(steps=50, repeats=1, resets=3, warmup=5, generation_seeds=2)


@dataclass
class IdResult:
    env_id: str
    generate_cold_s: float | None = None
    generate_cached_s: float | None = None
    reset_ms: dict[str, float] = field(default_factory=dict)  # implementation -> mean ms
    steps_per_s: dict[tuple[str, bool], float] = field(default_factory=dict)  # (impl, admissible) -> median
    time_ratio: dict[tuple[str, bool], float] = field(default_factory=dict)  # (ours impl, admissible) -> median
    workload_mismatch: bool = False
    error: str | None = None


@dataclass
class GenerationResult:
    preset: str
    seeds: int
    games: int = 0
    failed: int = 0
    seconds: list[float] = field(default_factory=list)
    error: str | None = None


# -- the envs under test --------------------------------------------------------------


def request_infos(admissible: bool) -> textworld.EnvInfos:
    """Exactly the infos our backend asks textworld for."""
    return textworld.EnvInfos(
        feedback=True, score=True, max_score=True, moves=True, won=True, lost=True,
        objective=True, extras=["walkthrough"], admissible_commands=admissible,
    )


class OursRunner:
    """Our env made through ``gym.make``, without a step limit."""

    def __init__(self, env_id: str, cache_dir: str, admissible: bool, isolation: str):
        self.env = gym.make(
            env_id, engine=ENGINE, cache_dir=cache_dir, admissible_commands=admissible, isolation=isolation,
            max_episode_steps=-1,
        )

    def reset(self) -> dict:
        return self.env.reset(seed=SEED)[1]

    def step(self, command: str) -> bool:
        _, _, terminated, truncated, _ = self.env.step(command)
        return terminated or truncated

    def close(self) -> None:
        self.env.close()


class TextWorldRunner:
    """textworld's own gym env on one game file, without a step limit."""

    def __init__(self, game_file: Path, admissible: bool):
        env_id = textworld.gym.register_game(
            str(game_file), request_infos=request_infos(admissible), max_episode_steps=None,
        )
        self.env = textworld.gym.make(env_id)

    def reset(self) -> dict:
        return self.env.reset()[1]

    def step(self, command: str) -> bool:
        _, _, done, _ = self.env.step(command)
        return done

    def close(self) -> None:
        self.env.close()


def make_runner(implementation: str, env_id: str, cache_dir: str, game_file: Path, admissible: bool):
    if implementation == "textworld":
        return TextWorldRunner(game_file, admissible)
    return OursRunner(env_id, cache_dir, admissible, isolation=implementation)


# -- measurements ---------------------------------------------------------------------


def command_cycle(walkthrough: list[str]) -> Iterator[str]:
    """One episode's commands: each walkthrough command followed by ``look`` or
    ``inventory`` in turn, then ``look``/``inventory`` for as long as the episode lasts."""
    fillers = itertools.cycle(("look", "inventory"))
    for command in walkthrough:
        yield command
        yield next(fillers)
    yield from fillers


def timed_steps(runner, walkthrough: list[str], n_steps: int) -> tuple[float, int]:
    """Seconds spent inside ``n_steps`` steps (resets not counted), and episodes ended.

    Starts from a reset, so every call (and every implementation) plays the same commands.
    """
    runner.reset()
    commands = command_cycle(walkthrough)
    elapsed, episodes = 0.0, 0
    for _ in range(n_steps):
        command = next(commands)
        start = time.perf_counter()
        done = runner.step(command)
        elapsed += time.perf_counter() - start
        if done:
            episodes += 1
            runner.reset()
            commands = command_cycle(walkthrough)
    return elapsed, episodes


def measure_generation(env_id: str, cache_dir: str) -> tuple[float, float, Path]:
    """Seconds for ``ensure_game`` of the id's seed-1 task into an empty cache, then cached."""
    env = gym.make(env_id, engine=ENGINE, cache_dir=cache_dir)
    task = env.unwrapped.task_for_seed(SEED)
    env.close()
    start = time.perf_counter()
    game_file = ensure_game(task, cache_dir, engine=ENGINE)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    ensure_game(task, cache_dir, engine=ENGINE)
    cached = time.perf_counter() - start
    return cold, cached, game_file


def measure_resets(runners: dict[str, object], n_resets: int) -> dict[str, float]:
    """Mean reset time in ms per implementation, resets interleaved across implementations."""
    for runner in runners.values():
        runner.reset()  # load the game, start the child process
    totals = dict.fromkeys(runners, 0.0)
    for _ in range(n_resets):
        for name, runner in runners.items():
            start = time.perf_counter()
            runner.reset()
            totals[name] += time.perf_counter() - start
    return {name: 1000 * total / n_resets for name, total in totals.items()}


def measure_steps(
    runners: dict[tuple[str, bool], object], walkthrough: list[str], profile: Profile, result: IdResult
) -> None:
    """Median steps/s per (implementation, admissible) and median per-repeat time ratios."""
    for runner in runners.values():
        timed_steps(runner, walkthrough, profile.warmup)
    rates: dict[tuple[str, bool], list[float]] = {key: [] for key in runners}
    episodes: dict[tuple[str, bool], set[int]] = {key: set() for key in runners}
    order = list(runners)
    for repeat in range(profile.repeats):
        for key in order if repeat % 2 == 0 else reversed(order):
            elapsed, ended = timed_steps(runners[key], walkthrough, profile.steps)
            rates[key].append(profile.steps / elapsed)
            episodes[key].add(ended)
    for key, values in rates.items():
        result.steps_per_s[key] = statistics.median(values)
    for implementation, admissible in runners:
        if implementation == "textworld":
            continue
        ours, reference = rates[(implementation, admissible)], rates[("textworld", admissible)]
        # step time ours / reference = reference rate / our rate, paired within a repeat
        result.time_ratio[(implementation, admissible)] = statistics.median(r / o for o, r in zip(ours, reference))
    result.workload_mismatch = len(set().union(*episodes.values())) > 1


def warm_up_generation() -> None:
    """Generate one throwaway game, so one-time imports and data loading are not
    charged to the first id's cold generation."""
    cache_dir = tempfile.mkdtemp(prefix="bench-textworld-warmup-")
    try:
        env = gym.make(GENERATION_PRESET, engine=ENGINE, cache_dir=cache_dir)
        ensure_game(env.unwrapped.task_for_seed(0), cache_dir, engine=ENGINE)
        env.close()
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)


def bench_id(env_id: str, profile: Profile) -> IdResult:
    """All measurements for one id, in a fresh cache directory that is removed afterwards."""
    result = IdResult(env_id)
    cache_dir = tempfile.mkdtemp(prefix="bench-textworld-")
    runners: dict[tuple[str, bool], object] = {}
    try:
        progress(f"{env_id}: generating the game for seed {SEED}")
        result.generate_cold_s, result.generate_cached_s, game_file = measure_generation(env_id, cache_dir)
        for admissible in (True, False):
            for implementation in IMPLEMENTATIONS:
                runners[(implementation, admissible)] = make_runner(
                    implementation, env_id, cache_dir, game_file, admissible
                )
        walkthrough = list(runners[("process", True)].reset()[infos.WALKTHROUGH])
        progress(f"{env_id}: resets")
        result.reset_ms = measure_resets({impl: runners[(impl, True)] for impl in IMPLEMENTATIONS}, profile.resets)
        progress(f"{env_id}: steps ({profile.repeats} x {profile.steps} per configuration)")
        measure_steps(runners, walkthrough, profile, result)
    except Exception as err:  # report the id as failed and go on with the others
        traceback.print_exc()
        result.error = f"{type(err).__name__}: {err}"
    finally:
        for runner in runners.values():
            runner.close()
        shutil.rmtree(cache_dir, ignore_errors=True)
    return result


def bench_generation_rate(env_id: str, n_seeds: int) -> GenerationResult:
    """Fresh generation of seeds 1..n_seeds into an empty cache, one game at a time."""
    result = GenerationResult(env_id, n_seeds)
    cache_dir = tempfile.mkdtemp(prefix="bench-textworld-gen-")
    try:
        progress(f"{env_id}: generating {n_seeds} fresh games")
        env = gym.make(env_id, engine=ENGINE, cache_dir=cache_dir)
        tasks = [env.unwrapped.task_for_seed(seed) for seed in range(1, n_seeds + 1)]
        env.close()
        for task in tasks:
            start = time.perf_counter()
            try:
                ensure_game(task, cache_dir, engine=ENGINE)
            except Exception as err:
                progress(f"  seed {task.seed}: {type(err).__name__}: {err}")
                result.failed += 1
                continue
            result.seconds.append(time.perf_counter() - start)
            result.games += 1
    except Exception as err:
        traceback.print_exc()
        result.error = f"{type(err).__name__}: {err}"
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    return result


# -- reporting ------------------------------------------------------------------------


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def command_line() -> str:
    script = Path(sys.argv[0])
    try:
        script = script.resolve().relative_to(ROOT)
    except ValueError:
        pass
    return shlex.join(["python", str(script), *sys.argv[1:]])


def machine_info() -> str:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"Python {platform.python_version()}, textworld {version('textworld')}, "
        f"gymnasium {version('gymnasium')}, {os.cpu_count()} CPUs ({usable} usable), "
        f"{platform.platform()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}"
    )


def header(command: str, when: str, profile: Profile) -> str:
    return "\n".join([
        "## TextWorld environments: speed",
        "",
        f"Produced by `{command}` (from the repository root) on {when}.",
        "",
        f"Machine: {machine_info()}.",
        "",
        f"Workload: the game of seed {SEED}; its walkthrough with `look`/`inventory` after each "
        f"command, reset when an episode ends (reset time not counted); median of "
        f"{profile.repeats} run(s) of {profile.steps} steps per configuration, the "
        "implementations measured in turn. Absolute times depend on the machine: compare ratios.",
    ])


def fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def generation_and_reset_table(results: list[IdResult]) -> str:
    rows = [
        "| env id | generate cold (s) | generate cached (ms) | "
        + " | ".join(f"reset {label} (ms)" for label in IMPLEMENTATIONS.values()) + " |",
        "|---|---:|---:|" + "---:|" * len(IMPLEMENTATIONS),
    ]
    for r in results:
        cached_ms = None if r.generate_cached_s is None else 1000 * r.generate_cached_s
        cells = [r.env_id, fmt(r.generate_cold_s, ".2f"), fmt(cached_ms, ".2f")]
        cells += [fmt(r.reset_ms.get(impl), ".1f") for impl in IMPLEMENTATIONS]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def steps_table(results: list[IdResult]) -> str:
    ours = [impl for impl in IMPLEMENTATIONS if impl != "textworld"]
    rows = [
        "| env id | admissible commands | "
        + " | ".join(f"{label} (steps/s)" for label in IMPLEMENTATIONS.values()) + " | "
        + " | ".join(f"step time {IMPLEMENTATIONS[impl]} / textworld.gym" for impl in ours) + " |",
        "|---|:---:|" + "---:|" * (len(IMPLEMENTATIONS) + len(ours)),
    ]
    for r in results:
        if r.error is not None:
            rows.append(f"| {r.env_id} | error: {r.error} |" + " |" * (len(IMPLEMENTATIONS) + len(ours)))
            continue
        for admissible in (True, False):
            cells = [r.env_id, "yes" if admissible else "no"]
            cells += [fmt(r.steps_per_s.get((impl, admissible)), ".0f") for impl in IMPLEMENTATIONS]
            cells += [fmt(_percent(r.time_ratio.get((impl, admissible))), ".0f") + "%" for impl in ours]
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _percent(ratio: float | None) -> float | None:
    return None if ratio is None else 100 * ratio


def generation_rate_table(result: GenerationResult) -> str:
    total = sum(result.seconds)
    rate = result.games / total if total > 0 else None
    mean = statistics.mean(result.seconds) if result.seconds else None
    failed = f" ({result.failed} seed(s) without a quest)" if result.failed else ""
    if result.error:
        failed = f" (error: {result.error})"
    return "\n".join([
        "| preset | games generated | total (s) | s per game | games/s |",
        "|---|---:|---:|---:|---:|",
        f"| {result.preset} | {result.games}{failed} | {total:.2f} | {fmt(mean, '.2f')} | {fmt(rate, '.3f')} |",
    ])


def tables(results: list[IdResult], generation: GenerationResult) -> str:
    notes = []
    mismatched = [r.env_id for r in results if r.workload_mismatch]
    if mismatched:
        notes.append(
            "Note: the number of episodes finished in a run differed between implementations for "
            + ", ".join(mismatched) + ", so their workloads were not identical.\n"
        )
    return "\n".join([
        "### Game generation and reset",
        "",
        f"Generation of the game of seed {SEED} into an empty cache (cold) and again (cached). "
        "Reset: mean over repeated resets of that game, admissible commands on "
        "(textworld.gym reloads the game file at every reset).",
        "",
        generation_and_reset_table(results),
        "",
        "### Steps per second",
        "",
        "Step time ours / textworld.gym: 100% means as fast as textworld's own gym env, 150% means "
        "each step takes half as long again (median of the per-repeat ratios).",
        "",
        steps_table(results),
        "",
        *notes,
        "### Fresh game generation",
        "",
        f"Seeds 1-{generation.seeds} of the preset, each into an empty cache, one at a time.",
        "",
        generation_rate_table(generation),
    ])


# -- main -----------------------------------------------------------------------------


def textworld_ids() -> list[str]:
    return [entry.id for entry in ENTRIES if entry.entry_point.startswith("textagent_envs.textworld.")]


def default_ids(quick: bool) -> list[str]:
    known = textworld_ids()
    if not quick:
        return known
    return [i for i in QUICK_IDS if i in known] or known[:2]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="markdown file whose bench_textworld section to replace or append")
    parser.add_argument("--ids", nargs="+", metavar="ID", help="TextWorld ids to measure (default: all registered)")
    parser.add_argument("--steps", type=int, help=f"steps per run (default {FULL.steps}; --quick {QUICK.steps})")
    parser.add_argument(
        "--repeats", type=int, help=f"runs per configuration (default {FULL.repeats}; --quick {QUICK.repeats})"
    )
    parser.add_argument("--quick", action="store_true", help="small counts and 2 ids, for a smoke test")
    args = parser.parse_args(argv)
    known = textworld_ids()
    if args.ids:
        unknown = [i for i in args.ids if i not in known]
        if unknown:
            parser.error(f"not TextWorld ids: {', '.join(unknown)}; known: {', '.join(known)}")
    for name in ("steps", "repeats"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    base = QUICK if args.quick else FULL
    profile = Profile(
        steps=args.steps or base.steps, repeats=args.repeats or base.repeats,
        resets=base.resets, warmup=base.warmup, generation_seeds=base.generation_seeds,
    )
    ids = args.ids or default_ids(args.quick)

    command = command_line()
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    top = header(command, when, profile)
    print(top + "\n", flush=True)

    progress("warming up game generation (untimed)")
    warm_up_generation()
    results = [bench_id(env_id, profile) for env_id in ids]
    generation = bench_generation_rate(GENERATION_PRESET, profile.generation_seeds)
    body = tables(results, generation)
    print(body, flush=True)

    if args.out is not None:
        write_section(args.out, "textworld", top + "\n\n" + body)
        progress(f"wrote the section to {args.out}")
    return 1 if any(r.error for r in results) or generation.error else 0


if __name__ == "__main__":
    sys.exit(main())
