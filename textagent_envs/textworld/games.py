"""Generating TextWorld games for tasks, and keeping them in the on-disk cache.

A game is keyed by family, knobs, seed and the textworld version, and lives at
``<cache>/textworld/<family>/<knobs slug>-<hash>/s<seed>.z8`` with its ``.json`` beside
it. Two processes that need the same game at once are serialised by a file lock; the
game is compiled in a private temporary folder and moved into place, the ``.z8`` last,
so a reader never sees half a game.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from ..cache import cache_root, file_lock
from ..tasks import TaskSpec
from .families import Knobs, family_knobs


class GameGenerationError(RuntimeError):
    """TextWorld could not make a game for these knobs and seed."""


def _textworld_version() -> str:
    from importlib.metadata import version

    return version("textworld")


def game_path(family: str, knobs: Knobs, seed: int, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where the game for (family, knobs, seed) is cached (it may not exist yet)."""
    knobs = knobs.canonical()
    key = json.dumps({"family": family, "params": knobs.to_params(), "textworld": _textworld_version()}, sort_keys=True)
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    return cache_root(cache_dir) / "textworld" / family / f"{knobs.slug()}-{digest}" / f"s{seed}.z8"


def ensure_game(task: TaskSpec, cache_dir: str | os.PathLike | None = None) -> Path:
    """The ``.z8`` file of ``task``: its own game file, or the cached game, generated if missing."""
    if task.game_file is not None:
        path = Path(task.game_file)
        if not path.is_file():
            raise FileNotFoundError(f"game file {task.game_file!r} of task {task.id!r} does not exist")
        return path
    knobs = family_knobs(task.family).from_params(task.params)
    path = game_path(task.family, knobs, task.seed, cache_dir)
    if path.is_file():
        return path
    with file_lock(path.with_suffix(".lock")):
        if not path.is_file():  # another process may have made it while we waited
            generate_game(knobs, task.seed, path)
    return path


def generate_game(knobs: Knobs, seed: int, path: Path) -> Path:
    """Generate and compile the game for (knobs, seed) into ``path`` (a ``.z8``) and its ``.json``."""
    import textworld
    import textworld.generator
    from textworld.generator import QuestGenerationError

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".tmp-") as tmp:
        options = textworld.GameOptions()
        options.seeds = seed
        options.path = os.path.join(tmp, path.name)
        options.file_ext = ".z8"
        options.force_recompile = True
        try:
            with warnings.catch_warnings():  # compiling checks the walkthrough on a test build that Jericho warns about
                warnings.simplefilter("ignore")
                game = knobs.make_game(options)
                compiled = Path(textworld.generator.compile_game(game, options))
        except QuestGenerationError as err:
            raise GameGenerationError(
                f"TextWorld found no quest for {knobs.family} {knobs.to_params()} with seed {seed}: {err}. "
                "Try another seed or relax the knobs (a shorter quest, more rooms or objects)."
            ) from None
        except ValueError as err:  # TextWorld's own limits (e.g. at most 100 rooms)
            raise GameGenerationError(f"TextWorld cannot make {knobs.family} {knobs.to_params()} with seed {seed}: {err}") from None
        shutil.move(str(compiled.with_suffix(".json")), str(path.with_suffix(".json")))
        shutil.move(str(compiled), str(path))
    return path
