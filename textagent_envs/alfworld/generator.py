"""The ALFWorld task generator (the :class:`~textagent_envs.curriculum.generators.TaskGenerator`
protocol), used by curricula and ``make-tasks``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..tasks import MAX_SEED, TaskSpec
from ..textworld.families import KnobError
from .knobs import FAMILY, ALFWorldKnobs


class ALFWorldGenerator:
    """Tasks of generated ALFWorld households: ``generator_for("alfworld")``.

    >>> ALFWorldGenerator().knobs(level=7)
    ALFWorldKnobs(task_type=None, nb_receptacles=30, nb_objects=30, nb_distractors=5)
    """

    family = FAMILY
    level_knobs = ("task_type",)

    @property
    def generation_errors(self) -> tuple[type[Exception], ...]:
        """A seed that makes no household is skipped by make-tasks."""
        from .households import GenerationError

        return (GenerationError,)

    def levels(self) -> range:
        return ALFWorldKnobs.levels()

    def knobs(self, params: Mapping[str, Any] | None = None, *, level: int | None = None) -> ALFWorldKnobs:
        """Knobs from params, or from ``level`` (params may then only pin ``task_type``)."""
        params = dict(params or {})
        if level is not None:
            if set(params) - {"task_type"}:
                raise KnobError(f"give either level or size knobs, not both (got level={level} and {params})")
            return ALFWorldKnobs.from_level(level, task_type=params.get("task_type"))
        return ALFWorldKnobs.from_params(params)

    def generate(self, params: Mapping[str, Any], rng: np.random.Generator) -> TaskSpec:
        return self.knobs(params).task(int(rng.integers(MAX_SEED)))

    def make_game(self, task: TaskSpec, games_dir: str | os.PathLike | None = None) -> tuple[Path, dict[str, Any]]:
        """Write the game of ``task`` (into the cache, or ``games_dir/<task id>/``) and
        measure it: ``(game.tw-pddl path, difficulty metadata)``."""
        from .data import read_traj
        from .engine import AlfredGame, load_game_data
        from .games import GAME_FILE, ensure_game
        from .households import generate_household, write_game
        from .progress import Progress

        if games_dir is None:
            path = ensure_game(task)
        else:
            path = Path(games_dir) / task.id / GAME_FILE
            if not path.is_file():
                write_game(generate_household(self.knobs(task.params), task.seed), path.parent)
        game = AlfredGame(load_game_data(path))
        traj = read_traj(path) or {}
        metadata = {
            "walkthrough_length": len(game.walkthrough),
            "task_type": traj.get("task_type", ""),
            "nb_receptacles": len(game.recep_loc),
            "nb_objects": len(game.flag["pickupable"]),
            "max_score": Progress(game, traj).max_score,
        }
        return path, metadata
