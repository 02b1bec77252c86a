"""A native engine for ALFWorld games: the ALFRED domain's actions written out in Python.

It plays the same ``game.tw-pddl`` files as textworld's ``PddlEnv`` and answers as it
does with alfworld's ``AlfredDemangler`` (the names players see, such as ``apple 1``):
the same admissible commands, the same replies (up to the order of items in a list,
which ``PddlEnv`` takes from a hash set), the same goal test and move counts. It does not
run Fast Downward or re-derive grammar templates at every step, so it is one to two
orders of magnitude faster (see docs/benchmarks.md); ``tests/alfworld`` checks it step by
step against ``PddlEnv`` on generated games.

The domain it implements is ``alfworld/data/alfred.pddl`` of alfworld 0.4.2 (actions
look, inventory, examine, go to, open, close, take, move, clean, heat, cool, use, slice,
help) with the feedback of ``alfworld/data/alfred.twl2``.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Mapping

from .pddl import PddlError, Problem, holds, index_facts, parse_problem

NOTHING_HAPPENS = "Nothing happens."
INTRO_BANNER = "-= Welcome to TextWorld, ALFRED! =-"
HELP_TEXT = (
    "Available commands:\n"
    "  look:                             look around your current location\n"
    "  inventory:                        check your current inventory\n"
    "  go to (receptacle):               move to a receptacle\n"
    "  open (receptacle):                open a receptacle\n"
    "  close (receptacle):               close a receptacle\n"
    "  take (object) from (receptacle):  take an object from a receptacle\n"
    "  move (object) to (receptacle):  place an object in or on a receptacle\n"
    "  examine (something):              examine a receptacle or an object\n"
    "  use (object):                     use an object\n"
    "  heat (object) with (receptacle):  heat an object using a receptacle\n"
    "  clean (object) with (receptacle): clean an object using a receptacle\n"
    "  cool (object) with (receptacle):  cool an object using a receptacle\n"
    "  slice (object) with (object):     slice an object using a sharp object\n"
)

_TASK_RULE = re.compile(r'"task"\s*:\s*\[\s*\{\s*"rhs"\s*:\s*("(?:[^"\\]|\\.)*")')
_APPLIANCE = {"clean": "sinkbasintype", "heat": "microwavetype", "cool": "fridgetype"}
_KNIVES = ("knifetype", "butterknifetype")
_MANGLED = (("_bar_", "|"), ("_minus_", "-"), ("_plus_", "+"), ("_dot_", "."), ("_comma_", ","))


class GameFileError(ValueError):
    """A game file that cannot be played; the message says what is wrong."""


def display_names(ids) -> dict[str, str]:
    """The names players see for PDDL ids, numbered as alfworld's ``Demangler`` does
    (``apple_bar__minus_00_dot_47_bar_...`` -> ``apple 2``)."""
    ids = sorted(ids)
    counts: Counter = Counter()
    for name_id in ids:
        parts = name_id.split("_bar_", 1)
        if len(parts) > 1:
            counts[parts[0] + ("basin" if "basin" in name_id else "")] += 1
    numbers = {name: list(range(1, count + 1)) for name, count in counts.items()}
    names = {}
    for name_id in ids:
        text = name_id
        for old, new in _MANGLED:
            text = text.replace(old, new)
        parts = text.split("|", 1)
        if len(parts) == 1:
            names[name_id] = f"{text} "
        else:
            base = parts[0] + ("basin" if "basin" in name_id else "")
            names[name_id] = f"{base} {numbers[base].pop()}"
    return names


def task_text(grammar: str) -> str:
    """The ``Your task is to: ...`` line a game's grammar holds."""
    match = _TASK_RULE.search(grammar or "")
    return json.loads(match.group(1)) if match else "Your task is to: UNKNOWN GOAL."


def _listing(items: list[str]) -> str:
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + ", and " + items[-1]


def _natural(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def load_game_data(game_file: str | Path) -> dict[str, Any]:
    """The JSON of a ``game.tw-pddl`` file, checked for the keys a game needs."""
    path = Path(game_file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GameFileError(f"game file {str(path)!r} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise GameFileError(f"game file {str(path)!r} is not a JSON tw-pddl game ({err})") from None
    if not isinstance(data, dict):
        raise GameFileError(f"game file {str(path)!r} must hold a JSON object")
    missing = [key for key in ("pddl_domain", "grammar", "pddl_problem") if not isinstance(data.get(key), str)]
    if missing:
        raise GameFileError(f"game file {str(path)!r} lacks {', '.join(missing)} (a tw-pddl game holds pddl_domain, grammar, pddl_problem)")
    return data


def open_game(game_file: str | Path) -> "AlfredGame":
    """The parsed game of a ``game.tw-pddl`` file; a :class:`GameFileError` naming the
    file if it cannot be played."""
    data = load_game_data(game_file)
    try:
        return AlfredGame(data)
    except (PddlError, GameFileError) as err:
        raise GameFileError(f"game file {str(game_file)!r}: {err}") from None


class AlfredGame:
    """The static part of a game: entities, names, types and the goal (parsed once)."""

    def __init__(self, data: Mapping[str, Any]):
        self.problem: Problem = parse_problem(data["pddl_problem"])
        self.objective = task_text(data["grammar"])
        self.walkthrough = list(data.get("walkthrough") or [])
        problem = self.problem
        facts = index_facts(problem.init)
        self.names = display_names({arg for fact in problem.init for arg in fact[1:]})
        self.agents = sorted(a for (a, _) in facts.get("atlocation", ()))
        if not self.agents:
            raise GameFileError("the problem places no agent: it needs an (atLocation AGENT LOCATION) fact")
        self.agent = self.agents[0]
        self.recep_loc = {r: l for (r, l) in facts.get("receptacleatlocation", ())}
        self.receps_at: dict[str, list[str]] = defaultdict(list)
        for r, l in self.recep_loc.items():
            self.receps_at[l].append(r)
        for l in self.receps_at:
            self.receps_at[l].sort(key=self.sort_key)
        self.rtype = {r: t for (r, t) in facts.get("receptacletype", ())}
        self.otypes: dict[str, set[str]] = defaultdict(set)
        for o, t in facts.get("objecttype", ()):
            self.otypes[o].add(t)
        self.can_contain = set(facts.get("cancontain", ()))
        flags = ("openable", "pickupable", "cleanable", "heatable", "coolable", "toggleable", "sliceable", "isreceptacleobject")
        self.flag = {name: {args[0] for args in facts.get(name, ())} for name in flags}
        self.in_recep_object = set(facts.get("inreceptacleobject", ()))
        # Every location with a receptacle can be gone to; its command names them all.
        self.goto = {
            l: "go to " + _listing([self.names[r] for r in rs]) for l, rs in self.receps_at.items()
        }
        self.all_receptacles = sorted(self.recep_loc, key=self.sort_key)

    def sort_key(self, entity: str) -> tuple:
        return _natural(self.names.get(entity, entity))

    def can_put(self, o: str, r: str) -> bool:
        rt = self.rtype.get(r)
        return any((rt, ot) in self.can_contain for ot in self.otypes.get(o, ()))


class AlfredEngine:
    """Plays one ALFWorld game. ``reset()`` and ``step(command)`` return the reply text;
    the state is in :attr:`facts`; :meth:`admissible_commands`, :attr:`won`,
    :attr:`moves` describe it.

    >>> engine = AlfredEngine.from_file("game.tw-pddl")  # doctest: +SKIP
    >>> print(engine.reset()); engine.step("go to fridge 1")  # doctest: +SKIP
    """

    def __init__(self, game: AlfredGame):
        self.game = game
        self.facts: dict[str, set] = {}
        self.moves = 0
        self.won = False
        self._commands: dict[str, tuple] | None = None

    @classmethod
    def from_file(cls, game_file: str | Path) -> "AlfredEngine":
        return cls(open_game(game_file))

    def copy(self) -> "AlfredEngine":
        """An independent engine in the same state (the static game is shared)."""
        twin = AlfredEngine(self.game)
        twin.set_facts(self.facts, self.moves, self.won)
        return twin

    def set_facts(self, facts: Mapping[str, set], moves: int, won: bool) -> None:
        """Put the engine in the state of ``facts`` (``{predicate: {args}}``, copied)."""
        self.facts = defaultdict(set, {pred: set(args) for pred, args in facts.items()})
        self.moves, self.won = moves, won
        self._commands = None

    # -- state queries -------------------------------------------------------------------
    @property
    def location(self) -> str:
        return next(l for (a, l) in self.facts["atlocation"] if a == self.game.agent)

    def held(self) -> list[str]:
        return sorted((o for (a, o) in self.facts["holds"] if a == self.game.agent), key=self.game.sort_key)

    def contents(self, r: str) -> list[str]:
        return sorted((o for (o, rr) in self.facts["inreceptacle"] if rr == r), key=self.game.sort_key)

    def is_open(self, r: str) -> bool:
        return (r,) in self.facts["opened"]

    def _reachable(self, r: str) -> bool:
        return r not in self.game.flag["openable"] or self.is_open(r)

    def has(self, flag: str, entity: str) -> bool:
        return (entity,) in self.facts[flag]

    # -- playing -------------------------------------------------------------------------
    def reset(self) -> str:
        self.facts = defaultdict(set)
        for pred, args in ((fact[0], tuple(fact[1:])) for fact in self.game.problem.init):
            self.facts[pred].add(args)
        self.moves = 0
        self._commands = None
        self.won = self._check_goal()
        return f"{INTRO_BANNER}\n\n{self.look_text()}\n\n{self.game.objective}"

    def admissible_commands(self) -> list[str]:
        """The commands the game accepts now, sorted (as ``PddlEnv`` lists them)."""
        return sorted(self._applicable())

    def step(self, command: str) -> str:
        action = self._applicable().get(command.strip())
        if action is None:
            return NOTHING_HAPPENS
        reply = getattr(self, "_do_" + action[0])(*action[1:])
        self.moves += 1
        self._commands = None
        self.won = self._check_goal()
        return reply

    def _check_goal(self) -> bool:
        return holds(self.game.problem.goal, self.facts, self.game.problem)

    # The applicable actions, keyed by command; the first action found for a command wins.
    def _applicable(self) -> dict[str, tuple]:
        if self._commands is not None:
            return self._commands
        game, names = self.game, self.game.names
        here = self.location
        held = self.held()
        commands: dict[str, tuple] = {"look": ("look",), "inventory": ("inventory",), "help": ("help",)}
        for l, text in game.goto.items():
            if l != here:  # Fast Downward drops the go-to-where-you-are operator
                commands.setdefault(text, ("goto", l, game.receps_at[l][0]))
        local = game.receps_at.get(here, [])
        for r in local:
            commands.setdefault(f"examine {names[r]}", ("examine_recep", r))
            if r in game.flag["openable"]:
                verb = "close" if self.is_open(r) else "open"
                commands.setdefault(f"{verb} {names[r]}", (verb, r))
            inside = self.contents(r)
            for o in inside:
                if o in game.flag["toggleable"]:
                    commands.setdefault(f"use {names[o]}", ("use", o))
            if not self._reachable(r):
                continue
            for o in inside:
                if not held and o in game.flag["pickupable"]:
                    commands.setdefault(f"take {names[o]} from {names[r]}", ("take", o, r))
            for o in held:
                if game.can_put(o, r):
                    commands.setdefault(f"move {names[o]} to {names[r]}", ("move", o, r))
        # PddlEnv offers "examine OBJECT" only for a held object: Fast Downward's
        # translation of examineObject's disjunctive precondition keeps only that branch.
        for o in held:
            commands.setdefault(f"examine {names[o]}", ("examine_object", o))
            for r in local:
                for verb, rtype in _APPLIANCE.items():
                    if game.rtype.get(r) == rtype and o in game.flag[verb + "able"]:
                        commands.setdefault(f"{verb} {names[o]} with {names[r]}", (verb, o, r))
            if game.otypes.get(o, set()) & set(_KNIVES):
                for (co, l) in self.facts["objectatlocation"]:
                    if l == here and co in game.flag["sliceable"]:
                        commands.setdefault(f"slice {names[co]} with {names[o]}", ("slice", co, o))
        self._commands = commands
        return commands

    # -- replies ---------------------------------------------------------------------------
    def _a_list(self, entities) -> str:
        return _listing([f"a {self.game.names[e]}" for e in entities])

    def _examine_receptacle(self, r: str) -> str:
        name = self.game.names[r]
        if r in self.game.flag["openable"]:
            if self.is_open(r):
                return f"The {name} is open. In it, you see {self._a_list(self.contents(r))}."
            return f"The {name} is closed."
        return f"On the {name}, you see {self._a_list(self.contents(r))}."

    def look_text(self) -> str:
        """What ``look`` answers now."""
        here = self.location
        local = self.game.receps_at.get(here)
        if local:
            floor = sorted(
                {o for (o, l) in self.facts["objectatlocation"] if l == here for r in local if (o, r) not in self.facts["inreceptacle"]},
                key=self.game.sort_key,
            )
            facing = _listing([self.game.names[r] for r in local])
            return f"You are facing the {facing}. Next to it, you see {self._a_list(floor)}."
        return f"You are in the middle of a room. Looking quickly around you, you see {self._a_list(self.game.all_receptacles)}."

    def _do_look(self) -> str:
        return self.look_text()

    def _do_help(self) -> str:
        return HELP_TEXT

    def _do_inventory(self) -> str:
        return self.inventory_text()

    def inventory_text(self) -> str:
        """What ``inventory`` answers now."""
        held = self.held()
        if held:
            return f"You are carrying: {self._a_list(held)}."
        return "You are not carrying anything."

    def _do_goto(self, l: str, r: str) -> str:
        self.facts["atlocation"] = {(a, ll) for (a, ll) in self.facts["atlocation"] if a != self.game.agent}
        self.facts["atlocation"].add((self.game.agent, l))
        return f"You arrive at {self.game.names[r]}. {self._examine_receptacle(r)}"

    def _do_open(self, r: str) -> str:
        self.facts["opened"].add((r,))
        return f"You open the {self.game.names[r]}. {self._examine_receptacle(r)}"

    def _do_close(self, r: str) -> str:
        self.facts["opened"].discard((r,))
        return f"You close the {self.game.names[r]}."

    def _do_examine_recep(self, r: str) -> str:
        return self._examine_receptacle(r)

    def _do_examine_object(self, o: str) -> str:
        name = self.game.names[o]
        if o in self.game.flag["isreceptacleobject"]:
            inner = sorted((i for (i, outer) in self.game.in_recep_object if outer == o), key=self.game.sort_key)
            return f"This is a normal {name}. In it, you see {self._a_list(inner)}."
        clean, hot, cool, sliced = (self.has(f, o) for f in ("isclean", "ishot", "iscool", "issliced"))
        for condition, text in (
            (clean and hot and sliced, "This is a hot and clean sliced {}."),
            (clean and cool and sliced, "This is a cool and clean sliced {}."),
            (clean and sliced, "This is a clean sliced {}."),
            (hot and sliced, "This is a hot sliced {}."),
            (cool and sliced, "This is a cool sliced {}."),
            (clean and hot, "This is a hot and clean {}."),
            (clean and cool, "This is a cool and clean {}."),
            (hot, "This is a hot {}."),
            (clean, "This is a clean {}."),
            (cool, "This is a cold {}."),
        ):
            if condition:
                return text.format(name)
        if o in self.game.flag["toggleable"]:
            return f"This {name} is {'on' if self.has('istoggled', o) else 'off'}."
        if o in self.game.flag["sliceable"] and sliced:
            return f"This is a sliced {name}."
        return f"There's nothing special about {name}."

    def _do_take(self, o: str, r: str) -> str:
        agent, here = self.game.agent, self.location
        self.facts["inreceptacle"].discard((o, r))
        self.facts["holds"].add((agent, o))
        self.facts["holdsany"].add((agent,))
        self.facts["objectatlocation"].discard((o, here))
        return f"You pick up the {self.game.names[o]} from the {self.game.names[r]}."

    def _do_move(self, o: str, r: str) -> str:
        agent, here = self.game.agent, self.location
        self.facts["inreceptacle"].add((o, r))
        self.facts["objectatlocation"].add((o, here))
        self.facts["holds"].discard((agent, o))
        self.facts["holdsany"].discard((agent,))
        return f"You move the {self.game.names[o]} to the {self.game.names[r]}."

    def _do_clean(self, o: str, r: str) -> str:
        self.facts["isclean"].add((o,))
        return f"You clean the {self.game.names[o]} using the {self.game.names[r]}."

    def _do_heat(self, o: str, r: str) -> str:
        self.facts["ishot"].add((o,))
        self.facts["iscool"].discard((o,))
        return f"You heat the {self.game.names[o]} using the {self.game.names[r]}."

    def _do_cool(self, o: str, r: str) -> str:
        self.facts["iscool"].add((o,))
        self.facts["ishot"].discard((o,))
        return f"You cool the {self.game.names[o]} using the {self.game.names[r]}."

    def _do_use(self, o: str) -> str:
        if (o,) in self.facts["ison"]:
            self.facts["ison"].discard((o,))
        else:
            self.facts["ison"].add((o,))
        self.facts["istoggled"].add((o,))
        return f"You turn on the {self.game.names[o]}."

    def _do_slice(self, co: str, ko: str) -> str:
        self.facts["issliced"].add((co,))
        return f"You sliced the {self.game.names[co]} with the {self.game.names[ko]}."
