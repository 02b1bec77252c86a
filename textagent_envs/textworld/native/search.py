"""Breadth-first search over a :class:`~textagent_envs.textworld.native.engine.NativeGame`'s
states, using only its admissible commands (what an agent can do), bounded in states and
time; and :func:`winning_policy`, the search behind ``info["policy_commands"]``."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Collection

#: Bounds of :func:`winning_policy` (per call): distinct states and seconds.
POLICY_MAX_STATES = 100_000
POLICY_MAX_SECONDS = 5.0


@dataclass(frozen=True)
class SearchResult:
    """What a bounded breadth-first search from one state found."""

    #: Commands of a shortest win, or None if none was found within the bound.
    solution: list[str] | None
    #: Distinct states visited (at most ``max_states``).
    states: int
    #: Mean number of admissible commands over the visited states.
    branching: float
    #: True when every reachable state was visited (no bound was hit).
    exhaustive: bool


def explore(
    game, max_states: int = 100_000, stop_at_win: bool = False, *, max_seconds: float | None = None,
    only: Collection[str] | None = None,
) -> SearchResult:
    """Visit the states reachable from ``game``'s current state, breadth first, up to
    ``max_states`` states and ``max_seconds`` seconds; the game is left in the state it
    started in. ``only``: play only actions on these objects (and moves between rooms)."""
    start = game.get_state()
    key0 = _key(start)
    parents = {key0: None}
    queue = deque([start])
    branching_total = 0
    expanded = 0
    solution = None
    truncated = False
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    try:
        while queue:
            if deadline is not None and expanded % 64 == 0 and time.monotonic() > deadline:
                truncated = True
                break
            state = queue.popleft()
            if state[6] or state[7]:  # won or lost: nothing follows
                continue
            game.set_state(state)
            successors = game.successors(only)
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


def shortest_win(game, max_states: int = 100_000, max_seconds: float | None = None) -> list[str] | None:
    """Commands of a shortest win from ``game``'s current state, or None (none within
    the bounds)."""
    return explore(game, max_states=max_states, stop_at_win=True, max_seconds=max_seconds).solution


def winning_policy(
    game, relevant: Callable[[], set[str]], rejoin: Callable[[tuple], list[str] | None],
    max_states: int = POLICY_MAX_STATES, max_seconds: float = POLICY_MAX_SECONDS,
) -> list[str] | None:
    """Commands that win from ``game``'s current state, or None if none is found within
    ``max_states`` states and ``max_seconds`` seconds.

    1. A shortest win, if one lies within a few thousand states (near the end of a game).
    2. Else the nearest way back onto the walkthrough: a breadth-first search over the
       actions on the objects the quest needs (``relevant()``) until a state from which
       the rest of the walkthrough wins (``rejoin(state)`` returns that rest, checked by
       playing it); the plan is the way there plus that rest.
    3. Else the same over every admissible command, with what is left of the bounds.
    """
    deadline = time.monotonic() + max_seconds
    near = explore(game, max_states=min(max_states, NEAR_WIN_STATES), stop_at_win=True, max_seconds=max_seconds)
    if near.solution is not None:
        return near.solution
    if near.exhaustive:
        return None  # every reachable state was seen: no win at all
    budget = max_states - near.states
    for only in (relevant(), None):
        left = deadline - time.monotonic()
        if left <= 0 or budget <= 0:
            return None
        plan, states = _search_rejoin(game, rejoin, budget, time.monotonic() + left, only)
        if plan is not None:
            return plan
        budget -= states
    return None


#: States of the first, exact search of :func:`winning_policy` (a shortest win).
NEAR_WIN_STATES = 500


def _search_rejoin(game, rejoin, max_states: int, deadline: float, only) -> tuple[list[str] | None, int]:
    start = game.get_state()
    parents = {_key(start): None}
    queue = deque([start])
    expanded = 0
    try:
        rest = rejoin(start)
        if rest is not None:
            return rest, 1
        while queue:
            if expanded % 64 == 0 and time.monotonic() > deadline:
                break
            state = queue.popleft()
            if state[6] or state[7]:
                continue
            game.set_state(state)
            successors = game.successors(only)
            expanded += 1
            for command, child in successors:
                key = _key(child)
                if key in parents:
                    continue
                parents[key] = (_key(state), command)
                if child[6]:
                    return _path(parents, key), len(parents)
                rest = rejoin(child)
                if rest is not None:
                    return _path(parents, key) + rest, len(parents)
                if len(parents) >= max_states:
                    return None, len(parents)
                queue.append(child)
        return None, len(parents)
    finally:
        game.set_state(start)


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
