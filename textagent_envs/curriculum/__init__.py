"""Task sets and curricula: difficulty levels, seed splits, task generators, make-tasks,
and curriculum samplers that live outside the env and are fed episode results."""

from .generators import TaskGenerator, TextWorldGenerator, generator_for
from .splits import SPLITS, split_of, split_seeds

__all__ = ["SPLITS", "TaskGenerator", "TextWorldGenerator", "generator_for", "split_of", "split_seeds"]
