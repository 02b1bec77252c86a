"""The base of games played by an engine behind a runner (TextWorld, ALFWorld).

:class:`GameEnv` adds to :class:`~textagent_envs.base.TextEnv` what both game families
do the same way: the engine choice (``engine=``, from the family's :attr:`GameEnv.ENGINES`),
the runner (``isolation=``, :func:`textagent_envs.worker.make_runner`) and its step
timeout, game files found or generated in a cache, a reset that replays a loaded game
without looking it up again, a damaged cached game made again once, command safety checks
(:mod:`textagent_envs.commands`), reward = change of the game's score, and
``get_state`` / ``set_state`` / ``fork`` for engines that copy their state.

A family subclass names its ``Knobs``, its ``ENGINES`` and how to find or make a game
file (:meth:`GameEnv._ensure_game`); see docs/architecture.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Sequence

from . import infos
from .infos import INVALID_REASON, LOST, MOVES, SCORE, TRUNCATION_REASON, WON
from .base import FORKING_ENGINES, ResetNeeded, TextEnv
from .checks import require_bool, require_choice, require_number
from .commands import InvalidCommand, parse_command
from .tasks import MAX_SEED, TaskSpec, check_seed, make_with_redraws
from .worker import BackendCrashed, BackendTimeout, InProcessRunner, check_isolation, make_runner

__all__ = ["GameEnv", "MAX_OBSERVATION_LENGTH", "DEFAULT_STEP_TIMEOUT", "LOAD_TIMEOUT"]

#: Longest observation returned (longer game text is cut, with a note).
MAX_OBSERVATION_LENGTH = 65_536
#: Seconds a step may take unless ``step_timeout`` says otherwise.
DEFAULT_STEP_TIMEOUT = 10.0
#: Time allowed to start a backend and load a game.
LOAD_TIMEOUT = 120.0

#: Errors from loading a game that mean its file is damaged (the backend process died,
#: or the engine could not read what it holds).
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


def _accepted(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """The game took the command as an in-world action: its move counter advanced, or the
    score or the outcome changed (a losing move such as drinking the milk in tw-cooking
    ends the game without counting a move)."""
    return (
        after[MOVES] > before[MOVES] or after[SCORE] != before[SCORE]
        or after[WON] != before[WON] or after[LOST] != before[LOST]
    )


def _pid(runner: Any) -> int | None:
    """The runner's child process id (None in this process, or when its child is gone)."""
    return getattr(runner, "pid", None)


class GameEnv(TextEnv):
    """Base of the game families (see the module docstring); its arguments are every
    game env's:

    Args:
        engine: what plays the game, one of the family's :attr:`ENGINES`.
        tasks: a task set (manifest path, directory of games, or list of tasks).
        task_order: ``"random"`` or ``"sequential"`` over ``tasks``.
        cache_dir: where generated games are cached (see :mod:`textagent_envs.cache`).
        admissible_commands: compute ``info["admissible_commands"]``.
        extra_infos: optional info keys to add (:data:`textagent_envs.infos.OPTIONAL`).
        isolation: ``"none"`` (the engine runs in this process) or ``"process"`` (in a
            child process; see :mod:`textagent_envs.worker`).
        step_timeout: seconds a step may take (default 10); ``None`` for the default.
        render_mode: ``"ansi"`` or ``"human"``.
        **knobs: the family's knobs.
    """

    #: The family's knobs class (its ``family`` names the family).
    Knobs: ClassVar[type]
    #: Engine name -> backend factory (``"module:callable"``) the runner builds.
    ENGINES: ClassVar[dict[str, str]] = {}
    #: Engines whose episodes can be copied (``get_state``, ``set_state``, ``fork``).
    COPYING_ENGINES: ClassVar[tuple[str, ...]] = ()
    #: Optional infos each engine gives (default: all of :data:`textagent_envs.infos.OPTIONAL`).
    ENGINE_INFOS: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: The error a task's own unplayable game file raises.
    GameFileError: ClassVar[type[Exception]] = ValueError
    #: The error a seed that makes no game raises (redrawn when the env drew the seed).
    GenerationError: ClassVar[type[Exception]] = RuntimeError

    def __init__(
        self,
        *,
        engine: str,
        tasks: str | Path | Sequence | None = None,
        task_order: str = "random",
        cache_dir: str | Path | None = None,
        admissible_commands: bool = True,
        extra_infos: Sequence[str] = (),
        isolation: str = "none",
        step_timeout: float | None = None,
        render_mode: str | None = None,
        **knobs: Any,
    ):
        self.knobs = self.Knobs.from_params(knobs)
        self.family = self.Knobs.family
        super().__init__(render_mode=render_mode, max_text=MAX_OBSERVATION_LENGTH)
        self.engine = require_choice("engine", engine, self.ENGINES)
        self.isolation = check_isolation(isolation)
        require_bool("admissible_commands", admissible_commands)
        extra = infos.check_requested(extra_infos)
        given = self.ENGINE_INFOS.get(engine)
        if given is not None:
            infos.check_requested(extra, given, who=f"engine={engine!r}",
                                  hint=f"; the other engines give {list(infos.OPTIONAL)}")
        timeout = DEFAULT_STEP_TIMEOUT if step_timeout is None else step_timeout
        self.step_timeout = require_number("step_timeout (seconds)", timeout, positive=True)
        self._use_task_set(tasks, task_order)
        self.cache_dir = cache_dir
        self._requested = ((infos.ADMISSIBLE_COMMANDS,) if admissible_commands else ()) + extra
        self._runner = None
        self.game_file: Path | None = None
        self._state: dict[str, Any] | None = None
        #: (task, game file, runner, its process id) of the game loaded in the runner, for
        #: resets that replay it (a child process that was replaced has no game loaded).
        self._loaded: tuple[TaskSpec, Path, Any, int | None] | None = None
        self._seed_task: TaskSpec | None = None

    # -- family hooks ----------------------------------------------------------------------
    def _ensure_game(self, task: TaskSpec) -> Path:
        """The game file of ``task``, found in the cache or generated (raises
        :attr:`GenerationError` when its seed makes no game)."""
        raise NotImplementedError

    def _discard_cached(self, game_file: Path, reason: str) -> None:
        """Remove a cached game that does not load (it is made again)."""
        raise NotImplementedError

    # -- choosing the task -------------------------------------------------------------
    def task_for_seed(self, seed: int) -> TaskSpec:
        """The task this env plays for ``reset(seed=seed)`` (without a task set)."""
        last = self._seed_task  # the same seed again (a GRPO group): no knob handling
        if last is None or last.seed != seed:
            last = self._seed_task = self.knobs.task(seed)
        return last

    def _choose_task(self, seed: int | None, options: dict | None) -> TaskSpec:
        task = self._chosen_task(seed, self._reset_options(options))
        if task is not None:
            return task
        if seed is None:
            seed = int(self.np_random.integers(MAX_SEED))
        return self.task_for_seed(seed)

    def _game_for(self, task: TaskSpec, *, drawn: bool) -> tuple[TaskSpec, Path]:
        """``task`` and its game file. A seed the env drew itself that makes no game is
        replaced by the next draw; a chosen seed is an error."""
        return make_with_redraws(
            task, self._ensure_game, lambda: self.task_for_seed(int(self.np_random.integers(MAX_SEED))),
            drawn=drawn, error=self.GenerationError, what=f"{self.family} game with knobs {self.knobs.to_params()}",
        )

    # -- the runner --------------------------------------------------------------------
    def _call(self, method: str, *args: Any, timeout: float | None = None) -> Any:
        if self._runner is None:
            self._runner = make_runner(self.isolation, self.ENGINES[self.engine], {"extra_infos": self._requested})
        return self._runner.call(method, *args, timeout=timeout)

    def _drop_runner(self) -> None:
        if self._runner is not None:
            self._runner.close()
        self._runner = None

    # -- gymnasium API -----------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[str, dict]:
        self._playing = False  # a reset that fails leaves no episode to step
        check_seed(seed)
        super().reset(seed=seed)
        task = self._choose_task(seed, options)
        loaded = self._loaded
        if loaded is not None and loaded[2] is self._runner and loaded[3] == _pid(self._runner) and task == loaded[0]:
            # The game of this task is loaded in this runner: restart it, no file lookup.
            task, game_file = loaded[:2]
            again = True
        else:
            task, game_file = self._game_for(task, drawn=seed is None and not options and self.task_set is None)
            again = False
        self.task = self._state = None  # a reset that fails leaves no episode (nor a task that set_state trusts)
        self._loaded = None
        self._started = False
        try:
            state = self._start(task, game_file, load=not again)
        except _BROKEN_GAME as err:
            if task.game_file is not None:  # the user's own file
                raise self.GameFileError(f"game file {str(game_file)!r} of task {task.id!r} cannot be played: {err!r}") from None
            # A cached game that passed the file checks but does not load: make it again, once.
            self._discard_cached(game_file, repr(err))
            task, game_file = self._game_for(task, drawn=False)
            state = self._start(task, game_file)
        self.task, self.game_file, self._state = task, game_file, state
        self._playing = self._started = True
        self._loaded = (task, game_file, self._runner, _pid(self._runner))
        obs = self._observe(state["feedback"])
        info = self._info(state, valid=False)
        info[infos.ENGINE] = self.engine  # which engine plays it, without reading the code
        return obs, info

    def _start(self, task: TaskSpec, game_file: Path, *, load: bool = True) -> dict[str, Any]:
        """Load ``game_file`` in the runner (unless it is loaded) and reset it; its first state."""
        timeout = max(LOAD_TIMEOUT, self.step_timeout)
        try:
            if load:
                self._call("load", str(Path(game_file).absolute()), timeout=timeout)
            return self._call("reset", timeout=timeout)
        except BackendTimeout as err:
            raise RuntimeError(f"could not start game {game_file} for task {task.id!r}: {err}") from None
        except BackendCrashed:
            self._drop_runner()
            raise

    def step(self, action: str) -> tuple[str, float, bool, bool, dict]:
        if not self._playing or type(action) is not str:
            self._check_step(action)
        previous = self._state
        command = _PARSED.get(action)
        if command is None:
            try:
                command = _parse(action)
            except InvalidCommand as err:
                info = self._info(previous, valid=False)
                info[INVALID_REASON] = str(err)
                return self._observe(str(err)), 0.0, False, False, info
        try:
            state = self._runner.call("step", command, timeout=self.step_timeout)
        except (BackendTimeout, BackendCrashed) as err:
            self._playing = False
            self._drop_runner()  # a fresh runner at the next reset
            info = self._info(previous, valid=False)
            info[TRUNCATION_REASON] = "step_timeout" if isinstance(err, BackendTimeout) else "backend_crashed"
            return self._observe(f"The game stopped answering and the episode was cut off ({err})."), 0.0, False, True, info
        self._state = state
        terminated = state[WON] or state[LOST]
        self._playing = not terminated
        info = self._info(state, valid=_accepted(previous, state))
        return self._observe(state["feedback"]), float(state[SCORE] - previous[SCORE]), terminated, False, info

    # -- state copies ------------------------------------------------------------------------
    #: Version of the dict :meth:`get_state` returns.
    STATE_VERSION = 1

    def get_state(self) -> dict[str, Any]:
        """A copy of the episode's state (engines in :attr:`COPYING_ENGINES` only): pass it
        to :meth:`set_state` to continue from here, any number of times (tree search,
        GRPO groups from one state). Cheap: the game state is a small immutable value.

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
            "game": self._call("get_state"), "last": dict(self._state), "over": not self._playing, "obs": self._last_obs,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue from a state :meth:`get_state` returned (in this env or another one
        of the same family and engine, in any process)."""
        self._require_state_copies("set_state")
        if not isinstance(state, dict) or state.get("version") != self.STATE_VERSION or "game" not in state:
            raise TypeError("set_state takes the dict that get_state() returned (of this version of textagent_envs)")
        if state["family"] != self.family:
            raise ValueError(f"this state is of a {state['family']!r} game but this env plays {self.family!r}")
        if self._runner is None or self.task is None or state["task"] != self.task.to_dict():
            # Another game (or none loaded): find or make it in this env's cache, and load it.
            task, game_file = self._game_for(TaskSpec.from_dict(state["task"]), drawn=False)
            self._call("load", str(Path(game_file).absolute()), timeout=max(LOAD_TIMEOUT, self.step_timeout))
            self.task, self.game_file = task, game_file
            self._loaded = (task, game_file, self._runner, _pid(self._runner))
        self._call("set_state", state["game"])
        self._state, self._last_obs = dict(state["last"]), state["obs"]
        self._playing, self._started = not state["over"], True

    def _forks(self, k: int) -> list["GameEnv"]:
        """See :meth:`TextEnv.fork`. In this process (``isolation="none"``) a fork shares
        the compiled game and costs microseconds; with ``isolation="process"`` each fork
        starts its own child process and loads the game there (about as long as a first reset)."""
        state = self.get_state()
        return [self._game_twin(state) for _ in range(k)]

    def _game_twin(self, state: dict[str, Any]) -> "GameEnv":
        twin = self._twin()
        twin._state = dict(self._state)
        twin._loaded = None
        if isinstance(self._runner, InProcessRunner):
            twin._runner = self._runner.fork()
        else:  # a child process of its own, which loads the game
            twin._runner = None
            twin.set_state(state)
        return twin

    def _require_state_copies(self, method: str) -> None:
        if self.engine not in self.COPYING_ENGINES:
            wanted = " or ".join(f"engine={e!r}" for e in self.COPYING_ENGINES)
            raise NotImplementedError(
                f"{method}() needs {wanted} (engine={self.engine!r} cannot copy its state cheaply); "
                f"engines that copy and fork states: {FORKING_ENGINES}"
            )

    def _copy_refusal(self) -> str | None:
        # A running game (an interpreter, a child process) cannot be copied; an env that
        # has none (never reset, or closed) copies as its settings.
        if self._runner is None:
            return None
        hint = "" if self.engine in self.COPYING_ENGINES else f"; state copies need engine={self.COPYING_ENGINES[0]!r}"
        return (
            f"a {type(self).__name__} with a game running cannot be pickled or deep-copied. "
            "To copy an episode, make another env with the same arguments and call "
            "other.unwrapped.set_state(env.unwrapped.get_state()) (get_state() is portable: it pickles, "
            f"and restores in another process){hint}; or close() this env first to copy its settings."
        )

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "_loaded": None}

    def close(self) -> None:
        self._drop_runner()
        self._loaded = None
        self._playing = False  # stepping a closed env asks for a reset (which starts a new runner)
        super().close()
