"""How hard a TextWorld game is, measured by searching it with the native engine.

:func:`difficulty` runs one bounded breadth-first search over the game's states (moves
are the admissible commands, as an agent sees them) and reports the optimal solution
length, the mean branching factor and the number of reachable states::

    from textagent_envs.textworld.difficulty import difficulty
    d = difficulty(TaskSpec("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}, seed=1))
    d.optimal_length, d.branching_factor, d.reachable_states

``make-tasks`` records these numbers in every TextWorld task's metadata
(:func:`measure_difficulty`, called by the TextWorld task generator).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

from ..checks import require_int

#: States visited at most, unless ``max_states`` says otherwise.
DEFAULT_MAX_STATES = 100_000
#: States the difficulty search of make-tasks visits at most per game (a few seconds).
DIFFICULTY_MAX_STATES = 20_000


@dataclass(frozen=True)
class Difficulty:
    """The result of :func:`difficulty`."""

    #: Fewest commands that win the game; None when no win lies within the bound.
    optimal_length: int | None
    #: Mean number of admissible commands over the states the search expanded.
    branching_factor: float
    #: Distinct states reached (game facts plus finished quests), at most ``max_states``.
    reachable_states: int
    #: True when the search saw every reachable state (the bound was not hit).
    exhaustive: bool
    #: The bound the search ran with.
    max_states: int

    def to_metadata(self) -> dict[str, Any]:
        """The numbers as task metadata (JSON-ready, rounded)."""
        out = asdict(self)
        out["branching_factor"] = round(self.branching_factor, 3)
        return out


def difficulty(game_or_task: Any, max_states: int = DEFAULT_MAX_STATES, cache_dir: str | os.PathLike | None = None) -> Difficulty:
    """Measure a game by breadth-first search from its start (see the module docstring).

    Args:
        game_or_task: a :class:`~textagent_envs.tasks.TaskSpec` (or its dict; its game is
            generated if needed), a game file (``.z8`` with its ``.json`` beside it, or
            the ``.json``), a ``textworld`` ``Game``, or a
            :class:`~textagent_envs.textworld.native.engine.NativeGame`.
        max_states: stop after this many distinct states (>= 1).
        cache_dir: where a task's game is generated (see :mod:`textagent_envs.cache`).
    """
    require_int("max_states", max_states, minimum=1)
    from .native.search import explore

    game = _native_game(game_or_task, cache_dir)
    start = game.get_state()
    game.reset()
    try:
        result = explore(game, max_states=max_states)
    finally:
        game.set_state(start)
    length = len(result.solution) if result.solution is not None else None
    return Difficulty(length, result.branching, result.states, result.exhaustive, max_states)


def _native_game(obj: Any, cache_dir):
    from ..tasks import TaskSpec
    from .native.backend import json_path
    from .native.engine import NativeGame

    if isinstance(obj, NativeGame):
        return obj
    if type(obj).__name__ == "Game" and hasattr(obj, "world") and hasattr(obj, "kb"):
        return NativeGame(obj)
    if isinstance(obj, (str, Path)) and Path(obj).suffix in (".z8", ".json"):
        path = json_path(obj)
        if not path.is_file():
            raise FileNotFoundError(f"difficulty needs the game's .json and {path} does not exist")
        from textworld.generator.game import Game

        return NativeGame(Game.load(str(path)))
    if isinstance(obj, (TaskSpec, Mapping)):
        from .games import ensure_game, take_generated

        task = obj if isinstance(obj, TaskSpec) else TaskSpec.from_dict(obj)
        path = ensure_game(task, cache_dir, engine="native")
        game = take_generated(json_path(path))
        if game is None:
            from textworld.generator.game import Game

            game = Game.load(str(json_path(path)))
        return NativeGame(game)
    raise TypeError(
        "difficulty() takes a TaskSpec (or its dict), a .z8/.json game file, a textworld Game or a NativeGame, "
        f"got {type(obj).__name__}: {obj!r:.80}"
    )


def measure_difficulty(game_json: str | os.PathLike) -> dict[str, Any]:
    """Difficulty facts of a generated game, as make-tasks records them: walkthrough
    length, rooms, objects, max score, and from a bounded :func:`difficulty` search
    (:data:`DIFFICULTY_MAX_STATES`) the optimal solution length, the mean branching factor
    and the reachable states."""
    import textworld

    game = textworld.Game.load(str(game_json))
    types = [info.type for info in game.infos.values()]
    facts = {
        "walkthrough_length": len(game.walkthrough or []),
        "nb_rooms": sum(t == "r" for t in types),
        "nb_objects": sum(t not in {"r", "d", "P", "I"} for t in types),
        "max_score": int(game.max_score),
    }
    measured = difficulty(game, max_states=DIFFICULTY_MAX_STATES).to_metadata()
    facts.update({
        "optimal_length": measured["optimal_length"],
        "branching_factor": measured["branching_factor"],
        "reachable_states": measured["reachable_states"],
        "reachable_states_exhaustive": measured["exhaustive"],
    })
    return facts
