"""Breadth-first search over a :class:`~textagent_envs.textworld.native.engine.NativeGame`'s
states, using only its admissible commands (what an agent can do)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class SearchResult:
    """What a bounded breadth-first search from one state found."""

    #: Commands of a shortest win, or None if none was found within the bound.
    solution: list[str] | None
    #: Distinct states visited (at most ``max_states``).
    states: int
    #: Mean number of admissible commands over the visited states.
    branching: float
    #: True when every reachable state was visited (the bound was not hit).
    exhaustive: bool


def explore(game, max_states: int = 100_000, stop_at_win: bool = False) -> SearchResult:
    """Visit the states reachable from ``game``'s current state, breadth first, up to
    ``max_states``; the game is left in the state it started in."""
    start = game.get_state()
    key0 = _key(start)
    parents = {key0: None}
    queue = deque([start])
    branching_total = 0
    expanded = 0
    solution = None
    truncated = False
    try:
        while queue:
            state = queue.popleft()
            if state[6] or state[7]:  # won or lost: nothing follows
                continue
            game.set_state(state)
            successors = game.successors()
            branching_total += len(successors)
            expanded += 1
            for command, child in successors:
                key = _key(child)
                if key in parents:
                    continue
                parents[key] = (_key(state), command)
                if child[6] and solution is None:  # won
                    solution = _path(parents, key)
                    if stop_at_win:
                        return SearchResult(solution, len(parents), branching_total / max(1, expanded), False)
                if len(parents) >= max_states:
                    truncated = True
                    queue.clear()
                    break
                queue.append(child)
    finally:
        game.set_state(start)
    return SearchResult(solution, len(parents), branching_total / max(1, expanded), not truncated)


def shortest_win(game, max_states: int = 100_000) -> list[str] | None:
    """Commands of a shortest win from ``game``'s current state, or None."""
    return explore(game, max_states=max_states, stop_at_win=True).solution


def _key(state: tuple) -> tuple:
    # Facts, completed quests and the outcome define a state; counters and the order
    # objects were moved in do not change what can happen next.
    facts, world, done, won, lost = state[0], state[1], state[2], state[6], state[7]
    return (facts, world, done, won, lost)


def _path(parents: dict, key) -> list[str]:
    out = []
    while parents[key] is not None:
        key, command = parents[key]
        out.append(command)
    return out[::-1]
