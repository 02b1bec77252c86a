"""Generated households in the on-disk cache, and the game file of any ALFWorld task.

A household lives at ``<cache>/alfworld/<knobs slug>-<hash>/s<seed>/`` (``game.tw-pddl``
and ``traj_data.json``, the layout of an ALFWorld trial folder). It is written in a
private temporary folder under a file lock and renamed into place, so a reader never
sees half a game and two processes never write the same one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from ..cache import cache_root, file_lock
from ..tasks import TaskSpec
from .knobs import ALFWorldKnobs

GAME_FILE = "game.tw-pddl"
TRAJ_FILE = "traj_data.json"
#: Bumped whenever the generator's output for a (knobs, seed) changes.
GENERATOR_VERSION = 1


def household_dir(knobs: ALFWorldKnobs, seed: int, cache_dir: str | os.PathLike | None = None) -> Path:
    """The folder of the household (knobs, seed) in the cache (it may not exist yet)."""
    key = json.dumps({"params": knobs.to_params(), "generator": GENERATOR_VERSION}, sort_keys=True)
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    return cache_root(cache_dir) / "alfworld" / f"{knobs.slug()}-{digest}" / f"s{seed}"


def game_file_of(path: str | os.PathLike) -> Path:
    """The ``game.tw-pddl`` of a game file or of a trial folder holding one."""
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / GAME_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"ALFWorld game {str(path)!r} does not exist (give a game.tw-pddl file or a trial folder that holds one)"
        )
    return path


def ensure_game(task: TaskSpec, cache_dir: str | os.PathLike | None = None) -> Path:
    """The ``game.tw-pddl`` of ``task``: its own game file, or the cached household,
    generated if missing."""
    if task.game_file is not None:
        return game_file_of(task.game_file)
    from .households import generate_household, write_game

    knobs = ALFWorldKnobs.from_params(task.params)
    folder = household_dir(knobs, task.seed, cache_dir)
    game_file = folder / GAME_FILE
    if game_file.is_file():
        return game_file
    folder.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(folder.with_suffix(".lock")):
        if not game_file.is_file():
            with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".tmp-") as tmp:
                write_game(generate_household(knobs, task.seed), Path(tmp) / "game")
                if folder.exists():  # a half-written folder from a killed process
                    shutil.rmtree(folder)
                os.replace(Path(tmp) / "game", folder)
    return game_file
