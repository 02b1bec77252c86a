"""Curricula: samplers that pick each episode's difficulty level from the results fed to
them, and the wrapper that plays those levels (:class:`CurriculumWrapper`).

Task sets (splits, generators, ``make-tasks``) moved to :mod:`textagent_envs.tasksets`;
their old names here still work for one release and warn (see CHANGELOG.md).
"""

from typing import Any

from ._moved import moved
from .samplers import SAMPLERS, AdaptiveLevel, FixedLevel, LevelSampler, LinearSchedule
from .wrapper import CURRICULUM_LEVEL, CurriculumWrapper

__all__ = [
    "CURRICULUM_LEVEL",
    "SAMPLERS",
    "AdaptiveLevel",
    "CurriculumWrapper",
    "FixedLevel",
    "LevelSampler",
    "LinearSchedule",
]

_MOVED_HERE = ("SPLITS", "TaskGenerator", "TextWorldGenerator", "generator_for", "split_of", "split_seeds")


def __getattr__(name: str) -> Any:
    return moved(__name__, name, _MOVED_HERE)
