"""Playing the native backend and the Inform 7 reference side by side.

:func:`compare_game` plays one compiled game (a ``.z8`` with its ``.json``) through both
backends with the same commands and returns every step where they disagree: first the
walkthrough, then an episode of random commands, each either an admissible command or
an adversarial one (:data:`ADVERSARIAL_KINDS`: bare verbs, commas, invalid words,
partial commands, unknown objects, empty input). Every step compares the feedback, the
room description and the inventory exactly (as each backend returns them), and the
score, max score, won, lost, moves, location and the set of admissible commands.

Every command goes through the env's own check first (:func:`textagent_envs.commands.parse_command`),
so the engines are compared on what a ``gym.make`` user can send: a command the env
refuses (a comma, empty input, ``all``) reaches neither backend, and that step is equal
by construction (counted in :attr:`Comparison.refused`). Commas are refused because
Inform 7 reads them as grammar that matters only through TextWorld's wrapper: the
reference runs the rest of ``take key, look`` among TextWorld's own info commands, so
its text lands in the next step's infos and its action may go untracked. (The native
engine still reads commas as Inform 7 does; :func:`play` sends commands unchecked, and
the engine's tests play comma cases that way.) Left out: interpreter commands
(``quit``, ``save``, ``undo``, ...), which act on the interpreter, not on the game.

``python -m textagent_envs.textworld.compare --games 500 --random-steps 80``
sweeps :func:`sweep_tasks` (every family and level), caches each game's result, and
prints a summary by family and by kind of command, and the first differences, each with
the command that replays it. The equivalence tests use :func:`compare_game` on a few games.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from .. import infos

#: The infos both backends are asked for.
REQUESTED = (infos.ADMISSIBLE_COMMANDS, infos.DESCRIPTION, infos.INVENTORY, infos.LOCATION)
#: What every step compares, exactly ("feedback" is the observation's text).
COMPARED_KEYS = ("feedback", infos.DESCRIPTION, infos.INVENTORY, infos.LOCATION, infos.SCORE, infos.MAX_SCORE,
                 infos.WON, infos.LOST, infos.MOVES, infos.ADMISSIBLE_COMMANDS, infos.OBJECTIVE)

#: Kinds of command the random episode plays, with their weights.
COMMAND_KINDS = {"admissible": 0.6, "bare verb": 0.07, "comma": 0.07, "invalid word": 0.06, "partial": 0.08,
                 "unknown object": 0.05, "wrong object": 0.05, "empty": 0.02}
ADVERSARIAL_KINDS = tuple(k for k in COMMAND_KINDS if k != "admissible")

_BARE_VERBS = ("take", "get", "pick up", "drop", "open", "close", "eat", "drink", "examine", "x", "look at", "put",
               "insert", "unlock", "lock", "cook", "slice", "dice", "chop", "go", "read", "check", "remove", "shut")
_ONE_OBJECT_VERBS = ("take", "drop", "open", "close", "eat", "drink", "examine", "x", "look at", "get", "pick up",
                     "remove", "read", "shut", "unlock", "lock", "put", "insert", "cook", "slice")
_TWO_OBJECT_VERBS = ("put {} on {}", "put {} in {}", "insert {} into {}", "unlock {} with {}", "lock {} with {}",
                     "take {} from {}", "cook {} with {}", "slice {} with {}", "dice {} with {}", "chop {} with {}",
                     "open {} with {}")
_UNKNOWN_WORDS = ("unicorn", "flurb", "ceiling", "sky", "banana", "bob", "grue", "someone", "the")
_INVALID_VERBS = ("xyzzy", "frobnicate", "sing", "dance", "wait", "z", "jump", "think", "sleep", "wake", "listen",
                  "smell", "pray", "yes", "no", "hello", "help", "score", "goal", "look", "l", "inventory", "i",
                  "prepare meal", "take all", "north", "s", "go northeast", "go up", "in", "out")


def normalise(text: str) -> str:
    """Text with whitespace runs collapsed and the ends stripped (for messages in tests)."""
    return re.sub(r"\s+", " ", text or "").strip()


@dataclass
class Mismatch:
    """One disagreement: at ``step`` (0 = reset) of an episode that played ``commands``
    (this step's command last), on ``key``."""

    step: int
    command: str
    key: str
    native: Any
    reference: Any
    #: The kind of the command (a key of :data:`COMMAND_KINDS`, "walkthrough" or "reset").
    kind: str = "admissible"
    #: The episode's commands from its reset up to this one: what replays it.
    commands: list[str] = field(default_factory=list)

    @property
    def admissible(self) -> bool:
        return self.kind in ("admissible", "walkthrough", "reset")


@dataclass
class Comparison:
    """The result of :func:`compare_game` on one game."""

    game_file: str
    steps: int = 0
    #: Steps whose every compared key agreed.
    equal_steps: int = 0
    steps_by_kind: dict[str, int] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)
    #: Steps whose command the env refuses before either backend (equal by construction), by kind.
    refused: dict[str, int] = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        return not self.mismatches

    @property
    def state_mismatches(self) -> list[Mismatch]:
        return [m for m in self.mismatches if m.key not in ("feedback", infos.DESCRIPTION, infos.INVENTORY)]

    @property
    def text_mismatches(self) -> list[Mismatch]:
        return [m for m in self.mismatches if m.key in ("feedback", infos.DESCRIPTION, infos.INVENTORY)]

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Comparison":
        data = dict(data)
        data["mismatches"] = [Mismatch(**m) for m in data.get("mismatches", [])]
        return cls(**data)


class _Commands:
    """Draws the random episode's commands from the reference's state and the game's names."""

    def __init__(self, names: Sequence[str], rng: random.Random):
        self.names = list(names) or ["thing"]
        self.rng = rng

    def draw(self, state: dict) -> tuple[str, str]:
        rng = self.rng
        kind = rng.choices(list(COMMAND_KINDS), weights=list(COMMAND_KINDS.values()))[0]
        admissible = sorted(state[infos.ADMISSIBLE_COMMANDS]) or ["look"]
        name = rng.choice(self.names)
        if kind == "admissible":
            return kind, rng.choice(admissible)
        if kind == "bare verb":
            return kind, rng.choice(_BARE_VERBS)
        if kind == "comma":
            command = rng.choice(admissible)
            shape = rng.randrange(7)
            return kind, [f"bob, {command}", f",{command}", f"{command},", f"{name}, {command}",
                          f"{command.split(' ')[0]}, {name}", f"{command}, {rng.choice(_UNKNOWN_WORDS)}", ","][shape]
        if kind == "invalid word":
            if rng.random() < 0.5:
                return kind, rng.choice(_INVALID_VERBS)
            return kind, f"{rng.choice([v for v in _INVALID_VERBS if v != 'take all'])} {name}"
        if kind == "partial":
            words = name.split()
            shape = rng.randrange(4)
            if shape == 0 and len(words) > 1:  # one word of a longer name
                return kind, f"{rng.choice(_ONE_OBJECT_VERBS)} {rng.choice(words)}"
            if shape == 1:  # a two-object command cut short
                template = rng.choice(_TWO_OBJECT_VERBS)
                head = template.split("{}")[0] + name + template.split("{}")[1]
                return kind, head.strip() if rng.random() < 0.5 else (template.split("{}")[0] + name).strip()
            if shape == 2:  # an admissible command cut short
                words = rng.choice(admissible).split()
                return kind, " ".join(words[: max(1, rng.randrange(len(words)))])
            return kind, f"{rng.choice(_ONE_OBJECT_VERBS)} {words[0]} {rng.choice(_UNKNOWN_WORDS)}"
        if kind == "unknown object":
            return kind, f"{rng.choice(_ONE_OBJECT_VERBS)} {rng.choice(_UNKNOWN_WORDS)}"
        if kind == "wrong object":
            if rng.random() < 0.5:
                return kind, f"{rng.choice(_ONE_OBJECT_VERBS)} {name}"
            return kind, rng.choice(_TWO_OBJECT_VERBS).format(name, rng.choice(self.names))
        return kind, rng.choice(("", " ", "   "))


def compare_game(game_file: str | Path, *, seed: int = 0, n_random: int = 40, reference=None, native=None) -> Comparison:
    """Play ``game_file`` through both backends and compare them step by step (see the
    module docstring): the walkthrough, then ``n_random`` random commands drawn with
    ``seed``. ``reference`` / ``native`` are backends to reuse."""
    from ..commands import InvalidCommand, parse_command
    from .backend import JerichoBackend
    from .native.backend import NativeBackend

    game_file = str(game_file)
    reference = reference or JerichoBackend(extra_infos=REQUESTED)
    native = native or NativeBackend(extra_infos=REQUESTED)
    reference.load(game_file)
    native.load(game_file)
    draw = _Commands(native.entity_names(), random.Random(seed))
    result = Comparison(game_file)

    def check(commands: list[str], kind: str, ref: dict, nat: dict) -> None:
        step = result.steps
        result.steps += 1
        result.steps_by_kind[kind] = result.steps_by_kind.get(kind, 0) + 1
        equal = True
        for key in COMPARED_KEYS:
            a, b = ref.get(key), nat.get(key)
            if key == infos.ADMISSIBLE_COMMANDS:
                a, b = sorted(a or []), sorted(b or [])
            if a != b:
                equal = False
                result.mismatches.append(Mismatch(step, commands[-1] if commands else "<reset>", key, b, a, kind, list(commands)))
        result.equal_steps += equal

    def episode(n: int | None, walkthrough: Sequence[str] = ()) -> None:
        ref, nat = reference.reset(), native.reset()
        commands: list[str] = []
        check(commands, "reset", ref, nat)
        plan = iter(walkthrough)
        for _ in range(len(walkthrough) if n is None else n):
            kind, command = ("walkthrough", next(plan)) if n is None else draw.draw(ref)
            try:
                command = parse_command(command)  # what the env passes on
            except InvalidCommand:  # the env answers; neither backend sees the command
                result.steps += 1
                result.equal_steps += 1
                result.refused[kind] = result.refused.get(kind, 0) + 1
                result.steps_by_kind[kind] = result.steps_by_kind.get(kind, 0) + 1
                continue
            commands.append(command)
            ref, nat = reference.step(command), native.step(command)
            check(commands, kind, ref, nat)
            if ref[infos.WON] or ref[infos.LOST] or nat[infos.WON] or nat[infos.LOST]:
                break

    episode(None, reference.reset()[infos.WALKTHROUGH])
    episode(n_random)
    return result


# -- the sweep ---------------------------------------------------------------------------

def _sweep_groups() -> list[tuple[str, list[dict]]]:
    """Per family, the settings the sweep cycles through: every level (tw-custom's levels
    include the paper's grid), tw-simple's every reward mode and goal, and the test set."""
    from .families import CoinCollectorKnobs, CookingKnobs, CustomKnobs, TreasureHunterKnobs

    simple = [{"rewards": r, "goal": g} for r in ("dense", "balanced", "sparse") for g in ("detailed", "brief", "none")]
    simple.append({"rewards": "dense", "goal": "detailed", "test": True})
    coins = list(CoinCollectorKnobs.levels()) + [101, 120, 150, 201, 233]
    return [
        ("tw-custom", [dict(CustomKnobs._LEVELS[level]) for level in CustomKnobs.levels()]),
        ("tw-simple", simple),
        ("tw-cooking", [{"level": level} for level in CookingKnobs.levels()]),
        ("tw-coin_collector", [{"level": level} for level in coins]),
        ("tw-treasure_hunter", [{"level": level} for level in TreasureHunterKnobs.levels()]),
    ]


def sweep_tasks(n_games: int) -> list[tuple[str, dict, int]]:
    """``n_games`` (family, params, seed), one family after another; each family cycles
    through its settings (round r plays setting r mod their number, with seed r + 1), so
    every 5 games cover the five families and 500 games every level of each."""
    groups = _sweep_groups()
    out = []
    for i in range(n_games):
        family, settings = groups[i % len(groups)]
        r = i // len(groups)
        out.append((family, settings[r % len(settings)], r + 1))
    return out


def _fingerprint(n_random: int, seed: int) -> str:
    """Changes when the engine's code or the sweep's settings change (results are cached by it)."""
    digest = hashlib.sha256(f"{n_random}/{seed}".encode())
    here = Path(__file__).parent
    for path in sorted((here / "native").glob("*.py")) + [here / "backend.py", Path(__file__)]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _compare_task(job: tuple) -> tuple[tuple, dict | None, str | None, float]:
    """(task, comparison as JSON, error, seconds) for one sweep task (run in a worker)."""
    (family, params, seed), n_random, results_dir = job
    start = time.perf_counter()
    from .families import family_knobs
    from .games import GameGenerationError, ensure_game

    task = family_knobs(family).from_params(params).task(seed)
    cached = Path(results_dir) / f"{task.family}-{hashlib.sha256(json.dumps([params, seed], sort_keys=True).encode()).hexdigest()[:16]}.json"
    if cached.is_file():
        return (family, params, seed), json.loads(cached.read_text()), None, 0.0
    try:
        game_file = ensure_game(task)
    except GameGenerationError as err:
        return (family, params, seed), None, f"generation failed: {err}", time.perf_counter() - start
    result = compare_game(game_file, seed=seed, n_random=n_random).to_json()
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp")
    tmp.write_text(json.dumps(result))
    tmp.replace(cached)
    return (family, params, seed), result, None, time.perf_counter() - start


def run_sweep(n_games: int, *, n_random: int = 80, workers: int = 1, results_dir: str | Path | None = None,
              seed: int = 0) -> Iterator[tuple[tuple, Comparison | None, str | None, float]]:
    """Compare the games of :func:`sweep_tasks`; yields (task, comparison, error, seconds)
    as each finishes. Results are kept in ``results_dir`` (default: under the cache,
    named by a fingerprint of the engine's code), so an interrupted sweep resumes."""
    from ..cache import cache_root

    if results_dir is None:
        results_dir = cache_root() / "native-compare" / _fingerprint(n_random, seed)
    jobs = [(task, n_random, str(results_dir)) for task in sweep_tasks(n_games)]
    if workers <= 1:
        outputs = map(_compare_task, jobs)
    else:
        import multiprocessing

        pool = multiprocessing.get_context("spawn").Pool(workers)
        outputs = pool.imap_unordered(_compare_task, jobs)
    for task, data, error, seconds in outputs:
        yield task, (Comparison.from_json(data) if data else None), error, seconds


def _replay_command(game_file: str, commands: Sequence[str]) -> str:
    return "python -m textagent_envs.textworld.compare --play " + shlex.quote(game_file) + " " + shlex.quote(json.dumps(list(commands)))


def play(game_file: str, commands: Sequence[str], out=sys.stdout) -> int:
    """Play ``commands`` on both backends from a reset; print each step where they differ
    (every key); the number of such steps."""
    from .backend import JerichoBackend
    from .native.backend import NativeBackend

    reference, native = JerichoBackend(extra_infos=REQUESTED), NativeBackend(extra_infos=REQUESTED)
    reference.load(game_file)
    native.load(game_file)
    differing = 0
    ref, nat = reference.reset(), native.reset()
    for step, command in enumerate(["<reset>", *commands]):
        if step:
            ref, nat = reference.step(command), native.step(command)
        keys = [k for k in COMPARED_KEYS if (sorted(ref[k]) if k == infos.ADMISSIBLE_COMMANDS else ref[k])
                != (sorted(nat[k]) if k == infos.ADMISSIBLE_COMMANDS else nat[k])]
        if keys:
            differing += 1
            print(f"step {step} {command!r}", file=out)
            for key in keys:
                print(f"  {key}\n    native:    {nat[key]!r}\n    reference: {ref[key]!r}", file=out)
    reference.close()
    return differing


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("games", nargs="*", help=".z8 game files (their .json beside them)")
    parser.add_argument("--games", dest="n_games", type=int, default=0, metavar="N",
                        help="sweep the first N games of sweep_tasks (every family and level)")
    parser.add_argument("--random-steps", type=int, default=80)
    parser.add_argument("--seed", type=int, default=0, help="random commands' seed for game files given by path")
    parser.add_argument("--workers", type=int, default=1, help="processes for the sweep (game generation is the slow part)")
    parser.add_argument("--results", default=None, help="where sweep results are cached (default: under the cache)")
    parser.add_argument("--show", type=int, default=10, help="differences to print (the first of each kind and key first)")
    parser.add_argument("--play", nargs=2, metavar=("GAME", "COMMANDS_JSON"),
                        help="play a JSON list of commands on both backends and print where they differ")
    args = parser.parse_args(argv)
    if args.play:
        return 1 if play(args.play[0], json.loads(args.play[1])) else 0
    if not args.games and not args.n_games:
        parser.error("give game files, --games N or --play GAME COMMANDS_JSON")
    results: list[tuple[str, Comparison]] = []
    errors: list[str] = []
    start = time.perf_counter()
    for game in args.games:
        results.append((Path(game).parts[-3] if len(Path(game).parts) >= 3 else "?", compare_game(game, seed=args.seed, n_random=args.random_steps)))
    if args.n_games:
        for i, (task, result, error, seconds) in enumerate(run_sweep(args.n_games, n_random=args.random_steps,
                                                                      workers=args.workers, results_dir=args.results), 1):
            if error:
                errors.append(f"{task}: {error}")
                print(f"[{i}/{args.n_games}] {task}: {error}", flush=True)
                continue
            results.append((task[0], result))
            print(f"[{i}/{args.n_games}] {task[0]} {json.dumps(task[1], sort_keys=True)} seed {task[2]}: {result.steps} steps, "
                  f"{len(result.mismatches)} differences ({seconds:.1f} s)", flush=True)
    _summary(results, errors, args.show, time.perf_counter() - start)
    return 0 if all(r.exact for _, r in results) and not errors else 1


def _summary(results: list[tuple[str, Comparison]], errors: list[str], show: int, seconds: float) -> None:
    by_family: dict[str, list[int]] = {}
    by_kind: dict[str, list[int]] = {}
    by_key: dict[str, int] = {}
    firsts: dict[tuple, tuple[Comparison, Mismatch]] = {}
    for family, result in results:
        row = by_family.setdefault(family, [0, 0, 0, 0])
        row[0] += 1
        row[1] += result.steps
        row[2] += result.steps - result.equal_steps
        row[3] += not result.exact
        for kind, n in result.steps_by_kind.items():
            by_kind.setdefault(kind, [0, 0])[0] += n
        for step in {(m.step, m.kind) for m in result.mismatches}:
            by_kind.setdefault(step[1], [0, 0])[1] += 1
        for m in result.mismatches:
            by_key[m.key] = by_key.get(m.key, 0) + 1
            firsts.setdefault((m.kind, m.key, m.command.split(" ")[0]), (result, m))
    total = [sum(r[i] for r in by_family.values()) for i in range(4)]
    refused: dict[str, int] = {}
    for _, result in results:
        for kind, n in result.refused.items():
            refused[kind] = refused.get(kind, 0) + n
    print(f"\n{total[0]} games, {total[1]} steps ({sum(refused.values())} refused by the env: equal by construction), {total[2]} steps "
          f"with a difference, {total[3]} games not exact ({len(errors)} failed to generate; {seconds:.0f} s)")
    print("\n| family | games | steps | steps with a difference | games not exact |\n|---|---:|---:|---:|---:|")
    for family, row in sorted(by_family.items()):
        print(f"| {family} | {row[0]} | {row[1]} | {row[2]} | {row[3]} |")
    print(f"| all | {total[0]} | {total[1]} | {total[2]} | {total[3]} |")
    print("\n| command kind | steps | refused by the env | steps with a difference |\n|---|---:|---:|---:|")
    for kind, (n, bad) in sorted(by_kind.items(), key=lambda kv: -kv[1][0]):
        print(f"| {kind} | {n} | {refused.get(kind, 0)} | {bad} |")
    if by_key:
        print("\ndifferences by key: " + ", ".join(f"{k} {n}" for k, n in sorted(by_key.items(), key=lambda kv: -kv[1])))
    for result, m in list(firsts.values())[:show]:
        print(f"\n{m.kind} {m.command!r} ({m.key}, step {m.step} of {result.game_file}):\n  native:    {m.native!r}\n"
              f"  reference: {m.reference!r}\n  replay: {_replay_command(result.game_file, m.commands)}")
    for error in errors[:show]:
        print(error)


if __name__ == "__main__":
    sys.exit(main())
