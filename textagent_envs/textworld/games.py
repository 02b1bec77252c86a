"""Generating TextWorld games for tasks, and keeping them in the on-disk cache.

A game is keyed by family, knobs, seed and the textworld version, and lives at
``<cache>/textworld/<family>/<knobs slug>-<hash>/s<seed>.z8`` with its ``.json`` beside
it. The native backend needs only the ``.json`` (no Inform 7 compile), so
``ensure_game(task, backend="native")`` writes just that, and hands the ``Game`` object it
generated to the native backend in the same process (:func:`take_generated`). Two processes that need the same game at once are serialised by a file lock; the
game is compiled in a private temporary folder and moved into place, the ``.z8`` last,
so a reader never sees half a game.
"""

from __future__ import annotations

import functools
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


@functools.cache  # reading package metadata costs ~1.5 ms, and every reset names its game file
def _textworld_version() -> str:
    from importlib.metadata import version

    return version("textworld")


def game_path(family: str, knobs: Knobs, seed: int, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where the game for (family, knobs, seed) is cached (it may not exist yet)."""
    knobs = knobs.canonical()
    key = json.dumps({"family": family, "params": knobs.to_params(), "textworld": _textworld_version()}, sort_keys=True)
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    return cache_root(cache_dir) / "textworld" / family / f"{knobs.slug()}-{digest}" / f"s{seed}.z8"


#: Games generated in this process for the native backend, by ``.json`` path, so that
#: playing one right after generating it skips parsing it back (at most a few kept).
_GENERATED: dict[str, object] = {}
_GENERATED_KEPT = 8


def ensure_game(task: TaskSpec, cache_dir: str | os.PathLike | None = None, backend: str = "inform7") -> Path:
    """The game file of ``task``: its own game file, or the cached game, generated if
    missing. ``backend="inform7"`` needs the compiled ``.z8`` (returned, its ``.json``
    beside it); ``backend="native"`` needs only the ``.json`` (returned; no compile)."""
    if backend not in ("inform7", "native"):
        raise ValueError(f"backend must be 'inform7' or 'native', got {backend!r}")
    if task.game_file is not None:
        path = Path(task.game_file)
        if not path.is_file():
            raise FileNotFoundError(f"game file {task.game_file!r} of task {task.id!r} does not exist")
        if backend == "native" and not path.with_suffix(".json").is_file():
            raise FileNotFoundError(f"the native backend plays a game from its .json, and {path.with_suffix('.json')} does not exist")
        return path
    knobs = family_knobs(task.family).from_params(task.params)
    path = game_path(task.family, knobs, task.seed, cache_dir)
    wanted = path if backend == "inform7" else path.with_suffix(".json")
    if wanted.is_file():
        return wanted
    with file_lock(path.with_suffix(".lock")):
        if not wanted.is_file():  # another process may have made it while we waited
            if backend == "inform7":
                generate_game(knobs, task.seed, path)
            else:
                generate_game_data(knobs, task.seed, wanted)
    return wanted


def take_generated(json_file: str | os.PathLike):
    """The ``Game`` object this process generated into ``json_file``, if it still holds
    it (each is handed out once), else None."""
    return _GENERATED.pop(str(json_file), None)


def share_knowledge_bases() -> None:
    """Parse each TextWorld knowledge base (the game logic) once per process.

    textworld re-parses the logic files with its grammar parser for every tw-cooking game
    it makes (about 1.2 s of a 2 s generation) and for every ``Game.load`` (0.2-0.6 s).
    The parsed knowledge base is read-only afterwards, so this makes
    ``KnowledgeBase.load`` and ``KnowledgeBase.deserialize`` return the object parsed
    the first time for the same files or the same serialized logic. Idempotent.
    """
    from textworld.generator.data import KnowledgeBase

    if getattr(KnowledgeBase, "_textagent_shared", False):
        return
    load, deserialize = KnowledgeBase.load.__func__, KnowledgeBase.deserialize.__func__
    parsed: dict = {}

    def shared_load(cls, target_dir=None, logic_path=None, grammar_path=None):
        key = ("load", cls, target_dir, logic_path, grammar_path)
        if key not in parsed:
            parsed[key] = load(cls, target_dir, logic_path, grammar_path)
        return parsed[key]

    def shared_deserialize(cls, data):
        key = ("data", cls, str(data["logic"]), data["text_grammars_path"])
        if key not in parsed:
            parsed[key] = deserialize(cls, data)
        return parsed[key]

    KnowledgeBase.load = classmethod(shared_load)
    KnowledgeBase.deserialize = classmethod(shared_deserialize)
    KnowledgeBase._textagent_shared = True


def _make(knobs: Knobs, seed: int, options):
    from textworld.generator import QuestGenerationError

    share_knowledge_bases()

    try:
        with warnings.catch_warnings():  # compiling checks the walkthrough on a test build that Jericho warns about
            warnings.simplefilter("ignore")
            return knobs.make_game(options)
    except QuestGenerationError as err:
        raise GameGenerationError(
            f"TextWorld found no quest for {knobs.family} {knobs.to_params()} with seed {seed}: {err}. "
            "Try another seed or relax the knobs (a shorter quest, more rooms or objects)."
        ) from None
    except ValueError as err:  # TextWorld's own limits (e.g. at most 100 rooms)
        raise GameGenerationError(f"TextWorld cannot make {knobs.family} {knobs.to_params()} with seed {seed}: {err}") from None


def make_game_object(knobs: Knobs, seed: int):
    """The ``textworld`` ``Game`` for (knobs, seed), in memory: nothing written, nothing
    compiled (what the native backend plays; the same game ``tw-make`` makes)."""
    import textworld

    from .native.walkthrough import native_walkthroughs

    options = textworld.GameOptions()
    options.seeds = seed
    with native_walkthroughs():  # the generators would compile the game to record its walkthrough
        return _make(knobs, seed, options)


def generate_game_data(knobs: Knobs, seed: int, path: Path) -> Path:
    """Generate the game for (knobs, seed) and write only its ``.json`` to ``path``."""
    game = make_game_object(knobs, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".tmp-", suffix=".json", delete=False) as handle:
        json.dump(game.serialize(), handle)
    os.replace(handle.name, path)
    _GENERATED[str(path)] = game
    while len(_GENERATED) > _GENERATED_KEPT:
        _GENERATED.pop(next(iter(_GENERATED)))
    return path


def generate_game(knobs: Knobs, seed: int, path: Path) -> Path:
    """Generate and compile the game for (knobs, seed) into ``path`` (a ``.z8``) and its ``.json``."""
    import textworld
    import textworld.generator

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".tmp-") as tmp:
        options = textworld.GameOptions()
        options.seeds = seed
        options.path = os.path.join(tmp, path.name)
        options.file_ext = ".z8"
        options.force_recompile = True
        game = _make(knobs, seed, options)
        try:
            with warnings.catch_warnings():  # compiling checks the walkthrough on a test build that Jericho warns about
                warnings.simplefilter("ignore")
                compiled = Path(textworld.generator.compile_game(game, options))
        except ValueError as err:  # TextWorld's own limits (e.g. at most 100 rooms)
            raise GameGenerationError(f"TextWorld cannot make {knobs.family} {knobs.to_params()} with seed {seed}: {err}") from None
        shutil.move(str(compiled.with_suffix(".json")), str(path.with_suffix(".json")))
        shutil.move(str(compiled), str(path))
    return path
