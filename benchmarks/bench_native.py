"""Speed of the native TextWorld engine against the Inform 7 reference (Jericho).

Measured, in one run so that only the ratios matter on a noisy machine:

* steps per second with admissible commands and all text infos (feedback,
  description, inventory, location) for both backends on the same games and the same
  command stream (the walkthrough, then seeded random admissible commands; a finished
  episode is reset, and only step time counts); on the ``w2-o3-q4`` custom preset and
  on tw-cooking level 3 (6 rooms). The native env (``gym.make(..., engine="native")``)
  is timed too, to show the env's own overhead;
* a new game, nothing cached: the native path (``make_game_object`` + ``NativeGame`` +
  reset, in this process) against ``tw-make`` as a process for the same settings (and
  against generating and compiling in this process, for reference);
* reset of an already generated game, both backends;
* textworld-express steps/s on its cooking game, only if it is installed (it is not a
  dependency).

Run from the repository root (a few minutes)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_native.py --out docs/benchmarks.md

Options: ``--steps N`` (default 2000 native / N/10 inform7), ``--games G`` (games per
preset, default 3), ``--new-games K`` (default 3), ``--quick`` (a smoke test). With
``--out FILE`` the section between ``<!-- bench_native:start -->`` and
``<!-- bench_native:end -->`` is replaced (or appended with its markers).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import datetime
import platform
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from importlib.metadata import version
from pathlib import Path

from markdown_section import write_section  # benchmarks/markdown_section.py

import gymnasium as gym

import textagent_envs  # noqa: F401  (registers the ids)
from textagent_envs import infos
from textagent_envs.textworld.backend import JerichoBackend
from textagent_envs.textworld.families import CookingKnobs, CustomKnobs
from textagent_envs.textworld.games import ensure_game, generate_game, make_game_object
from textagent_envs.textworld.native.backend import NativeBackend
from textagent_envs.textworld.compare import REQUESTED
from textagent_envs.textworld.native.engine import NativeGame

START_MARKER = "<!-- bench_native:start -->"
END_MARKER = "<!-- bench_native:end -->"

PRESETS = {
    "tw-custom w2-o3-q4": (CustomKnobs(world_size=2, nb_objects=3, quest_length=4), "TextWorld-Custom-w2-o3-q4-v0", {},
                           ["custom", "--world-size", "2", "--nb-objects", "3", "--quest-length", "4"]),
    "tw-cooking level 3 (6 rooms)": (CookingKnobs(level=3), "TextWorld-Cooking-v0", {"level": 3},
                                     ["tw-cooking", "--recipe", "1", "--take", "1", "--go", "6", "--open"]),
}


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def command_stream(backend, n_steps: int, seed: int) -> float:
    """Seconds spent in ``n_steps`` steps: the walkthrough, then seeded admissible picks."""
    rng = random.Random(seed)
    state = backend.reset()
    plan = list(state[infos.WALKTHROUGH])
    spent = 0.0
    for _ in range(n_steps):
        command = plan.pop(0) if plan else rng.choice(state[infos.ADMISSIBLE_COMMANDS])
        started = time.perf_counter()
        state = backend.step(command)
        spent += time.perf_counter() - started
        if state[infos.WON] or state[infos.LOST]:
            state = backend.reset()
    return spent


class ColdNativeBackend(NativeBackend):
    """The native backend with its per-state memos (text, admissible commands, quest
    checks) emptied before every step: the speed on states it has never seen (a fresh
    game every episode)."""

    def step(self, command: str) -> dict:
        self.game.forget_states()
        return super().step(command)


class EnvAsBackend:
    """The native gym env behind the backend interface used by :func:`command_stream`."""

    def __init__(self, env_id: str, kwargs: dict, seed: int):
        self.env = gym.make(env_id, engine="native", extra_infos=["description", "inventory", "location"],
                            max_episode_steps=-1, **kwargs)
        self.seed = seed

    def reset(self) -> dict:
        return self.env.reset(seed=self.seed)[1]

    def step(self, command: str) -> dict:
        _, _, terminated, truncated, info = self.env.step(command)
        return info


def bench_steps(name: str, knobs, env_id: str, env_kwargs: dict, games: int, n_native: int, n_inform7: int) -> dict:
    rates = {"inform7": [], "native": [], "cold": [], "env": []}
    for seed in range(1, games + 1):
        game_file = ensure_game(knobs.task(seed), engine="inform7")  # the .z8 (Jericho), its .json beside it
        jericho = JerichoBackend(extra_infos=REQUESTED)
        jericho.load(str(game_file))
        native = NativeBackend(extra_infos=REQUESTED)
        native.load(str(game_file))
        cold = ColdNativeBackend(extra_infos=REQUESTED)
        cold.load(str(game_file))
        env = EnvAsBackend(env_id, env_kwargs, seed)
        rates["inform7"].append(n_inform7 / command_stream(jericho, n_inform7, seed))
        rates["native"].append(n_native / command_stream(native, n_native, seed))
        rates["cold"].append(n_native / command_stream(cold, n_native, seed))
        rates["env"].append(n_native / command_stream(env, n_native, seed))
        jericho.close()
        env.env.close()
        progress(f"  {name} seed {seed}: inform7 {rates['inform7'][-1]:.0f}/s, native {rates['native'][-1]:.0f}/s, "
                 f"env {rates['env'][-1]:.0f}/s")
    ratios = [n / j for n, j in zip(rates["native"], rates["inform7"])]
    cold_ratios = [n / j for n, j in zip(rates["cold"], rates["inform7"])]
    return {k: statistics.median(v) for k, v in rates.items()} | {
        "ratio": statistics.median(ratios), "cold_ratio": statistics.median(cold_ratios)}


def bench_new_games(name: str, knobs, tw_make_args: list[str], n_games: int) -> dict:
    native, compiled, process = [], [], []
    tw_make = str(Path(sys.executable).with_name("tw-make"))
    make_game_object(knobs, 10_000)  # warm up textworld's generators (imports, grammars)
    for seed in range(10_001, 10_001 + n_games):
        started = time.perf_counter()
        game = NativeGame(make_game_object(knobs, seed))
        game.reset()
        native.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                generate_game(knobs, seed, Path(tmp) / "g.z8")
            compiled.append(time.perf_counter() - started)
            started = time.perf_counter()
            subprocess.run([tw_make, *tw_make_args, "--seed", str(seed), "--output", str(Path(tmp) / "m.z8"), "--silent", "-f"],
                           check=True, capture_output=True)
            process.append(time.perf_counter() - started)
        progress(f"  {name} new game {seed}: native {native[-1]:.3f}s, in-process compile {compiled[-1]:.3f}s, tw-make {process[-1]:.3f}s")
    ratios = [p / n for p, n in zip(process, native)]
    return {"native": statistics.median(native), "compiled": statistics.median(compiled),
            "tw_make": statistics.median(process), "ratio": statistics.median(ratios)}


def bench_resets(knobs, n_resets: int) -> dict:
    game_file = ensure_game(knobs.task(1), engine="inform7")
    out = {}
    for label, backend, n in (("native", NativeBackend(extra_infos=REQUESTED), n_resets),
                              ("inform7", JerichoBackend(extra_infos=REQUESTED), max(5, n_resets // 100))):
        backend.load(str(game_file))
        backend.reset()
        started = time.perf_counter()
        for _ in range(n):
            backend.reset()
        out[label] = (time.perf_counter() - started) / n * 1000
        backend.close()
    return out


def bench_express(n_steps: int) -> float | None:
    try:
        from textworld_express import TextWorldExpressEnv
    except ImportError:
        return None
    env = TextWorldExpressEnv(envStepLimit=10**6)
    env.load(gameName="cookingworld", gameParams="")
    _, info = env.reset(seed=1, gameFold="train", generateGoldPath=False)
    rng = random.Random(0)
    started = time.perf_counter()
    for _ in range(n_steps):
        _, _, done, info = env.step(rng.choice(info["validActions"]))
        if done:
            _, info = env.reset(seed=1, gameFold="train", generateGoldPath=False)
    return n_steps / (time.perf_counter() - started)


def render(command: str, steps: dict, new_games: dict, resets: dict, express: float | None, args) -> str:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        START_MARKER,
        "## TextWorld: native engine against Inform 7 (Jericho)",
        "",
        f"Produced by `{command}` (from the repository root) on {when}.",
        "",
        f"Machine: Python {platform.python_version()}, textworld {version('textworld')}, "
        f"{os.cpu_count()} CPUs shared with other jobs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}.",
        "",
        f"Steps: {args.games} game(s) per preset, the same command stream for both backends (walkthrough, then seeded "
        f"admissible picks; reset on a win or loss; only step time counted), {args.steps} steps native and "
        f"{max(20, args.steps // 10)} inform7 per game; admissible commands, description, inventory and location "
        "requested at every step. `native` memoises text, admissible commands and quest checks per state (revisited "
        "states); `native cold` empties those memos before every step (the speed on never-seen states, e.g. a fresh "
        "game every episode). "
        "`env` is the native backend through `gym.make(..., engine=\"native\")`. "
        "Values are medians over games; the ratio is the median of per-game ratios.",
        "",
        "| preset | inform7 steps/s | native steps/s | native cold steps/s | native env steps/s | native / inform7 | native cold / inform7 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in steps.items():
        lines.append(f"| {name} | {r['inform7']:,.0f} | {r['native']:,.0f} | {r['cold']:,.0f} | {r['env']:,.0f} | "
                     f"{r['ratio']:.0f}x | {r['cold_ratio']:.0f}x |")
    if express is not None:
        lines += ["", f"textworld-express (installed) on its cooking game: {express:,.0f} steps/s with valid actions."]
    else:
        lines += ["", "textworld-express is not installed (it is not a dependency): no reference row."]
    lines += [
        "",
        f"New game, nothing cached ({args.new_games} seeds per preset; medians). `native`: generate the `Game` and "
        "build the engine in this process, then reset. `tw-make`: the command-line tool as a process, same settings. "
        "`generate + compile`: our inform7 path in this process.",
        "",
        "| preset | native s | games/s native | generate + compile s | tw-make s | tw-make / native |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in new_games.items():
        lines.append(f"| {name} | {r['native']:.3f} | {1 / r['native']:.1f} | {r['compiled']:.2f} | {r['tw_make']:.2f} | {r['ratio']:.1f}x |")
    lines += [
        "",
        "Reset of an already generated and loaded game (w2-o3-q4 seed 1; mean):",
        "",
        "| backend | reset ms |",
        "|---|---:|",
        f"| native | {resets['native']:.3f} |",
        f"| inform7 | {resets['inform7']:.1f} |",
        END_MARKER,
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--games", type=int, default=3)
    parser.add_argument("--new-games", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a smoke test: few steps and games")
    parser.add_argument("--out", type=Path, help="markdown file whose bench_native section is replaced")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.games, args.new_games = 200, 1, 1
    command = "python benchmarks/bench_native.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    steps, new_games = {}, {}
    for name, (knobs, env_id, env_kwargs, tw_make_args) in PRESETS.items():
        progress(f"steps: {name}")
        steps[name] = bench_steps(name, knobs, env_id, env_kwargs, args.games, args.steps, max(20, args.steps // 10))
        progress(f"new games: {name}")
        new_games[name] = bench_new_games(name, knobs, tw_make_args, args.new_games)
    resets = bench_resets(PRESETS["tw-custom w2-o3-q4"][0], 2000)
    express = bench_express(args.steps)
    section = render(command, steps, new_games, resets, express, args)
    print(section)
    if args.out:
        write_section(args.out, "native", section)


if __name__ == "__main__":
    main()
