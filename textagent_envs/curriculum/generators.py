"""Task generators: ``generate(params, rng) -> TaskSpec`` for each family.

A generator turns a family's knobs (or a difficulty ``level``) and a random generator
into a task; the game itself is generated when the task is first played (or by
``make-tasks``). Curricula and task-set builders use only this protocol, so a new family
plugs in by registering a generator.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol

import numpy as np

from ..tasks import MAX_SEED, TaskSpec
from ..textworld.families import FAMILIES, Knobs, KnobError


class TaskGenerator(Protocol):
    family: str

    def levels(self) -> range:
        """Difficulty levels, 1 = easiest."""

    def knobs(self, params: Mapping[str, Any] | None = None, *, level: int | None = None) -> Knobs:
        """Validated knobs from params or from a level."""

    def generate(self, params: Mapping[str, Any], rng: np.random.Generator) -> TaskSpec:
        """A task with these knobs and a seed drawn from ``rng``."""


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


def generator_for(family: str) -> TaskGenerator:
    """The generator of ``family``."""
    return TextWorldGenerator(family)
