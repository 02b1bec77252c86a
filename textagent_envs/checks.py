"""Argument checks shared by every family: one wording for "an int, not a bool" and friends.

Each check returns the value it accepted (so ``self.n = require_int("n", n, minimum=1)``)
and raises ``error`` (``ValueError`` by default; knob classes pass their ``KnobError``)
with a message that names the argument, what it must be, and what it got:

>>> require_int("max_turns", 0, minimum=1)
Traceback (most recent call last):
    ...
ValueError: max_turns must be an int >= 1, got 0
>>> require_int("level", True, minimum=1, maximum=3)
Traceback (most recent call last):
    ...
ValueError: level must be an int in [1, 3], got True

``bool`` is a subclass of ``int`` in Python, so ``isinstance(True, int)`` holds; these
checks refuse bools wherever a number is asked for, and accept numpy integers and floats.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["is_int", "is_number", "require_int", "require_number", "require_bool", "require_choice"]


def is_int(value: Any) -> bool:
    """True for ``int`` and numpy integers, False for ``bool`` (and everything else)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """True for finite ints and floats (numpy's included), False for ``bool``, NaN and inf."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _range(kind: str, minimum: Any, maximum: Any) -> str:
    if minimum is not None and maximum is not None:
        return f"{kind} in [{minimum}, {maximum}]"
    if minimum is not None:
        return f"{kind} >= {minimum}"
    if maximum is not None:
        return f"{kind} <= {maximum}"
    return kind


def require_int(
    name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None,
    error: type[Exception] = ValueError,
) -> int:
    """``value`` as an ``int`` if it is an integer (not a bool) within [minimum, maximum]."""
    if not is_int(value) or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise error(f"{name} must be {_range('an int', minimum, maximum)}, got {value!r}")
    return int(value)


def require_number(
    name: str, value: Any, *, minimum: float | None = None, maximum: float | None = None,
    positive: bool = False, error: type[Exception] = ValueError,
) -> float:
    """``value`` as a ``float`` if it is a finite number (not a bool) within the bounds;
    ``positive=True`` also refuses 0."""
    if (
        not is_number(value)
        or (positive and value <= 0)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        kind = "a positive number" if positive else "a number"
        raise error(f"{name} must be {_range(kind, minimum, maximum)}, got {value!r}")
    return float(value)


def require_bool(name: str, value: Any, *, error: type[Exception] = TypeError) -> bool:
    """``value`` if it is exactly ``True`` or ``False`` (not 0/1, not a string)."""
    if not isinstance(value, bool):
        raise error(f"{name} must be a bool, got {value!r}")
    return value


def require_choice(name: str, value: Any, choices: Any, *, error: type[Exception] = ValueError) -> Any:
    """``value`` if it is one of ``choices``."""
    if value not in choices:
        raise error(f"{name} must be one of {list(choices)}, got {value!r}")
    return value
