"""What a typed command can mean, per room: the lookup tables of :class:`~.engine.NativeGame`.

An action can only be played where its preconditions hold, and most need the player in
one room, so each room gets its own tables, made the first time the player is there:
the actions by command text (``"open wooden door"``) and by command shape (a verb and
its objects, what the parser resolves a command to), each holding the room's actions
and those of no room, most preconditions first (TextWorld plays the action with most
preconditions when several match). A large game (tw-cooking level 8: ~6,700 actions in
12 rooms) so starts with one room's tables instead of all of them. Shared by the copies
of a game.
"""

from __future__ import annotations

from typing import Callable

from .logic import CompiledLogic, GroundAction


class ActionTables:
    """Per-room tables of a compiled game (see the module docstring).

    Args:
        logic: the compiled game.
        shape: what the player says to do an action: (verb, object, ...).
        kinds: object id -> kind letter; the objects an action's shape names that are
            in it are the action's nouns.
    """

    def __init__(self, logic: CompiledLogic, shape: Callable[[GroundAction], tuple], kinds: dict[str, str]):
        self._logic = logic
        self._shape = shape
        self._kinds = kinds
        self._rooms: dict[str | None, tuple[dict[str, list[GroundAction]], dict[tuple, list[GroundAction]]]] = {}
        self._shapes: dict[int, tuple] = {}
        self._nouns: dict[int, list[str]] = {}

    def _room(self, room: str | None) -> tuple[dict[str, list[GroundAction]], dict[tuple, list[GroundAction]]]:
        tables = self._rooms.get(room)
        if tables is None:
            logic = self._logic
            actions = list(logic.room_actions(room))
            if room is not None:
                actions += logic.room_actions(None)
            by_command: dict[str, list[GroundAction]] = {}
            by_shape: dict[tuple, list[GroundAction]] = {}
            shapes = self._shapes
            for action in sorted(actions, key=lambda a: (-a.n_pre, a.index)):
                shape = shapes.get(action.index)
                if shape is None:  # once per action (those of no room are in every room's tables)
                    shape = shapes[action.index] = self._shape(action)
                    self._nouns[action.index] = [x for x in shape[1:] if x in self._kinds]
                by_command.setdefault(action.command.lower(), []).append(action)
                by_shape.setdefault(shape, []).append(action)
            tables = self._rooms[room] = (by_command, by_shape)
        return tables

    def by_command(self, room: str | None) -> dict[str, list[GroundAction]]:
        """Lowercased command text -> the actions (of ``room`` and of no room) it names."""
        return self._room(room)[0]

    def by_shape(self, room: str | None) -> dict[tuple, list[GroundAction]]:
        """(verb, object ids...) -> the actions (of ``room`` and of no room) it names."""
        return self._room(room)[1]

    def nouns(self, action: GroundAction) -> list[str]:
        """The objects ``action``'s command names, in command order."""
        nouns = self._nouns.get(action.index)
        if nouns is None:
            self._room(action.room)
            nouns = self._nouns[action.index]
        return nouns
