"""The SWE-Mini task generator (:class:`~textagent_envs.tasksets.generators.TaskGenerator`):
``generator_for("swe-mini")``. A task's "game" is its folder (``task.json`` and the buggy
``repo/``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..tasks import TaskSpec
from ..tasksets.generators import TaskGenerator
from .knobs import FAMILY


class SWEMiniGenerator(TaskGenerator):
    """SWE-Mini bug-fixing tasks (``swe-mini``).

    >>> SWEMiniGenerator().knobs(level=3)
    MiniKnobs(repo='calckit', nb_bugs=2, kinds=('operator_swap', 'comparison_swap', 'off_by_one', 'boolean_swap', 'dropped_branch'))
    """

    group = "swe"
    family = FAMILY

    def make_game(self, task: TaskSpec, games_dir: str | os.PathLike | None = None) -> tuple[Path, dict[str, Any]]:
        """Write the task's folder (into the cache, or ``games_dir/<task id>/``) and describe it."""
        from .mini import ensure_task

        made = ensure_task(task, None) if games_dir is None else ensure_task(task, folder=Path(games_dir) / task.id)
        metadata = {
            "nb_fail_to_pass": len(made.FAIL_TO_PASS), "nb_pass_to_pass": len(made.PASS_TO_PASS),
            "nb_files_with_bugs": len({m.file for m in made.mutations}), "walkthrough_length": len(made.walkthrough),
            "bugs": [m.describe() for m in made.mutations],
        }
        return made.workspace.parent, metadata
