"""The TextWorld game families, their knobs, and how a (knobs, seed) pair becomes a game.

Each family is a frozen :class:`~textagent_envs.knobs.Knobs` dataclass (each knob's range
declared once with :func:`~textagent_envs.knobs.knob`, validated on construction, with one
integer ``level`` where the family has one) and a ``make_game(options)`` that calls TextWorld's
own generator with ``options.seeds = seed``. The games are therefore the same games
``tw-make <family> ... --seed S`` makes.

``textworld`` is imported only inside ``make_game``, so this module is cheap to import.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from ..checks import require_int
from ..knobs import KnobError, Knobs, knob
from ..registry import families

__all__ = [
    "COOKING_LEVELS", "CoinCollectorKnobs", "CookingKnobs", "CustomKnobs", "KnobError", "Knobs", "SimpleKnobs",
    "TreasureHunterKnobs", "family_knobs",
]


@dataclass(frozen=True)
class CustomKnobs(Knobs):
    """``tw-make custom``: rooms, objects and quest length (the paper's wW-oO-qQ grid).

    ``quest_breadth=None`` keeps tw-make's default range of 1 to 5 sub-quests, which is
    what the paper's ``tw-make custom --world-size W --nb-objects O --quest-length Q``
    used.
    """

    family: ClassVar[str] = "tw-custom"
    #: Easiest to hardest; levels 3-7 are the paper's settings, more objects counted
    #: harder than more rooms (the paper's finding).
    _LEVELS: ClassVar[dict[int, dict[str, Any]]] = {
        1: dict(world_size=1, nb_objects=2, quest_length=2),
        2: dict(world_size=2, nb_objects=3, quest_length=3),
        3: dict(world_size=2, nb_objects=3, quest_length=4),
        4: dict(world_size=8, nb_objects=3, quest_length=4),
        5: dict(world_size=2, nb_objects=12, quest_length=4),
        6: dict(world_size=8, nb_objects=12, quest_length=4),
        7: dict(world_size=4, nb_objects=6, quest_length=8),
    }

    world_size: int = knob(2, "number of rooms (`--world-size`)", minimum=1, maximum=100)
    nb_objects: int = knob(3, "minimum number of objects; the quest's own count, distractors fill up to it (`--nb-objects`)",
                          minimum=0, maximum=200)
    quest_length: int = knob(4, "actions in the quest (`--quest-length`: its minimum, maximum and depth)", minimum=1,
                            maximum=50)
    quest_breadth: int | None = knob(None, "sub-quests (`--quest-breadth`); None keeps tw-make's 1-5", minimum=1,
                                     maximum=10, optional=True)

    def make_game(self, options):
        import textworld.generator

        options.nb_rooms = self.world_size
        options.nb_objects = self.nb_objects
        chaining = options.chaining
        chaining.min_length = chaining.max_length = chaining.max_depth = self.quest_length
        chaining.min_breadth, chaining.max_breadth = (
            (self.quest_breadth, self.quest_breadth) if self.quest_breadth else (1, 5)
        )
        return textworld.generator.make_game(options)

    def slug(self) -> str:
        breadth = f"-b{self.quest_breadth}" if self.quest_breadth else ""
        return f"w{self.world_size}-o{self.nb_objects}-q{self.quest_length}{breadth}"


def _challenge(name: str, settings: dict, options):
    import textworld.challenges

    _, make, _ = textworld.challenges.CHALLENGES[name]
    return make(settings=settings, options=options)


@dataclass(frozen=True)
class SimpleKnobs(Knobs):
    """``tw-make tw-simple``: a fixed six-room house; find the food, put it on the stove.

    ``rewards``: ``dense`` (every useful step scores), ``balanced`` (milestones) or
    ``sparse`` (only the final step). ``goal``: ``detailed`` (step-by-step
    instructions), ``brief`` (one sentence) or ``none``. ``test`` draws from the test
    distribution of food and rooms.
    """

    family: ClassVar[str] = "tw-simple"
    #: The house is fixed; what gets harder is how much the goal text tells.
    _LEVELS: ClassVar[dict[int, dict[str, Any]]] = {1: dict(goal="detailed"), 2: dict(goal="brief"), 3: dict(goal="none")}

    rewards: str = knob("dense", "which steps score (`--rewards`)", choices=("dense", "balanced", "sparse"))
    goal: str = knob("detailed", "how much of the objective is shown (`--goal`)", choices=("detailed", "brief", "none"))
    test: bool = knob(False, "draw the target's name from the test foods (`--test`)")

    def make_game(self, options):
        return _challenge("tw-simple", {"rewards": self.rewards, "goal": self.goal, "test": self.test}, options)

    def slug(self) -> str:
        return f"{self.rewards}-{self.goal}" + ("-test" if self.test else "")


#: ``level`` -> tw-cooking skills. Each level adds one difficulty over the last.
COOKING_LEVELS: dict[int, dict[str, Any]] = {
    1: dict(recipe=1, take=1, go=1),
    2: dict(recipe=1, take=1, go=1, open=True),
    3: dict(recipe=1, take=1, go=6, open=True),
    4: dict(recipe=2, take=2, go=6, open=True, cut=True),
    5: dict(recipe=2, take=2, go=6, open=True, cook=True, cut=True),
    6: dict(recipe=3, take=3, go=9, open=True, cook=True, cut=True),
    7: dict(recipe=3, take=3, go=9, open=True, cook=True, cut=True, drop=True),
    8: dict(recipe=5, take=5, go=12, open=True, cook=True, cut=True, drop=True),
}
_COOKING_SKILLS = ("recipe", "take", "go", "open", "cook", "cut", "drop")


@dataclass(frozen=True)
class CookingKnobs(Knobs):
    """``tw-make tw-cooking``: the First TextWorld Problem's cooking games.

    Knobs as tw-make has them: ``recipe`` ingredients (1-5), of which ``take`` must be
    found (0..recipe), ``go`` rooms (1, 6, 9 or 12), and the skills ``open``, ``cook``,
    ``cut``, ``drop`` (limited inventory); ``recipe_seed``; ``split`` (None = the joint
    distribution, or train/valid/test food). Or one ``level`` (1-8, see
    ``COOKING_LEVELS``) that sets recipe, take, go and the skills; giving ``level``
    together with any of those is an error.
    """

    family: ClassVar[str] = "tw-cooking"
    _LEVELS: ClassVar[dict[int, dict[str, Any]]] = {level: dict(level=level) for level in COOKING_LEVELS}

    level: int | None = knob(None, "sets recipe, take, go and the skills from the level table", minimum=1, maximum=max(COOKING_LEVELS),
                             optional=True, note="not with those knobs")
    recipe: int = knob(1, "ingredients (`--recipe`)", minimum=1, maximum=5)
    take: int = knob(0, "ingredients to find; the rest start in the inventory (`--take`)", minimum=0, maximum=5, note="at most recipe")
    go: int = knob(1, "rooms (`--go`)", choices=(1, 6, 9, 12))
    open: bool = knob(False, "doors and containers start closed (`--open`)")
    cook: bool = knob(False, "ingredients must be cooked (`--cook`)")
    cut: bool = knob(False, "ingredients must be cut (`--cut`)")
    drop: bool = knob(False, "the inventory has limited room (`--drop`)")
    recipe_seed: int = knob(0, "above 0, another recipe in the same world (`--recipe-seed`)", minimum=0, maximum=2**31 - 1, note="> 0 needs take >= 1")
    split: str | None = knob(None, "food and preparation split (`--split`); None = all", choices=("train", "valid", "test"),
                             optional=True)

    def validate(self) -> None:
        if self.level is not None:
            skills = COOKING_LEVELS[self.level]
            defaults = {f.name: f.default for f in dataclasses.fields(self) if f.name in _COOKING_SKILLS}
            overridden = [k for k, v in defaults.items() if getattr(self, k) != v]
            if overridden:
                raise KnobError(f"give either level or the skills {overridden}, not both")
            for key, value in {**defaults, **skills}.items():
                object.__setattr__(self, key, value)
        require_int("take", self.take, minimum=0, maximum=self.recipe, error=KnobError)
        if self.recipe_seed > 0 and self.take == 0:
            raise KnobError("recipe_seed > 0 shuffles the recipe and needs take >= 1")

    def to_params(self) -> dict[str, Any]:
        params = dataclasses.asdict(self)
        if self.level is not None:  # the level stands for the skills it sets
            for key in _COOKING_SKILLS:
                params.pop(key)
        return params

    def canonical(self) -> "CookingKnobs":
        """A level spelled out as its skills, so ``level=4`` and its skills share one game."""
        return dataclasses.replace(self, level=None) if self.level is not None else self

    def slug(self) -> str:
        if self.level is not None:
            head = f"level{self.level}"
        else:
            skills = "".join(s[0] for s in ("open", "cook", "cut", "drop") if getattr(self, s))
            head = f"r{self.recipe}t{self.take}g{self.go}" + (f"-{skills}" if skills else "")
        return head + (f"-rs{self.recipe_seed}" if self.recipe_seed else "") + (f"-{self.split}" if self.split else "")

    def make_game(self, options):
        settings = {k: getattr(self, k) for k in (*_COOKING_SKILLS, "recipe_seed", "split")}
        return _challenge("tw-cooking", settings, options)


@dataclass(frozen=True)
class CoinCollectorKnobs(Knobs):
    """``tw-make tw-coin_collector``: find the coin. ``level``: the quest length is
    ``(level - 1) % 100 + 1`` moves; levels 101-200 double the rooms and 201-300 triple
    them with distractor rooms off the path. TextWorld 1.7 makes at most 100 rooms, so
    the playable levels are 1-150 and 201-233. The curriculum levels (``levels()``) are
    1-100, where difficulty grows with the level."""

    family: ClassVar[str] = "tw-coin_collector"
    _LEVELS: ClassVar[dict[int, dict[str, Any]]] = {level: dict(level=level) for level in range(1, 101)}

    level: int = knob(1, "quest length and distractor rooms, as in the level table (`--level`)", minimum=1, maximum=300,
                      note="playable: 1-150 and 201-233")

    def validate(self) -> None:
        rooms = ((self.level - 1) % 100 + 1) * ((self.level - 1) // 100 + 1)
        if rooms > 100:
            raise KnobError(
                f"level {self.level} needs {rooms} rooms but TextWorld makes at most 100; "
                "playable levels are 1-150 and 201-233"
            )

    def make_game(self, options):
        return _challenge("tw-coin_collector", {"level": self.level}, options)

    def slug(self) -> str:
        return f"level{self.level}"


@dataclass(frozen=True)
class TreasureHunterKnobs(Knobs):
    """``tw-make tw-treasure_hunter``: find and take the named object. ``level`` 1-30:
    1-10 easy (5 rooms, no doors), 11-20 medium (10 rooms, closed doors and containers),
    21-30 hard (20 rooms, locked doors and containers); the quest grows within each band."""

    family: ClassVar[str] = "tw-treasure_hunter"
    _LEVELS: ClassVar[dict[int, dict[str, Any]]] = {level: dict(level=level) for level in range(1, 31)}

    level: int = knob(1, "mode (rooms, doors, containers, keys) and quest length (`--level`)", minimum=1, maximum=30)

    def make_game(self, options):
        return _challenge("tw-treasure_hunter", {"level": self.level}, options)

    def slug(self) -> str:
        return f"level{self.level}"


def family_knobs(family: str) -> type[Knobs]:
    """The knobs class of a TextWorld family (from :mod:`textagent_envs.registry`)."""
    found = {f.name: f for f in families(group="textworld")}
    if family not in found:
        raise KnobError(f"unknown TextWorld family {family!r}; known: {sorted(found)}")
    return found[family].knobs_class


def __getattr__(name: str) -> Any:
    if name == "FAMILIES":  # a view of the registry's TextWorld families, read when asked for
        return {f.name: f.knobs_class for f in families(group="textworld")}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
