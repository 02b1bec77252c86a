"""The TextWorld task generator (:class:`~textagent_envs.tasksets.generators.TaskGenerator`),
used by curricula and ``make-tasks``: ``generator_for("tw-custom")``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..tasks import TaskSpec
from ..tasksets.generators import TaskGenerator


class TextWorldGenerator(TaskGenerator):
    """Tasks of one TextWorld family (``tw-custom``, ``tw-simple``, ...).

    >>> TextWorldGenerator("tw-custom").knobs(level=3).slug()
    'w2-o3-q4'
    """

    group = "textworld"

    def make_game(self, task: TaskSpec, games_dir: str | os.PathLike | None = None) -> tuple[Path, dict[str, Any]]:
        """Generate the game (into the cache, or ``games_dir/<task id>.z8``) and measure it
        (:func:`~textagent_envs.textworld.difficulty.measure_difficulty`)."""
        from .difficulty import measure_difficulty
        from .games import ensure_game, generate_game

        if games_dir is None:
            path = ensure_game(task)
        else:
            path = Path(games_dir) / f"{task.id}.z8"
            if not path.is_file():
                generate_game(self.knobs(task.params), task.seed, path)
        return path, measure_difficulty(path.with_suffix(".json"))
