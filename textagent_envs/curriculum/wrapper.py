"""A wrapper that picks each episode's difficulty level with a curriculum sampler.

See :class:`CurriculumWrapper`; the samplers are in
:mod:`textagent_envs.curriculum.samplers`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

import gymnasium as gym
import numpy as np

from .. import infos
from ..checks import is_int
from ..jsonl import read_jsonl
from ..knobs import level_range_text
from ..tasks import MAX_SEED, TaskSpec

__all__ = ["CURRICULUM_LEVEL", "CurriculumWrapper"]

#: Info key: the curriculum level of the episode (None when the task was given by hand).
CURRICULUM_LEVEL = "curriculum_level"


class CurriculumWrapper(gym.Wrapper):
    """Each ``reset`` plays a new game at the level a curriculum sampler picks; each
    finished episode is reported back to the sampler (and to a log).

    On ``reset(seed=None, options=None)`` the wrapper asks ``sampler.sample(rng)`` for a
    level, builds that level's knobs with ``env.unwrapped.Knobs.from_level(level)``,
    draws a game seed from its own ``np.random.Generator`` (re-seeded from ``seed`` when
    one is given, so a seeded run replays the same levels and games) and resets the env
    with ``options={"task": TaskSpec(family, knobs.to_params(), game_seed)}``.
    ``reset(options={"task": t})`` plays ``t`` unchanged, outside the curriculum: that
    episode is neither reported nor logged, and its ``info["curriculum_level"]`` is None.

    When an episode ends (``terminated or truncated``) the wrapper calls
    ``sampler.update(level, info["success"], episode_return)``, where the return is the
    sum of the rewards this wrapper saw, and, with ``log_path``, appends one JSON line
    ``{"episode", "level", "success", "return", "length", "task_id"}`` to it (flushed at
    once; ``episode`` numbering continues an existing log). An episode abandoned by an
    early ``reset`` is neither reported nor logged.

    Every info dict gets ``info[CURRICULUM_LEVEL]`` (``"curriculum_level"``).

    Put the wrapper outside gymnasium's ``TimeLimit`` (wrap what ``gym.make`` returns) so
    that running out of steps counts as the end of an episode. In a vector env each
    sub-env has its own wrapper; with ``vectorization_mode="async"`` they also have
    their own sampler (one per worker process).

    Args:
        env: a textagent_envs environment whose ``env.unwrapped`` has ``Knobs`` with
            levels (every TextWorld family).
        sampler: a :class:`~textagent_envs.curriculum.samplers.LevelSampler`.
        levels: the levels ``sampler`` may return (default: its ``levels`` attribute);
            checked against the family's levels now. Without either, each sampled
            level is checked at ``reset``.
        log_path: a JSONL file to append one line per finished episode to.

    Example::

        >>> import gymnasium as gym
        >>> import textagent_envs
        >>> from textagent_envs.curriculum.samplers import AdaptiveLevel
        >>> from textagent_envs.curriculum.wrapper import CURRICULUM_LEVEL, CurriculumWrapper
        >>> env = CurriculumWrapper(
        ...     gym.make("TextWorld-CoinCollector-v0", isolation="none"),
        ...     AdaptiveLevel(levels=range(1, 4), window=1),
        ... )
        >>> for episode in range(2):
        ...     obs, info = env.reset(seed=episode)
        ...     for command in info["walkthrough"]:            # an agent that always wins
        ...         obs, reward, terminated, truncated, info = env.step(command)
        ...     print(info[CURRICULUM_LEVEL], info["success"])
        1 True
        2 True
        >>> env.sampler.level                                  # promoted twice
        3
        >>> env.close()
    """

    def __init__(
        self,
        env: gym.Env,
        sampler: Any,
        *,
        levels: Iterable[int] | None = None,
        log_path: str | os.PathLike | None = None,
    ):
        super().__init__(env)
        base = env.unwrapped
        knobs_cls = getattr(base, "Knobs", None)
        if knobs_cls is None or not hasattr(knobs_cls, "levels") or not hasattr(knobs_cls, "from_level"):
            raise TypeError(
                f"CurriculumWrapper needs an env whose unwrapped env has a Knobs class with levels "
                f"(any textagent_envs TextWorld env), got {type(base).__name__}"
            )
        for method in ("sample", "update"):
            if not callable(getattr(sampler, method, None)):
                raise TypeError(
                    f"sampler must have sample(rng) and update(level, success, episode_return) methods "
                    f"(see textagent_envs.curriculum.samplers), got {type(sampler).__name__} without {method}()"
                )
        self.sampler = sampler
        self.family: str = knobs_cls.family
        self.family_levels: range = knobs_cls.levels()
        if levels is None:
            levels = getattr(sampler, "levels", None)
        self.levels: tuple[int, ...] | None = None
        if levels is not None:
            self.levels = tuple(levels)
            if not self.levels:
                raise ValueError("levels must hold at least one level, got an empty sequence")
            bad = [level for level in self.levels if not self._is_family_level(level)]
            if bad:
                raise ValueError(
                    f"the curriculum's levels {level_range_text(self.levels)} are not all levels of {self.family}: "
                    f"{bad} outside {self.family}'s levels {self.family_levels.start}-{self.family_levels.stop - 1}"
                )

        self.log_path = Path(log_path).expanduser() if log_path is not None else None
        #: Curriculum episodes finished so far (numbering continues an existing log).
        self.episode = _next_episode(self.log_path) if self.log_path is not None else 0
        self._rng = np.random.default_rng()
        #: Level of the current episode (None outside the curriculum or before reset).
        self.level: int | None = None
        self.task: TaskSpec | None = None
        self._return = 0.0
        self._length = 0
        self._reported = True

    def _is_family_level(self, level: Any) -> bool:
        return is_int(level) and int(level) in self.family_levels

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict[str, Any]]:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._return, self._length = 0.0, 0
        if options is not None and options.get("task") is not None:
            self.level, self.task, self._reported = None, None, True
            obs, info = self.env.reset(seed=seed, options=options)
            info[CURRICULUM_LEVEL] = None
            return obs, info

        level = self.sampler.sample(self._rng)
        if not self._is_family_level(level) or (self.levels is not None and int(level) not in self.levels):
            allowed = level_range_text(self.levels) if self.levels is not None else (
                f"{self.family_levels.start}-{self.family_levels.stop - 1}"
            )
            raise ValueError(f"{type(self.sampler).__name__}.sample() returned level {level!r}, not one of {allowed}")
        level = int(level)
        knobs = self.env.unwrapped.Knobs.from_level(level)
        game_seed = int(self._rng.integers(MAX_SEED))
        task = knobs.task(game_seed)
        obs, info = self.env.reset(seed=seed, options={**(options or {}), "task": task})
        self.level, self.task, self._reported = level, task, False
        info[CURRICULUM_LEVEL] = level
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        info[CURRICULUM_LEVEL] = self.level
        if not self._reported:
            self._return += float(reward)
            self._length += 1
            if terminated or truncated:
                self._finish(info)
        return obs, reward, terminated, truncated, info

    def _finish(self, info: dict[str, Any]) -> None:
        if infos.SUCCESS not in info:
            raise KeyError(f"CurriculumWrapper needs info[{infos.SUCCESS!r}] at the end of an episode, which this env does not return")
        success = bool(info[infos.SUCCESS])
        self._reported = True
        self.sampler.update(self.level, success, self._return)
        if self.log_path is not None:
            line = {
                "episode": self.episode,
                "level": self.level,
                "success": success,
                "return": self._return,
                "length": self._length,
                "task_id": self.task.id,
            }
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(json.dumps(line) + "\n")
                log.flush()
        self.episode += 1


def _next_episode(path: Path) -> int:
    """The episode number after the last line of an existing log (0 for a new one); a bad
    line raises naming the file and line (:func:`textagent_envs.jsonl.read_jsonl`)."""
    if not path.exists():
        return 0
    records = read_jsonl(path, what="curriculum log")
    if not records:
        return 0
    lineno, last = records[-1]
    episode = last.get("episode")
    if not is_int(episode):
        raise ValueError(
            f"{path}:{lineno}: the curriculum log to append to does not end with a line holding an int 'episode'; "
            "give a new log_path or repair the file"
        )
    return int(episode) + 1
