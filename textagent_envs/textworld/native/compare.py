"""Playing the native backend and the Inform 7 reference side by side.

:func:`compare_game` plays one compiled game (a ``.z8`` with its ``.json``) through both
backends with the same commands (the walkthrough, then random admissible commands,
then random commands that are mostly invalid) and returns every step where they
disagree. The equivalence tests and ``python -m textagent_envs.textworld.native.compare``
(a larger sweep whose numbers are in docs/textworld/native.md) both use it.

State fields compared at every step: score, max score, won, lost, moves, location,
inventory (its text, normalised) and the set of admissible commands; any difference is a
state mismatch. The feedback and the room description are compared after
:func:`normalise`: the share of steps with equal feedback is the text agreement.
"""

from __future__ import annotations

import argparse
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from ... import infos

#: The infos both backends are asked for.
REQUESTED = (infos.ADMISSIBLE_COMMANDS, infos.DESCRIPTION, infos.INVENTORY, infos.LOCATION)
STATE_KEYS = (infos.SCORE, infos.WON, infos.LOST, infos.MOVES, infos.LOCATION, infos.MAX_SCORE)

_INVALID_VERBS = ("take", "drop", "open", "close", "eat", "examine", "unlock {} with", "put {} on", "insert {} into",
                  "lock {} with", "cook {} with", "slice {} with", "drink", "go")
# Commands that are never admissible. Bare verbs ("open", "examine") are left out: Inform 7
# sometimes infers their object and acts on it, which the native engine does not model.
_NONSENSE = ("xyzzy", "jump", "take all", "go northeast", "look at the ceiling", "sing", "wait",
             "inventory please", "go up", "north", "s", "i", "l", "prepare meal", "goal")


def normalise(text: str) -> str:
    """Text compared for agreement: whitespace runs collapsed, ends stripped."""
    return re.sub(r"\s+", " ", text or "").strip()


@dataclass
class Mismatch:
    """One disagreement: at ``step`` (0 = reset), after ``command``, on ``key``."""

    step: int
    command: str
    key: str
    native: Any
    reference: Any
    #: The command was admissible in the state it was played in (or it is the reset).
    admissible: bool = True


@dataclass
class Comparison:
    """The result of :func:`compare_game` on one game."""

    game_file: str
    steps: int = 0
    text_equal: int = 0
    state_mismatches: list[Mismatch] = field(default_factory=list)
    text_mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def text_agreement(self) -> float:
        return self.text_equal / max(1, self.steps)


def _random_commands(names: Sequence[str], rng: random.Random) -> str:
    if rng.random() < 0.3 or not names:
        return rng.choice(_NONSENSE)
    verb = rng.choice(_INVALID_VERBS)
    noun = rng.choice(names)
    if verb == "go":
        return "go " + rng.choice(("north", "south", "east", "west"))
    if "{}" in verb:
        return verb.format(noun) + " " + rng.choice(names)
    return f"{verb} {noun}"


def compare_game(game_file: str | Path, *, seed: int = 0, n_random: int = 40, reference=None, native=None) -> Comparison:
    """Play ``game_file`` through both backends and compare them step by step (see the
    module docstring). ``reference`` / ``native`` are backends to reuse."""
    from ..backend import JerichoBackend
    from .backend import NativeBackend

    game_file = str(game_file)
    reference = reference or JerichoBackend(extra_infos=REQUESTED)
    native = native or NativeBackend(extra_infos=REQUESTED)
    reference.load(game_file)
    native.load(game_file)
    names = native.entity_names()
    rng = random.Random(seed)
    result = Comparison(game_file)

    def check(command: str, ref: dict, nat: dict, admissible: bool = True) -> None:
        step = result.steps
        result.steps += 1
        for key in STATE_KEYS:
            if ref[key] != nat[key]:
                result.state_mismatches.append(Mismatch(step, command, key, nat[key], ref[key]))
        if sorted(ref[infos.ADMISSIBLE_COMMANDS]) != sorted(nat[infos.ADMISSIBLE_COMMANDS]):
            result.state_mismatches.append(Mismatch(step, command, infos.ADMISSIBLE_COMMANDS,
                                                    sorted(nat[infos.ADMISSIBLE_COMMANDS]), sorted(ref[infos.ADMISSIBLE_COMMANDS])))
        if normalise(ref[infos.INVENTORY]) != normalise(nat[infos.INVENTORY]):
            result.state_mismatches.append(Mismatch(step, command, infos.INVENTORY, nat[infos.INVENTORY], ref[infos.INVENTORY]))
        if normalise(ref["feedback"]) == normalise(nat["feedback"]):
            result.text_equal += 1
        else:
            result.text_mismatches.append(Mismatch(step, command, "feedback", nat["feedback"], ref["feedback"], admissible))
        if normalise(ref[infos.DESCRIPTION]) != normalise(nat[infos.DESCRIPTION]):
            result.text_mismatches.append(
                Mismatch(step, command, infos.DESCRIPTION, nat[infos.DESCRIPTION], ref[infos.DESCRIPTION], admissible)
            )

    def episode(commands: Iterable) -> None:
        ref, nat = reference.reset(), native.reset()
        check("<reset>", ref, nat)
        for command in commands:
            if callable(command):
                command = command(ref)
            admissible = command in ref[infos.ADMISSIBLE_COMMANDS]
            ref, nat = reference.step(command), native.step(command)
            check(command, ref, nat, admissible)
            if ref[infos.WON] or ref[infos.LOST]:
                break

    ref0 = reference.reset()
    episode(list(ref0[infos.WALKTHROUGH]))

    def admissible(state: dict) -> str:
        return rng.choice(sorted(state[infos.ADMISSIBLE_COMMANDS]))

    plan: list = []
    for _ in range(n_random):
        plan.append(admissible if rng.random() < 0.75 else _random_commands(names, rng))
    episode(plan)
    return result



#: Knob settings of the documented sweep (``--sweep N`` plays seeds 1..N of each).
SWEEP_SETTINGS = [
    ("tw-custom", {"world_size": 1, "nb_objects": 2, "quest_length": 2}),
    ("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}),
    ("tw-custom", {"world_size": 4, "nb_objects": 6, "quest_length": 8}),
    ("tw-custom", {"world_size": 8, "nb_objects": 12, "quest_length": 4}),
    ("tw-simple", {"rewards": "dense", "goal": "detailed"}),
    ("tw-simple", {"rewards": "sparse", "goal": "none", "test": True}),
    ("tw-cooking", {"level": 1}),
    ("tw-cooking", {"level": 3}),
    ("tw-cooking", {"level": 5}),
    ("tw-cooking", {"level": 7}),
    ("tw-coin_collector", {"level": 5}),
    ("tw-coin_collector", {"level": 30}),
    ("tw-treasure_hunter", {"level": 5}),
    ("tw-treasure_hunter", {"level": 15}),
    ("tw-treasure_hunter", {"level": 22}),
]


def sweep_games(n_seeds: int) -> list[str]:
    """Game files of :data:`SWEEP_SETTINGS` for seeds 1..n_seeds (generated if needed)."""
    from ..families import family_knobs
    from ..games import GameGenerationError, ensure_game

    files = []
    for family, params in SWEEP_SETTINGS:
        knobs = family_knobs(family).from_params(params)
        for seed in range(1, n_seeds + 1):
            try:
                files.append(str(ensure_game(knobs.task(seed))))
            except GameGenerationError:
                continue
    return files


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("games", nargs="*", help=".z8 game files (their .json beside them)")
    parser.add_argument("--sweep", type=int, default=0, metavar="N",
                        help="also play seeds 1..N of every setting in SWEEP_SETTINGS (all families)")
    parser.add_argument("--random-steps", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=5, help="mismatches to print per game")
    args = parser.parse_args(argv)
    games = list(args.games) + (sweep_games(args.sweep) if args.sweep else [])
    if not games:
        parser.error("give game files or --sweep N")
    steps = equal = states = 0
    by_family: dict[str, list[int]] = {}
    for game in games:
        result = compare_game(game, seed=args.seed, n_random=args.random_steps)
        steps += result.steps
        equal += result.text_equal
        states += len(result.state_mismatches)
        family = Path(game).parts[-3] if len(Path(game).parts) >= 3 else "?"
        counts = by_family.setdefault(family, [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += result.steps
        counts[2] += result.text_equal
        counts[3] += len(result.state_mismatches)
        print(f"{game}: {result.steps} steps, text {result.text_agreement:.1%}, state mismatches {len(result.state_mismatches)}")
        for m in (result.state_mismatches + result.text_mismatches)[: args.show]:
            print(f"  step {m.step} {m.command!r} {m.key}:\n    native:    {m.native!r}\n    reference: {m.reference!r}")
    print("\n| family | games | steps | text agreement | state mismatches |\n|---|---:|---:|---:|---:|")
    for family, (n, family_steps, family_equal, family_states) in sorted(by_family.items()):
        print(f"| {family} | {n} | {family_steps} | {family_equal / max(1, family_steps):.1%} | {family_states} |")
    print(f"| all | {len(games)} | {steps} | {equal / max(1, steps):.2%} | {states} |")


if __name__ == "__main__":
    main()
