"""What the env layer costs above the native TextWorld engine, per layer, in one run.

On the ``w2-o3-q4`` custom preset with the paper's infos (admissible commands,
description, inventory, location), the same command stream (the walkthrough, then seeded
random admissible commands; a finished episode is reset and only step time counts) runs
through each layer:

* ``backend``: :class:`~textagent_envs.textworld.native.backend.NativeBackend` (the engine
  and its info dict; "the engine" of the ratios);
* ``runner``: the same behind :class:`~textagent_envs.worker.InProcessRunner` with the
  step timeout armed;
* ``env``: ``TextWorldEnv.step`` (command checks, reward, info contract);
* ``gym.make``: what ``gym.make`` returns (gymnasium's checker, order enforcing and
  ``TimeLimit`` around the env);
* the same with ``isolation="process"`` (the game in a child process: a round trip per
  step).

Also the bookkeeping of a reset of an already loaded game (env reset time minus the
backend's reset time). Times are CPU time of this process (``time.process_time``: the
machine may be shared), except for the ``isolation="process"`` row, timed by the wall
clock since its work is done in the child. Run from the repository root (about a minute
with ``--before``)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_env_layer.py --out docs/benchmarks.md

``--steps N`` (default 20000 per layer and round), ``--rounds R`` (default 3; the
median is reported), ``--quick``, ``--before DIR`` (also measure the package in ``DIR``,
e.g. the commit before a change, in a child process: its columns sit beside these).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import datetime
import json
import platform
import random
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

from markdown_section import write_section  # benchmarks/markdown_section.py (scripts run from their folder)

import gymnasium as gym

import textagent_envs  # noqa: F401  (registers the ids)
from textagent_envs import infos
from textagent_envs.textworld import env as tw_env
from textagent_envs.textworld.env import DEFAULT_STEP_TIMEOUT
from textagent_envs.textworld.families import CustomKnobs
from textagent_envs.textworld.games import ensure_game
from textagent_envs.textworld.native.backend import NativeBackend
try:
    from textagent_envs.textworld.compare import REQUESTED
except ImportError:  # a package from before the sweep moved out of native/ (--before)
    from textagent_envs.textworld.native.compare import REQUESTED
try:
    from textagent_envs.worker import InProcessRunner
except ImportError:  # a package from before the runners' rename (--before)
    from textagent_envs.worker import InProcessBackend as InProcessRunner

#: The env argument that chooses the engine (``backend=`` before the rename; --before).
ENGINE = "engine" if hasattr(tw_env, "ENGINES") else "backend"

ENV_ID = "TextWorld-Custom-w2-o3-q4-v0"
EXTRA = [infos.DESCRIPTION, infos.INVENTORY, infos.LOCATION]
SEED = 1


class Runner:
    """The backend behind the in-process runner, as the env calls it."""

    def __init__(self, game_file: str):
        self.runner = InProcessRunner("textagent_envs.textworld.native.backend:NativeBackend", {"extra_infos": REQUESTED})
        self.runner.call("load", game_file)

    def reset(self):
        return self.runner.call("reset", timeout=DEFAULT_STEP_TIMEOUT)

    def step(self, command):
        return self.runner.call("step", command, timeout=DEFAULT_STEP_TIMEOUT)


class Env:
    """An env (bare or from gym.make) behind the backend interface."""

    def __init__(self, env):
        self.env = env

    def reset(self):
        return self.env.reset(seed=SEED)[1]

    def step(self, command):
        return self.env.step(command)[4]


#: The layer run in a child process: timed by the wall clock (its CPU time is the
#: child's, not this process's); the others by this process's CPU time.
ISOLATED = 'gym.make, isolation="process"'


def stream(layer, n_steps: int, clock=time.process_time) -> float:
    """Seconds (of ``clock``) spent in ``n_steps`` steps of the command stream."""
    rng = random.Random(SEED)
    state = layer.reset()
    plan = list(state[infos.WALKTHROUGH])
    spent = 0.0
    for _ in range(n_steps):
        command = plan.pop(0) if plan else rng.choice(state[infos.ADMISSIBLE_COMMANDS])
        started = clock()
        state = layer.step(command)
        spent += clock() - started
        if state[infos.WON] or state[infos.LOST]:
            state = layer.reset()
            plan = list(state[infos.WALKTHROUGH])
    return spent


def reset_time(layer, n: int, clock=time.process_time) -> float:
    started = clock()
    for _ in range(n):
        layer.reset()
    return (clock() - started) / n


def measure(n_steps: int, rounds: int) -> tuple[dict, dict]:
    game_file = str(ensure_game(CustomKnobs(world_size=2, nb_objects=3, quest_length=4).task(SEED), **{ENGINE: "native"}))
    backend = NativeBackend(extra_infos=REQUESTED)
    backend.load(game_file)
    bare = gym.make(ENV_ID, **{ENGINE: "native"}, extra_infos=EXTRA).unwrapped
    wrapped = gym.make(ENV_ID, **{ENGINE: "native"}, extra_infos=EXTRA, max_episode_steps=10**9)
    isolated = gym.make(ENV_ID, **{ENGINE: "native"}, extra_infos=EXTRA, max_episode_steps=10**9, isolation="process")
    layers = {"backend": backend, "runner": Runner(game_file), "env": Env(bare), "gym.make": Env(wrapped),
              ISOLATED: Env(isolated)}
    for layer in layers.values():  # warm: game loaded, memo tables filled
        stream(layer, 2000)
    rates: dict[str, list[float]] = {name: [] for name in layers}
    resets: dict[str, list[float]] = {name: [] for name in layers}
    for _ in range(rounds):  # interleaved, so a slow moment of the machine hits every layer
        for name, layer in layers.items():
            clock = time.perf_counter if name == ISOLATED else time.process_time
            rates[name].append(n_steps / stream(layer, n_steps, clock))
            resets[name].append(reset_time(layer, 2000, clock))
    for env in (bare, wrapped, isolated):
        env.close()
    return ({k: statistics.median(v) for k, v in rates.items()}, {k: statistics.median(v) for k, v in resets.items()})


def render(command: str, rates: dict, resets: dict, steps: int, rounds: int, before: dict | None) -> str:
    engine, engine_reset = rates["backend"], resets["backend"]
    lines = [
        "## TextWorld: what the env layer costs above the native engine",
        "",
        f"`{command}` ({datetime.date.today()}, Python {platform.python_version()}, {os.cpu_count()} CPUs; "
        f"{steps:,} steps per layer and round, median of {rounds} interleaved rounds). `{ENV_ID}`, seed {SEED}, "
        "with admissible commands, description, inventory and location; the walkthrough then seeded random "
        "admissible commands (states revisited: memoised engine). `backend` is the engine with its info dict "
        "(`NativeBackend`), `runner` adds the in-process runner with the step timeout armed, `env` is "
        "`TextWorldEnv.step`, `gym.make` adds gymnasium's wrappers, and the last row runs the game in a child "
        "process. Reset: a reset of the loaded game (same seed), and the bookkeeping above the backend's own reset. "
        "Times are this process's CPU time (the machine is shared with other jobs), but the last row's, which are "
        "wall-clock (the work is in the child).",
    ]
    if before is not None:
        lines += ["", f"\"Before\" is the same measurement, in its own run, of the package at `{before['path']}` "
                  f"({_describe_tree(before['path'])})."]
    head = "| layer | steps/s | / engine | reset | reset bookkeeping above the engine |"
    rule = "|---|---:|---:|---:|---:|"
    if before is not None:
        head += " before: steps/s | before: / engine | before: reset bookkeeping |"
        rule += "---:|---:|---:|"
    lines += ["", head, rule]
    for name, rate in rates.items():
        extra = "" if name == "backend" else f"{(resets[name] - engine_reset) * 1e6:,.0f} us"
        row = f"| {name} | {rate:,.0f} | {rate / engine:.2f} | {resets[name] * 1e6:,.0f} us | {extra} |"
        if before is not None:
            b_rates, b_resets = before["rates"], before["resets"]
            b_extra = "" if name == "backend" else f"{(b_resets[name] - b_resets['backend']) * 1e6:,.0f} us"
            row += f" {b_rates[name]:,.0f} | {b_rates[name] / b_rates['backend']:.2f} | {b_extra} |"
        lines.append(row)
    return "\n".join(lines)


def _describe_tree(path: str) -> str:
    """Which commit the "before" tree is, when it is a git checkout (else say it is not known)."""
    try:
        rev = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout: its commit is not recorded"
    return f"commit {rev}, e.g. `git worktree add --detach {path} {rev}`"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--before", help="a folder holding another textagent_envs package, measured too (in a child)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    steps = 2000 if args.quick else args.steps
    before = None
    if args.before:
        env = {**os.environ, "PYTHONPATH": os.path.abspath(args.before)}
        child = subprocess.run([sys.executable, __file__, "--json", "--steps", str(steps), "--rounds", str(args.rounds)],
                               env=env, capture_output=True, text=True, check=True)
        before = {**json.loads(child.stdout), "path": args.before}
    rates, resets = measure(steps, args.rounds)
    if args.json:
        print(json.dumps({"rates": rates, "resets": resets}))
        return
    command = "python benchmarks/bench_env_layer.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    section = render(command.strip(), rates, resets, steps, args.rounds, before)
    print(section)
    if args.out:
        write_section(args.out, "env_layer", section)


if __name__ == "__main__":
    main()
