"""Generating TextWorld games for tasks, and keeping them in the on-disk cache.

A game is keyed by family, knobs, seed and the textworld version, and lives at
``<cache>/textworld/<family>/<knobs slug>-<hash>/s<seed>.z8`` with its ``.json`` beside
it. The native backend needs only the ``.json`` (no Inform 7 compile), so
``ensure_game(task, engine="native")`` writes just that, and hands the ``Game`` object it
generated to the native backend in the same process (:func:`take_generated`). Two processes that need the same game at once are serialised by a file lock; the
game is compiled in a private temporary folder and moved into place, the ``.z8`` last,
so a reader never sees half a game.

A cached game is checked before it is used (:func:`game_file_problem`: the ``.json``
parses and holds a game, the ``.z8`` has a valid Z-machine header and checksum); a
broken one (emptied, truncated, overwritten, a folder in its place) is logged, deleted
and generated again. A broken game file that the user named is an error
(:class:`GameFileError`) that names the file and what is wrong: it is never handed to
the interpreter, whose C code would end the whole process.

TextWorld's generator, grammar parser and knowledge base are module-level state that is
not thread-safe, so generating or loading a game holds :data:`TEXTWORLD_LOCK` (one per
process): envs can be made and reset from many threads at once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from ..cache import cache_root, file_lock
from ..knobs import GenerationError
from ..progress import waiting
from ..tasks import TaskSpec
from .families import Knobs, family_knobs
# The process-wide TextWorld state lives in .shared (the native backend needs it without
# this module); it is re-exported here, where it was defined before.
from .shared import _GENERATED, _GENERATED_KEPT, TEXTWORLD_LOCK, engine_argument, share_knowledge_bases, take_generated  # noqa: F401


logger = logging.getLogger(__name__)



class GameGenerationError(GenerationError):
    """TextWorld could not make a game for these knobs and seed (a ``RuntimeError``)."""


class GameFileError(ValueError):
    """A game file that cannot be played; the message names it and says what is wrong."""


#: Keys every serialized TextWorld game holds (``Game.serialize``).
_GAME_KEYS = ("world", "quests", "infos", "KB")
#: Files already found sound, by (path, size, modification time): checked once.
_CHECKED: set[tuple] = set()


def _z_machine_problem(path: Path) -> str | None:
    data = path.read_bytes()
    if len(data) < 64:
        return f"it is {len(data)} bytes long, too short for a Z-machine story file"
    version = data[0]
    if not 1 <= version <= 8:
        return f"it does not start with a Z-machine header (version byte {version})"
    scale = 2 if version <= 3 else 4 if version <= 5 else 8
    length = int.from_bytes(data[0x1A:0x1C], "big") * scale
    if length and length > len(data):
        return f"it is truncated ({len(data)} bytes; its header says {length})"
    checksum = int.from_bytes(data[0x1C:0x1E], "big")
    if checksum and length and sum(data[0x40:length]) & 0xFFFF != checksum:
        return "its checksum does not match its contents (the file is damaged)"
    return None


def _json_problem(path: Path) -> str | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return "it is not text"
    except json.JSONDecodeError as err:
        return f"it is not valid JSON ({err})" if path.stat().st_size else "it is empty"
    if not isinstance(data, dict):
        return "it does not hold a TextWorld game (a JSON object)"
    missing = [key for key in _GAME_KEYS if key not in data]
    if missing:
        return f"it does not hold a TextWorld game (no {', '.join(missing)})"
    return None


def game_file_problem(path: str | os.PathLike) -> str | None:
    """What is wrong with the game file ``path`` (a ``.z8`` or a ``.json``), or None if it
    looks sound. A sound file is remembered (by size and modification time), so checking
    it again is free."""
    path = Path(path)
    if path.is_dir():
        return "it is a folder, not a file"
    if not path.is_file():
        return "it does not exist"
    stat = path.stat()
    key = (str(path.absolute()), stat.st_size, stat.st_mtime_ns)
    if key in _CHECKED:
        return None
    problem = _json_problem(path) if path.suffix == ".json" else _z_machine_problem(path)
    if problem is None:
        _CHECKED.add(key)
    return problem


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _cached_problem(z8: Path, backend: str) -> str | None:
    """What is wrong with the cached game at ``z8`` for ``backend`` (None: ready)."""
    files = (z8.with_suffix(".json"), z8) if backend == "inform7" else (z8.with_suffix(".json"),)
    for file in files:
        problem = game_file_problem(file)
        if problem is not None:
            return f"{file.name}: {problem}"
    return None


def discard_cached_game(z8: Path, reason: str) -> None:
    """Log that the cached game at ``z8`` is broken and delete its files, so the next
    :func:`ensure_game` generates it again."""
    logger.warning("cached TextWorld game %s is broken (%s); generating it again", z8, reason)
    for file in (z8, z8.with_suffix(".json")):
        _remove(file)


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


def ensure_game(
    task: TaskSpec, cache_dir: str | os.PathLike | None = None, engine: str | None = None, *, backend: str | None = None,
) -> Path:
    """The game file of ``task``: its own game file, or the cached game, generated if
    missing. ``engine="inform7"`` (the default here) needs the compiled ``.z8`` (returned,
    its ``.json`` beside it); ``engine="native"`` needs only the ``.json`` (returned; no
    compile). ``backend=`` is the old name of ``engine=`` (deprecated)."""
    backend = engine_argument(engine, backend, "inform7")
    if backend not in ("inform7", "native"):
        raise ValueError(f"engine must be 'inform7' or 'native', got {backend!r}")
    if task.game_file is not None:
        return _check_user_game(Path(task.game_file), task, backend)
    knobs = family_knobs(task.family).from_params(task.params)
    path = game_path(task.family, knobs, task.seed, cache_dir)
    wanted = path if backend == "inform7" else path.with_suffix(".json")
    if wanted.is_file() and _cached_problem(path, backend) is None:
        return wanted
    with file_lock(path.with_suffix(".lock")):
        problem = _cached_problem(path, backend)  # another process may have made it while we waited
        if problem is not None:
            if any(p.exists() or p.is_symlink() for p in (path, path.with_suffix(".json"))):
                discard_cached_game(path, problem)
            what = "generating and compiling" if backend == "inform7" else "generating"
            with waiting(f"{what} {task.id}", kind=f"{what} {task.family}"):
                if backend == "inform7":
                    generate_game(knobs, task.seed, path)
                else:
                    generate_game_data(knobs, task.seed, wanted)
    return wanted


def _check_user_game(path: Path, task: TaskSpec, backend: str) -> Path:
    """``path``, the game file a task names, if it can be played on ``backend``; else a
    clear error naming it."""
    if not path.exists() and not path.is_symlink():
        raise FileNotFoundError(f"game file {str(path)!r} of task {task.id!r} does not exist")
    if backend == "inform7" and path.suffix == ".json":
        # The native engine's game file: Inform 7 plays the compiled game beside it.
        if not path.with_suffix(".z8").is_file():
            raise GameFileError(f"game file {str(path)!r} of task {task.id!r} is the native engine's .json; engine='inform7' "
                                f"plays a compiled .z8 and there is none beside it (use engine='native', or compile the game)")
        path = path.with_suffix(".z8")
    data = path.with_suffix(".json")
    if backend == "native" and not data.is_file() and not data.is_dir():
        raise FileNotFoundError(f"the native backend plays a game from its .json, and {data} does not exist")
    files = [path] if backend == "inform7" or path.suffix == ".json" else []
    if data != path and (backend == "native" or data.exists()):
        files.append(data)
    for file in files:
        problem = game_file_problem(file)
        if problem is not None:
            raise GameFileError(f"game file {str(file)!r} of task {task.id!r} cannot be played: {problem}")
    return path


def _make(knobs: Knobs, seed: int, options):
    with TEXTWORLD_LOCK:
        return _make_locked(knobs, seed, options)


def _make_locked(knobs: Knobs, seed: int, options):
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
    with TEXTWORLD_LOCK, native_walkthroughs():  # the generators would compile the game to record its walkthrough
        return _make(knobs, seed, options)


def generate_game_data(knobs: Knobs, seed: int, path: Path) -> Path:
    """Generate the game for (knobs, seed) and write only its ``.json`` to ``path``."""
    game = make_game_object(knobs, seed)
    with TEXTWORLD_LOCK:
        serialized = game.serialize()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".tmp-", suffix=".json", delete=False) as handle:
        json.dump(serialized, handle)
    os.replace(handle.name, path)
    _GENERATED[str(path)] = game
    while len(_GENERATED) > _GENERATED_KEPT:
        _GENERATED.pop(next(iter(_GENERATED)))
    return path


def generate_game(knobs: Knobs, seed: int, path: Path) -> Path:
    """Generate and compile the game for (knobs, seed) into ``path`` (a ``.z8``) and its ``.json``."""
    with TEXTWORLD_LOCK:
        return _generate_game_locked(knobs, seed, path)


def _generate_game_locked(knobs: Knobs, seed: int, path: Path) -> Path:
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
