"""Generated households in the on-disk cache, and the game file of any ALFWorld task.

A household lives at ``<cache>/alfworld/<knobs slug>-<hash>/s<seed>/`` (``game.tw-pddl``
and ``traj_data.json``, the layout of an ALFWorld trial folder). It is written in a
private temporary folder under a file lock and renamed into place, so a reader never
sees half a game and two processes never write the same one. A cached household whose
files are broken (emptied, truncated, overwritten, a folder in a file's place) is logged,
deleted and generated again; a broken game the user named is a
:class:`~textagent_envs.alfworld.engine.GameFileError` naming the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from ..cache import cache_root, file_lock
from ..tasks import TaskSpec
from .engine import GameFileError, open_game
from .knobs import ALFWorldKnobs

logger = logging.getLogger(__name__)

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
        game_file = game_file_of(task.game_file)
        problem = household_problem(game_file.parent, game_file)
        if problem is not None:
            raise GameFileError(f"ALFWorld game {str(game_file)!r} of task {task.id!r} cannot be played: {problem}")
        return game_file
    from .households import generate_household, write_game

    knobs = ALFWorldKnobs.from_params(task.params)
    folder = household_dir(knobs, task.seed, cache_dir)
    game_file = folder / GAME_FILE
    if game_file.is_file() and household_problem(folder) is None:
        return game_file
    folder.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(folder.with_suffix(".lock")):
        problem = household_problem(folder)  # another process may have made it while we waited
        if problem is not None:
            if folder.exists() or folder.is_symlink():
                logger.warning("cached ALFWorld household %s is broken (%s); generating it again", folder, problem)
            with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".tmp-") as tmp:
                write_game(generate_household(knobs, task.seed), Path(tmp) / "game")
                if folder.is_dir() and not folder.is_symlink():  # broken, or half-written by a killed process
                    shutil.rmtree(folder)
                elif folder.exists() or folder.is_symlink():
                    folder.unlink()
                os.replace(Path(tmp) / "game", folder)
    return game_file


def discard_household(folder: Path, reason: str) -> None:
    """Log that the cached household in ``folder`` is broken and delete it, so the next
    :func:`ensure_game` generates it again."""
    logger.warning("cached ALFWorld household %s is broken (%s); generating it again", folder, reason)
    shutil.rmtree(folder, ignore_errors=True)


#: Households already found sound, by their files' (path, size, modification time).
_CHECKED: set[tuple] = set()


def household_problem(folder: Path, game_file: Path | None = None) -> str | None:
    """What is wrong with the household in ``folder`` (its ``game.tw-pddl``, or
    ``game_file``, and its ``traj_data.json`` if any), or None if it can be played."""
    game_file = game_file or folder / GAME_FILE
    traj = game_file.with_name(TRAJ_FILE)
    if not folder.is_dir():
        return "it is not a folder" if folder.exists() else "it does not exist"
    for path in (game_file, traj):
        if path.is_dir():
            return f"{path.name} is a folder, not a file"
    if not game_file.is_file():
        return f"{GAME_FILE} does not exist"
    key = tuple((str(p.absolute()), p.stat().st_size, p.stat().st_mtime_ns) for p in (game_file, traj) if p.is_file())
    if key in _CHECKED:
        return None
    try:
        open_game(game_file)
    except GameFileError as err:
        return str(err)
    if traj.is_file():
        try:
            json.loads(traj.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            return f"{TRAJ_FILE} is not valid JSON ({err})"
    _CHECKED.add(key)
    return None
