"""A TextWorld game played in Python from its ``Game`` object, with Inform 7's text.

:class:`NativeGame` is built once per game (grounding, text templates, quest masks:
a few milliseconds, under 0.1 s of CPU for tw-cooking level 8's ~6,700 actions; a room's
actions and command tables are made the first time the player is there) and then
plays any number of episodes: ``reset()`` and
``step(command)`` return the game's text, and the state (score, moves, won, lost,
location, inventory, admissible commands) is read off properties. A state is a small
tuple of ints; :meth:`NativeGame.get_state` / :meth:`NativeGame.set_state` copy it
in constant time, for tree search and for groups of rollouts from one state.

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
from .tables import ActionTables
from .text import (
    UnsupportedText,
    tidy,
    centred,
    indefinite_article,
    list_sentence,
    number_in_words,
    parse_template,
    render,
)

_DIRECTIONS = {"north": "north", "n": "north", "south": "south", "s": "south", "east": "east", "e": "east",
               "west": "west", "w": "west"}
_OTHER_DIRECTIONS = {"up", "u", "down", "d", "northeast", "ne", "northwest", "nw", "southeast", "se", "southwest",
                     "sw", "inside", "in", "outside", "out"}
_ARTICLES = re.compile(r"^(?:the|a|an|some)\s+")
_HEAT = (("stove", "fried"), ("oven", "roasted"), ("toaster", "grilled"))


class NativeGame:
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

        self._words = {o: _words(self.names[o], infos[o].synonyms if o in infos else None) for o in objects}
        # Objects whose full name another object's words also cover ("key" and "rusty key"):
        # naming them makes Inform 7 say which one it took.
        self._rivals = {o: [r for r in objects if r != o and all(w in self._words[r] for w in self.names[o].lower().split()
                                                                  if w not in ("of", "the"))] for o in objects}
        # Actions by what the player types (a command, or a verb and its objects), per room.
        orders: dict[str, tuple[str, ...]] = {}
        self._tables = ActionTables(logic, lambda action: _shape(action, game.kb, orders), self._kind)
        self._has_drink = "drink" in game.kb.rules
        self._has_recipe = any(rule.startswith("make/recipe") for rule in game.kb.rules)
        self._has_cooking = "slice" in game.kb.rules
        self._text_cache: dict[tuple, str] = {}
        self._policies: dict[tuple, tuple[str, ...]] = {}  # state key -> the rest of a winning plan
        self._walkthrough_objects: frozenset[str] | None = None
        self._landmarks: tuple[int, dict[int, int], dict[str, list[int]]] | None = None
        self.reset()

    # -- state ---------------------------------------------------------------------
    def reset(self) -> str:
        """Start a new episode; returns the opening text (goal, then the first room)."""
        self._facts = self.logic.initial  # what TextWorld's tracker knows
        self._world = self._facts  # what the Inform 7 game knows (differs only after a drink)
        self._done = 0
        self._score = 0
        self._moves = 0
        self._turns = 1
        self._won = self._lost = False
        self._order: tuple[str, ...] = tuple(self._things)
        self._room = self._player_room()
        self._it: str | None = None  # what "it" refers to: the first object of the last parsed command
        self._changed = 0  # the world's facts this turn's action changed (read at the turn's end)
        self.last_action: GroundAction | None = None  # the action the last command played, if any
        return tidy(f"{self.objective}\n\n{self.look_text()}")

    def get_state(self) -> tuple:
        """The whole game state as an immutable tuple (constant time)."""
        return (self._facts, self._world, self._done, self._score, self._moves, self._turns, self._won, self._lost, self._order, self._room,
                self._it)

    def set_state(self, state: tuple) -> None:
        """Go back to a state from :meth:`get_state`."""
        (self._facts, self._world, self._done, self._score, self._moves, self._turns, self._won, self._lost, self._order, self._room,
         self._it) = state
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
        text = render(self._templates.get(obj, []), self, obj).strip() if obj in self._templates else ""
        kind = self._kind.get(obj)
        if kind == "c" and self.is_open(obj):
            inside = self.contents(obj)
            if inside:
                verb = "is" if len(inside) == 1 else "are"
                text += ("\n" if text else "") + f"In the {self.names[obj]} {verb} {self._list(inside)}."
            elif not text:
                text = f"The {self.names[obj]} is empty."
        if kind == "s":
            on = self.contents(obj)
            if on:
                verb = "is" if len(on) == 1 else "are"
                text += ("\n" if text else "") + f"On the {self.names[obj]} {verb} {self._list(on)}."
        return text or f"You see nothing special about the {self.name(obj)}."

    # -- playing -------------------------------------------------------------------
    def step(self, command: str) -> str:
        """Play one command; returns the game's reply (tidied as :func:`tidy` says)."""
        return tidy(self._step(command))

    def _step(self, command: str) -> str:
        self.last_action = None
        self._changed = 0
        cmd = re.sub(r"\s+", " ", command.strip().lower()).rstrip(".!")
        for action in self._tables.by_command(self._room).get(cmd, ()):
            if self._facts & action.pre == action.pre and self._world & action.pre == action.pre:
                nouns = self._tables.nouns(action)
                if nouns:
                    self._it = nouns[0]
                notes = "".join(f"({self._the(o)})\n" for o in nouns if self._is_ambiguous(o))
                return self._finish(notes + self._apply(action), turn=True)
        reply, turn = self._parse(cmd)
        return self._finish(reply, turn)

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

    def _apply(self, action: GroundAction, text: bool = True) -> str:
        """Apply a valid action; return Inform 7's report of it ("" when ``text`` is False)."""
        self.last_action = action
        before, before_facts = self._world, self._facts
        self._facts = (before_facts & ~action.delete) | action.add
        self._world = (before & ~action.delete) | action.add
        self._changed |= before ^ self._world
        self._moves += 1
        rule = action.rule
        b = action.binding
        if rule.startswith("go/"):
            self._room = self._player_room()
        elif rule.startswith("examine"):
            target = b.get("o") or b.get("d") or b.get("t")
            if self._kind.get(target) == "f" and self._prefix(target):
                # Inform 7 reports the action with the food's state words in its name
                # ("examining the raw carrot"), which TextWorld's tracker does not recognise.
                self._moves -= 1
        elif rule == "drink":
            # Inform 7 reports "drinking carried thing", an event TextWorld's tracker does
            # not know: the drink happens in the game but not in the tracked state.
            self._facts = before_facts
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

    # -- the parser for everything that is not an admissible command ---------------------
    def _scope(self) -> list[str]:
        room = self._room
        seen = []
        for obj in self.contents(room):
            seen.append(obj)
            if self._kind[obj] == "s" or (self._kind[obj] == "c" and self.is_open(obj)):
                seen.extend(self.contents(obj))
        seen.extend(self.contents("I"))
        seen.extend(self._doors_of.get(room, ()))
        return seen

    def _is_ambiguous(self, obj: str) -> bool:
        rivals = self._rivals.get(obj)
        if not rivals:
            return False
        scope = self._scope()
        return any(r in scope for r in rivals)

    def _resolve(self, phrase: str, prefer: str | None = None) -> tuple[str | None, str | None]:
        """(object id, None) or (None, the parser's complaint). ``prefer``: ``"held"``
        (drop, put, eat: Inform 7 prefers what is carried) or ``"not held"`` (take)."""
        self._note = ""
        phrase = _ARTICLES.sub("", phrase.strip())
        if phrase in ("me", "myself", "self", "yourself"):
            return "P", None
        words = [w for w in phrase.split() if w not in ("of", "the")]
        if not words:
            return None, "You can't see any such thing."
        matches = [o for o in self._scope() if phrase == self.names[o].lower() or all(w in self._words[o] for w in words)]
        if not matches:
            return None, "You can't see any such thing."
        if len(matches) > 1 and prefer:
            held = [o for o in matches if self._holder(o) == "I"]
            preferred = held if prefer == "held" else [o for o in matches if o not in held]
            matches = preferred or matches
            if len(matches) == 1:
                self._note = f"({self._the(matches[0])})\n"
        exact = [o for o in matches if self.names[o].lower() == phrase]
        if len(matches) > 1 and len(exact) == 1:
            self._note = f"({self._the(exact[0])})\n"
        if len(exact) == 1 or len(matches) == 1:
            return (exact or matches)[0], None
        listed = [f"the {self.names[o]}" for o in matches]
        return None, f"Which do you mean, {', '.join(listed[:-1])} or {listed[-1]}?"

    def _parse(self, cmd: str) -> tuple[str, bool]:
        """Inform 7's reply to a command no valid action matched, and whether a turn passed."""
        if cmd in ("look", "l", "inventory", "inv", "i"):  # abbreviations of TextWorld actions
            action = self._valid(("look",) if cmd in ("look", "l") else ("inventory",))
            if action:
                return self._apply(action), True
            return (self.look_text() if cmd in ("look", "l") else self.inventory_text()), True
        if cmd.startswith(("inventory ", "i ", "inv ")):
            return "I only understood you as far as wanting to take inventory.", False
        m = re.match(r"^(?:go |walk |run )?(\w+)$", cmd)
        if m and (m.group(1) in _DIRECTIONS or m.group(1) in _OTHER_DIRECTIONS) and (cmd.startswith(("go ", "walk ", "run ")) or " " not in cmd):
            direction = _DIRECTIONS.get(m.group(1))
            exit_ = self._exits.get(self._room, {}).get(direction) if direction else None
            if exit_ is None:
                return "You can't go that way.", True
            door = exit_[1]
            if door and not self.is_open(door):
                return f"You have to open the {self.names[door]} first.", True
            action = self._valid(("go", direction))
            if action:
                return self._apply(action), True
            return "You can't go that way.", True
        if re.match(r"^(?:take|get|pick up) (?:all|each|everything)$", cmd):
            return "You have to be more specific!", True
        if cmd in ("wait", "z"):
            return "Time passes.", True
        if cmd == "jump":
            return "You jump on the spot.", True
        if cmd == "goal":
            return self.objective, True
        if cmd == "score":
            return f"You have so far scored {self._score} out of a possible {self.max_score}, in {self._turns - 1} turns.", False
        for pattern, verb in _TWO_NOUNS:
            m = pattern.match(cmd)
            if m:
                if verb in _COOKING_VERBS and not self._has_cooking:
                    return self._not_cooking(verb, m.group(1))
                return self._two(verb, m.group(1), m.group(2), cmd)
        for pattern, verb in _ONE_NOUN:
            m = pattern.match(cmd)
            if m:
                return self._one(verb, m.group(1))
        bare = cmd.split(" ")[0] if cmd else ""
        if bare in _ASK:
            # Inform 7 sometimes infers the object of a bare verb instead (and acts on it);
            # which one its parser picks is not modelled (docs/textworld/native.md).
            return f"What do you want to {_ASK[bare]}?", False
        if cmd == "prepare meal" and self._has_recipe:
            return self._prepare(), True
        return "That's not a verb I recognise.", False

    def _not_cooking(self, verb: str, phrase: str) -> tuple[str, bool]:
        """Outside tw-cooking, "cook" and "dice" are no verbs, and Inform 7's own "slice"/"chop"
        (cutting) takes one object: the "with ..." part is left over."""
        if verb in ("cook", "dice"):
            return "That's not a verb I recognise.", False
        obj, error = self._resolve(phrase)
        if error:
            return error, False
        return f"I only understood you as far as wanting to {verb} {self._the(obj)}.", False

    def _valid(self, shape: tuple) -> GroundAction | None:
        for action in self._tables.by_shape(self._room).get(shape, ()):
            if self._facts & action.pre == action.pre and self._world & action.pre == action.pre:
                return action
        return None

    def _one(self, verb: str, phrase: str) -> tuple[str, bool]:
        prefer = "held" if verb in ("drop", "eat", "drink") else "not held" if verb == "take" else None
        obj, error = self._resolve(phrase, prefer)
        if error:
            return error, False
        self._it = obj
        note = self._note
        reply, turn = self._act_one(verb, obj)
        return note + reply, turn

    def _act_one(self, verb: str, obj: str) -> tuple[str, bool]:
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
                return self._apply(action), True
            return "You can't see any such thing.", False
        if verb == "drop":
            holder = self._holder(obj)
            if holder != "I":
                if holder == self._room or (holder is None and kind in ("c", "s")):
                    the = self._the(obj)
                    return f"{the[:1].upper()}{the[1:]} is already here.", True
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
        if verb in ("eat", "drink"):
            if verb == "eat" and kind != "f":
                return "That's plainly inedible.", True
            if verb == "drink" and not self._has_drink:
                return "There's nothing suitable to drink here.", True
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

    def _two(self, verb: str, first: str, second: str, cmd: str) -> tuple[str, bool]:
        obj, error = self._resolve(first, "held" if verb in ("put", "insert", "cook", "slice", "dice", "chop") else None)
        if error:
            return error, False
        note = self._note
        other, error = self._resolve(second, "held" if verb in ("lock", "unlock", "slice", "dice", "chop") else None)
        if error:
            return error, False
        self._it = obj
        note += self._note
        reply, turn = self._act_two(verb, obj, other)
        return note + reply, turn

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
                return "It's unlocked at the moment.", True
            if verb == "lock" and self.is_locked(obj):
                return "It's locked at the moment.", True
            if verb == "lock" and self.is_open(obj):
                return f"First you'd have to close the {name}.", True
            return "That doesn't seem to fit the lock.", True
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
        action = self._valid(("prepare meal",))
        if action:
            return self._apply(action)
        return "You still miss something."

    def _implicit_take(self, obj: str) -> str:
        """TextWorld's rule for an action that needs ``obj`` carried."""
        if self._kind.get(obj) in ("c", "s", "d"):
            return f"The {self.names[obj]} is fixed in place."
        return f"You need to take the {self.names[obj]} first."

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


def _words(name: str, synonyms) -> set[str]:
    words = {w.lower() for w in name.split()}
    for synonym in synonyms or ():
        words |= {w.lower() for w in synonym.split()}
    return words - {"the", "of"} | {name.lower()}


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


_NOUN = r"(.+?)"
_TWO_NOUNS = [
    (re.compile(rf"^(?:take|get|remove|pick up) {_NOUN} (?:from|off|off of|out of) {_NOUN}$"), "take from"),
    (re.compile(rf"^(?:put|place|set|drop) {_NOUN} (?:on|onto|on top of|upon) {_NOUN}$"), "put"),
    (re.compile(rf"^(?:put|place|insert|drop) {_NOUN} (?:in|into|inside) {_NOUN}$"), "insert"),
    (re.compile(rf"^(?:unlock|open) {_NOUN} (?:with|using) {_NOUN}$"), "unlock"),
    (re.compile(rf"^lock {_NOUN} (?:with|using) {_NOUN}$"), "lock"),
    (re.compile(rf"^cook {_NOUN} (?:with|in|on|using) {_NOUN}$"), "cook"),
    (re.compile(rf"^slice {_NOUN} (?:with|using) {_NOUN}$"), "slice"),
    (re.compile(rf"^dice {_NOUN} (?:with|using) {_NOUN}$"), "dice"),
    (re.compile(rf"^chop {_NOUN} (?:with|using) {_NOUN}$"), "chop"),
]
_COOKING_VERBS = ("cook", "slice", "dice", "chop")
_ONE_NOUN = [
    (re.compile(rf"^(?:examine|x|look at|check|describe|watch|read) {_NOUN}$"), "examine"),
    (re.compile(rf"^(?:take|get|pick up|carry|hold) {_NOUN}$"), "take"),
    (re.compile(rf"^pick {_NOUN} up$"), "take"),
    (re.compile(rf"^(?:drop|discard|put down) {_NOUN}$"), "drop"),
    (re.compile(rf"^put {_NOUN} down$"), "drop"),
    (re.compile(rf"^(?:open|unwrap|uncover) {_NOUN}$"), "open"),
    (re.compile(rf"^(?:close|shut|cover) {_NOUN}$"), "close"),
    (re.compile(rf"^(?:eat) {_NOUN}$"), "eat"),
    (re.compile(rf"^(?:drink|sip|swallow) {_NOUN}$"), "drink"),
]
_ASK = {"take": "take", "get": "get", "drop": "drop", "open": "open", "close": "close", "eat": "eat",
        "examine": "examine", "x": "examine", "drink": "drink", "unlock": "unlock", "lock": "lock", "put": "put",
        "insert": "insert", "cook": "cook", "slice": "slice", "dice": "dice", "chop": "chop"}
