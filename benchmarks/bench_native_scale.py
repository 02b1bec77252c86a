"""How the native TextWorld engine's speed grows with the game, against Inform 7, in one run.

For games from 2 to 60 rooms (tw-custom, tw-coin_collector, tw-cooking; ``--big`` adds
tw-custom games of 20 to 40 rooms), on the same game and seed:

* **steps/s on never-seen states** (the game compiled afresh, the engine's per-state
  memos of text, admissible commands and quest checks emptied before every step by
  ``NativeGame.forget_states``, so each room's actions and tables are made on the first visit within
  the run; admissible commands, description, inventory and location requested): through
  ``gym.make(..., engine="native")`` (``env``), the native backend alone (``engine``),
  and the Inform 7 reference (Jericho, ``inform7``), with the ratios env/engine and
  env/inform7 from this run. The command stream is the walkthrough, then seeded random
  admissible commands (reset on a win or loss; only step time counts).
* **a new game**, in this (warm) process: TextWorld's generator making the ``Game``
  (``generate``), the native engine built from it, reset and its first admissible
  commands (``native build``), and our Inform 7 path, generating and compiling the
  ``.z8`` (``generate + compile``).
* **whole processes**: a fresh ``tw-make`` process for the same settings against a
  fresh Python process that imports the package, makes the same ``Game`` and builds the
  native engine (wall-clock seconds, killed after ``--timeout``).

In-process times are CPU seconds of this process (``time.process_time``: the machine is
shared, and CPU time is what the engine costs); ``generate + compile`` is wall-clock (the
Inform 7 compilers run as child processes); processes get both, their CPU time from
``getrusage`` of the children.

Run from the repository root (~5-10 minutes on a busy 2-core machine)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_native_scale.py --out docs/benchmarks.md

Options: ``--steps N`` (native steps per game, default 2000; Inform 7 plays N/40, at
least 20), ``--rounds R`` (env and engine measured in turn R times, default 3; medians),
``--seeds S`` (games per preset, default 1), ``--big`` (adds tw-custom games of 20
to 40 rooms, where TextWorld's generator takes minutes), ``--timeout T`` (seconds for a
process, default 300), ``--only A,B`` (presets whose name contains A or B), ``--quick``.
With ``--out FILE`` the section between ``<!-- bench_native_scale:start -->`` and
``<!-- bench_native_scale:end -->`` is replaced (or appended with its markers);
``--section NAME`` writes the ``bench_NAME`` section instead (the large games of
``--big`` have their own: ``--big --only w20,w30,w40 --section native_scale_big``).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import datetime
import gc
import json
import platform
import random
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from importlib.metadata import version
from pathlib import Path

from markdown_section import markers, write_section  # benchmarks/markdown_section.py

import gymnasium as gym

import textagent_envs  # noqa: F401  (registers the ids)
from textagent_envs import infos
from textagent_envs.textworld.backend import JerichoBackend
from textagent_envs.textworld.families import CoinCollectorKnobs, CookingKnobs, CustomKnobs
from textagent_envs.textworld.games import ensure_game, generate_game, make_game_object
from textagent_envs.textworld.native import backend as native_backend
from textagent_envs.textworld.native.backend import NativeBackend
from textagent_envs.textworld.compare import REQUESTED
from textagent_envs.textworld.native.engine import NativeGame

EXTRA = [infos.DESCRIPTION, infos.INVENTORY, infos.LOCATION]


def _cooking_args(level: int) -> list[str]:
    from textagent_envs.textworld.families import COOKING_LEVELS

    skills = COOKING_LEVELS[level]
    args = ["tw-cooking", "--recipe", str(skills["recipe"]), "--take", str(skills["take"]), "--go", str(skills["go"])]
    return args + [f"--{skill}" for skill in ("open", "cook", "cut", "drop") if skills.get(skill)]


def _custom(w: int, o: int, q: int):
    return (f"tw-custom w{w}-o{o}-q{q}", CustomKnobs(world_size=w, nb_objects=o, quest_length=q), "TextWorld-Custom-v0",
            {"world_size": w, "nb_objects": o, "quest_length": q},
            ["custom", "--world-size", str(w), "--nb-objects", str(o), "--quest-length", str(q)])


def _coin(level: int):
    return (f"tw-coin_collector level {level}", CoinCollectorKnobs(level=level), "TextWorld-CoinCollector-v0",
            {"level": level}, ["tw-coin_collector", "--level", str(level)])


def _cooking(level: int):
    return (f"tw-cooking level {level}", CookingKnobs(level=level), "TextWorld-Cooking-v0", {"level": level},
            _cooking_args(level))


#: (name, knobs, env id, env kwargs, tw-make arguments), smallest first.
PRESETS = [
    _custom(2, 3, 4), _custom(4, 6, 8), _custom(8, 12, 4), _custom(12, 16, 8),
    _coin(10), _coin(30), _coin(60),
    _cooking(3), _cooking(6), _cooking(8),
]
BIG = [_custom(20, 20, 10), _custom(30, 30, 12), _custom(40, 40, 12)]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _native_game(env) -> NativeGame:
    """The engine under a native gym env (to empty its per-state memos)."""
    return env.unwrapped._runner._backend.game


class ColdEnv:
    """The native gym env, its engine's per-state memos emptied before every step."""

    def __init__(self, env_id: str, kwargs: dict, seed: int):
        self.env = gym.make(env_id, engine="native", extra_infos=EXTRA, max_episode_steps=-1, **kwargs)
        self.seed = seed

    def reset(self) -> dict:
        return self.env.reset(seed=self.seed)[1]

    def step(self, command: str) -> dict:
        _native_game(self.env).forget_states()
        return self.env.step(command)[4]


class ColdBackend(NativeBackend):
    """The native backend, its engine's per-state memos emptied before every step."""

    def step(self, command: str) -> dict:
        self.game.forget_states()
        return super().step(command)


def steps_per_second(backend, n_steps: int, seed: int) -> float:
    """CPU-time steps/s over ``n_steps`` steps: the walkthrough, then seeded admissible picks."""
    gc.collect()  # what earlier measurements left behind is not collected during this one
    rng = random.Random(seed)
    state = backend.reset()
    plan = list(state[infos.WALKTHROUGH])
    spent = 0.0
    clock = time.process_time
    for _ in range(n_steps):
        command = plan.pop(0) if plan else rng.choice(state[infos.ADMISSIBLE_COMMANDS])
        started = clock()
        state = backend.step(command)
        spent += clock() - started
        if state[infos.WON] or state[infos.LOST]:
            state = backend.reset()
    return n_steps / spent


_NATIVE_PROCESS = """
import json, sys, time
clock = time.process_time
from textagent_envs.textworld.families import family_knobs
from textagent_envs.textworld.games import make_game_object
from textagent_envs.textworld.native.engine import NativeGame
import textworld, textworld.generator, textworld.challenges  # what making a game imports
imported = clock()
family, params, seed = json.loads(sys.argv[1])
game = make_game_object(family_knobs(family).from_params(params), seed)
generated = clock()
NativeGame(game).admissible_commands()
print(json.dumps({"imports": imported, "generate": generated - imported, "build": clock() - generated}))
"""


def run_process(argv: list[str], timeout: float) -> tuple[float | None, float | None, str]:
    """(wall-clock s, CPU s, stdout) of a process; (None, None, "") if it ran past
    ``timeout`` (then killed)."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        done = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None, ""
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


_KEYS = ("generate", "build", "rooms", "actions", "facts", "walkthrough", "env", "engine", "env_engine", "compile", "inform7",
         "tw_make", "tw_make_cpu", "native_process", "native_process_cpu", "native_imports")


def bench_preset(preset, seed: int, n_steps: int, rounds: int, timeout: float, tw_make: str) -> dict:
    name, knobs, env_id, env_kwargs, tw_make_args = preset
    out = dict.fromkeys(_KEYS)
    clock = time.process_time
    # First the whole processes, with the timeout: a game TextWorld's generator cannot make
    # within it is not made in this process either (it could not be stopped).
    with tempfile.TemporaryDirectory() as tmp:
        out["tw_make"], out["tw_make_cpu"], _ = run_process(
            [tw_make, *tw_make_args, "--seed", str(seed), "--output", str(Path(tmp) / "m.z8"), "--silent", "-f"], timeout)
    out["native_process"], out["native_process_cpu"], report = run_process(
        [sys.executable, "-c", _NATIVE_PROCESS, json.dumps([knobs.family, knobs.to_params(), seed])], timeout)
    out["native_imports"] = json.loads(report.strip().splitlines()[-1])["imports"] if report else None
    progress(f"  {name} s{seed}: tw-make process {_seconds(out['tw_make'], timeout)} s "
             f"(CPU {_seconds(out['tw_make_cpu'], timeout)}), native process {_seconds(out['native_process'], timeout)} s "
             f"(CPU {_seconds(out['native_process_cpu'], timeout)}, imports {_seconds(out['native_imports'], timeout)})")
    if out["native_process"] is None:
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = clock()
        game = make_game_object(knobs, seed)
        out["generate"] = clock() - started
        started = clock()
        native = NativeGame(game)
        native.admissible_commands()
        out["build"] = clock() - started
    out["rooms"], out["actions"], out["facts"] = len(native.rooms), native.logic.n_actions, len(native.logic.facts)
    out["walkthrough"] = len(native.walkthrough)
    progress(f"  {name} s{seed}: generate {out['generate']:.2f} s, native build {out['build']:.3f} s, "
             f"{out['rooms']} rooms, {out['actions']} actions")

    # Rounds of env then engine (the machine's load changes), each on a game compiled
    # afresh: both pay for making each room's actions and tables on the first visit.
    env_rates, engine_rates = [], []
    for _ in range(rounds):
        native_backend._COMPILED.clear()
        env = ColdEnv(env_id, env_kwargs, seed)
        env_rates.append(steps_per_second(env, n_steps, seed))
        env.env.close()
        native_backend._COMPILED.clear()
        engine = ColdBackend(extra_infos=REQUESTED)
        engine.load(str(ensure_game(knobs.task(seed), engine="native")))
        engine_rates.append(steps_per_second(engine, n_steps, seed))
    out["env"], out["engine"] = statistics.median(env_rates), statistics.median(engine_rates)
    out["env_engine"] = statistics.median(e / g for e, g in zip(env_rates, engine_rates))
    progress(f"  {name} s{seed}: env {out['env']:,.0f} steps/s, engine {out['engine']:,.0f} steps/s "
             f"(rounds: env {[round(r) for r in env_rates]}, engine {[round(r) for r in engine_rates]})")

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z8 = generate_game(knobs, seed, Path(tmp) / "g.z8")
        out["compile"] = time.perf_counter() - started
        jericho = JerichoBackend(extra_infos=REQUESTED)
        jericho.load(str(z8))
        out["inform7"] = steps_per_second(jericho, max(20, n_steps // 40), seed)
        jericho.close()
        progress(f"  {name} s{seed}: generate + compile {out['compile']:.2f} s, inform7 {out['inform7']:,.0f} steps/s")
    return out


def _seconds(value: float | None, timeout: float) -> str:
    return f"> {timeout:.0f}" if value is None else f"{value:.2f}"


def _process(wall: float | None, cpu: float | None, imports: float | None, timeout: float) -> str:
    """``wall (cpu)`` or ``wall (cpu; imports)`` seconds of a process, ``> timeout`` if it was killed."""
    if wall is None:
        return f"> {timeout:.0f}"
    return f"{wall:.2f} ({cpu:.2f})" if imports is None else f"{wall:.2f} ({cpu:.2f}; {imports:.2f})"


def _median(runs: list[dict], key: str):
    values = [r[key] for r in runs]
    if any(v is None for v in values):
        return None
    return statistics.median(values)


def render(command: str, results: dict[str, list[dict]], args) -> str:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    t = args.timeout
    start, end = markers(args.section)
    lines = [
        start,
        "## TextWorld: the native engine as games grow" + ("" if args.section == "native_scale" else f" ({args.section})"),
        "",
        f"Produced by `{command}` (from the repository root) on {when}.",
        "",
        f"Machine: Python {platform.python_version()}, textworld {version('textworld')}, {os.cpu_count()} CPUs "
        f"shared with other jobs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}. Seeds 1-{args.seeds} per "
        "preset (medians). In-process times are CPU seconds of this process; `generate + compile` is wall-clock "
        "seconds; processes show wall-clock seconds and, in brackets, their CPU seconds.",
        "",
        f"Steps on never-seen states (each run on a game compiled afresh, so the rooms' actions and tables are made "
        f"on first visits within it; the engine's per-state memos (text, admissible commands, quest checks) emptied before each step; admissible commands, "
        f"description, inventory and location requested; {args.steps} native steps, "
        f"{max(20, args.steps // 40)} Inform 7 steps per game; walkthrough, then seeded random admissible commands; "
        f"env and engine measured in turn, {args.rounds} rounds, medians and the median of per-round ratios):",
        "",
        "| preset | rooms | actions | walkthrough | env steps/s | engine steps/s | env / engine | inform7 steps/s "
        "| env / inform7 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    medians = {name: {k: _median(runs, k) for k in runs[0]} for name, runs in results.items()}
    for name, runs in results.items():
        r = medians[name]
        if r["env"] is None:
            lines.append(f"| {name} | - | - | - | - | - | - | - | - (not generated within {t:.0f} s) |")
            continue
        lines.append(
            f"| {name} | {r['rooms']:.0f} | {r['actions']:,.0f} | {r['walkthrough']:.0f} | {r['env']:,.0f} | "
            f"{r['engine']:,.0f} | {r['env_engine']:.2f} | {r['inform7']:,.0f} | "
            f"{statistics.median(x['env'] / x['inform7'] for x in runs):.0f}x |")
    lines += [
        "",
        "A new game. `generate`: TextWorld's generator making the `Game` in this warm process (the family's "
        "generator used once before; the same for both engines). `native build`: the native engine built from it "
        "(grounding, the first room's tables), reset and first admissible commands. `generate + compile`: our Inform 7 path (generate, then compile the `.z8` with Inform 7). "
        f"Whole processes: a fresh `tw-make` process, and a fresh Python process that imports the package, generates "
        f"the same game and builds the native engine (`> {t:.0f}`: killed at the timeout).",
        "",
        "| preset | generate s (CPU) | native build s (CPU) | generate / build | generate + compile s | "
        "tw-make process s (CPU) | native process s (CPU; of which imports) | tw-make / native process, CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in medians.items():
        ratio = ("-" if r["tw_make_cpu"] is None or r["native_process_cpu"] is None
                 else f"{r['tw_make_cpu'] / r['native_process_cpu']:.1f}x")
        if r["generate"] is None:  # the game was not made within the timeout
            made = [f"> {t:.0f}", "-", "-", "-"]
        else:
            made = [f"{r['generate']:.2f}", f"{r['build']:.3f}", f"{r['generate'] / r['build']:.0f}x", f"{r['compile']:.2f}"]
        lines.append(
            f"| {name} | {' | '.join(made)} | "
            f"{_process(r['tw_make'], r['tw_make_cpu'], None, t)} | "
            f"{_process(r['native_process'], r['native_process_cpu'], r['native_imports'], t)} | {ratio} |")
    lines.append(end)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="env/engine step measurements per game (median)")
    parser.add_argument("--big", action="store_true", help="add tw-custom games of 20 to 40 rooms (TextWorld's generator takes minutes)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before a process is killed")
    parser.add_argument("--only", default="", help="presets whose name contains one of these (comma-separated)")
    parser.add_argument("--section", default="native_scale", help="the section of --out to write (bench_SECTION markers)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: few steps, the smallest presets")
    parser.add_argument("--out", type=Path, help="markdown file whose bench_native_scale section is replaced")
    args = parser.parse_args()
    presets = PRESETS + (BIG if args.big else [])
    if args.quick:
        args.steps, args.seeds = 200, 1
        presets = presets[:1]
    presets = [p for p in presets if any(part in p[0] for part in args.only.split(","))]
    command = "python benchmarks/bench_native_scale.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    tw_make = str(Path(sys.executable).with_name("tw-make"))
    results = {}
    warmed = set()
    for preset in presets:
        progress(preset[0])
        if preset[1].family not in warmed:  # warm up the family's generator (imports, grammars, data)
            warmed.add(preset[1].family)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                make_game_object(preset[1], 10_000)
        results[preset[0]] = [bench_preset(preset, seed, args.steps, args.rounds, args.timeout, tw_make)
                              for seed in range(1, args.seeds + 1)]
    section = render(command.strip(), results, args)
    print(section)
    if args.out:
        write_section(args.out, args.section, section)


if __name__ == "__main__":
    main()
