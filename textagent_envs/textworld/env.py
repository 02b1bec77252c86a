"""Gymnasium environments for TextWorld games.

One base class, :class:`TextWorldEnv`, plays any family; each family is a subclass that
names its knobs (see :mod:`textagent_envs.textworld.families`). Make them with
``gym.make("TextWorld-Custom-v0", world_size=2, ...)`` or construct them directly.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, ClassVar, Sequence

import gymnasium as gym

from .. import infos
from ..commands import InvalidCommand, parse_command
from ..spaces import FreeText
from ..tasks import MAX_SEED, TaskSetOrder, TaskSpec, as_task, check_seed, load_task_set, make_with_redraws
from ..worker import BackendCrashed, BackendTimeout, InProcessBackend, ProcessBackend
from .families import (
    CoinCollectorKnobs,
    CookingKnobs,
    CustomKnobs,
    Knobs,
    SimpleKnobs,
    TreasureHunterKnobs,
)
from .games import GameFileError, GameGenerationError, discard_cached_game, ensure_game

#: Longest observation returned (longer game text is cut, with a note).
MAX_OBSERVATION_LENGTH = 65_536
#: Seconds a step may take unless ``step_timeout`` says otherwise.
DEFAULT_STEP_TIMEOUT = 10.0
#: Time allowed to start a backend and load a game.
LOAD_TIMEOUT = 120.0

#: Game engines: ``"inform7"`` plays the compiled ``.z8`` through Jericho (TextWorld's
#: reference); ``"native"`` plays the game's logic in Python with the same text (no
#: Inform 7 compile; see docs/textworld/native.md).
_BACKEND_FACTORY = "textagent_envs.textworld.backend:JerichoBackend"
_NATIVE_FACTORY = "textagent_envs.textworld.native.backend:NativeBackend"
BACKENDS = ("inform7", "native")
#: The reference stays the default: the native engine's text matches it on most but not
#: all steps (docs/textworld/native.md has the measured agreement).
DEFAULT_BACKEND = "inform7"


def _accepted(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """The game took the command as an in-world action: its move counter advanced, or the
    score or the outcome changed (a losing move such as drinking the milk in tw-cooking
    ends the game without counting a move)."""
    return (
        after[infos.MOVES] > before[infos.MOVES]
        or after[infos.SCORE] != before[infos.SCORE]
        or after[infos.WON] != before[infos.WON]
        or after[infos.LOST] != before[infos.LOST]
    )


#: Errors from loading a game that mean its file is damaged (the backend process died,
#: or TextWorld could not read what it holds).
_BROKEN_GAME = (BackendCrashed, KeyError, TypeError, AttributeError, IndexError, EOFError, UnicodeDecodeError)


#: Commands already checked (action -> the command the game reads); only accepted ones.
_PARSED: dict[str, str] = {}
_PARSED_KEPT = 4096


def _parse(action: str) -> str:
    """:func:`parse_command`, remembered: an action seen before costs one dict lookup."""
    command = parse_command(action)
    if len(_PARSED) >= _PARSED_KEPT:
        _PARSED.clear()
    _PARSED[action] = command
    return command


def _pid(runner: Any) -> int | None:
    """The runner's child process id (None in this process, or when its child is gone)."""
    return getattr(runner, "pid", None)


def copy_rng(rng: Any) -> Any:
    """An independent generator in the same state as ``rng`` (a ``numpy`` Generator or None)."""
    if rng is None:
        return None
    twin = type(rng)(type(rng.bit_generator)(0))
    twin.bit_generator.state = rng.bit_generator.state
    return twin


class ResetNeeded(RuntimeError):
    """``step`` was called before ``reset`` or after the episode ended."""


class TextWorldEnv(gym.Env[str, str]):
    """A TextWorld game as a Gymnasium environment (base class of every family).

    Observation: ``str``, the game's reply to the last command (at reset: the intro and
    the first room), without the interpreter's prompt or the title banner.

    Action: ``str``, one command in words (``"open the chest"``). Strings the game cannot
    safely read are refused with an explanation as the observation (see
    :mod:`textagent_envs.commands`); a non-``str`` raises ``TypeError``.

    Rewards: the change in the game's score at this step (never cumulative).

    Termination: ``terminated`` when the game is won or lost. ``truncated`` when the step
    budget runs out (gymnasium's ``TimeLimit``; ``gym.make(id, max_episode_steps=N)``) or
    when the backend does not answer within ``step_timeout`` (``info["truncation_reason"]
    == "step_timeout"``).

    Info: the keys in :mod:`textagent_envs.infos`.

    Choosing the game: ``reset(seed=s)`` plays the game TextWorld generates for seed
    ``s`` with this env's knobs (the same game in any process). ``reset()`` draws the
    next seed from the env's ``np_random``. ``reset(options={"task": t})`` plays ``t``
    (a :class:`~textagent_envs.tasks.TaskSpec`, its dict, or a ``.z8`` path). With
    ``tasks=`` the env plays a task set instead, sampled (``task_order="random"``) or
    cycled (``"sequential"``) with its ``np_random``; ``reset(seed=s)`` then seeds that
    choice.

    Args:
        tasks: a task set (manifest path, directory of games, or list of tasks).
        task_order: ``"random"`` or ``"sequential"`` over ``tasks``.
        cache_dir: where generated games are cached (see :mod:`textagent_envs.cache`).
        admissible_commands: compute ``info["admissible_commands"]`` (costs about two
            thirds of the step time).
        extra_infos: optional info keys to add: ``description``, ``inventory``,
            ``location``, ``policy_commands``.
        isolation: ``"none"`` (default) runs the game in this process: no overhead,
            and the step timeout interrupts a game stuck in Python code (a SIGALRM
            timer, main thread only). ``"process"`` runs it in a child process: every
            hang, even inside the interpreter's C code, is cut off, and a crash cannot
            take the caller down, for about 2-36% more time per step
            (docs/benchmarks.md).
        step_timeout: seconds a step may take (default 10); ``None`` for the default.
        render_mode: ``"ansi"`` (``render()`` returns the last observation) or
            ``"human"`` (prints it).
        backend: ``"inform7"`` (default; the compiled game through Jericho, TextWorld's
            reference) or ``"native"`` (the same game played in Python, well over 30x
            faster per step and with no Inform 7 compile; :meth:`get_state` /
            :meth:`set_state` copy its state). See docs/textworld/native.md.
        **knobs: the family's knobs (see the subclass).
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 4}
    Knobs: ClassVar[type[Knobs]]

    def __init__(
        self,
        *,
        tasks: str | Path | Sequence | None = None,
        task_order: str = "random",
        cache_dir: str | Path | None = None,
        admissible_commands: bool = True,
        extra_infos: Sequence[str] = (),
        isolation: str = "none",
        step_timeout: float | None = None,
        render_mode: str | None = None,
        backend: str = DEFAULT_BACKEND,
        **knobs: Any,
    ):
        self.knobs = self.Knobs.from_params(knobs)
        self.family = self.Knobs.family
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
        if isolation not in ("process", "none"):
            raise ValueError(f"isolation must be 'process' or 'none', got {isolation!r}")
        if step_timeout is not None and (
            isinstance(step_timeout, bool) or not isinstance(step_timeout, (int, float)) or not step_timeout > 0
        ):
            raise ValueError(f"step_timeout must be a positive number of seconds, got {step_timeout!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        if not isinstance(admissible_commands, bool):
            raise TypeError(f"admissible_commands must be a bool, got {admissible_commands!r}")
        extra = tuple(extra_infos)
        unknown = set(extra) - set(infos.OPTIONAL)
        if unknown:
            raise ValueError(f"unknown extra_infos {sorted(unknown)}; choose from {list(infos.OPTIONAL)}")

        self.task_order = TaskSetOrder(task_order)
        self.task_set = load_task_set(tasks, family=self.family) if tasks is not None else None
        self.cache_dir = cache_dir
        self.isolation = isolation
        self.backend = backend
        self.step_timeout = float(step_timeout or DEFAULT_STEP_TIMEOUT)
        self.render_mode = render_mode
        self._requested = ((infos.ADMISSIBLE_COMMANDS,) if admissible_commands else ()) + extra

        self.observation_space = FreeText(MAX_OBSERVATION_LENGTH)
        self.action_space = FreeText(MAX_OBSERVATION_LENGTH)

        self._backend = None
        self.task: TaskSpec | None = None
        self.game_file: Path | None = None
        self._state: dict[str, Any] | None = None
        self._last_obs = ""
        self._episode_over = False
        #: (task, game file, backend, its process id) of the game loaded in the backend, for
        #: resets that replay it (a child process that was replaced has no game loaded).
        self._loaded: tuple[TaskSpec, Path, Any, int | None] | None = None
        self._seed_task: TaskSpec | None = None

    # -- choosing the task -------------------------------------------------------------
    def task_for_seed(self, seed: int) -> TaskSpec:
        """The task this env plays for ``reset(seed=seed)`` (without a task set)."""
        last = self._seed_task  # the same seed again (a GRPO group): no knob handling
        if last is None or last.seed != seed:
            last = self._seed_task = self.knobs.task(seed)
        return last

    def _choose_task(self, seed: int | None, options: dict | None) -> TaskSpec:
        options = dict(options or {})
        task = options.pop("task", None)
        if options:
            raise ValueError(f"unknown reset option(s) {sorted(options)}; the only option is 'task'")
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
        if seed is None:
            seed = int(self.np_random.integers(MAX_SEED))
        return self.task_for_seed(seed)

    def _game_for(self, task: TaskSpec, *, drawn: bool) -> tuple[TaskSpec, Path]:
        """``task`` and its game file. A seed the env drew itself that makes no game
        (TextWorld found no quest) is replaced by the next draw; a chosen seed is an error."""
        return make_with_redraws(
            task, lambda t: ensure_game(t, self.cache_dir, backend=self.backend),
            lambda: self.task_for_seed(int(self.np_random.integers(MAX_SEED))),
            drawn=drawn, error=GameGenerationError, what=f"{self.family} game with knobs {self.knobs.to_params()}",
        )

    # -- the backend -------------------------------------------------------------------
    def _call(self, method: str, *args: Any, timeout: float | None = None) -> Any:
        if self._backend is None:
            runner = ProcessBackend if self.isolation == "process" else InProcessBackend
            factory = _NATIVE_FACTORY if self.backend == "native" else _BACKEND_FACTORY
            self._backend = runner(factory, {"extra_infos": self._requested})
        return self._backend.call(method, *args, timeout=timeout)

    # -- gymnasium API -----------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[str, dict]:
        check_seed(seed)
        super().reset(seed=seed)
        task = self._choose_task(seed, options)
        loaded = self._loaded
        if loaded is not None and loaded[2] is self._backend and loaded[3] == _pid(self._backend) and task == loaded[0]:
            # The game of this task is loaded in this backend: restart it, no file lookup.
            task, game_file = loaded[:2]
            again = True
        else:
            task, game_file = self._game_for(task, drawn=seed is None and not options and self.task_set is None)
            again = False
        self.task = self._state = None  # a reset that fails leaves no episode (nor a task that set_state trusts)
        self._loaded = None
        try:
            state = self._start(task, game_file, load=not again)
        except _BROKEN_GAME as err:
            if task.game_file is not None:  # the user's own file
                raise GameFileError(f"game file {str(game_file)!r} of task {task.id!r} cannot be played: {err!r}") from None
            # A cached game that passed the file checks but does not load: make it again, once.
            self._discard_cached(game_file, repr(err))
            task, game_file = self._game_for(task, drawn=False)
            state = self._start(task, game_file)
        self.task, self.game_file, self._state, self._episode_over = task, game_file, state, False
        self._loaded = (task, game_file, self._backend, _pid(self._backend))
        obs = self._observe(state["feedback"])
        return obs, self._info(state, valid=False)

    def _start(self, task: TaskSpec, game_file: Path, *, load: bool = True) -> dict[str, Any]:
        """Load ``game_file`` in the backend (unless it is loaded) and reset it; its first state."""
        timeout = max(LOAD_TIMEOUT, self.step_timeout)
        try:
            if load:
                self._call("load", str(Path(game_file).absolute()), timeout=timeout)
            return self._call("reset", timeout=timeout)
        except BackendTimeout as err:
            raise RuntimeError(f"could not start game {game_file} for task {task.id!r}: {err}") from None
        except BackendCrashed:
            if self._backend is not None:
                self._backend.close()
            self._backend = None
            raise

    def _discard_cached(self, game_file: Path, reason: str) -> None:
        discard_cached_game(Path(game_file).with_suffix(".z8"), reason)

    def step(self, action: str) -> tuple[str, float, bool, bool, dict]:
        if not isinstance(action, str):
            raise TypeError(f"an action must be a str (one command in words), got {type(action).__name__}: {action!r:.80}")
        if self._state is None:
            raise ResetNeeded("call reset() before step()")
        if self._episode_over:
            raise ResetNeeded("this episode is over (the game was won, lost or cut off); call reset() to start another")
        previous = self._state
        try:
            command = _PARSED.get(action) or _parse(action)
        except InvalidCommand as err:
            info = self._info(previous, valid=False)
            info[infos.INVALID_REASON] = str(err)
            return self._observe(str(err)), 0.0, False, False, info
        try:
            state = self._call("step", command, timeout=self.step_timeout)
        except (BackendTimeout, BackendCrashed) as err:
            self._episode_over = True
            self._backend.close()
            self._backend = None  # a fresh backend at the next reset
            info = self._info(previous, valid=False)
            info[infos.TRUNCATION_REASON] = "step_timeout" if isinstance(err, BackendTimeout) else "backend_crashed"
            return self._observe(f"The game stopped answering and the episode was cut off ({err})."), 0.0, False, True, info
        self._state = state
        reward = float(state[infos.SCORE] - previous[infos.SCORE])
        terminated = state[infos.WON] or state[infos.LOST]
        self._episode_over = terminated
        info = self._info(state, valid=_accepted(previous, state))
        return self._observe(state["feedback"]), reward, terminated, False, info

    def _observe(self, text: str) -> str:
        if len(text) > MAX_OBSERVATION_LENGTH:
            note = "\n[... cut: the game's reply was too long]"
            text = text[: MAX_OBSERVATION_LENGTH - len(note)] + note
        self._last_obs = text
        if self.render_mode == "human":
            print(text)
        return text

    def _info(self, state: dict[str, Any], *, valid: bool) -> dict[str, Any]:
        info = {key: state[key] for key in infos.ALWAYS if key in state}
        for key in self._requested:
            value = state[key]
            info[key] = list(value) if isinstance(value, list) else value
        info[infos.SUCCESS] = state[infos.WON] and not state[infos.LOST]
        info[infos.WALKTHROUGH] = list(state[infos.WALKTHROUGH])
        info[infos.LAST_ACTION_VALID] = valid
        info[infos.TASK] = self.task.to_dict() if self.task is not None else None
        return info

    # -- state copies (native backend) ------------------------------------------------------
    #: Version of the dict :meth:`get_state` returns.
    STATE_VERSION = 1

    def get_state(self) -> dict[str, Any]:
        """A copy of the episode's state (``backend="native"`` only): pass it to
        :meth:`set_state` to continue from here, any number of times (tree search,
        GRPO groups from one state). Cheap: the game state is a tuple of ints.

        The state is portable: it names the task, not a file in this env's cache, so it
        can be pickled and restored in another process, with another cache directory or
        on another machine (the game is generated there from the task if needed). A
        task that names its own game file keeps that path, which must exist there too.
        """
        self._require_state_copies("get_state")
        if self._state is None:
            raise ResetNeeded("call reset() before get_state()")
        return {
            "version": self.STATE_VERSION, "family": self.family, "task": self.task.to_dict(),
            "game": self._call("get_state"), "last": dict(self._state), "over": self._episode_over, "obs": self._last_obs,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue from a state :meth:`get_state` returned (in this env or another one
        of the same family and backend, in any process)."""
        self._require_state_copies("set_state")
        if not isinstance(state, dict) or state.get("version") != self.STATE_VERSION or "game" not in state:
            raise TypeError("set_state takes the dict that get_state() returned (of this version of textagent_envs)")
        if state["family"] != self.family:
            raise ValueError(f"this state is of a {state['family']!r} game but this env plays {self.family!r}")
        if self._backend is None or self.task is None or state["task"] != self.task.to_dict():
            # Another game (or none loaded): find or make it in this env's cache, and load it.
            task, game_file = self._game_for(TaskSpec.from_dict(state["task"]), drawn=False)
            self._call("load", str(Path(game_file).absolute()), timeout=max(LOAD_TIMEOUT, self.step_timeout))
            self.task, self.game_file = task, game_file
            self._loaded = (task, game_file, self._backend, _pid(self._backend))
        self._call("set_state", state["game"])
        self._state, self._episode_over, self._last_obs = dict(state["last"]), state["over"], state["obs"]

    def fork(self, k: int = 1) -> list["TextWorldEnv"]:
        """``k`` independent envs in this env's current state (``backend="native"``;
        ALFWorld: ``engine="fast"``): the same task, game state, last observation and
        info, episode over or not, and a copy of ``np_random`` (so a later ``reset()``
        draws the same seed in every fork). Stepping one changes no other.

        In this process (``isolation="none"``) a fork shares the compiled game and costs
        microseconds; with ``isolation="process"`` each fork starts its own child process
        and loads the game there (about as long as a first reset).

        The forks are bare envs (no ``TimeLimit`` nor reward wrapper): to fork what
        ``gym.make`` returned, wrappers and their state included (steps taken toward the
        step budget, returned reward), use :func:`textagent_envs.fork`.
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive int (the number of forks), got {k!r}")
        self._require_state_copies("fork")
        if self._state is None:
            raise ResetNeeded("call reset() before fork()")
        state = self.get_state()
        return [self._twin(state) for _ in range(k)]

    def _twin(self, state: dict[str, Any]) -> "TextWorldEnv":
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin._np_random = copy_rng(self._np_random)
        twin.task_order = copy.copy(self.task_order)
        twin._state = dict(self._state)
        twin._loaded = None
        if isinstance(self._backend, InProcessBackend):
            twin._backend = self._backend.fork()
        else:  # a child process of its own, which loads the game
            twin._backend = None
            twin.set_state(state)
        return twin

    def _require_state_copies(self, method: str) -> None:
        if self.backend != "native":
            raise NotImplementedError(
                f"{method}() needs backend='native' (the Inform 7 interpreter's state cannot be copied cheaply); "
                "engines that copy and fork states: TextWorld backend='native', ALFWorld engine='fast', SWE-Mini sandbox='bwrap'"
            )

    def __getstate__(self) -> dict[str, Any]:
        # A running game (an interpreter, a child process) cannot be copied; an env that
        # has none (never reset, or closed) copies as its settings.
        if self._backend is not None:
            raise TypeError(
                f"a {type(self).__name__} with a game running cannot be pickled or deep-copied. "
                "To copy an episode, make another env with the same arguments and call "
                "other.unwrapped.set_state(env.unwrapped.get_state()) (get_state() is portable: it pickles, "
                f"and restores in another process){self._state_copy_hint()}; or close() this env first to copy its settings."
            )
        return {**self.__dict__, "_loaded": None}

    def _state_copy_hint(self) -> str:
        return "" if self.backend == "native" else "; state copies need backend='native'"

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self._last_obs
        return None

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
        self._backend = self._loaded = None
        super().close()


class CustomEnv(TextWorldEnv):
    """TextWorld ``custom`` games: rooms, objects and a quest, as ``tw-make custom``.

    Knobs: ``world_size`` rooms (1-100, default 2), ``nb_objects`` (0-200, default 3),
    ``quest_length`` (1-50, default 4), ``quest_breadth`` (1-10, or None for tw-make's
    1-5).

    Registered ids: ``TextWorld-Custom-v0`` and the paper's settings
    ``TextWorld-Custom-w2-o3-q4-v0``, ``-w8-o3-q4-v0``, ``-w2-o12-q4-v0``,
    ``-w8-o12-q4-v0``, ``-w4-o6-q8-v0``.
    """

    Knobs = CustomKnobs


class SimpleEnv(TextWorldEnv):
    """TextWorld ``tw-simple``: a six-room house; take the food to the stove.

    Knobs: ``rewards`` dense | balanced | sparse (default dense), ``goal``
    detailed | brief | none (default detailed), ``test`` (bool).
    Eating the food loses the game. Registered id: ``TextWorld-Simple-v0``.
    """

    Knobs = SimpleKnobs


class CookingEnv(TextWorldEnv):
    """TextWorld ``tw-cooking``: gather, prepare and eat a recipe's ingredients.

    Knobs: ``recipe``, ``take``, ``go``, ``open``, ``cook``, ``cut``, ``drop``,
    ``recipe_seed``, ``split``, or one ``level`` 1-8 (see ``COOKING_LEVELS``).
    Registered id: ``TextWorld-Cooking-v0``.
    """

    Knobs = CookingKnobs


class CoinCollectorEnv(TextWorldEnv):
    """TextWorld ``tw-coin_collector``: find the coin. Knob: ``level`` 1-300.
    Registered id: ``TextWorld-CoinCollector-v0``."""

    Knobs = CoinCollectorKnobs


class TreasureHunterEnv(TextWorldEnv):
    """TextWorld ``tw-treasure_hunter``: find and take the named object. Knob:
    ``level`` 1-30. Registered id: ``TextWorld-TreasureHunter-v0``."""

    Knobs = TreasureHunterKnobs
