"""Task generators: ``generate(params, rng) -> TaskSpec`` for each family.

A generator turns a family's knobs (or a difficulty ``level``) and a random generator
into a task; the game itself is generated when the task is first played (or by
``make-tasks``). Curricula and task-set builders use only this interface, so a family
plugs in by subclassing :class:`TaskGenerator` in its own subpackage (writing only
``make_game``) and naming it in its :mod:`textagent_envs.registry` entry.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Mapping

import numpy as np

from ..knobs import GenerationError, KnobError, Knobs
from ..registry import family as registry_family
from ..tasks import MAX_SEED, TaskSpec

__all__ = ["TaskGenerator", "generator_for"]


class TaskGenerator:
    """Tasks of one family. Subclasses set ``group`` (the registry group they serve) or
    ``family``, and implement :meth:`make_game`."""

    #: The registry group this generator serves (``textworld``, ``alfworld``, ``swe``).
    group: ClassVar[str]
    #: Exceptions meaning "this seed makes no task" (make-tasks skips the seed).
    generation_errors: ClassVar[tuple[type[Exception], ...]] = (GenerationError,)

    def __init__(self, family: str | None = None):
        entry = registry_family(family if family is not None else getattr(type(self), "family", ""))
        if entry.group != self.group or entry.knobs is None:
            raise KnobError(f"{type(self).__name__} makes {self.group} tasks, not {entry.name} tasks")
        self.family: str = entry.name
        self.knobs_class: type[Knobs] = entry.knobs_class

    @property
    def level_knobs(self) -> tuple[str, ...]:
        """Knobs that may be given together with a level (e.g. an ALFWorld task type)."""
        return self.knobs_class.level_knobs

    def levels(self) -> range:
        """Difficulty levels, 1 = easiest."""
        return self.knobs_class.levels()

    def knobs(self, params: Mapping[str, Any] | None = None, *, level: int | None = None) -> Knobs:
        """Validated knobs from ``params``, or from ``level`` (``params`` may then hold
        only :attr:`level_knobs`)."""
        params = dict(params or {})
        if level is not None:
            extra = sorted(set(params) - set(self.level_knobs))
            if extra:
                raise KnobError(f"give either level or knobs, not both (got level={level} and {params})")
            return self.knobs_class.from_level(level, **params)
        return self.knobs_class.from_params(params)

    def generate(self, params: Mapping[str, Any], rng: np.random.Generator) -> TaskSpec:
        """A task with these knobs and a seed drawn from ``rng``."""
        return self.knobs(params).task(int(rng.integers(MAX_SEED)))

    def make_game(self, task: TaskSpec, games_dir: str | os.PathLike | None = None) -> tuple[Path, dict[str, Any]]:
        """Generate the task's game (into the cache, or into ``games_dir`` when given):
        ``(its path, difficulty metadata)``."""
        raise NotImplementedError


def generator_for(family: str) -> TaskGenerator:
    """The generator of ``family`` (a family name or a registered id), from the registry."""
    return registry_family(family).make_generator()
