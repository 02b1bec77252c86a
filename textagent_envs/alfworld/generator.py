"""The ALFWorld task generator (:class:`~textagent_envs.tasksets.generators.TaskGenerator`),
used by curricula and ``make-tasks``: ``generator_for("alfworld")``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..tasks import TaskSpec
from ..tasksets.generators import TaskGenerator
from .knobs import FAMILY


class ALFWorldGenerator(TaskGenerator):
    """Tasks of generated ALFWorld households: ``generator_for("alfworld")``.

    >>> ALFWorldGenerator().knobs(level=7)
    ALFWorldKnobs(task_type=None, nb_receptacles=30, nb_objects=30, nb_distractors=5)
    """

    group = "alfworld"
    family = FAMILY

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
