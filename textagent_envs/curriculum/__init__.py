"""Task sets and curricula: difficulty levels, seed splits, task generators, make-tasks,
and curriculum samplers that live outside the env and are fed episode results."""

from .generators import TaskGenerator, TextWorldGenerator, generator_for
from .samplers import SAMPLERS, AdaptiveLevel, FixedLevel, LevelSampler, LinearSchedule
from .splits import SPLITS, split_of, split_seeds
from .wrapper import CURRICULUM_LEVEL, CurriculumWrapper

__all__ = [
    "CURRICULUM_LEVEL",
    "SAMPLERS",
    "SPLITS",
    "AdaptiveLevel",
    "CurriculumWrapper",
    "FixedLevel",
    "LevelSampler",
    "LinearSchedule",
    "TaskGenerator",
    "TextWorldGenerator",
    "generator_for",
    "split_of",
    "split_seeds",
]
