"""Helpers shared by the ALFWorld tests: generated games and the reference engine."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from textagent_envs.alfworld.households import generate_household, write_game
from textagent_envs.alfworld.knobs import ALFWorldKnobs

_LIST = re.compile(r"(you see )([^.]*)")


def make_game(folder: Path, task_type: str | None, seed: int, receptacles: int = 4, objects: int = 4, distractors: int = 1) -> Path:
    """Write a generated household into ``folder``; its game.tw-pddl path."""
    knobs = ALFWorldKnobs(task_type=task_type, nb_receptacles=receptacles, nb_objects=objects, nb_distractors=distractors)
    return write_game(generate_household(knobs, seed), folder)


def unordered(text: str) -> str:
    """Reply text with each 'you see ...' list sorted: textworld's PddlEnv takes list
    order from a hash set, so only the items, not their order, are comparable."""
    return _LIST.sub(lambda m: m.group(1) + " | ".join(sorted(m.group(2).replace(", and ", ", ").split(", "))), text)


def start_pddl(game_file: Path, **asked):
    """alfworld's own engine on ``game_file``, as ALFWorld plays it."""
    import textworld
    from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos

    request = textworld.EnvInfos(feedback=True, won=True, moves=True, admissible_commands=True, **asked)
    return textworld.start(str(game_file), request_infos=request, wrappers=[AlfredDemangler(), AlfredInfos])


def copy_trial(game_file: Path, trial: Path) -> Path:
    """Copy a generated trial folder (game.tw-pddl + traj_data.json) to ``trial``."""
    trial.mkdir(parents=True)
    for name in ("game.tw-pddl", "traj_data.json"):
        shutil.copy(game_file.parent / name, trial / name)
    return trial / "game.tw-pddl"
