"""The knobs of generated ALFWorld households, and the integer level that maps to them.

``textworld``/``alfworld`` are not imported here, so this module is cheap to import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..checks import require_int
from ..knobs import KnobError, Knobs, knob
from ..registry import ALFWORLD_TASK_IDS

FAMILY = "alfworld"

#: The six ALFWorld task types, in ALFWorld's own order (its ``TASK_TYPES`` 1-6), and the
#: registered id of each (``ALFWorld-<name>-v0``), as the registry declares them.
TASK_IDS = ALFWORLD_TASK_IDS
TASK_TYPES = tuple(TASK_IDS)

#: Most receptacles and objects a generated household may hold.
MAX_RECEPTACLES = 60
MAX_OBJECTS = 80


@dataclass(frozen=True)
class ALFWorldKnobs(Knobs):
    """A generated household: which task, how many receptacles, objects and distractors.

    ``task_type``: one of :data:`TASK_TYPES`, or ``None`` to draw one per seed.
    ``nb_receptacles``: receptacles in the room (2-60; real ALFWorld rooms hold about 30).
    ``nb_objects``: portable objects in the room, the task's own included (2-80).
    ``nb_distractors``: of those, objects of other types put in the same receptacle as the
    task's object, so that taking the right one needs reading (0 to ``nb_objects - 2``).
    A ``level`` (1-7) sets the three sizes; ``task_type`` may go with it.
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
    level_knobs: ClassVar[tuple[str, ...]] = ("task_type",)

    task_type: str | None = knob(None, "the task; None draws one per seed", choices=TASK_TYPES, optional=True)
    nb_receptacles: int = knob(10, "receptacles in the room; each has its own spot to `go to`", minimum=2, maximum=MAX_RECEPTACLES)
    nb_objects: int = knob(10, "portable objects, the task's own included (a desk lamp comes on top for `look_at_obj_in_light`)", minimum=2, maximum=MAX_OBJECTS)
    nb_distractors: int = knob(2, "of those, objects of other types in the same receptacle as the task's object", minimum=0, maximum=MAX_OBJECTS - 2,
                               note="at most nb_objects - 2")

    def validate(self) -> None:
        require_int("nb_distractors", self.nb_distractors, minimum=0, maximum=self.nb_objects - 2, error=KnobError)

    def slug(self) -> str:
        kind = self.task_type or "any"
        return f"{kind}-r{self.nb_receptacles}-o{self.nb_objects}-d{self.nb_distractors}"
