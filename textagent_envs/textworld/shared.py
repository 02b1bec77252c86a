"""TextWorld state shared by everything in one process: the lock around TextWorld's
non-thread-safe generator and parser, the games this process generated (handed to the
native backend once), and the knowledge bases parsed once.

Kept apart from :mod:`.games` so that the engines' backends depend on it and not on game
generation (which uses the native engine to record walkthroughs).
"""

from __future__ import annotations

import os
import threading
import warnings

#: Held while TextWorld generates, compiles or loads a game in this process (its parser,
#: grammar and knowledge-base state are shared and not thread-safe). Re-entrant.
TEXTWORLD_LOCK = threading.RLock()

#: Games generated in this process for the native backend, by ``.json`` path, so that
#: playing one right after generating it skips parsing it back (at most a few kept).
_GENERATED: dict[str, object] = {}
_GENERATED_KEPT = 8


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
    with TEXTWORLD_LOCK:
        _share_knowledge_bases()


def _share_knowledge_bases() -> None:
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


def engine_argument(engine: str | None, backend: str | None, default: str) -> str:
    """The ``engine=`` value, accepting the ``backend=`` spelling of before 0.2 with a
    ``DeprecationWarning`` (an error when both are given and differ)."""
    if backend is None:
        return default if engine is None else engine
    warnings.warn("backend= is now engine= (same values, 'inform7' or 'native'); backend= goes in the next release",
                  DeprecationWarning, stacklevel=3)
    if engine is not None and engine != backend:
        raise ValueError(f"give engine= only (backend= is its old name), got engine={engine!r} and backend={backend!r}")
    return backend
