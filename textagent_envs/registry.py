"""The family registry: every family of tasks, declared once.

A :class:`Family` names its knobs class (a typed :class:`~textagent_envs.knobs.Knobs`
dataclass whose fields declare their own ranges), its task generator, its engines and the
env ids registered for it. Everything that treats families alike reads this table:
gymnasium registration (:mod:`textagent_envs.registration`), ``generator_for`` and
``make-tasks`` (:mod:`textagent_envs.tasksets`), the CLI (``list``, ``make-tasks``,
``play``) and the knob tables in the docs.

Knobs classes and generators are named by ``"module:attribute"`` strings and imported on
first use, so the registry imports no family subpackage (they read it) and no game
backend::

    >>> from textagent_envs.registry import family
    >>> family("tw-cooking").levels
    range(1, 9)
    >>> family("TextWorld-Custom-w2-o3-q4-v0").name       # an env id finds its family
    'tw-custom'

Adding a family: write its subpackage (env, knobs, generator) and add one :class:`Family`
to :data:`FAMILIES` (see docs/environments.md). ``python -m textagent_envs.knobdocs
--write`` rewrites the knob tables in the docs from it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from .knobs import KnobError

__all__ = ["ALFWORLD_TASK_IDS", "ENTRIES", "FAMILIES", "EnvEntry", "Family", "PAPER_CUSTOM_SETTINGS", "families", "family"]


@dataclass(frozen=True)
class EnvEntry:
    """One registered env id: its entry point, step budget, pinned knobs and reward density."""

    id: str
    entry_point: str
    #: gymnasium's step budget (TimeLimit); None when the env keeps its own (SWE's max_turns).
    max_episode_steps: int | None
    kwargs: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    #: Name of the reward density applied outside the step budget (textagent_envs.wrappers).
    reward: str | None = None


@dataclass(frozen=True)
class Family:
    """A family of tasks: what it generates from, what plays it, and its registered ids."""

    #: The ``TaskSpec.family`` name (``tw-custom``, ``alfworld``, ``swe-mini``, ...).
    name: str
    #: The subpackage it lives in: ``textworld``, ``alfworld`` or ``swe``.
    group: str
    summary: str
    #: ``"module:Class"`` of its :class:`~textagent_envs.knobs.Knobs`, or None (no generator).
    knobs: str | None
    #: ``"module:Class"`` of its task generator (``tasksets.generators.TaskGenerator``), or None.
    generator: str | None
    #: The env option that picks what plays the game, and its choices (first = default).
    engine_option: str
    engines: tuple[str, ...]
    envs: tuple[EnvEntry, ...]
    #: The docs page whose knob table is generated from ``knobs``.
    doc: str | None = None
    #: Why there is no generator (shown by ``list`` and ``make-tasks``).
    no_generator: str = ""
    #: What grows with the level, in words (the docs' levels table).
    growth: str = ""

    @property
    def knobs_class(self) -> Any:
        """The knobs class (imported now), or None."""
        return _load(self.knobs) if self.knobs else None

    @property
    def levels(self) -> range:
        """The difficulty levels (1 = easiest); empty without a generator."""
        return self.knobs_class.levels() if self.knobs else range(1, 1)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.envs)

    def make_generator(self) -> Any:
        """A new task generator of this family."""
        if self.generator is None:
            raise KnobError(f"{self.name} has no task generator: {self.no_generator}")
        return _load(self.generator)(self.name)


def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


#: ALFWorld's six task types, in ALFWorld's own order (its ``TASK_TYPES`` 1-6), and the
#: registered id of each: ``ALFWorld-<name>-v0``. (Here rather than in the alfworld
#: subpackage, which reads it, so that the registry imports no family.)
ALFWORLD_TASK_IDS = {
    "pick_and_place_simple": "PickAndPlaceSimple",
    "look_at_obj_in_light": "LookAtObjInLight",
    "pick_clean_then_place_in_recep": "PickCleanThenPlace",
    "pick_heat_then_place_in_recep": "PickHeatThenPlace",
    "pick_cool_then_place_in_recep": "PickCoolThenPlace",
    "pick_two_obj_and_place": "PickTwoObjAndPlace",
}

_TW = "textagent_envs.textworld.env:"
_TW_KNOBS = "textagent_envs.textworld.families:"
_TW_GENERATOR = "textagent_envs.textworld.generator:TextWorldGenerator"
_TW_ENGINES = ("native", "inform7")

#: The paper's TextWorld custom settings: name -> (world_size, nb_objects, quest_length, turn budget).
PAPER_CUSTOM_SETTINGS = {
    "w2-o3-q4": (2, 3, 4, 12),
    "w8-o3-q4": (8, 3, 4, 12),
    "w2-o12-q4": (2, 12, 4, 12),
    "w8-o12-q4": (8, 12, 4, 12),
    "w4-o6-q8": (4, 6, 8, 24),
}


def _textworld(name: str, knobs: str, summary: str, doc: str, growth: str, envs: tuple[EnvEntry, ...]) -> Family:
    return Family(name, "textworld", summary, _TW_KNOBS + knobs, _TW_GENERATOR, "engine", _TW_ENGINES, envs,
                  doc=f"docs/textworld/{doc}.md", growth=growth)


_FAMILY_LIST = [
    _textworld("tw-custom", "CustomKnobs", "tw-make custom games: rooms, objects, quest length", "custom",
               "1: w1-o2-q2, 2: w2-o3-q3, then the paper's settings 3: w2-o3-q4, 4: w8-o3-q4, 5: w2-o12-q4, 6: w8-o12-q4, "
               "7: w4-o6-q8 (objects counted harder than rooms, as the paper found)", (
        EnvEntry("TextWorld-Custom-v0", _TW + "CustomEnv", 50, summary="tw-make custom games: rooms, objects, quest length"),
        *(
            EnvEntry(
                f"TextWorld-Custom-{name}-v0", _TW + "CustomEnv", budget,
                {"world_size": w, "nb_objects": o, "quest_length": q},
                summary=f"the paper's {name} setting ({w} rooms, {o} objects, quest of {q})",
            )
            for name, (w, o, q, budget) in PAPER_CUSTOM_SETTINGS.items()
        ),
    )),
    _textworld("tw-simple", "SimpleKnobs", "take the food to the stove in a six-room house", "simple", "the goal text: detailed, brief, none", (
        EnvEntry("TextWorld-Simple-v0", _TW + "SimpleEnv", 24, summary="tw-simple: take the food to the stove in a six-room house"),
        *(
            EnvEntry(
                f"TextWorld-Simple-{density.title()}-v0", _TW + "SimpleEnv", 24, {"rewards": density},
                summary=f"tw-simple with the paper's {density} rewards (game knob and {density} reward wrapper)",
                reward=density,
            )
            for density in ("dense", "balanced", "sparse")
        ),
    )),
    _textworld("tw-cooking", "CookingKnobs", "gather and prepare a recipe", "cooking",
               "recipe size, rooms and skills (see [textworld/cooking.md](textworld/cooking.md))", (
        EnvEntry("TextWorld-Cooking-v0", _TW + "CookingEnv", 100, summary="tw-cooking: gather and prepare a recipe"),
    )),
    _textworld("tw-coin_collector", "CoinCollectorKnobs", "find the coin", "coin_collector",
               "the game's own `level` (quest length = level)", (
        EnvEntry("TextWorld-CoinCollector-v0", _TW + "CoinCollectorEnv", 100, {"level": 1}, summary="tw-coin_collector: find the coin"),
    )),
    _textworld("tw-treasure_hunter", "TreasureHunterKnobs", "find the named object", "treasure_hunter",
               "the game's own `level`", (
        EnvEntry("TextWorld-TreasureHunter-v0", _TW + "TreasureHunterEnv", 100, {"level": 1},
                 summary="tw-treasure_hunter: find the object"),
    )),
    Family(
        "alfworld", "alfworld", "ALFWorld household tasks (generated households, or real data with data_dir=)",
        "textagent_envs.alfworld.knobs:ALFWorldKnobs", "textagent_envs.alfworld.generator:ALFWorldGenerator",
        "engine", ("fast", "pddl"),
        (
            EnvEntry("ALFWorld-v0", "textagent_envs.alfworld.env:ALFWorldEnv", 50,
                     summary="ALFWorld household tasks of all six types (generated, or real data with data_dir=)"),
            *(
                EnvEntry(f"ALFWorld-{name}-v0", "textagent_envs.alfworld.env:ALFWorldEnv", 50, {"task_type": kind},
                         summary=f"ALFWorld {kind} tasks")
                for kind, name in ALFWORLD_TASK_IDS.items()
            ),
        ),
        doc="docs/alfworld.md",
        growth="receptacles, objects and distractors; 7 is ALFWorld size (30 receptacles, 30 objects); any task type "
               "(see [alfworld.md](alfworld.md))",
    ),
    Family(
        "swe-mini", "swe", "fix seeded bugs in a small Python repository with tool calls",
        "textagent_envs.swe.knobs:MiniKnobs", "textagent_envs.swe.generator:SWEMiniGenerator",
        "sandbox", ("bwrap", "docker"),
        (
            EnvEntry("SWE-Mini-v0", "textagent_envs.swe.env:MiniEnv", None,
                     summary="fix seeded bugs in a small Python repo with tool calls, in a bubblewrap sandbox (30 turns)"),
        ),
        doc="docs/swe.md",
        growth="1: one operator/comparison bug, 2: one bug of any kind, 3-5: two to four bugs (see [swe.md](swe.md))",
    ),
    Family(
        "swe-gym", "swe", "SWE-Gym / SWE-bench instances given as a file, graded by their tests",
        None, None, "sandbox", ("docker",),
        (
            EnvEntry("SWE-Gym-v0", "textagent_envs.swe.env:GymEnv", None,
                     summary="SWE-Gym / SWE-bench instances (instances=FILE) in Docker containers, graded by their tests"),
        ),
        no_generator="it plays given instances (instances=FILE); there is nothing to generate",
    ),
]

#: Every family by name, in the order ``textagent-envs list`` shows them.
FAMILIES: dict[str, Family] = {f.name: f for f in _FAMILY_LIST}
#: Every registered env id, family by family.
ENTRIES: list[EnvEntry] = [entry for f in _FAMILY_LIST for entry in f.envs]


def families(*, group: str | None = None, generated: bool | None = None) -> list[Family]:
    """The families (of one ``group``; only those with a generator when ``generated``)."""
    return [
        f for f in FAMILIES.values()
        if (group is None or f.group == group) and (generated is None or (f.generator is not None) == generated)
    ]


def family(name: str) -> Family:
    """The family called ``name``, or the family of the env id ``name`` (a
    ``textagent_envs:`` prefix is allowed); :class:`KnobError` names the choices otherwise."""
    if name in FAMILIES:
        return FAMILIES[name]
    env_id = name.split(":", 1)[-1]
    for item in FAMILIES.values():
        if env_id in item.ids:
            return item
    raise KnobError(
        f"unknown family {name!r}: neither a family ({', '.join(FAMILIES)}) nor a registered id "
        "(`textagent-envs list` shows them)"
    )
