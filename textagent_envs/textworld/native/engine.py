"""A TextWorld game played in Python from its ``Game`` object, with Inform 7's text.

:class:`NativeGame` is built once per game (grounding, text templates, quest masks:
a few milliseconds, under 0.1 s of CPU for tw-cooking level 8's ~6,700 actions; a room's
actions and command tables are made the first time the player is there) and then
plays any number of episodes: ``reset()`` and
``step(command)`` return the game's text, and the state (score, moves, won, lost,
location, inventory, admissible commands) is read off properties. A state is a small
tuple of ints; :meth:`NativeGame.get_state` / :meth:`NativeGame.set_state` copy it
in constant time, for tree search and for groups of rollouts from one state.

This module is the game: its state, rules, scoring and text, and the checks and reports
of an action on the objects a command names. How a typed command is read (Inform 7's
parser: verbs, noun phrases, questions, commas) is :mod:`.parser`'s
:class:`~.parser.CommandParser`, which :class:`NativeGame` inherits.

Semantics follow TextWorld's reference path (a compiled ``.z8`` played through Jericho
with TextWorld's state tracking): an action changes the state when one of TextWorld's
grounded rules applies (the one with most preconditions when several match, as
TextWorld's event detection picks); a move is counted for each such action; quests are
checked at the end of every turn as the generated Inform 7 code checks them (a failed
quest ends the game lost, a completed one adds its reward, all required quests done
ends it won).
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from .incremental import ActionIndex, QuestIndex, bits
from .logic import CompiledLogic, GroundAction, compile_logic, condition_mask
from .parser import CommandParser
from .tables import ActionTables
from .text import (
    UnsupportedText,
    tidy,
    centred,
    indefinite_article,
    inform_parts,
    list_sentence,
    number_in_words,
    parse_template,
    render,
)

_HEAT = (("stove", "fried"), ("oven", "roasted"), ("toaster", "grilled"))
_COOKED = ("fried", "roasted", "grilled")
_CUT = ("sliced", "diced", "chopped")


class NativeGame(CommandParser):
    """One TextWorld game, ready to play without Inform 7 (see the module docstring).

    Args:
        game: a ``textworld.generator.game.Game`` (what textworld's generators return,
            or ``Game.load(path)`` of a game's ``.json``).
    """

    def __init__(self, game: Any):
        self.game = game
        self.logic: CompiledLogic = compile_logic(game)
        logic = self.logic
        self.objective: str = game.objective or ""
        self._objective_text = inform_parts(self.objective)  # as the game prints it
        self.max_score: int = int(game.max_score or 0)
        walkthrough = (game.metadata or {}).get("walkthrough") or getattr(game, "walkthrough", None) or []
        self.walkthrough: list[str] = list(walkthrough)

        infos = game.infos
        self.names = {k: (v.name or k) for k, v in infos.items()}
        self._indefinite = {k: f"{indefinite_article(self.names[k], v.indefinite)} {self.names[k]}" for k, v in infos.items()}
        self.rooms = [e.id for e in game.world.rooms]
        self._titles = {r: f"-= {str.title(self.names[r])} =-" for r in self.rooms}
        self._templates: dict[str, list] = {}
        for entity_id, info in infos.items():
            if info.desc is not None:
                try:
                    self._templates[entity_id] = parse_template(info.desc)
                except UnsupportedText as err:
                    raise UnsupportedText(f"{entity_id}: {err}") from None

        is_a = logic.is_a
        objects = [e for e in logic.types if e not in ("P", "I")]
        self._kind = {o: next((k for k in ("d", "c", "s", "r", "f", "k", "o") if is_a(o, k)), "t") for o in objects}
        # Inform 7 lists a holder's contents in the order the source placed them (the
        # world's object order); whatever moves goes first.
        world_order = [e.id for e in game.world.objects]
        rank = {o: i for i, o in enumerate(world_order)}
        self._things = sorted((o for o in objects if self._kind[o] != "r"), key=lambda o: (rank.get(o, 1 << 30), _natural(o)))

        bit = logic.bit
        self._open = {o: bit("open", o) for o in objects}
        self._locked = {o: bit("locked", o) for o in objects}
        # Where each thing can be: holder -> [(thing, bit)].
        self._held: dict[str, list[tuple[str, int]]] = {}
        self._location_bits: dict[str, list[tuple[str, int]]] = {}  # thing -> [(holder, bit)]
        self._held_mask: dict[str, int] = {}  # holder -> the bits of everything it can hold
        self._held_thing: dict[int, str] = {}  # bit index of a placement fact -> the thing placed
        for fact, index in logic.fact_ids.items():
            if fact[0] in ("at", "in", "on") and len(fact) == 3 and fact[1] != "P":
                self._held.setdefault(fact[2], []).append((fact[1], 1 << index))
                self._held_mask[fact[2]] = self._held_mask.get(fact[2], 0) | 1 << index
                self._held_thing[index] = fact[1]
                self._location_bits.setdefault(fact[1], []).append((fact[2], 1 << index))
        self._facts_of: dict[str, list[tuple[str, int]]] = {}  # thing -> [(one-place predicate, bit)]
        for fact, index in logic.fact_ids.items():
            if len(fact) == 2:
                self._facts_of.setdefault(fact[1], []).append((fact[0], 1 << index))
        self._keys: dict[str, str] = {}  # lockable -> its key
        for fact in game.world.facts:
            if fact.name == "match":
                self._keys[fact.arguments[1].name] = fact.arguments[0].name
        self._exits: dict[str, dict[str, tuple[str, str | None]]] = {r: {} for r in self.rooms}  # room -> dir -> (room, door)
        for fact in game.world.facts:
            name = fact.name
            args = [a.name for a in fact.arguments]
            for direction in ("north", "south", "east", "west"):
                if name == f"{direction}_of" and len(args) == 2:
                    self._exits.setdefault(args[1], {})[direction] = (args[0], None)
        for fact in game.world.facts:
            if fact.name == "link":
                src, door, dst = (a.name for a in fact.arguments)
                for direction, (room, _) in list(self._exits.get(src, {}).items()):
                    if room == dst:
                        self._exits[src][direction] = (dst, door)
        self._doors_of: dict[str, list[str]] = {}
        for src, exits in self._exits.items():
            for _, (_, door) in exits.items():
                if door:
                    self._doors_of.setdefault(src, []).append(door)
        # Doors in the order TextWorld's source declares them (room by room, exit by exit),
        # each first in the room of its first declaration, as Inform 7 compiles them.
        self._door_list: list[str] = []
        first_room: dict[str, str] = {}
        for room in game.world.rooms:
            for direction in room.exits:
                door = room.doors.get(direction)
                if door is not None and door.name not in first_room:
                    first_room[door.name] = room.id
                    self._door_list.append(door.name)
        for doors in self._doors_of.values():
            doors.sort(key=lambda d: self._door_list.index(d) if d in self._door_list else len(self._door_list))
        self._doors_start = tuple(first_room.get(d) for d in self._door_list)

        # Quests as the generated Inform 7 code checks them.
        self._quests = []
        for quest in game.quests:
            wins = [m for m in (condition_mask(logic, e.condition.preconditions) for e in quest.win_events) if m is not None]
            fails = [m for m in (condition_mask(logic, e.condition.preconditions) for e in quest.fail_events) if m is not None]
            required = (not quest.optional) and len(quest.win_events) > 0
            self._quests.append((wins, fails, int(quest.reward), required))
        self._required = sum(1 << i for i, q in enumerate(self._quests) if q[3])
        self._quest_index = QuestIndex(self._quests)
        self._action_index = ActionIndex(logic)  # admissible actions, updated from what changed

        self._init_parser(infos, objects)  # each thing's words for the parser (see .parser)
        # Actions by what the player types (a command, or a verb and its objects), per room.
        orders: dict[str, tuple[str, ...]] = {}
        self._tables = ActionTables(logic, lambda action: _shape(action, game.kb, orders), self._kind)
        self._has_drink = "drink" in game.kb.rules
        self._has_recipe = any(rule.startswith("make/recipe") for rule in game.kb.rules)
        self._has_cooking = "slice" in game.kb.rules
        self._text_cache: dict[tuple, str] = {}
        # tw-cooking's recipe: where the meal is prepared, and (ingredient, its food) in
        # the order the Inform 7 source adds them to the recipe.
        self._static_facts = {(f.arguments[0].name, f.name) for f in game.world.facts if len(f.arguments) == 1}
        self._recipe_room = next((f.arguments[0].name for f in game.world.facts if f.name == "cooking_location"), None)
        bases = {f.arguments[1].name: f.arguments[0].name for f in game.world.facts if f.name == "base"}
        self._recipe = [(e, bases[e]) for e in world_order if e in bases]
        self._policies: dict[tuple, tuple[str, ...]] = {}  # state key -> the rest of a winning plan
        self._walkthrough_objects: frozenset[str] | None = None
        self._landmarks: tuple[int, dict[int, int], dict[str, list[int]]] | None = None
        self.reset()

    # -- state ---------------------------------------------------------------------
    def reset(self) -> str:
        """Start a new episode; returns the opening text (goal, then the first room)."""
        self._facts = self.logic.initial  # what TextWorld's tracker knows
        self._world = self._facts  # what the Inform 7 game knows (differs after an action the tracker missed)
        self._done = 0
        self._score = 0
        self._moves = 0
        self._turns = 1
        self._won = self._lost = False
        self._order: tuple[str, ...] = tuple(self._things)
        self._room = self._player_room()
        self._door_at = self._doors_start  # the room each door is in (Inform 7 moves it: see _enter)
        self._enter(self._room)
        self._reset_parser()  # "it", the parser's buffer and its last question (see .parser)
        self._changed = 0  # the world's facts this turn's action changed (read at the turn's end)
        self.last_action: GroundAction | None = None  # the action the last command played, if any
        return tidy(f"{self._objective_text}\n\n{self.look_text()}")

    def forget_states(self) -> None:
        """Empty the per-state memos (rendered text, admissible commands, quest checks), so
        the next steps cost what never-seen states cost (benchmarks of cold play). What is
        not per state stays: each room's actions and tables, and the incremental sets."""
        self._text_cache.clear()
        self._action_index.memo.clear()
        self._quest_index.memo.clear()

    def get_state(self) -> tuple:
        """The whole game state as an immutable tuple (constant time)."""
        return (self._facts, self._world, self._done, self._score, self._moves, self._turns, self._won, self._lost, self._order, self._room,
                self._it, self._upto, self._door_at)

    def set_state(self, state: tuple) -> None:
        """Go back to a state from :meth:`get_state` (a question the parser asked is
        forgotten: the next command is read as a new one)."""
        self._question = self._which_q = None
        (self._facts, self._world, self._done, self._score, self._moves, self._turns, self._won, self._lost, self._order, self._room,
         self._it, self._upto, self._door_at) = state
        self._changed = 0

    @property
    def facts(self) -> int:
        return self._facts

    @property
    def score(self) -> int:
        return self._score

    @property
    def moves(self) -> int:
        return self._moves

    @property
    def turns(self) -> int:
        """Turns Inform 7 has counted: commands that reached an action, failed ones too
        (parser errors take none)."""
        return self._turns - 1

    @property
    def won(self) -> bool:
        return self._won

    @property
    def lost(self) -> bool:
        return self._lost

    @property
    def location(self) -> str:
        """The current room's name, as its heading prints it ("Spare Room")."""
        return str.title(self.names[self._room])

    def _player_room(self) -> str:
        for mask, room in self.logic.player_at.items():
            if self._facts & mask:
                return room
        raise RuntimeError("the player is in no room")

    def valid_actions(self) -> list[GroundAction]:
        """The grounded actions whose preconditions hold in this state (those of the
        player's room, then those of no room)."""
        return self._action_index.valid(self._facts, self._room)

    def admissible_commands(self) -> list[str]:
        """TextWorld's admissible commands in this state, sorted, without duplicates
        (kept up to date from the facts that changed: see :mod:`.incremental`)."""
        return self._action_index.commands(self._facts, self._room)

    def policy_commands(self, max_states: int | None = None, max_seconds: float | None = None) -> list[str]:
        """Commands that win from this state: a shortest plan over the actions on the
        objects the quest needs, else a shortest plan over every command (see
        :func:`~.search.winning_policy`); empty if the game is over or no win is found
        within ``max_states`` states and ``max_seconds`` seconds (defaults
        :data:`~.search.POLICY_MAX_STATES`, :data:`~.search.POLICY_MAX_SECONDS`).
        Following the plan costs nothing: each state along it remembers its rest."""
        from .search import POLICY_MAX_SECONDS, POLICY_MAX_STATES, _key, winning_policy

        if self._won or self._lost:
            return []
        state = self.get_state()
        key = _key(state)
        cached = self._policies.get(key)
        if cached is not None:
            return list(cached)
        path = winning_policy(
            self, self._relevant_objects, self._rejoin_walkthrough,
            max_states=POLICY_MAX_STATES if max_states is None else max_states,
            max_seconds=POLICY_MAX_SECONDS if max_seconds is None else max_seconds,
        )
        if not path:
            return []
        if len(self._policies) > 10_000:
            self._policies.clear()
        # Remember the rest of the plan at every state along it.
        for i, command in enumerate(path):
            self._policies[_key(self.get_state())] = tuple(path[i:])
            self._play_silently(command)
        self.set_state(state)
        return list(path)

    def _play_silently(self, command: str) -> bool:
        """Play ``command`` if it is an applicable action (no text); whether it was."""
        if command.lower() == "prepare meal" and self._has_recipe and self._recipe_refusal():
            return False
        for action in self._tables.by_command(self._room).get(command.lower(), ()):
            if self._facts & action.pre == action.pre:
                self._apply(action, text=False)
                self._finish("", turn=True, text=False)
                return True
        return False

    def _walkthrough_landmarks(self) -> tuple[int, dict[int, int], dict[str, list[int]]]:
        """(mask, landmarks, by_room): the bits of the facts about the walkthrough's
        objects, rooms, doors and the player; for each walkthrough state's facts under
        that mask, the furthest walkthrough index reaching it; and the walkthrough
        indices by the room the player is in there (furthest first)."""
        if self._landmarks is None:
            objects = self._relevant_objects_of_walkthrough() | set(self.rooms) | {"P", "I"}
            objects |= {o for o, kind in self._kind.items() if kind == "d"}
            mask = 0
            for index, fact in enumerate(self.logic.facts):
                if all(arg in objects for arg in fact[1:]):
                    mask |= 1 << index
            start = self.get_state()
            self.reset()
            landmarks = {self._facts & mask: 0}
            by_room: dict[str, list[int]] = {self._room: [0]}
            for i, command in enumerate(self.walkthrough, 1):
                self._play_silently(command)
                landmarks[self._facts & mask] = i
                by_room.setdefault(self._room, []).append(i)
            self.set_state(start)
            self._landmarks = (mask, landmarks, {room: indices[::-1] for room, indices in by_room.items()})
        return self._landmarks

    #: Walkthrough positions tried per state by :meth:`_rejoin_walkthrough`.
    _REJOIN_TRIES = 8

    def _rejoin_walkthrough(self, state: tuple) -> list[str] | None:
        """Commands that win from ``state`` by finishing the walkthrough: from the
        walkthrough state that matches ``state`` on what the quest needs, or from one of
        the last few walkthrough positions in the player's room, leaving out the
        commands that have nothing to do (a door already open). None if neither wins."""
        mask, landmarks, by_room = self._walkthrough_landmarks()
        exact = landmarks.get(state[0] & mask)
        tries = ([exact] if exact is not None else []) + by_room.get(state[9], [])[: self._REJOIN_TRIES]
        try:
            for index in tries:
                self.set_state(state)
                played = []
                for command in self.walkthrough[index:]:
                    if self._won or self._lost:
                        break
                    if self._play_silently(command):
                        played.append(command)
                if self._won:
                    return played
            return None
        finally:
            self.set_state(state)

    def _relevant_objects_of_walkthrough(self) -> frozenset[str]:
        if self._walkthrough_objects is None:
            start = self.get_state()
            self.reset()
            objects: set[str] = set()
            for command in self.walkthrough:
                self.step(command)
                if self.last_action is not None:
                    objects.update(self._tables.nouns(self.last_action))
            self.set_state(start)
            self._walkthrough_objects = frozenset(objects)
        return self._walkthrough_objects

    def _relevant_objects(self) -> set[str]:
        """Objects a plan may need to act on from this state: those of the walkthrough's
        actions, every door, the keys of locked ones, what the player carries, and what
        holds any of them."""
        relevant = set(self._relevant_objects_of_walkthrough()) | {o for o, kind in self._kind.items() if kind == "d"}
        relevant |= set(self.carried())
        relevant |= {self._keys[o] for o in list(relevant) if o in self._keys}
        todo = list(relevant)
        while todo:
            holder = self._holder(todo.pop())
            if holder is not None and holder not in relevant:
                relevant.add(holder)
                todo.append(holder)
        return relevant

    def carried(self) -> list[str]:
        return self.contents("I")

    # -- the World protocol for text templates -----------------------------------------
    def is_open(self, obj: str) -> bool:
        return bool(self._world & self._open.get(obj, 0))

    def is_locked(self, obj: str) -> bool:
        return bool(self._world & self._locked.get(obj, 0))

    def contents(self, holder: str) -> list[str]:
        """What ``holder`` (room, container, supporter or ``I``) holds, in Inform 7's order."""
        present = self._world & self._held_mask.get(holder, 0)
        if not present:
            return []
        inside = {self._held_thing[i] for i in bits(present)}
        if len(inside) == 1:
            return list(inside)
        return [o for o in self._order if o in inside]

    def name(self, obj: str) -> str:
        return self._prefix(obj) + self.names[obj] if self._kind.get(obj) == "f" else self.names[obj]

    def indefinite(self, obj: str) -> str:
        return self._a(obj)

    def _prefix(self, obj: str) -> str:
        """Cooking games print a food's state before its name ("sliced fried carrot")."""
        facts = self._world
        have = {name for name, b in self._facts_of.get(obj, ()) if facts & b}
        words = ""
        for cut in ("sliced", "diced", "chopped"):
            if cut in have:
                words += cut + " "
        if "needs_cooking" in have:
            words += "raw "
        elif "burned" in have:
            words += "burned "
        else:
            for cooked in ("fried", "roasted", "grilled"):
                if cooked in have:
                    words += cooked + " "
        return words

    def _a(self, obj: str) -> str:
        if self._kind.get(obj) != "f":
            return self._indefinite[obj]
        # Inform 7 chooses "a"/"an" from the name as printed, state words included.
        name = self._prefix(obj) + self.names[obj]
        return f"{indefinite_article(name, self.game.infos[obj].indefinite)} {name}"

    def _the(self, obj: str) -> str:
        """``[the noun]``: doors are proper-named in TextWorld's Inform 7 source."""
        if obj == "P":
            return "yourself"
        return self.names[obj] if self._kind.get(obj) == "d" else f"the {self.names[obj]}"

    def _list(self, things: Sequence[str]) -> str:
        return list_sentence([self._a(o) for o in things])

    # -- text ----------------------------------------------------------------------
    def look_text(self) -> str:
        """What ``look`` prints here: the room heading, its description, what lies on the floor."""
        key = ("look", self._world, self._order, self._room)
        text = self._text_cache.get(key)
        if text is None:
            text = self._cache(key, self._look_text())
        return text

    def _cache(self, key: tuple, text: str) -> str:
        if len(self._text_cache) > 100_000:
            self._text_cache.clear()
        self._text_cache[key] = text = tidy(text)
        return text

    def _look_text(self) -> str:
        room = self._room
        text = self._titles[room] + "\n" + render(self._templates.get(room, []), self, room)
        floor = [o for o in self.contents(room) if self._kind[o] not in ("c", "s", "d")]
        if floor:
            text += f"\n\nThere is {self._list(floor)} on the floor."
        return text

    def inventory_text(self) -> str:
        """What ``inventory`` prints."""
        key = ("inventory", self._world, self._order)
        text = self._text_cache.get(key)
        if text is None:
            text = self._cache(key, self._inventory_text())
        return text

    def _inventory_text(self) -> str:
        carried = self.carried()
        if not carried:
            return "You are carrying nothing."
        return f"You are carrying: {self._list(carried)}."

    def examine_text(self, obj: str) -> str:
        text = render(self._templates.get(obj, []), self, obj, source_lines=False).strip() if obj in self._templates else ""
        kind = self._kind.get(obj)
        if kind == "c" and self.is_open(obj):
            inside = self.contents(obj)
            if inside:
                verb = "is" if len(inside) == 1 else "are"
                text += ("\n\n" if text else "") + f"In the {self.names[obj]} {verb} {self._list(inside)}."
            elif not text:
                text = f"The {self.names[obj]} is empty."
        if kind == "s":
            on = self.contents(obj)
            if on:
                verb = "is" if len(on) == 1 else "are"
                text += ("\n\n" if text else "") + f"On the {self.names[obj]} {verb} {self._list(on)}."
        return text or f"You see nothing special about the {self.name(obj)}."

    # -- playing -------------------------------------------------------------------
    def step(self, command: str) -> str:
        """Play one command; returns the game's reply (tidied as :func:`tidy` says)."""
        return tidy(self._step(command))  # read by the parser (see .parser), played below

    def _finish(self, reply: str, turn: bool, text: bool = True) -> str:
        """End the turn as the generated Inform 7 code does: check the quests, report a
        score change and the end of the game."""
        if not turn:
            return reply
        changed, self._changed = self._changed, 0
        if self._turns == 1 or self._lost:
            # The first check of an episode (the initial facts may meet a condition), or
            # one after a loss cut the last check short: every condition.
            outcome = self._quest_index.check(self._world, self._done)
        else:
            outcome = self._quest_index.check_changed(self._world, self._done, changed)
        self._turns += 1
        lost, self._done, gained = outcome
        self._lost = self._lost or lost
        self._score += gained
        if not self._lost and self._required and self._done & self._required == self._required:
            self._won = True
        if not text:
            return ""
        parts = [reply]
        if gained:
            unit = "point" if gained == 1 else "points"
            parts.append(f"Your score has just gone up by {number_in_words(gained)} {unit}.")
        if self._won or self._lost:
            parts.append(centred("*** The End ***" if self._won else "*** You lost! ***"))
            # A loss ends the story in the every-turn rules, before Inform 7 advances the
            # turn counter; a win ends it after.
            count = self._turns if self._won else self._turns - 1
            turns = "turn" if count == 1 else "turns"
            parts.append(f"You scored {self._score} out of a possible {self.max_score}, in {count} {turns}.")
        return "\n\n".join(p for p in parts if p)

    def _apply(self, action: GroundAction, text: bool = True, event: str | None = None) -> str:
        """Apply an action valid in the game; return Inform 7's report of it ("" when
        ``text`` is False). ``event``: the action as Inform 7 reports it, when not as
        ``action``'s rule says. TextWorld's tracker reads that report: it applies the
        action of the tracked state whose event it is (the one with most preconditions),
        if any, to the tracked facts, and counts a move."""
        self.last_action = action
        before, before_facts = self._world, self._facts
        self._world = (before & ~action.delete) | action.add
        self._changed |= before ^ self._world
        rule = action.rule
        b = action.binding
        if rule == "drink":
            # Inform 7 reports "drinking carried thing", an event TextWorld's tracker does
            # not know: the drink happens in the game but not in the tracked state.
            tracked = None
        elif event is None and before_facts & action.pre == action.pre:
            tracked = action
        else:
            event = (event or action.event).lower()
            matching = [a for a in self.valid_actions() if a.event.lower() == event]
            tracked = max(matching, key=lambda a: a.n_pre) if matching else None
        if tracked is not None:
            self._facts = (before_facts & ~tracked.delete) | tracked.add
            self._moves += 1
        if rule.startswith("go/"):
            self._room = self._player_room()
            self._enter(self._room)
        elif rule.startswith("examine"):
            target = b.get("o") or b.get("d") or b.get("t")
            if tracked and self._kind.get(target) == "f" and self._prefix(target):
                # Inform 7 reports the action with the food's state words in its name
                # ("examining the raw carrot"), which TextWorld's tracker does not recognise.
                self._moves -= 1
        elif rule.startswith("make/recipe"):
            meal = b.get("meal")
            if meal:
                self._order = (meal,) + tuple(o for o in self._order if o != meal)
        else:
            moved = [o for o in action.args if self._moved(o, before)]
            if moved:
                self._order = tuple(moved) + tuple(o for o in self._order if o not in moved)
        return self._report(action) if text else ""

    def _report(self, action: GroundAction) -> str:
        """Inform 7's report of an action just applied."""
        rule = action.rule
        b = action.binding
        name = self.names
        if rule.startswith("go/") or rule == "look":
            return self.look_text()
        if rule == "inventory":
            return self.inventory_text()
        if rule.startswith("examine"):
            return self.examine_text(b.get("o") or b.get("d") or b.get("t"))
        if rule == "take":
            return f"You pick up the {name[b['o']]} from the ground."
        if rule in ("take/c", "take/s"):
            return f"You take the {name[b['o']]} from the {name[b.get('c') or b.get('s')]}."
        if rule == "drop":
            return f"You drop the {name[b['o']]} on the ground."
        if rule == "put":
            return f"You put the {name[b['o']]} on the {name[b['s']]}."
        if rule == "insert":
            return f"You put the {name[b['o']]} into the {name[b['c']]}."
        if rule.startswith("open/"):
            target = b.get("c") or b.get("d")
            inside = self.contents(target) if rule == "open/c" else []
            if inside:
                return f"You open {self._the(target)}, revealing {self._list(inside)}."
            return f"You open {self._the(target)}."
        if rule.startswith("close/"):
            return f"You close {self._the(b.get('c') or b.get('d'))}."
        if rule.startswith("unlock/"):
            return f"You unlock {self._the(b.get('c') or b.get('d'))}."
        if rule.startswith("lock/"):
            return f"You lock {self._the(b.get('c') or b.get('d'))}."
        if rule == "eat":
            return f"You eat the {name[b['f']]}. Not bad."
        if rule == "drink":
            return f"You drink the {name[b['f']]}. Not bad."
        if rule.startswith("cook/"):
            food = name[b["f"]]
            if rule.endswith("/burned"):
                return f"You burned the {food}!"
            for heat, done in _HEAT:
                if f"/{heat}/" in rule:
                    return f"You {done} the {food}."
        if rule in ("slice", "dice", "chop"):
            return f"You {rule} the {name[b['f']]}."
        if rule.startswith("make/recipe"):
            return "Adding the meal to your inventory."
        return ""

    def successors(self, only=None) -> list[tuple[str, tuple]]:
        """``(command, next state)`` for every admissible command, computed without text
        (what a search needs); the game is left in its current state. ``only``: just the
        actions whose objects are all in this collection (moves between rooms always)."""
        start = self.get_state()
        out = []
        by_command = self._tables.by_command(self._room)
        for command in self.admissible_commands():
            if command == "prepare meal" and self._has_recipe and self._recipe_refusal():
                continue  # admissible by a recipe of fewer ingredients; the game refuses it
            for action in by_command[command.lower()]:
                if only is not None and not all(noun in only for noun in self._tables.nouns(action)):
                    continue
                if start[0] & action.pre == action.pre:
                    self._apply(action, text=False)
                    self._finish("", turn=True, text=False)
                    out.append((command, self.get_state()))
                    self.set_state(start)
                    break
        return out

    def _moved(self, obj: str, before: int) -> bool:
        for _, bit in self._location_bits.get(obj, ()):
            if (before ^ self._world) & bit:
                return True
        return False

    def _enter(self, room: str) -> None:
        """Inform 7's ``MoveFloatingObjects`` as the player enters ``room``: each of its
        doors that is in its other room is moved here, in the source's order, each becoming
        the room's first child (so it comes before what lay here, and after what is dropped
        later); a door already here stays where it is."""
        doors = self._doors_of.get(room)
        if not doors:
            return
        at = list(self._door_at)
        moved = []
        for i, door in enumerate(self._door_list):
            if at[i] != room and door in doors:
                at[i] = room
                moved.insert(0, door)
        if moved:
            self._door_at = tuple(at)
            self._order = tuple(moved) + tuple(o for o in self._order if o not in moved)

    # -- what the parser hands over: an action's checks and reports, as the game's rules say --
    def _is_sharp(self, obj: str) -> bool:
        return self._has(obj, "sharp")

    def _has(self, obj: str, predicate: str) -> bool:
        """Whether the one-place fact ``predicate(obj)`` holds in the game."""
        return any(name == predicate for name, bit in self._facts_of.get(obj, ()) if self._world & bit)

    def _valid(self, shape: tuple) -> GroundAction | None:
        """The action of ``shape`` that the game allows (valid in the tracked facts too,
        if one is)."""
        found = None
        for action in self._tables.by_shape(self._room).get(shape, ()):
            if self._world & action.pre == action.pre:
                if self._facts & action.pre == action.pre:
                    return action
                found = found or action
        return found

    def _act_one(self, verb: str, obj: str, said: str = "") -> tuple[str, bool]:
        """Act on one object; ``said``: the verb as typed ("pick up" for "take")."""
        name = self.names.get(obj, "yourself")
        kind = self._kind.get(obj, "P")
        if verb == "examine":
            action = self._valid(("examine", obj))
            if action:
                return self._apply(action), True
            if obj == "P":
                return "As good-looking as ever.", True
            return self.examine_text(obj), True
        if verb == "take":
            if obj == "P":
                return "You are always self-possessed.", True
            if kind in ("c", "s", "d"):
                return "That's fixed in place.", True
            holder = self._holder(obj)
            if holder == "I":
                return "You already have that.", True
            if holder in self.rooms:
                action = self._valid(("take", obj))
            else:
                action = self._valid(("take from", obj, holder))
            if action:
                # Only "take [something]" is TextWorld's "removing it from"; "get", "pick up"
                # (Inform 7's taking) of a thing on or in something is reported as "taking
                # the note", TextWorld's event for a thing on the floor: the thing moves in
                # the game, and the tracker, which sees no such action, keeps it in place.
                taking = holder not in self.rooms and said not in ("", "take")
                return self._apply(action, event=f"taking the {name}" if taking else None), True
            return "You can't see any such thing.", False
        if verb == "drop":
            holder = self._holder(obj)
            if holder != "I":
                if holder == self._room or (holder is None and kind in ("c", "s", "d")):
                    the = self._the(obj)  # a door is proper-named: no capital
                    return f"{the if kind == 'd' else the[:1].upper() + the[1:]} is already here.", True
                return "You haven't got that.", True
            action = self._valid(("drop", obj))
            return (self._apply(action), True) if action else ("You haven't got that.", True)
        if verb in ("open", "close"):
            if kind not in ("c", "d"):
                return f"It isn't something you can {verb}.", True
            action = self._valid((verb, obj))
            if action:
                return self._apply(action), True
            if verb == "close":
                return "That's already closed.", True
            if self.is_open(obj):
                return "That's already open.", True
            if self.is_locked(obj):
                key = self._keys.get(obj)
                if key is None:
                    return f"The {name} is welded shut.", True
                return f"You have to unlock the {name} with the {self.names[key]} first.", True
            return f"You open the {name}.", True
        if verb == "wear":
            if obj == "P" or self._holder(obj) != "I":
                return self._implicit_take(obj), True
            return "You can't wear that!", True
        if verb == "cut":
            if self._has_cooking:
                return f"You need to specify how you want to cut {self._the(obj)}. Either slice, dice, or chop it.", True
            return "Cutting it up would achieve little.", True
        if verb == "remove":  # "remove [something preferably held]": taking off
            return f"You aren't wearing {self._the(obj)}.", True
        if verb in ("eat", "drink"):
            if verb == "eat" and kind != "f":
                return ("You're" if obj == "P" else "That's") + " plainly inedible.", True
            if verb == "drink" and not self._has_drink:
                return "There's nothing suitable to drink here.", True
            if verb == "eat" and self._has(obj, "needs_cooking") and self._has(obj, "inedible"):
                # tw-cooking's check on eating inedible food, before the need to carry it.
                return f"You should cook {self._the(obj)} first.", True
            if self._holder(obj) != "I":
                return self._implicit_take(obj), True
            if verb == "drink" and kind != "f":
                return f"You cannot drink the {name}.", True
            action = self._valid((verb, obj))
            if action:
                return self._apply(action), True
            if verb == "eat":
                return "That's plainly inedible.", True
            return f"You cannot drink the {name}.", True
        return "That's not a verb I recognise.", False

    def _act_two(self, verb: str, obj: str, other: str) -> tuple[str, bool]:
        name, other_name = self.names.get(obj, "yourself"), self.names.get(other, "yourself")
        kind, other_kind = self._kind.get(obj, "P"), self._kind.get(other, "P")
        if verb == "take from":
            if self._holder(obj) == "I":
                return "You already have that.", True
            action = self._valid(("take from", obj, other))
            if action:
                return self._apply(action), True
            return f"But the {name} isn't there now.", True
        if verb in ("put", "insert"):
            if self._holder(obj) != "I":
                return self._implicit_take(obj), True
            if obj == other:
                return f"You can't put something {'on top of' if verb == 'put' else 'inside'} itself.", True
            action = self._valid((verb, obj, other))
            if action:
                return self._apply(action), True
            if verb == "insert":
                if other_kind != "c":
                    return "That can't contain things.", True
                return f"The {other_name} is closed.", True
            return f"Putting things on the {other_name} would achieve nothing.", True
        if verb in ("lock", "unlock"):
            if self._holder(other) != "I":
                return self._implicit_take(other), True
            action = self._valid((verb, obj, other))
            if action:
                return self._apply(action), True
            if kind not in ("c", "d"):
                return f"That doesn't seem to be something you can {verb}.", True
            if verb == "unlock" and not self.is_locked(obj):
                return "That's unlocked at the moment.", True
            if verb == "lock" and self.is_locked(obj):
                return "That's locked at the moment.", True
            if verb == "lock" and self.is_open(obj):
                return f"First you would have to close the {name}.", True
            return "That doesn't seem to fit the lock.", True
        if verb in ("slice", "dice", "chop"):
            # tw-cooking's "before a cutting activity" rules come before the need to carry both.
            # tw-cooking's source: "food is usually cuttable"; a food's type of cutting is
            # "uncut" unless a fact says otherwise.
            if not (self._kind.get(obj) == "f" or self._has(obj, "cuttable") or (obj, "cuttable") in self._static_facts):
                return "Can only cut cuttable food.", True
            done = self._state_word(obj, _CUT)
            if done:
                return f"The {name} is already {done}.", True
            if not self._is_sharp(other):
                return "Cutting something requires a knife.", True
        if verb in ("cook", "slice", "dice", "chop"):
            if self._holder(obj) != "I":
                return self._implicit_take(obj), True
            if verb != "cook" and self._holder(other) != "I":
                return self._implicit_take(other), True
            action = self._valid((verb, obj, other))
            if action:
                return self._apply(action), True
            if kind != "f":
                return "Can only cook food." if verb == "cook" else "Can only cut cuttable food.", True
            return ("Cooking requires a source of heat." if verb == "cook" else "Cutting something requires a knife."), True
        return "That's not a verb I recognise.", False

    def _prepare(self) -> str:
        """tw-cooking's "prepare meal", with its "before" rule's checks in their order:
        the kitchen, then each ingredient carried, cooked and cut as the recipe says
        (TextWorld's own rule checks only that the ingredients are carried)."""
        refusal = self._recipe_refusal()
        if refusal:
            return refusal
        action = self._valid(("prepare meal",))
        if action:
            return self._apply(action)
        return "You still miss something."

    def _recipe_refusal(self) -> str | None:
        """What tw-cooking's rule says when the meal cannot be prepared here and now, else None."""
        kitchen = self._recipe_room
        if kitchen is not None and self._room != kitchen:
            return f"Can only prepare meal in the {self._titles[kitchen]}."
        for ingredient, food in self._recipe:
            if self._holder(food) != "I":
                return "You still miss something."
            if self._state_word(food, _COOKED) != self._state_word(ingredient, _COOKED):
                return "Something still needs to be cooked."
            if self._state_word(food, _CUT) != self._state_word(ingredient, _CUT):
                return "Something still needs to be cut."
        return None

    def _state_word(self, obj: str, words: tuple[str, ...]) -> str | None:
        return next((w for w in words if self._has(obj, w) or (obj, w) in self._static_facts), None)

    def _implicit_take(self, obj: str) -> str:
        """TextWorld's rule for an action that needs ``obj`` carried."""
        if self._kind.get(obj) in ("c", "s", "d"):
            return f"The {self.names[obj]} is fixed in place."
        return f"You need to take the {'yourself' if obj == 'P' else self.names[obj]} first."

    def _holder(self, obj: str) -> str | None:
        for holder, bit in self._location_bits.get(obj, ()):
            if self._world & bit:
                return holder
        return None

    def entity_names(self) -> list[str]:
        """Names of the game's rooms and things (for tools that build commands)."""
        return sorted({self.names[o] for o in self._kind})


def _natural(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


_VERB_SHAPES = {
    "take": "take", "take/c": "take from", "take/s": "take from", "drop": "drop", "put": "put", "insert": "insert",
    "open/c": "open", "open/d": "open", "close/c": "close", "close/d": "close", "lock/c": "lock", "lock/d": "lock",
    "unlock/c": "unlock", "unlock/d": "unlock", "eat": "eat", "drink": "drink", "slice": "slice", "dice": "dice",
    "chop": "chop", "look": "look", "inventory": "inventory",
}


def _shape(action: GroundAction, kb, orders: dict | None = None) -> tuple:
    """What the player says to do ``action``: a verb and its objects in command order.
    ``orders``: a memo of each rule's placeholder order, shared over one game's actions."""
    rule = action.rule
    b = action.binding
    if rule.startswith("examine"):
        return ("examine", b.get("o") or b.get("d") or b.get("t"))
    if rule.startswith("go/"):
        return ("go", rule[3:])
    if rule.startswith("cook/"):
        heat = next(v for k, v in b.items() if k not in ("P", "r", "f", "I"))
        return ("cook", b["f"], heat)
    if rule.startswith("make/recipe"):
        return ("prepare meal",)
    verb = _VERB_SHAPES.get(rule, rule)
    order = orders.get(rule) if orders is not None else None
    if order is None:
        template = kb.rules[rule].command_template or ""
        order = tuple(m.group(1) for m in re.finditer(r"\{([^}]+)\}", template))
        if orders is not None:
            orders[rule] = order
    return (verb, *(b[p] for p in order))
