"""Knobs: the typed, validated parameters a family's generator turns into a task.

A family's knobs are a frozen dataclass subclassing :class:`Knobs`. Each field is declared
with :func:`knob`, which holds its range or choices and a one-line description *once*:
validation, ``textagent-envs list``, the CLI help and the docs' knob tables all read them
(:meth:`Knobs.knob_specs`). A family adds only what one field cannot say (a range that
depends on another knob) in :meth:`Knobs.validate`::

    @dataclass(frozen=True)
    class MazeKnobs(Knobs):
        family: ClassVar[str] = "maze"
        _LEVELS: ClassVar[dict[int, dict]] = {1: dict(size=3), 2: dict(size=5)}
        size: int = knob(3, "side of the maze", minimum=2, maximum=50)

Every check goes through :mod:`textagent_envs.checks` and raises :class:`KnobError`.
A seed for which the generator makes no task raises a :class:`GenerationError` (each
family's own error is a subclass).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from .checks import require_bool, require_choice, require_int
from .tasks import TaskSpec

__all__ = ["GenerationError", "KnobError", "KnobSpec", "Knobs", "knob"]


class KnobError(ValueError):
    """A knob value outside what the family supports (the message gives the range)."""


class GenerationError(RuntimeError):
    """This (knobs, seed) pair makes no task; an env draws another seed, make-tasks skips it.

    Each family raises a subclass: TextWorld's ``GameGenerationError``, ALFWorld's
    households ``GenerationError``, SWE-Mini's ``TaskGenerationError``."""


#: The kinds of knob :func:`knob` knows: what the value must be.
KINDS = ("int", "bool", "choice", "str", "subset")


@dataclass(frozen=True)
class KnobSpec:
    """What one knob accepts, as :func:`knob` declared it (read with :meth:`Knobs.knob_specs`)."""

    name: str
    kind: str
    default: Any
    doc: str
    minimum: int | None = None
    maximum: int | None = None
    #: The allowed values (``choice``), or the allowed members (``subset``); may be a
    #: zero-argument callable for values known only at run time (installed repositories).
    choices: Any = None
    #: None is allowed and means what ``doc`` says (e.g. "any task type").
    optional: bool = False
    #: A constraint on other knobs, checked in :meth:`Knobs.validate`, in words (for docs).
    note: str = ""

    def allowed(self) -> tuple:
        choices = self.choices() if callable(self.choices) else self.choices
        return tuple(choices or ())

    def describe(self) -> str:
        """The accepted values in words, e.g. ``1-100``, ``dense | balanced | sparse``."""
        if self.kind == "int":
            text = f"{self.minimum}-{self.maximum}" if self.maximum is not None else f">= {self.minimum}"
        elif self.kind == "bool":
            text = "true | false"
        elif self.kind == "choice":
            text = " | ".join(str(c) for c in self.allowed())
        elif self.kind == "subset":
            text = "any of " + ", ".join(str(c) for c in self.allowed())
        else:
            text = "text"
        if self.optional:
            text += " | None"
        return text + (f" ({self.note})" if self.note else "")

    def check(self, value: Any) -> Any:
        """``value`` (normalised: a subset becomes a tuple in declared order) or KnobError."""
        if value is None and self.optional:
            return None
        if self.kind == "int":
            return require_int(self.name, value, minimum=self.minimum, maximum=self.maximum, error=KnobError)
        if self.kind == "bool":
            return require_bool(self.name, value, error=KnobError)
        if self.kind == "choice":
            return require_choice(self.name, value, self.allowed() + ((None,) if self.optional else ()), error=KnobError)
        if self.kind == "subset":
            allowed = self.allowed()
            items = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, (list, tuple)) else None
            if not items or any(item not in allowed for item in items):
                raise KnobError(f"{self.name} must be a non-empty subset of {list(allowed)}, got {value!r}")
            return tuple(k for k in allowed if k in items)
        if not isinstance(value, str) or not value:
            raise KnobError(f"{self.name} must be a non-empty str, got {value!r}")
        return value


def knob(
    default: Any, doc: str, *, minimum: int | None = None, maximum: int | None = None,
    choices: Any = None, subset: Any = None, optional: bool = False, kind: str | None = None, note: str = "",
) -> Any:
    """A knob field: its default, a one-line description, and its range (``minimum`` /
    ``maximum`` for ints), ``choices`` (one of), or ``subset`` (a non-empty subset of).
    Bools and free text are told apart by the default (or ``kind=``)."""
    if kind is None:
        if subset is not None:
            kind = "subset"
        elif choices is not None:
            kind = "choice"
        elif minimum is not None or maximum is not None:
            kind = "int"
        elif isinstance(default, bool):
            kind = "bool"
        else:
            kind = "str"
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    spec = dict(kind=kind, doc=doc, minimum=minimum, maximum=maximum, choices=subset if subset is not None else choices,
                optional=optional, note=note)
    return dataclasses.field(default=default, metadata={"knob": spec})


@dataclass(frozen=True)
class Knobs:
    """Base of every family's knobs: validated on construction, round-trip through
    ``to_params`` / ``from_params``, and one integer ``level`` (1 = easiest) that maps to
    knobs (:meth:`from_level`).

    Subclasses set ``family``, ``_LEVELS`` (level -> knobs), optionally ``level_knobs``
    (knobs that may be given together with a level, e.g. an ALFWorld task type), declare
    their fields with :func:`knob`, and override :meth:`validate` for cross-knob checks
    and :meth:`slug` for short task ids."""

    family: ClassVar[str]
    _LEVELS: ClassVar[dict[int, dict[str, Any]]] = {}
    #: Knobs that may be given together with ``level`` (the others are what the level sets).
    level_knobs: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for spec in self.knob_specs():
            value = spec.check(getattr(self, spec.name))
            object.__setattr__(self, spec.name, value)
        self.validate()

    def validate(self) -> None:
        """Checks across knobs (each knob's own range is checked from its declaration)."""

    @classmethod
    def knob_specs(cls) -> list[KnobSpec]:
        """Every knob's declaration, in field order."""
        out = []
        for f in dataclasses.fields(cls):
            meta = f.metadata.get("knob")
            if meta is not None:
                out.append(KnobSpec(f.name, default=f.default, **meta))
        return out

    def to_params(self) -> dict[str, Any]:
        """The knobs as a JSON-ready dict that ``from_params`` turns back into these knobs."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

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
        """Knobs from a dict; a ``level`` key (when ``level`` is not itself a knob) goes
        through :meth:`from_level` with the :attr:`level_knobs` beside it."""
        if not isinstance(params, Mapping):
            raise KnobError(f"knobs must be a mapping of knob names to values, got {type(params).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        takes_level = "level" not in names and bool(cls._LEVELS)
        unknown = set(params) - names - ({"level"} if takes_level else set())
        if unknown:
            known = sorted(names | ({"level"} if takes_level else set()))
            raise KnobError(f"unknown knob(s) {sorted(unknown)} for {cls.family}; its knobs are {known}")
        params = dict(params)
        level = params.pop("level", None) if takes_level else None
        if level is not None:
            return cls.from_level(level, **params)
        return cls(**params)

    @classmethod
    def levels(cls) -> range:
        """The integer difficulty levels this family maps to knobs (1 = easiest)."""
        return range(1, len(cls._LEVELS) + 1)

    @classmethod
    def from_level(cls, level: int, **level_knobs: Any) -> "Knobs":
        """The knobs of difficulty ``level`` (see :meth:`levels`), with the knobs a level
        leaves open (:attr:`level_knobs`) given or left at their defaults."""
        require_int("level", level, minimum=1, maximum=len(cls._LEVELS), error=KnobError)
        extra = sorted(set(level_knobs) - set(cls.level_knobs))
        if extra:
            allowed = f"; only {list(cls.level_knobs)} may go with a level" if cls.level_knobs else ""
            raise KnobError(f"give either level or knobs {extra}, not both{allowed}")
        return cls(**{**cls._LEVELS[level], **level_knobs})

    @classmethod
    def describe_levels(cls) -> str:
        """The levels in words, e.g. ``1-7``."""
        levels = cls.levels()
        return f"{levels.start}-{levels.stop - 1}" if len(levels) else "none"


def level_range_text(levels: Any) -> str:
    """``1-7`` for a run of consecutive levels, else the list (``[1, 3]``)."""
    levels = tuple(levels)
    if not levels:
        return "[]"
    if len(levels) > 3 and levels == tuple(range(levels[0], levels[-1] + 1)):
        return f"{levels[0]}-{levels[-1]}"
    return str(list(levels))

