"""ALFWorld game backends: the native engine (``"fast"``) and alfworld's own engine
(``"pddl"``: textworld's ``PddlEnv`` with ``AlfredDemangler`` and ``AlfredInfos``).

Both return the same plain dicts as the TextWorld backend, so they run in this process or
in a child (:class:`textagent_envs.worker.ProcessRunner`). The score is the task's
sub-goal progress (:mod:`textagent_envs.alfworld.progress`), computed from the game's
facts in both.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any, Sequence

from .. import infos
from ..textworld.games import TEXTWORLD_LOCK
from .data import read_traj
from .engine import AlfredEngine, AlfredGame, open_game
from .expert import solve
from .progress import Progress

FAST_OPTIONAL = (infos.ADMISSIBLE_COMMANDS, infos.DESCRIPTION, infos.INVENTORY, infos.LOCATION, infos.POLICY_COMMANDS)
PDDL_OPTIONAL = (infos.ADMISSIBLE_COMMANDS, infos.POLICY_COMMANDS)
#: Where the agent is before it goes to any receptacle.
MIDDLE_OF_ROOM = "middle of the room"


def _check_infos(extra_infos: Sequence[str], allowed: tuple[str, ...], engine: str) -> tuple[str, ...]:
    hint = " (the fast engine has them all)" if engine == "pddl" else ""
    return infos.check_requested(extra_infos, allowed, who=f"the {engine} ALFWorld engine", hint=hint)


def planner_walkthrough(game_file: str) -> list[str]:
    """A winning command list from the PDDL planner (alfworld's engine; slow)."""
    import textworld
    from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos

    request = textworld.EnvInfos(extras=["walkthrough"])
    with TEXTWORLD_LOCK:
        env = textworld.start(game_file, request_infos=request, wrappers=[AlfredDemangler(), AlfredInfos])
        try:
            return list(env.reset().get("extra.walkthrough") or [])
        finally:
            env.close()


class FastBackend:
    """Plays ``game.tw-pddl`` files on the native :class:`AlfredEngine`."""

    def __init__(self, extra_infos: Sequence[str] = ()):
        self.extra_infos = _check_infos(extra_infos, FAST_OPTIONAL, "fast")
        self._game_file: str | None = None
        self._engine: AlfredEngine | None = None
        self._progress: Progress | None = None
        self._walkthrough: list[str] = []
        self._traj: dict | None = None

    def load(self, game_file: str) -> None:
        """Open ``game_file``; cheap if it is already open."""
        if game_file == self._game_file and self._engine is not None:
            return
        game = open_game(game_file)
        self._traj = read_traj(game_file)
        self._engine = AlfredEngine(game)
        self._progress = Progress(game, self._traj)
        self._walkthrough = list(game.walkthrough)
        self._game_file = game_file
        if not self._walkthrough:
            self._engine.reset()
            self._walkthrough = solve(self._engine, self._traj or {}) or planner_walkthrough(game_file)

    def reset(self) -> dict[str, Any]:
        feedback = self._engine.reset()
        self._progress.reset(self._engine.facts, self._engine.won)
        return self._result(feedback)

    def step(self, command: str) -> dict[str, Any]:
        feedback = self._engine.step(command)
        self._progress.update(self._engine.facts, self._engine.won)
        return self._result(feedback)

    def get_state(self) -> tuple:
        """The episode's state, for :meth:`set_state` (immutable: facts, moves, won, and
        the milestones reached)."""
        engine = self._engine
        facts = tuple(sorted((pred, tuple(sorted(args))) for pred, args in engine.facts.items() if args))
        return (facts, engine.moves, engine.won, tuple(sorted(self._progress.reached)))

    def set_state(self, state: tuple) -> None:
        facts, moves, won, reached = state
        self._engine.set_facts({pred: set(args) for pred, args in facts}, moves, won)
        self._progress.reached = set(reached)

    def fork(self) -> "FastBackend":
        """An independent backend in the same state (the parsed game is shared)."""
        twin = copy.copy(self)
        if self._engine is not None:
            twin._engine = self._engine.copy()
            twin._progress = copy.copy(self._progress)
            twin._progress.reached = set(self._progress.reached)
        return twin

    def _result(self, feedback: str) -> dict[str, Any]:
        engine = self._engine
        out = {
            "feedback": feedback,
            infos.SCORE: self._progress.score,
            infos.MAX_SCORE: self._progress.max_score,
            infos.MOVES: engine.moves,
            infos.WON: engine.won,
            infos.LOST: False,
            infos.OBJECTIVE: engine.game.objective,
            infos.WALKTHROUGH: list(self._walkthrough),
        }
        for name in self.extra_infos:
            if name == infos.ADMISSIBLE_COMMANDS:
                out[name] = engine.admissible_commands()
            elif name == infos.DESCRIPTION:
                out[name] = engine.look_text()
            elif name == infos.INVENTORY:
                out[name] = engine.inventory_text()
            elif name == infos.LOCATION:
                local = engine.game.receps_at.get(engine.location)
                out[name] = engine.game.names[local[0]] if local else MIDDLE_OF_ROOM
            elif name == infos.POLICY_COMMANDS:
                out[name] = [] if engine.won else solve(engine, self._traj or {})
        return out

    def close(self) -> None:
        self._engine = None
        self._game_file = None


class PddlBackend:
    """Plays ``game.tw-pddl`` files on alfworld's engine (textworld's ``PddlEnv``)."""

    def __init__(self, extra_infos: Sequence[str] = ()):
        self.extra_infos = _check_infos(extra_infos, PDDL_OPTIONAL, "pddl")
        self._env = None
        self._game_file: str | None = None
        self._game: AlfredGame | None = None
        self._progress: Progress | None = None
        self._walkthrough: list[str] = []

    def load(self, game_file: str) -> None:
        if game_file == self._game_file and self._env is not None:
            return
        import textworld
        from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos

        game = open_game(game_file)
        self.close()
        self._game = game
        self._progress = Progress(self._game, read_traj(game_file))
        request = textworld.EnvInfos(
            feedback=True, won=True, moves=True, admissible_commands=True, extras=["walkthrough"],
            policy_commands=infos.POLICY_COMMANDS in self.extra_infos,
        )
        with TEXTWORLD_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._env = textworld.start(game_file, request_infos=request, wrappers=[AlfredDemangler(), AlfredInfos])
        self._game_file = game_file

    def reset(self) -> dict[str, Any]:
        with TEXTWORLD_LOCK:  # textworld's PddlEnv parses grammar templates at every reset and step
            state = self._env.reset()
        self._walkthrough = list(self._game.walkthrough or state.get("extra.walkthrough") or [])
        self._progress.reset(self._facts(state), bool(state["won"]))
        return self._result(state)

    def step(self, command: str) -> dict[str, Any]:
        with TEXTWORLD_LOCK:
            state, _, _ = self._env.step(command)
        self._progress.update(self._facts(state), bool(state["won"]))
        return self._result(state)

    @staticmethod
    def _facts(state) -> dict[str, set]:
        facts: dict[str, set] = {}
        for fact in state["_facts"]:
            facts.setdefault(fact.name, set()).add(tuple(v.name for v in fact.arguments))
        return facts

    def _result(self, state) -> dict[str, Any]:
        out = {
            "feedback": state["feedback"],
            infos.SCORE: self._progress.score,
            infos.MAX_SCORE: self._progress.max_score,
            infos.MOVES: int(state["moves"] or 0),
            infos.WON: bool(state["won"]),
            infos.LOST: False,
            infos.OBJECTIVE: self._game.objective,
            infos.WALKTHROUGH: list(self._walkthrough),
        }
        for name in self.extra_infos:
            out[name] = list(state[name] or [])
        return out

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
        self._env = None
        self._game_file = None
