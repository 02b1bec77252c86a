"""Task generators: ``generate(params, rng) -> TaskSpec`` for each family.

A generator turns a family's knobs (or a difficulty ``level``) and a random generator
into a task; the game itself is generated when the task is first played (or by
``make-tasks``). Curricula and task-set builders use only this protocol, so a new family
plugs in by registering a generator.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Protocol

import numpy as np

from ..tasks import MAX_SEED, TaskSpec
from ..textworld.families import FAMILIES, Knobs, KnobError


class TaskGenerator(Protocol):
    family: str
    #: Knobs that may be given together with a level (e.g. an ALFWorld task type); optional.
    level_knobs: tuple[str, ...]
    #: Exceptions meaning "this seed makes no task" (make-tasks skips the seed).
    generation_errors: tuple[type[Exception], ...]

    def levels(self) -> range:
        """Difficulty levels, 1 = easiest."""

    def knobs(self, params: Mapping[str, Any] | None = None, *, level: int | None = None) -> Knobs:
        """Validated knobs from params or from a level."""

    def generate(self, params: Mapping[str, Any], rng: np.random.Generator) -> TaskSpec:
        """A task with these knobs and a seed drawn from ``rng``."""

    def make_game(self, task: TaskSpec, games_dir: str | os.PathLike | None = None) -> tuple[Path, dict[str, Any]]:
        """Generate the task's game (into the cache, or into ``games_dir`` when given):
        ``(its path, difficulty metadata)``."""


class TextWorldGenerator:
    """Tasks of one TextWorld family (``tw-custom``, ``tw-simple``, ...)."""

    def __init__(self, family: str):
        if family not in FAMILIES:
            raise KnobError(f"unknown family {family!r}; known: {sorted(FAMILIES)}")
        self.family = family
        self.knobs_class = FAMILIES[family]

    def levels(self) -> range:
        return self.knobs_class.levels()

    def knobs(self, params: Mapping[str, Any] | None = None, *, level: int | None = None) -> Knobs:
        if level is not None:
            if params:
                raise KnobError(f"give either level or knobs, not both (got level={level} and {dict(params)})")
            return self.knobs_class.from_level(level)
        return self.knobs_class.from_params(params or {})

    def generate(self, params: Mapping[str, Any], rng: np.random.Generator) -> TaskSpec:
        return self.knobs(params).task(int(rng.integers(MAX_SEED)))

    @property
    def generation_errors(self) -> tuple[type[Exception], ...]:
        from ..textworld.games import GameGenerationError

        return (GameGenerationError,)

    def make_game(self, task: TaskSpec, games_dir: str | os.PathLike | None = None) -> tuple[Path, dict[str, Any]]:
        from ..textworld.games import ensure_game, generate_game
        from .make_tasks import measure_difficulty

        if games_dir is None:
            path = ensure_game(task)
        else:
            path = Path(games_dir) / f"{task.id}.z8"
            if not path.is_file():
                generate_game(self.knobs(task.params), task.seed, path)
        return path, measure_difficulty(path.with_suffix(".json"))


class SWEMiniGenerator:
    """SWE-Mini bug-fixing tasks (``swe-mini``); a task's "game" is its folder
    (``task.json`` and the buggy ``repo/``)."""

    family = "swe-mini"
    level_knobs = ("repo",)

    def __init__(self) -> None:
        from ..swe.mini import MiniKnobs, TaskGenerationError

        self.knobs_class = MiniKnobs
        self.generation_errors = (TaskGenerationError,)

    def levels(self) -> range:
        return self.knobs_class.levels()

    def knobs(self, params: Mapping[str, Any] | None = None, *, level: int | None = None):
        params = dict(params or {})
        try:
            if level is not None:
                if set(params) - {"repo"}:
                    raise KnobError(f"give either level or knobs, not both (got level={level} and {params})")
                return self.knobs_class.from_level(level, **params)
            return self.knobs_class.from_params(params)
        except (TypeError, ValueError) as err:
            raise KnobError(str(err)) from None

    def generate(self, params: Mapping[str, Any], rng: np.random.Generator) -> TaskSpec:
        return self.knobs(params).task(int(rng.integers(MAX_SEED)))

    def make_game(self, task: TaskSpec, games_dir: str | os.PathLike | None = None) -> tuple[Path, dict[str, Any]]:
        from ..swe.mini import ensure_task

        made = ensure_task(task, None) if games_dir is None else ensure_task(task, folder=Path(games_dir) / task.id)
        metadata = {
            "nb_fail_to_pass": len(made.FAIL_TO_PASS), "nb_pass_to_pass": len(made.PASS_TO_PASS),
            "nb_files_with_bugs": len({m.file for m in made.mutations}), "walkthrough_length": len(made.walkthrough),
            "bugs": [m.describe() for m in made.mutations],
        }
        return made.workspace.parent, metadata


def generator_for(family: str) -> TaskGenerator:
    """The generator of ``family``."""
    if family == SWEMiniGenerator.family:
        return SWEMiniGenerator()
    if family == "alfworld":  # ALFWorld households (they also make their own games: make_game)
        from ..alfworld.generator import ALFWorldGenerator

        return ALFWorldGenerator()
    return TextWorldGenerator(family)
