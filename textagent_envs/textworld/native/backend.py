"""The native backend: :class:`NativeGame` behind the interface of
:class:`~textagent_envs.textworld.backend.JerichoBackend` (``load``, ``reset``, ``step``,
``close``, returning plain dicts), plus ``get_state`` / ``set_state``.

It plays a game from its ``.json`` (beside a ``.z8`` or alone) or straight from a
``Game`` object (:meth:`NativeBackend.load_game`), and keeps the last few compiled
games, so switching between them costs nothing. Compiled games are also shared by every
backend in the process (each plays its own shallow copy: the compiled logic, text and
memo tables are shared, the episode state is not), so the G envs of a GRPO group that
load one game compile it once.
"""

from __future__ import annotations

import copy
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any, Sequence

from ... import infos
from ..shared import TEXTWORLD_LOCK, share_knowledge_bases, take_generated
from .engine import NativeGame

#: Compiled games kept per backend, and in the process-wide cache (a compiled game is a
#: few hundred KB at most).
GAMES_KEPT = 64

# Compiled games by (.json path, its size and modification time): read-only once built.
_COMPILED: OrderedDict[tuple, NativeGame] = OrderedDict()


def json_path(game_file: str | Path) -> Path:
    """The ``.json`` that holds the game of ``game_file`` (a ``.z8`` or the ``.json`` itself)."""
    path = Path(game_file)
    return path if path.suffix == ".json" else path.with_suffix(".json")


class NativeBackend:
    """Plays TextWorld games in Python. ``extra_infos`` names optional info keys to compute."""

    _OPTIONAL = (infos.ADMISSIBLE_COMMANDS, infos.DESCRIPTION, infos.INVENTORY, infos.LOCATION, infos.POLICY_COMMANDS)

    def __init__(self, extra_infos: Sequence[str] = ()):
        infos.check_requested(extra_infos, self._OPTIONAL, who="the native TextWorld engine")
        self.extra_infos = tuple(extra_infos)
        # As on the reference path: with admissible commands or a policy requested,
        # TextWorld tracks the game state and counts moves as the actions it saw;
        # otherwise moves are Inform 7's turn count.
        self._tracking = infos.ADMISSIBLE_COMMANDS in self.extra_infos or infos.POLICY_COMMANDS in self.extra_infos
        self._games: OrderedDict[str, NativeGame] = OrderedDict()
        self.game: NativeGame | None = None
        self._last: dict[str, str] = {}

    def load(self, game_file: str) -> None:
        """Open the game of ``game_file`` (a ``.json``, or a ``.z8`` with its ``.json``
        beside it); cheap if it was loaded recently."""
        key = str(game_file)
        if key in self._games:
            self._games.move_to_end(key)
            self.game = self._games[key]
            return
        with TEXTWORLD_LOCK:  # textworld's game loading and the shared table are not thread-safe
            native = self._compiled(game_file)
        native = copy.copy(native)  # shares the compiled game; the state fields are its own
        native.reset()
        self._keep(key, native)

    @staticmethod
    def _compiled(game_file: str) -> NativeGame:
        """The process-wide compiled game of ``game_file`` (compiled now if new)."""
        path = json_path(game_file)
        if not path.is_file():
            raise FileNotFoundError(f"the native backend plays a game from its .json, and {path} does not exist")
        stat = os.stat(path)
        shared_key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        compiled = _COMPILED.get(shared_key)
        if compiled is None:
            from textworld.generator.game import Game

            share_knowledge_bases()
            game = take_generated(path)
            compiled = NativeGame(game if game is not None else Game.load(str(path)))
            _COMPILED[shared_key] = compiled
            while len(_COMPILED) > GAMES_KEPT:
                _COMPILED.popitem(last=False)
        else:
            _COMPILED.move_to_end(shared_key)
        return compiled

    def _keep(self, key: str, native: NativeGame) -> None:
        self._games[key] = native
        while len(self._games) > GAMES_KEPT:
            self._games.popitem(last=False)
        self.game = native

    def load_game(self, game: Any, key: str | None = None) -> NativeGame:
        """Play ``game`` (a ``textworld.generator.game.Game``) without any file."""
        native = NativeGame(game)
        if key is not None:
            self._keep(key, native)
        self.game = native
        return native

    def entity_names(self) -> list[str]:
        return self.game.entity_names()

    def reset(self) -> dict[str, Any]:
        self._last = {}
        return self._result(self.game.reset())

    def step(self, command: str) -> dict[str, Any]:
        return self._result(self.game.step(command))

    def get_state(self) -> tuple:
        """The game state, for :meth:`set_state` (an immutable tuple: cheap to keep)."""
        return self.game.get_state()

    def set_state(self, state: tuple) -> None:
        self.game.set_state(state)

    def fork(self) -> "NativeBackend":
        """An independent backend playing the current game in its current state (the
        compiled game and its memo tables are shared, the episode state is not)."""
        twin = copy.copy(self)
        twin._last = dict(self._last)
        twin._games = OrderedDict()
        twin.game = None
        if self.game is not None:
            key = next((k for k, g in self._games.items() if g is self.game), None)
            game = copy.copy(self.game)  # its state fields are immutable: assignments stay its own
            if key is not None:
                twin._keep(key, game)
            twin.game = game
        return twin

    def _result(self, feedback: str) -> dict[str, Any]:
        game = self.game
        out = {
            "feedback": feedback,
            infos.SCORE: game.score,
            infos.MAX_SCORE: game.max_score,
            infos.MOVES: game.moves if self._tracking else self._turn_count(),
            infos.WON: game.won,
            infos.LOST: game.lost,
            infos.OBJECTIVE: game.objective,
            infos.WALKTHROUGH: list(game.walkthrough),
        }
        for name in self.extra_infos:
            if name == infos.ADMISSIBLE_COMMANDS:
                out[name] = game.admissible_commands()
            elif name in (infos.DESCRIPTION, infos.INVENTORY) and game.lost and name in self._last:
                # The reference prints these after the turn's end rules, which a loss cuts short.
                out[name] = self._last[name]
            elif name == infos.DESCRIPTION:
                out[name] = self._last[name] = game.look_text()
            elif name == infos.INVENTORY:
                out[name] = self._last[name] = game.inventory_text()
            elif name == infos.LOCATION:
                out[name] = game.location
            elif name == infos.POLICY_COMMANDS:
                out[name] = game.policy_commands()
        return out

    def _turn_count(self) -> int:
        # The reference reads Inform 7's turn count after each turn; a loss ends the
        # turn before that, so it keeps the last value.
        game = self.game
        return game.turns - 1 if game.lost else game.turns

    def close(self) -> None:
        self.game = None
