"""A hand-written expert for the six ALFWorld task types, on the native engine.

:func:`solve` plays a copy of the engine from its current state with a few rules: put
down a wrong object; find an instance of the task's object and take it; clean / heat /
cool it if the task asks; put it in a receptacle of the goal type (twice for
``pick_two_obj_and_place``) or carry it to a desk lamp and switch the lamp on. The
targets come from the ``pddl_params`` of the game's ``traj_data.json``. It returns the
commands that won, or ``[]`` if the rules did not win (the caller then falls back to a
planner or reports it).
"""

from __future__ import annotations

from typing import Any, Mapping

from .engine import NOTHING_HAPPENS, AlfredEngine

_TRANSFORM = {
    "pick_clean_then_place_in_recep": ("clean", "sinkbasintype", "isclean"),
    "pick_heat_then_place_in_recep": ("heat", "microwavetype", "ishot"),
    "pick_cool_then_place_in_recep": ("cool", "fridgetype", "iscool"),
}
#: Longest plan tried; ALFWorld's own expert plans are far shorter.
MAX_PLAN = 60


class _Rules:
    def __init__(self, engine: AlfredEngine, traj: Mapping[str, Any]):
        params = traj.get("pddl_params") or {}
        self.task_type = traj.get("task_type", "")
        self.target = (params.get("object_target") or "").lower() + "type"
        self.parent = (params.get("parent_target") or "").lower() + "type"
        self.toggle = (params.get("toggle_target") or "").lower() + "type"
        self.transform = _TRANSFORM.get(self.task_type)
        self.engine = engine
        self.game = engine.game

    def where(self, o: str) -> str | None:
        return next((r for (oo, r) in sorted(self.engine.facts["inreceptacle"]) if oo == o and r in self.game.recep_loc), None)

    def is_target(self, o: str) -> bool:
        return self.target in self.game.otypes.get(o, ())

    def done(self, o: str) -> bool:
        """``o`` already counts for the goal (in a goal receptacle, transformed if asked)."""
        r = self.where(o)
        placed = r is not None and self.game.rtype.get(r) == self.parent
        return placed and (self.transform is None or self.engine.has(self.transform[2], o))

    def go(self, r: str) -> str | None:
        loc = self.game.recep_loc[r]
        if loc != self.engine.location:
            return self.game.goto[loc]
        if r in self.game.flag["openable"] and not self.engine.is_open(r):
            return f"open {self.game.names[r]}"
        return None

    def next_command(self) -> str | None:
        engine, game, names = self.engine, self.game, self.game.names
        held = engine.held()
        if held:
            o = held[0]
            if not self.is_target(o):
                homes = [r for r in game.all_receptacles if game.can_put(o, r)]
                homes.sort(key=lambda r: game.recep_loc[r] != engine.location)
                return (self.go(homes[0]) or f"move {names[o]} to {names[homes[0]]}") if homes else None
            if self.transform and not engine.has(self.transform[2], o):
                verb, kind, _ = self.transform
                appliances = [r for r in game.all_receptacles if game.rtype.get(r) == kind]
                if not appliances:
                    return None
                if game.recep_loc[appliances[0]] != engine.location:
                    return game.goto[game.recep_loc[appliances[0]]]
                return f"{verb} {names[o]} with {names[appliances[0]]}"
            if self.task_type == "look_at_obj_in_light":
                lamps = [lamp for lamp, types in sorted(game.otypes.items()) if self.toggle in types and self.where(lamp)]
                if not lamps:
                    return None
                loc = game.recep_loc[self.where(lamps[0])]
                return game.goto[loc] if loc != engine.location else f"use {names[lamps[0]]}"
            goals = [r for r in game.all_receptacles if game.rtype.get(r) == self.parent and game.can_put(o, r)]
            if not goals:
                return None
            return self.go(goals[0]) or f"move {names[o]} to {names[goals[0]]}"
        candidates = [
            o for o in sorted(game.otypes, key=game.sort_key)
            if self.is_target(o) and o in game.flag["pickupable"] and self.where(o) and not self.done(o)
        ]
        if not candidates:
            return None
        o = candidates[0]
        r = self.where(o)
        return self.go(r) or f"take {names[o]} from {names[r]}"


def solve(engine: AlfredEngine, traj: Mapping[str, Any]) -> list[str]:
    """Commands that accomplish the task of ``traj`` from the engine's current state
    (the engine itself is not changed), or ``[]`` if the rules do not win."""
    twin = engine.copy()
    rules = _Rules(twin, traj)
    commands: list[str] = []
    while not twin.won and len(commands) < MAX_PLAN:
        command = rules.next_command()
        if command is None or twin.step(command) == NOTHING_HAPPENS:
            return []
        commands.append(command)
    return commands if twin.won else []
