"""Curriculum samplers: which difficulty level the next episode plays.

A sampler lives outside the environment and is fed episode results; the environment never
reads it. Every sampler keeps one small protocol (:class:`LevelSampler`)::

    level = sampler.sample(rng)                      # before an episode: an int level
    sampler.update(level, success, episode_return)   # after it: what happened
    state = sampler.state_dict()                     # JSON-ready, for checkpoints
    sampler.load_state_dict(state)                   # resume exactly where it was

Levels are the integers of a family's ``Knobs.levels()`` (1 = easiest);
:class:`~textagent_envs.curriculum.wrapper.CurriculumWrapper` turns them into tasks.

- :class:`FixedLevel`: always the same level (a baseline, or evaluation at one level).
- :class:`LinearSchedule`: from ``start_level`` to ``end_level`` over ``episodes``
  episodes, then ``end_level``.
- :class:`AdaptiveLevel`: one level up when the recent success rate at the current level
  reaches ``promote_at``, one down when it falls below ``demote_at``, with hysteresis.

Each sampler also counts, per level, the episodes, successes and summed returns it was
fed (``sampler.stats``), and raises ``ValueError`` for an ``update`` with a level it never
samples (a result fed to the wrong sampler).
"""

from __future__ import annotations

from collections import deque
from typing import Any, Iterable, Mapping, Protocol, runtime_checkable

import numpy as np

from ..checks import is_int, is_number, require_int
from ..knobs import level_range_text

__all__ = ["AdaptiveLevel", "FixedLevel", "LevelSampler", "LinearSchedule", "SAMPLERS"]


@runtime_checkable
class LevelSampler(Protocol):
    """What :class:`~textagent_envs.curriculum.wrapper.CurriculumWrapper` needs of a sampler.

    ``levels`` (optional for custom samplers, present on every sampler here) is every
    level ``sample`` may return, so a wrapper can check them against the family's levels
    before the first episode.
    """

    def sample(self, rng: np.random.Generator) -> int:
        """The level of the next episode."""

    def update(self, level: int, success: bool, episode_return: float = 0.0) -> None:
        """Report one finished episode played at ``level``."""

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume, as JSON-ready data."""

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume from :meth:`state_dict` (of a sampler built with the same arguments)."""


def _check_level(name: str, value: Any) -> int:
    if not is_int(value) or value < 1:
        raise ValueError(f"{name} must be an int >= 1 (levels start at 1 = easiest), got {value!r}")
    return int(value)


def _check_int(name: str, value: Any, low: int) -> int:
    return require_int(name, value, minimum=low)


def _check_rate(name: str, value: Any) -> float:
    if not is_number(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a success rate in [0, 1], got {value!r}")
    return float(value)


class _Sampler:
    """Shared bookkeeping: argument checks on ``update`` and per-level statistics."""

    #: Every level :meth:`sample` may return, easiest first.
    levels: tuple[int, ...]

    def __init__(self) -> None:
        self.episodes = 0  # results fed through update()
        self.stats: dict[int, dict[str, float]] = {}

    def sample(self, rng: np.random.Generator) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self, level: int, success: bool, episode_return: float = 0.0) -> None:
        level = self._check_update(level, success, episode_return)
        self.episodes += 1
        entry = self.stats.setdefault(level, {"episodes": 0, "successes": 0, "return": 0.0})
        entry["episodes"] += 1
        entry["successes"] += int(bool(success))
        entry["return"] += float(episode_return)
        self._on_result(level, bool(success))

    def _on_result(self, level: int, success: bool) -> None:
        """Subclasses react to one result here."""

    def _check_update(self, level: Any, success: Any, episode_return: Any) -> int:
        if not is_int(level) or int(level) not in self.levels:
            raise ValueError(
                f"update() got level {level!r}, which {type(self).__name__} never samples; "
                f"its levels are {level_range_text(self.levels)}"
            )
        if not isinstance(success, (bool, np.bool_)):
            raise TypeError(f"update() needs success as a bool (info['success']), got {type(success).__name__}: {success!r}")
        if not is_number(episode_return):
            raise ValueError(f"update() needs episode_return as a finite number, got {episode_return!r}")
        return int(level)

    # -- resuming ----------------------------------------------------------------------
    def _config(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        """The sampler's arguments and progress as JSON-ready data."""
        return {
            "type": type(self).__name__,
            "config": self._config(),
            "episodes": self.episodes,
            "stats": {str(level): dict(entry) for level, entry in sorted(self.stats.items())},
            **self._extra_state(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume from ``state`` (from :meth:`state_dict` of a sampler with the same
        arguments; a different type or arguments raise ``ValueError``)."""
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict() needs the dict state_dict() returned, got {type(state).__name__}")
        if state.get("type") != type(self).__name__:
            raise ValueError(f"this state is of a {state.get('type')!r}, not a {type(self).__name__!r}")
        config = self._config()
        if state.get("config") != config:
            raise ValueError(
                f"this state comes from a {type(self).__name__} built with {state.get('config')!r}, "
                f"but this one was built with {config!r}; build it with the same arguments"
            )
        self.episodes = int(state["episodes"])
        self.stats = {int(level): dict(entry) for level, entry in state["stats"].items()}
        self._load_extra_state(state)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._config().items())
        return f"{type(self).__name__}({args})"


class FixedLevel(_Sampler):
    """Always ``level``.

    >>> sampler = FixedLevel(3)
    >>> sampler.sample(np.random.default_rng(0))
    3
    """

    def __init__(self, level: int):
        super().__init__()
        self.level = _check_level("level", level)
        self.levels = (self.level,)

    def sample(self, rng: np.random.Generator) -> int:
        return self.level

    def _config(self) -> dict[str, Any]:
        return {"level": self.level}


class LinearSchedule(_Sampler):
    """From ``start_level`` to ``end_level`` in equal steps over ``episodes`` episodes
    (counted by :meth:`update` calls), then ``end_level`` for good.

    After ``n`` results the level is ``start + floor((end - start) * n / episodes)``
    (rounded towards ``start``), so the first episode plays ``start_level`` and the
    ``episodes``-th result moves it to ``end_level``. ``end_level < start_level`` runs
    the schedule downwards.

    >>> sampler = LinearSchedule(1, 3, episodes=4)
    >>> rng = np.random.default_rng(0)
    >>> levels = []
    >>> for _ in range(6):
    ...     levels.append(sampler.sample(rng))
    ...     sampler.update(levels[-1], success=True)
    >>> levels
    [1, 1, 2, 2, 3, 3]
    """

    def __init__(self, start_level: int, end_level: int, episodes: int):
        super().__init__()
        self.start_level = _check_level("start_level", start_level)
        self.end_level = _check_level("end_level", end_level)
        self.schedule_episodes = _check_int("episodes", episodes, 1)
        low, high = sorted((self.start_level, self.end_level))
        self.levels = tuple(range(low, high + 1))

    @property
    def level(self) -> int:
        """The level the next episode plays."""
        span = self.end_level - self.start_level
        done = min(self.episodes, self.schedule_episodes)
        step = abs(span) * done // self.schedule_episodes
        return self.start_level + (step if span >= 0 else -step)

    def sample(self, rng: np.random.Generator) -> int:
        return self.level

    def _config(self) -> dict[str, Any]:
        return {"start_level": self.start_level, "end_level": self.end_level, "episodes": self.schedule_episodes}


class AdaptiveLevel(_Sampler):
    """Moves through ``levels`` (easiest first) by the agent's recent success.

    After each result at the current level, with ``rate`` the success rate of the last
    ``window`` results at that level:

    - ``rate >= promote_at``: one level up (if there is one);
    - ``rate < demote_at``: one level down (if there is one);
    - otherwise it stays.

    Hysteresis keeps it from flip-flopping: ``demote_at < promote_at`` is required, the
    window is emptied on every move, and no move happens before ``min_episodes``
    (default: ``window``) results have come in at the new level. Results for a level
    other than the current one (episodes that started before a move, e.g. in a vector
    env) go into ``stats`` but not into the decision. ``demote_at=0`` never demotes.

    Args:
        levels: the levels to move through, strictly increasing (e.g. ``range(1, 6)``).
        start_level: where to start (default: ``levels[0]``).
        promote_at: success rate in [0, 1] that moves one level up.
        demote_at: success rate in [0, 1], below ``promote_at``, under which it moves
            one level down.
        window: how many recent results at the current level the rate is over (>= 1).
        min_episodes: results needed at a level before it moves again (>= 1; default
            ``window``). With fewer than ``window``, the rate is over the results so far.

    >>> sampler = AdaptiveLevel(range(1, 4), promote_at=0.8, demote_at=0.4, window=2)
    >>> rng = np.random.default_rng(0)
    >>> levels = []
    >>> for success in (True, True, False, False):
    ...     sampler.update(sampler.sample(rng), success)
    ...     levels.append(sampler.level)
    >>> levels
    [1, 2, 2, 1]
    """

    def __init__(
        self,
        levels: Iterable[int],
        start_level: int | None = None,
        promote_at: float = 0.8,
        demote_at: float = 0.4,
        window: int = 20,
        min_episodes: int | None = None,
    ):
        super().__init__()
        if isinstance(levels, (str, bytes)) or not isinstance(levels, Iterable):
            raise ValueError(f"levels must be a sequence of ints, easiest first (e.g. range(1, 6)), got {levels!r}")
        levels = tuple(levels)
        if not levels:
            raise ValueError("levels must hold at least one level, got an empty sequence")
        for level in levels:
            _check_level("every level in levels", level)
        levels = tuple(int(level) for level in levels)
        if any(b <= a for a, b in zip(levels, levels[1:])):
            raise ValueError(f"levels must be strictly increasing (easiest first, no repeats), got {list(levels)}")
        self.levels = levels
        if start_level is None:
            start_level = levels[0]
        elif not is_int(start_level) or int(start_level) not in levels:
            raise ValueError(f"start_level must be one of levels {level_range_text(levels)}, got {start_level!r}")
        self.start_level = int(start_level)
        self.promote_at = _check_rate("promote_at", promote_at)
        self.demote_at = _check_rate("demote_at", demote_at)
        if not self.demote_at < self.promote_at:
            raise ValueError(
                f"demote_at must be below promote_at (the gap between them is the hysteresis), "
                f"got demote_at={demote_at!r} and promote_at={promote_at!r}"
            )
        self.window = _check_int("window", window, 1)
        self.min_episodes = self.window if min_episodes is None else _check_int("min_episodes", min_episodes, 1)
        self.level = self.start_level
        self._recent: deque[bool] = deque(maxlen=self.window)
        self._since_move = 0
        self.moves = 0

    @property
    def success_rate(self) -> float | None:
        """The success rate over the current window (None before any result at this level)."""
        return sum(self._recent) / len(self._recent) if self._recent else None

    def sample(self, rng: np.random.Generator) -> int:
        return self.level

    def _on_result(self, level: int, success: bool) -> None:
        if level != self.level:
            return
        self._recent.append(success)
        self._since_move += 1
        if self._since_move < self.min_episodes:
            return
        rate = self.success_rate
        index = self.levels.index(self.level)
        if rate >= self.promote_at and index + 1 < len(self.levels):
            self._move(self.levels[index + 1])
        elif rate < self.demote_at and index > 0:
            self._move(self.levels[index - 1])

    def _move(self, level: int) -> None:
        self.level = level
        self._recent.clear()
        self._since_move = 0
        self.moves += 1

    def _config(self) -> dict[str, Any]:
        return {
            "levels": list(self.levels),
            "start_level": self.start_level,
            "promote_at": self.promote_at,
            "demote_at": self.demote_at,
            "window": self.window,
            "min_episodes": self.min_episodes,
        }

    def _extra_state(self) -> dict[str, Any]:
        return {"level": self.level, "recent": list(self._recent), "since_move": self._since_move, "moves": self.moves}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        if state["level"] not in self.levels:
            raise ValueError(f"this state is at level {state['level']!r}, not one of levels {level_range_text(self.levels)}")
        self.level = int(state["level"])
        self._recent = deque((bool(x) for x in state["recent"]), maxlen=self.window)
        self._since_move = int(state["since_move"])
        self.moves = int(state["moves"])


#: Sampler classes by name (e.g. for a config's ``curriculum: "AdaptiveLevel"``).
SAMPLERS: dict[str, type[_Sampler]] = {cls.__name__: cls for cls in (FixedLevel, LinearSchedule, AdaptiveLevel)}
