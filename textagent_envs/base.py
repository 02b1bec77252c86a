"""The base of every textagent_envs environment: what TextWorld, ALFWorld and SWE share.

:class:`TextEnv` holds the Gymnasium contract for text envs, written once:

- spaces: the observation and the action are ``str`` (:class:`~textagent_envs.spaces.FreeText`);
- ``reset(seed=, options=)``: the seed seeds the env's own ``np_random``; a task is chosen
  with ``options={"task": ...}`` (a :class:`~textagent_envs.tasks.TaskSpec`, its dict, or
  a game file), from a task set given as ``tasks=`` (sampled or cycled with ``np_random``),
  or drawn from the family's knobs with the seed (:meth:`TextEnv._chosen_task`);
- step bookkeeping: ``TypeError`` for a non-``str`` action, :class:`ResetNeeded` before
  the first reset and after the episode ended;
- the info dict of :mod:`textagent_envs.infos`, built by one method (:meth:`TextEnv._info`);
- ``render()`` (``"ansi"`` returns the last observation, ``"human"`` prints it);
- ``fork(k)`` (``k`` copies of the episode, for engines that can copy their state) and
  the refusal to pickle an env whose game or sandbox is running.

A family adds its engine (what plays the game) and its knobs:
:class:`~textagent_envs.game_env.GameEnv` is the base of games played by an engine behind a
runner (TextWorld, ALFWorld), :class:`~textagent_envs.swe.env.SWEEnv` the base of the
software-engineering envs (a sandbox). See docs/architecture.md.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, ClassVar, Sequence

import gymnasium as gym

from .infos import LAST_ACTION_VALID, LOST, MAX_SCORE, MOVES, OBJECTIVE, SCORE, SUCCESS, TASK, WALKTHROUGH, WON
from .checks import require_choice, require_int
from .spaces import FreeText
from .tasks import TaskSetOrder, TaskSpec, as_task, load_task_set

__all__ = ["ResetNeeded", "TextEnv", "copy_rng"]

#: Engines that copy and fork an episode's state, for error messages.
FORKING_ENGINES = "TextWorld engine='native', ALFWorld engine='fast', SWE-Mini sandbox='bwrap'"


class ResetNeeded(RuntimeError):
    """``step`` (or ``fork``, ``get_state``) was called before ``reset`` or after the episode ended."""


def copy_rng(rng: Any) -> Any:
    """An independent generator in the same state as ``rng`` (a ``numpy`` Generator or None)."""
    if rng is None:
        return None
    twin = type(rng)(type(rng.bit_generator)(0))
    twin.bit_generator.state = rng.bit_generator.state
    return twin


class TextEnv(gym.Env[str, str]):
    """Base of every textagent_envs environment (see the module docstring).

    Subclasses set :attr:`family` (or a ``Knobs`` class that names it), call
    ``super().__init__(render_mode=..., max_text=...)``, and write ``reset`` / ``step``
    with the helpers here: :meth:`_reset_options`, :meth:`_chosen_task`,
    :meth:`_check_step`, :meth:`_observe`, :meth:`_info`.
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 4}
    #: The family this env plays (``TaskSpec.family`` of its tasks).
    family: str = ""
    #: The keys ``reset(options=...)`` accepts.
    reset_options: ClassVar[tuple[str, ...]] = ("task",)
    #: The env's reward is the change of ``info["score"]`` (checked by :func:`~textagent_envs.testing.check_text_env`).
    reward_is_score_change = True
    #: What a step that reaches the end of an episode is called in :class:`ResetNeeded`'s message.
    episode_end = "the game was won, lost or cut off"

    def __init__(self, *, render_mode: str | None = None, max_text: int = 65_536):
        if render_mode is not None:
            require_choice("render_mode", render_mode, self.metadata["render_modes"])
        self.render_mode = render_mode
        self.max_text = max_text
        self.observation_space = FreeText(max_text)
        self.action_space = FreeText(max_text)
        self.task: TaskSpec | None = None
        self.task_set: list[TaskSpec] | None = None
        self.task_order = TaskSetOrder("random")
        #: An episode was reset and has not ended: ``step`` may be called.
        self._playing = False
        #: ``reset`` has succeeded at least once (what ``fork`` and ``get_state`` need).
        self._started = False
        self._last_obs = ""
        #: Optional info keys asked for (:data:`textagent_envs.infos.REQUESTABLE`), in order.
        self._requested: tuple[str, ...] = ()

    # -- choosing the task ---------------------------------------------------------------
    def _use_task_set(self, tasks: str | Path | Sequence | None, task_order: str) -> None:
        """Set the task set (``tasks=``) and its order (``task_order=``)."""
        self.task_order = TaskSetOrder(task_order)
        self.task_set = load_task_set(tasks, family=self.family) if tasks is not None else None

    def _reset_options(self, options: dict | None) -> dict:
        """``options`` checked: a dict (or None) of keys in :attr:`reset_options`; a copy."""
        if options is None:
            return {}
        if not isinstance(options, dict):
            raise TypeError(f"options must be a dict, got {type(options).__name__}")
        unknown = set(options) - set(self.reset_options)
        if unknown:
            allowed = " or ".join(repr(o) for o in self.reset_options)
            raise ValueError(f"unknown reset option(s) {sorted(unknown)}; the only option is {allowed}")
        return dict(options)

    def _chosen_task(self, seed: int | None, options: dict) -> TaskSpec | None:
        """The task ``options["task"]`` names (of this env's family), else the next task of
        the task set, else None: the caller draws one from its knobs with ``seed``."""
        task = options.get("task")
        if task is not None:
            task = as_task(task, family=self.family)
            if task.family != self.family:
                raise ValueError(
                    f"task {task.id!r} is a {task.family!r} task but this env plays {self.family!r}; "
                    "make the env of that family instead"
                )
            return task
        if self.task_set is not None:
            return self.task_order.pick(self.task_set, self.np_random, restart=seed is not None)
        return None

    # -- step bookkeeping ----------------------------------------------------------------
    def _check_step(self, action: Any, what: str = "one command in words") -> None:
        """``TypeError`` unless ``action`` is a ``str``; :class:`ResetNeeded` unless an episode is running."""
        if type(action) is not str and not isinstance(action, str):
            raise TypeError(f"an action must be a str ({what}), got {type(action).__name__}: {action!r:.80}")
        if not self._playing:
            if not self._started:
                raise ResetNeeded("call reset() before step()")
            raise ResetNeeded(f"this episode is over ({self.episode_end}); call reset() to start another")

    def _observe(self, text: str) -> str:
        """``text`` as the observation: cut to the space's length (with a note), kept for
        ``render()``, printed in ``render_mode="human"``."""
        if len(text) > self.max_text:
            note = "\n[... cut: the reply was too long]"
            text = text[: self.max_text - len(note)] + note
        self._last_obs = text
        if self.render_mode == "human":
            print(text)
        return text

    def _info(self, state: dict[str, Any], *, valid: bool) -> dict[str, Any]:
        """The info dict of :mod:`textagent_envs.infos` from ``state`` (a dict holding
        ``won``, ``lost``, ``score``, ``max_score``, ``moves``, ``objective``,
        ``walkthrough`` and the requested optional keys), whether the last action was
        valid, and the task being played. Its lists and dicts are new objects (gymnasium's
        rule: the caller may keep or change an info; an engine may keep its lists in memo tables)."""
        won, lost, task = state[WON], state[LOST], self.task
        info = {
            WON: won, LOST: lost, SUCCESS: won and not lost, SCORE: state[SCORE], MAX_SCORE: state[MAX_SCORE],
            MOVES: state[MOVES], OBJECTIVE: state[OBJECTIVE], WALKTHROUGH: list(state[WALKTHROUGH]),
            LAST_ACTION_VALID: valid, TASK: None if task is None else task.to_dict(),
        }
        for key in self._requested:
            value = state[key]
            info[key] = list(value) if type(value) is list else value
        return info

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self._last_obs
        return None

    # -- copies ----------------------------------------------------------------------------
    def fork(self, k: int = 1) -> list["TextEnv"]:
        """``k`` independent envs in this env's current state: the same task, engine state,
        last observation and info, episode over or not, and a copy of ``np_random`` (so a
        later ``reset()`` draws the same seed in every fork). Stepping one changes no other.
        Only engines that copy their state fork (TextWorld ``engine="native"``, ALFWorld
        ``engine="fast"``, SWE-Mini ``sandbox="bwrap"``); the others raise
        ``NotImplementedError``.

        The forks are bare envs (no ``TimeLimit`` nor reward wrapper): to fork what
        ``gym.make`` returned, wrappers and their state included (steps taken toward the
        step budget, returned reward), use :func:`textagent_envs.fork`.
        """
        require_int("k", k, minimum=1)
        self._require_state_copies("fork")
        if not self._started:
            raise ResetNeeded("call reset() before fork()")
        return self._forks(k)

    def _forks(self, k: int) -> list["TextEnv"]:
        """``k`` copies of this env's episode (the env has been reset and can copy its state)."""
        raise NotImplementedError

    def _require_state_copies(self, method: str) -> None:
        """``NotImplementedError`` (naming ``method``) unless this env's engine can copy its state."""
        raise NotImplementedError(f"{type(self).__name__} cannot {method}(); engines that copy and fork states: {FORKING_ENGINES}")

    def _twin(self) -> "TextEnv":
        """A shallow copy of this env with its own ``np_random`` and task order (the
        subclass then gives it its own engine or sandbox)."""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin._np_random = copy_rng(self._np_random)
        twin.task_order = copy.copy(self.task_order)
        return twin

    def _copy_refusal(self) -> str | None:
        """Why this env cannot be pickled or deep-copied now (None: it can, as its settings)."""
        return None

    def __getstate__(self) -> dict[str, Any]:
        reason = self._copy_refusal()
        if reason is not None:
            raise TypeError(reason)
        return dict(self.__dict__)
