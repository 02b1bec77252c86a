"""Sub-goal progress of an ALFWorld task: the score that dense rewards read.

ALFWorld's own engine scores only the win. For turn-level rewards the env counts the
task's milestones instead, each once per episode, in any order:

================================  =====================================================
``found``                         an object of the task's type is in view (in an open
                                  or open-topped receptacle where the agent stands)
``picked_up``                     the agent holds an object of the task's type
``cleaned`` / ``heated`` /        an object of the task's type was cleaned, heated or
``cooled``                        cooled (only for those task types)
``placed_one``                    one of the two objects is in a goal receptacle
                                  (``pick_two_obj_and_place`` only)
``done``                          the task is accomplished (the game is won)
================================  =====================================================

``score`` is the number of milestones reached and ``max_score`` their number, so a won
game always has ``score == max_score``. A game without ``traj_data.json`` (no known
targets) has the single milestone ``done``.
"""

from __future__ import annotations

from typing import Any, Mapping

from .engine import AlfredGame

_TRANSFORMED = {
    "pick_clean_then_place_in_recep": ("cleaned", "isclean"),
    "pick_heat_then_place_in_recep": ("heated", "ishot"),
    "pick_cool_then_place_in_recep": ("cooled", "iscool"),
}


class Progress:
    """Milestones of one task; :meth:`update` with the facts after each step."""

    def __init__(self, game: AlfredGame, traj: Mapping[str, Any] | None):
        self.game = game
        traj = traj or {}
        params = traj.get("pddl_params") or {}
        self.task_type = traj.get("task_type", "")
        self.target = (params.get("object_target") or "").lower() + "type"
        self.parent = (params.get("parent_target") or "").lower() + "type"
        names = ["found", "picked_up"] if params.get("object_target") else []
        if self.task_type in _TRANSFORMED:
            names.append(_TRANSFORMED[self.task_type][0])
        if self.task_type == "pick_two_obj_and_place":
            names.append("placed_one")
        self.milestones = tuple(names + ["done"])
        self.reached: set[str] = set()

    @property
    def max_score(self) -> int:
        return len(self.milestones)

    @property
    def score(self) -> int:
        return len(self.reached)

    def reset(self, facts, won: bool) -> int:
        self.reached = set()
        return self.update(facts, won)

    def update(self, facts, won: bool) -> int:
        """Record the milestones reached in ``facts`` (``{predicate: {args}}``); the score."""
        if won:
            self.reached = set(self.milestones)
            return self.score
        todo = [m for m in self.milestones if m not in self.reached and m != "done"]
        if todo:
            game = self.game
            targets = {o for o, types in game.otypes.items() if self.target in types}
            agent_at = {l for (a, l) in facts.get("atlocation", ()) if a == game.agent}
            held = {o for (a, o) in facts.get("holds", ()) if a == game.agent}
            opened = {r for (r,) in facts.get("opened", ())}
            for m in todo:
                if m == "found":
                    seen = any(
                        o in targets and game.recep_loc.get(r) in agent_at
                        and (r not in game.flag["openable"] or r in opened)
                        for (o, r) in facts.get("inreceptacle", ())
                    )
                    if seen or held & targets:
                        self.reached.add(m)
                elif m == "picked_up" and held & targets:
                    self.reached.add(m)
                elif m in ("cleaned", "heated", "cooled"):
                    flag = _TRANSFORMED[self.task_type][1]
                    if any(o in targets for (o,) in facts.get(flag, ())):
                        self.reached.add(m)
                elif m == "placed_one" and any(
                    o in targets and game.rtype.get(r) == self.parent for (o, r) in facts.get("inreceptacle", ())
                ):
                    self.reached.add(m)
        return self.score
