"""Recording a generated game's walkthrough without compiling it.

TextWorld's ``GameMaker.set_walkthrough`` (used by the tw-simple, tw-cooking and
tw-coin_collector generators) compiles the game with Inform 7 and plays the walkthrough
through Jericho, to learn which grounded action each command is and when each quest is
won. :func:`native_walkthroughs` swaps in :func:`set_walkthrough`, which plays the same
commands on the native engine and records the same actions and commands, so a game made
for the native backend needs no Inform 7 at all.
"""

from __future__ import annotations

import contextlib
from typing import Iterator, List


def set_walkthrough(maker, commands: List[str]) -> None:
    """What ``GameMaker.set_walkthrough`` does, played on the native engine."""
    from textworld.logic import Placeholder, Variable

    from .engine import NativeGame
    from .logic import condition_mask

    game = maker.build()
    native = NativeGame(game)
    kb = game.kb
    events = {event: event.copy() for quest in maker.quests for event in quest.win_events}
    masks = {event: condition_mask(native.logic, event.condition.preconditions) for event in events}

    def triggered(event) -> bool:
        mask = masks[event]
        return mask is not None and native.facts & mask == mask

    done_events = {event for event in events if triggered(event)}
    actions = []
    # TextWorld's state tracking keeps its last action when a command changes nothing (a
    # walkthrough's second "open X" answers "That's already open."), so the reference
    # records the previous action again there; None would break its dependency tree.
    last = None
    for i, command in enumerate(commands):
        if native.won or native.lost:
            raise ValueError("Game has ended before finishing playing all commands.")
        native.step(command)
        played = native.last_action
        if played is not None:
            rule = kb.rules[played.rule]
            mapping = {ph: Variable(played.binding[ph.name], native.logic.types[played.binding[ph.name]])
                       for ph in rule.placeholders if isinstance(ph, Placeholder)}
            last = rule.instantiate(mapping)
        actions.append(last)
        for event in events:
            if event not in done_events and triggered(event):
                done_events.add(event)
                events[event].actions = list(actions)
                events[event].commands = commands[: i + 1]
    for event, recorded in events.items():
        event.actions = recorded.actions
        event.commands = recorded.commands


@contextlib.contextmanager
def native_walkthroughs() -> Iterator[None]:
    """Within the block, TextWorld's generators record walkthroughs natively."""
    from textworld.generator.maker import GameMaker

    original = GameMaker.set_walkthrough
    GameMaker.set_walkthrough = set_walkthrough
    try:
        yield
    finally:
        GameMaker.set_walkthrough = original
