"""The TextWorld game families, their knobs, and how a (knobs, seed) pair becomes a game.

Each family is a frozen dataclass of knobs (validated on construction, with one integer
``level`` where the family has one) and a ``make_game(options)`` that calls TextWorld's
own generator with ``options.seeds = seed``. The games are therefore the same games
``tw-make <family> ... --seed S`` makes.

``textworld`` is imported only inside ``make_game``, so this module is cheap to import.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from ..tasks import TaskSpec


class KnobError(ValueError):
    """A knob value outside what the family supports."""


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise KnobError(f"{name} must be an int in [{low}, {high}], got {value!r}")
    if not low <= value <= high:
        raise KnobError(f"{name} must be in [{low}, {high}], got {value}")


def _check_choice(name: str, value: Any, choices: tuple) -> None:
    if value not in choices:
        raise KnobError(f"{name} must be one of {list(choices)}, got {value!r}")


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise KnobError(f"{name} must be a bool, got {value!r}")


@dataclass(frozen=True)
class Knobs:
    """Base of every family's knobs. Subclasses set ``family`` and implement ``make_game``."""

    family: ClassVar[str]

    def to_params(self) -> dict[str, Any]:
        """The knobs as a dict that ``from_params`` turns back into these knobs."""
        return dataclasses.asdict(self)

    def canonical(self) -> "Knobs":
        """The one spelling of these knobs that names the game (the cache key)."""
        return self

    def task(self, seed: int) -> TaskSpec:
        """The task of the game these knobs make with ``seed``, e.g. ``tw-custom-w2-o3-q4-s1``."""
        return TaskSpec(self.family, self.to_params(), seed, id=f"{self.family}-{self.slug()}-s{seed}")

    def slug(self) -> str:
        """A short readable name of these knobs, used in task ids and cache folders."""
        return "-".join(f"{k}{v}" for k, v in self.to_params().items())

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "Knobs":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(params) - names
        if unknown:
            raise KnobError(f"unknown knob(s) {sorted(unknown)} for {cls.family}; its knobs are {sorted(names)}")
        return cls(**params)

    @classmethod
    def levels(cls) -> range:
        """The integer difficulty levels this family maps to knobs (1 = easiest)."""
        return range(1, len(cls._LEVELS) + 1)

    @classmethod
    def from_level(cls, level: int) -> "Knobs":
        """The knobs of difficulty ``level`` (see :meth:`levels`)."""
        _check_int("level", level, 1, len(cls.levels()))
        return cls(**cls._LEVELS[level])

    _LEVELS: ClassVar[dict[int, dict[str, Any]]] = {}

    def make_game(self, options):  # pragma: no cover - abstract
        raise NotImplementedError


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

    world_size: int = 2
    nb_objects: int = 3
    quest_length: int = 4
    quest_breadth: int | None = None

    def __post_init__(self) -> None:
        _check_int("world_size", self.world_size, 1, 100)
        _check_int("nb_objects", self.nb_objects, 0, 200)
        _check_int("quest_length", self.quest_length, 1, 50)
        if self.quest_breadth is not None:
            _check_int("quest_breadth", self.quest_breadth, 1, 10)

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

    rewards: str = "dense"
    goal: str = "detailed"
    test: bool = False

    def __post_init__(self) -> None:
        _check_choice("rewards", self.rewards, ("dense", "balanced", "sparse"))
        _check_choice("goal", self.goal, ("detailed", "brief", "none"))
        _check_bool("test", self.test)

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

    level: int | None = None
    recipe: int = 1
    take: int = 0
    go: int = 1
    open: bool = False
    cook: bool = False
    cut: bool = False
    drop: bool = False
    recipe_seed: int = 0
    split: str | None = None

    def __post_init__(self) -> None:
        if self.level is not None:
            _check_int("level", self.level, 1, max(COOKING_LEVELS))
            skills = COOKING_LEVELS[self.level]
            defaults = {f.name: f.default for f in dataclasses.fields(self) if f.name in _COOKING_SKILLS}
            overridden = [k for k, v in defaults.items() if getattr(self, k) != v]
            if overridden:
                raise KnobError(f"give either level or the skills {overridden}, not both")
            for key, value in {**defaults, **skills}.items():
                object.__setattr__(self, key, value)
        _check_int("recipe", self.recipe, 1, 5)
        _check_int("take", self.take, 0, self.recipe)
        _check_choice("go", self.go, (1, 6, 9, 12))
        for name in ("open", "cook", "cut", "drop"):
            _check_bool(name, getattr(self, name))
        _check_int("recipe_seed", self.recipe_seed, 0, 2**31 - 1)
        if self.recipe_seed > 0 and self.take == 0:
            raise KnobError("recipe_seed > 0 shuffles the recipe and needs take >= 1")
        _check_choice("split", self.split, (None, "train", "valid", "test"))

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

    level: int = 1

    def __post_init__(self) -> None:
        _check_int("level", self.level, 1, 300)
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

    level: int = 1

    def __post_init__(self) -> None:
        _check_int("level", self.level, 1, 30)

    def make_game(self, options):
        return _challenge("tw-treasure_hunter", {"level": self.level}, options)

    def slug(self) -> str:
        return f"level{self.level}"


FAMILIES: dict[str, type[Knobs]] = {
    k.family: k for k in (CustomKnobs, SimpleKnobs, CookingKnobs, CoinCollectorKnobs, TreasureHunterKnobs)
}


def family_knobs(family: str) -> type[Knobs]:
    try:
        return FAMILIES[family]
    except KeyError:
        raise KnobError(f"unknown TextWorld family {family!r}; known: {sorted(FAMILIES)}") from None
