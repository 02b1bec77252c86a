"""The knobs of generated ALFWorld households, and the integer level that maps to them.

``textworld``/``alfworld`` are not imported here, so this module is cheap to import.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from ..tasks import TaskSpec
from ..textworld.families import KnobError, _check_int

FAMILY = "alfworld"

#: The six ALFWorld task types, in ALFWorld's own order (its ``TASK_TYPES`` 1-6).
TASK_TYPES = (
    "pick_and_place_simple",
    "look_at_obj_in_light",
    "pick_clean_then_place_in_recep",
    "pick_heat_then_place_in_recep",
    "pick_cool_then_place_in_recep",
    "pick_two_obj_and_place",
)
#: The registered id of each task type: ``ALFWorld-<name>-v0``.
TASK_IDS = {
    "pick_and_place_simple": "PickAndPlaceSimple",
    "look_at_obj_in_light": "LookAtObjInLight",
    "pick_clean_then_place_in_recep": "PickCleanThenPlace",
    "pick_heat_then_place_in_recep": "PickHeatThenPlace",
    "pick_cool_then_place_in_recep": "PickCoolThenPlace",
    "pick_two_obj_and_place": "PickTwoObjAndPlace",
}

#: Most receptacles and objects a generated household may hold.
MAX_RECEPTACLES = 60
MAX_OBJECTS = 80


@dataclass(frozen=True)
class ALFWorldKnobs:
    """A generated household: which task, how many receptacles, objects and distractors.

    ``task_type``: one of :data:`TASK_TYPES`, or ``None`` to draw one per seed.
    ``nb_receptacles``: receptacles in the room (2-60; real ALFWorld rooms hold about 30).
    ``nb_objects``: portable objects in the room, the task's own included (2-80).
    ``nb_distractors``: of those, objects of other types put in the same receptacle as the
    task's object, so that taking the right one needs reading (0 to ``nb_objects - 2``).
    """

    family: ClassVar[str] = FAMILY
    #: Easiest to hardest. Level 7 is real ALFWorld size.
    _LEVELS: ClassVar[dict[int, dict[str, Any]]] = {
        1: dict(nb_receptacles=2, nb_objects=2, nb_distractors=0),
        2: dict(nb_receptacles=4, nb_objects=4, nb_distractors=0),
        3: dict(nb_receptacles=6, nb_objects=6, nb_distractors=1),
        4: dict(nb_receptacles=10, nb_objects=10, nb_distractors=2),
        5: dict(nb_receptacles=15, nb_objects=15, nb_distractors=3),
        6: dict(nb_receptacles=20, nb_objects=20, nb_distractors=4),
        7: dict(nb_receptacles=30, nb_objects=30, nb_distractors=5),
    }

    task_type: str | None = None
    nb_receptacles: int = 10
    nb_objects: int = 10
    nb_distractors: int = 2

    def __post_init__(self) -> None:
        if self.task_type is not None and self.task_type not in TASK_TYPES:
            raise KnobError(f"task_type must be one of {list(TASK_TYPES)} or None (any), got {self.task_type!r}")
        _check_int("nb_receptacles", self.nb_receptacles, 2, MAX_RECEPTACLES)
        _check_int("nb_objects", self.nb_objects, 2, MAX_OBJECTS)
        _check_int("nb_distractors", self.nb_distractors, 0, self.nb_objects - 2)

    def to_params(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def canonical(self) -> "ALFWorldKnobs":
        return self

    def slug(self) -> str:
        kind = self.task_type or "any"
        return f"{kind}-r{self.nb_receptacles}-o{self.nb_objects}-d{self.nb_distractors}"

    def task(self, seed: int) -> TaskSpec:
        """The task of the household these knobs make with ``seed``."""
        return TaskSpec(self.family, self.to_params(), seed, id=f"{self.family}-{self.slug()}-s{seed}")

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "ALFWorldKnobs":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(params) - names - {"level"}
        if unknown:
            raise KnobError(f"unknown knob(s) {sorted(unknown)} for {cls.family}; its knobs are {sorted(names | {'level'})}")
        params = dict(params)
        level = params.pop("level", None)
        if level is not None:
            sized = set(params) - {"task_type"}
            if sized:
                raise KnobError(f"give either level or the size knobs {sorted(sized)}, not both")
            return cls.from_level(level, task_type=params.get("task_type"))
        return cls(**params)

    @classmethod
    def levels(cls) -> range:
        return range(1, len(cls._LEVELS) + 1)

    @classmethod
    def from_level(cls, level: int, task_type: str | None = None) -> "ALFWorldKnobs":
        """The knobs of difficulty ``level`` (1-7; 7 is real ALFWorld size)."""
        _check_int("level", level, 1, len(cls._LEVELS))
        return cls(task_type=task_type, **cls._LEVELS[level])
