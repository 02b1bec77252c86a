"""Grounding a TextWorld game's logic once, so that playing it is bit arithmetic.

TextWorld describes a game as typed facts (``at(P, r_0)``, ``in(o_0, c_0)``) and rules
(``open/c :: $at(P, r) & $at(c, r) & closed(c) -> open(c)``). :func:`compile_logic`
finds every grounded action that can ever become applicable (a relaxed reachability
fixpoint: delete effects ignored), numbers every fact those actions and the initial
world mention, and stores each action as three integer bit masks over those facts:
what it needs, what it removes and what it adds. A game state is then one ``int``;
an action applies when ``state & pre == pre`` and leads to
``(state & ~delete) | add``, exactly as TextWorld's ``State.apply`` does on sets of
facts.

The fixpoint is semi-naive (each pass joins only bindings that use a fact the pass
before found) over hash indexes of the facts by bound arguments, and an action's masks
and texts are made when its room is first asked for (:meth:`CompiledLogic.room_actions`):
tw-cooking level 8 (~1,000 facts, ~6,700 actions in 12 rooms) compiles in ~0.07 s of
CPU (it took ~0.5-0.8 s when every action was made up front by a naive fixpoint).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Iterable

Fact = tuple  # (predicate name, arg name, ...)

_PLACEHOLDER = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class GroundAction:
    """One rule applied to concrete objects."""

    index: int
    rule: str
    args: tuple[str, ...]  # object ids, in the order of the rule's placeholders
    binding: dict = field(compare=False, hash=False)  # placeholder name -> object id
    pre: int = 0
    delete: int = 0
    add: int = 0
    n_pre: int = 0  # precondition count (TextWorld prefers longer ones when two match)
    room: str | None = None  # the room the player must be in, if any
    command: str = ""
    event: str = ""  # the Inform 7 action it is reported as ("opening the chest")


class CompiledLogic:
    """A game's logic, grounded: facts numbered, actions as masks.

    Every action is found, numbered and assigned its room when the game is compiled;
    its :class:`GroundAction` (masks and texts) is made the first time its room is
    asked for (:meth:`room_actions`), so a large game is ready to play after grounding
    the rooms the player has been in. :attr:`actions`, :attr:`by_room` and
    :attr:`by_event` make every room's."""

    def __init__(self, fact_ids: dict[Fact, int], facts: list[Fact], initial: int, player_at: dict[int, str],
                 types: dict[str, str], supertypes: dict[str, frozenset[str]], maker: "_ActionMaker",
                 pending: dict[str | None, list[tuple[int, int, tuple]]], n_actions: int):
        self.fact_ids = fact_ids
        self.facts = facts
        self.initial = initial
        self.player_at = player_at  # bit of at(P, room) -> room id
        self.types = types  # object id -> type name
        self.supertypes = supertypes  # type name -> itself and its ancestors
        self.n_actions = n_actions
        self._maker = maker
        self._pending = pending  # room -> [(action index, rule number, args)], until made
        self._by_room: dict[str | None, list[GroundAction]] = {}
        self._by_index: dict[int, GroundAction] = {}

    def room_actions(self, room: str | None) -> list[GroundAction]:
        """The actions that need the player in ``room`` (None: those that need no room),
        in action-table order."""
        made = self._by_room.get(room)
        if made is None:
            made = [self._maker.make(index, rule, args) for index, rule, args in self._pending.get(room, ())]
            for action in made:
                self._by_index[action.index] = action
            self._by_room[room] = made  # after _by_index: a reader that sees the room finds its actions
        return made

    def action(self, index: int) -> GroundAction:
        """The action numbered ``index`` (its room's actions are made if they were not)."""
        action = self._by_index.get(index)
        if action is None:
            room = self._maker.room_of[index]
            self.room_actions(room)
            action = self._by_index[index]
        return action

    @property
    def by_room(self) -> dict[str | None, list[GroundAction]]:
        """Every room's actions (all of them made)."""
        return {room: self.room_actions(room) for room in self._pending}

    @property
    def actions(self) -> list[GroundAction]:
        """Every action, in action-table order (all of them made)."""
        return sorted((a for actions in self.by_room.values() for a in actions), key=lambda a: a.index)

    @property
    def by_event(self) -> dict[str, list[GroundAction]]:
        """Actions by the Inform 7 event they are reported as, most preconditions first."""
        out: dict[str, list[GroundAction]] = {}
        for action in sorted(self.actions, key=lambda a: -a.n_pre):  # stable: rule order among equals
            out.setdefault(action.event, []).append(action)
        return out

    def bit(self, *fact: str) -> int:
        """The bit of a fact, 0 if the fact can never hold in this game."""
        index = self.fact_ids.get(tuple(fact))
        return 0 if index is None else 1 << index

    def is_a(self, obj: str, type_name: str) -> bool:
        return type_name in self.supertypes.get(self.types.get(obj, ""), ())


def _fact(prop) -> Fact:
    return (prop.name, *(arg.name for arg in prop.arguments))


def _supertypes(kb) -> dict[str, frozenset[str]]:
    out = {}
    for name in kb.types:
        out[name] = frozenset(t.name for t in kb.logic.types.get(name).supertypes)
    return out


class _FactStore:
    """The facts found so far, by predicate and arity (``("at", 2)``), with hash indexes
    on bound argument positions (built on first use, kept up to date as facts arrive)."""

    def __init__(self):
        self.by_pred: dict[tuple[str, int], list[tuple]] = {}
        self.known: set[Fact] = set()
        self._indexes: dict[tuple[tuple[str, int], tuple[int, ...]], dict[tuple, list[tuple]]] = {}
        self._patterns: dict[tuple[str, int], list[tuple[tuple[int, ...], dict]]] = {}

    def add(self, fact: Fact) -> bool:
        if fact in self.known:
            return False
        self.known.add(fact)
        args = fact[1:]
        key = (fact[0], len(args))
        self.by_pred.setdefault(key, []).append(args)
        for positions, table in self._patterns.get(key, ()):
            table.setdefault(tuple([args[i] for i in positions]), []).append(args)
        return True

    def matching(self, key: tuple[str, int], positions: tuple[int, ...], values: tuple) -> list[tuple]:
        """Argument tuples of ``key`` facts with ``values`` at ``positions``."""
        if not positions:
            return self.by_pred.get(key, ())
        table = self._indexes.get((key, positions))
        if table is None:
            table = {}
            for args in self.by_pred.get(key, ()):
                table.setdefault(tuple([args[i] for i in positions]), []).append(args)
            self._indexes[(key, positions)] = table
            self._patterns.setdefault(key, []).append((positions, table))
        return table.get(values, ())


def _plan(preds: list, first: int | None, bound: set[str], fitting: dict[str, frozenset]) -> list:
    """A join order for ``preds`` (name, ((placeholder, type), ...)): ``first`` (if given)
    first, then always the precondition with the most placeholders already bound (among
    equals: the most bound by an earlier step rather than a constant such as ``P``, which
    matches fewer facts; then the earliest). Each step: ((name, arity), params, positions
    of bound placeholders, the others as (position, placeholder, objects of its type) or
    None when a placeholder comes twice among them)."""
    fixed = set(bound)
    bound = set(bound)
    left = list(range(len(preds)))
    order = []
    if first is not None:
        left.remove(first)
        order.append(first)
        bound |= {ph for ph, _ in preds[first][1]}
    while left:
        best = max(left, key=lambda j: (sum(ph in bound for ph, _ in preds[j][1]),
                                        sum(ph in bound and ph not in fixed for ph, _ in preds[j][1]), -j))
        left.remove(best)
        order.append(best)
        bound |= {ph for ph, _ in preds[best][1]}
    steps = []
    bound_now = fixed
    for j in order:
        name, params = preds[j]
        positions = tuple(i for i, (ph, _) in enumerate(params) if ph in bound_now)
        free = [(i, ph, fitting.get(ph_type, frozenset())) for i, (ph, ph_type) in enumerate(params) if ph not in bound_now]
        if len({ph for _, ph, _ in free}) < len(free):
            free = None
        steps.append(((name, len(params)), params, positions, free))
        bound_now |= {ph for ph, _ in params}
    return steps


class _Rule:
    """A rule prepared for grounding: its preconditions as (name, ((placeholder, type), ...)),
    its constants, and its join orders (one per starting precondition, made once)."""

    def __init__(self, rule, constants: dict[str, str], fitting: dict[str, frozenset]):
        self.rule = rule
        self.fitting = fitting
        self.name = rule.name
        self.order = [ph.name for ph in rule.placeholders]
        self.preds = [(p.name, tuple((ph.name, ph.type) for ph in p.parameters)) for p in rule.preconditions]
        self.keys = [(name, len(params)) for name, params in self.preds]
        self.posts = [(p.name, tuple(ph.name for ph in p.parameters)) for p in rule.postconditions]
        self.fixed = {ph.name: constants[ph.name] for ph in rule.placeholders if ph.name in constants}
        self._plans: dict[int | None, list] = {}

    def plan(self, first: int | None) -> list:
        steps = self._plans.get(first)
        if steps is None:
            steps = self._plans[first] = _plan(self.preds, first, set(self.fixed), self.fitting)
        return steps


def _bindings(rule: _Rule, store: _FactStore, delta: dict[tuple[str, int], list[tuple]] | None = None) -> list[dict]:
    """Every injective binding of ``rule``'s placeholders to objects that makes all its
    preconditions facts of ``store``; with ``delta`` (new facts by predicate and arity),
    only bindings that use at least one of them (semi-naive evaluation: the others were
    found before)."""
    results: list[dict] = []
    if delta is None:
        plans = [(rule.plan(None), None)]
    else:
        plans = [(rule.plan(j), delta[key]) for j, key in enumerate(rule.keys) if key in delta]
    for steps, first_facts in plans:
        _join(steps, 0, first_facts, store, rule.fitting, dict(rule.fixed), set(rule.fixed.values()), results)
    return results


def _join(steps, k, first_facts, store, fitting, binding, used, results) -> None:
    if k == len(steps):
        results.append(dict(binding))
        return
    key, params, positions, free = steps[k]
    if k == 0 and first_facts is not None:
        candidates = first_facts
    else:
        candidates = store.matching(key, positions, tuple([binding[params[i][0]] for i in positions]))
        if free is not None:
            # The index matched the bound positions: only the free ones are left to bind.
            for args in candidates:
                new = []
                for i, ph, objects in free:
                    obj = args[i]
                    if obj in used or obj not in objects:
                        break
                    binding[ph] = obj
                    used.add(obj)
                    new.append(ph)
                else:
                    _join(steps, k + 1, first_facts, store, fitting, binding, used, results)
                for ph in new:
                    used.discard(binding.pop(ph))
            return
    for args in candidates:
        new = []
        ok = True
        for (ph, ph_type), obj in zip(params, args):
            bound = binding.get(ph)
            if bound is None:
                if obj in used or obj not in fitting.get(ph_type, ()):
                    ok = False
                    break
                binding[ph] = obj
                used.add(obj)
                new.append(ph)
            elif bound != obj:
                ok = False
                break
        if ok:
            _join(steps, k + 1, first_facts, store, fitting, binding, used, results)
        for ph in new:
            used.discard(binding.pop(ph))


def _complete(rule, bindings, types, supertypes):
    """Bindings extended to placeholders no precondition mentions (a rule may name one
    only in its effects): every fitting object, as TextWorld binds them."""
    free = [ph for ph in rule.placeholders if ph.name not in (bindings[0] if bindings else {})]
    if not free or not bindings:
        return bindings
    out = []
    for binding in bindings:
        partial = [binding]
        for ph in free:
            partial = [
                {**b, ph.name: obj}
                for b in partial
                for obj, t in types.items()
                if ph.type in supertypes.get(t, ()) and obj not in b.values()
            ]
        out.extend(partial)
    return out


def _template(template: str) -> list[tuple[str, str | None]]:
    """``"open {c}"`` as [("open ", "c")]: literal text, then a placeholder (or None)."""
    parts, last = [], 0
    for m in _PLACEHOLDER.finditer(template):
        parts.append((template[last:m.start()], m.group(1)))
        last = m.end()
    parts.append((template[last:], None))
    return parts


def _fill(parts: list[tuple[str, str | None]], names: dict[str, str]) -> str:
    """A template from :func:`_template` with its placeholders named (unknown ones kept)."""
    return "".join(text + ("" if ph is None else names.get(ph, ph)) for text, ph in parts)


def compile_logic(game) -> CompiledLogic:
    """Ground every rule of ``game.kb`` on ``game.world`` (see the module docstring)."""
    kb = game.kb
    supertypes = _supertypes(kb)
    initial_facts = [_fact(p) for p in game.world.facts]
    types: dict[str, str] = {}
    for prop in game.world.facts:
        for arg in prop.arguments:
            types[arg.name] = arg.type
    for entity_id, info in game.infos.items():
        types.setdefault(entity_id, info.type)
    for placeholder, variable in kb.types.constants_mapping.items():
        types.setdefault(variable.name, variable.type)

    constants = {ph.name: var.name for ph, var in kb.types.constants_mapping.items()}
    fitting: dict[str, frozenset] = {}
    for obj, type_name in types.items():
        for super_name in supertypes.get(type_name, ()):
            fitting.setdefault(super_name, set()).add(obj)
    fitting = {name: frozenset(objs) for name, objs in fitting.items()}
    store = _FactStore()
    for fact in initial_facts:
        store.add(fact)
    rules = [_Rule(rule, constants, fitting) for rule in kb.rules.values()]
    found: dict[str, dict[tuple, dict]] = {rule.name: {} for rule in rules}  # rule -> args -> binding
    # Semi-naive fixpoint: a first pass over everything, then each pass only joins
    # bindings that use a fact the pass before found.
    delta: dict[tuple[str, int], list[tuple]] | None = None
    known = store.known
    while True:
        fresh: dict[str, list[tuple]] = {}
        for rule in rules:
            seen = found[rule.name]
            order = rule.order
            for binding in _complete(rule.rule, _bindings(rule, store, delta), types, supertypes):
                args = tuple([binding.get(ph) for ph in order])
                if args in seen:
                    continue
                seen[args] = binding
                for name, params in rule.posts:
                    fact = (name, *[binding[ph] for ph in params])
                    if fact not in known and store.add(fact):
                        fresh.setdefault((name, len(params)), []).append(fact[1:])
        if not fresh:
            break
        delta = fresh

    reachable = store.known
    facts = sorted(reachable)
    fact_ids = {fact: i for i, fact in enumerate(facts)}
    initial = 0
    for fact in initial_facts:
        initial |= 1 << fact_ids[fact]

    names = {entity_id: (info.name or entity_id) for entity_id, info in game.infos.items()}
    rooms = {obj for obj, t in types.items() if "r" in supertypes.get(t, ())}
    maker = _ActionMaker(rules, found, fact_ids, names, kb.inform7_events)
    pending: dict[str | None, list[tuple[int, int, tuple]]] = {}
    room_of = maker.room_of
    index = 0
    for number, rule in enumerate(rules):  # in the knowledge base's rule order, then by arguments
        # The room: the first precondition at(P, r) with r a room.
        spots = [params for name, params in rule.preds if name == "at" and len(params) == 2]
        seen = found[rule.name]
        for args in sorted(seen):
            binding = seen[args]
            room = None
            for (who, _), (where, _) in spots:
                if binding[who] == "P" and binding[where] in rooms:
                    room = binding[where]
                    break
            pending.setdefault(room, []).append((index, number, args))
            room_of.append(room)
            index += 1
    player_at = {1 << i: fact[2] for fact, i in fact_ids.items() if fact[0] == "at" and fact[1] == "P"}
    return CompiledLogic(fact_ids, facts, initial, player_at, types, supertypes, maker, pending, index)


class _ActionMaker:
    """Makes the :class:`GroundAction` of a found binding: its masks and its texts."""

    def __init__(self, rules: list[_Rule], found: dict[str, dict[tuple, dict]], fact_ids: dict[Fact, int],
                 names: dict[str, str], events: dict[str, str]):
        self.rules = rules
        self.found = found
        self.fact_bit = {fact: 1 << i for fact, i in fact_ids.items()}
        self.names = names
        self.room_of: list[str | None] = []  # action index -> its room
        self._shapes = []
        for rule in rules:
            command = _template(rule.rule.command_template or "")
            event = _template(events.get(rule.name, ""))
            self._shapes.append((
                [(name, _getter(tuple(ph for ph, _ in params))) for name, params in rule.preds],
                [(name, _getter(params)) for name, params in rule.posts],
                command, event, sorted({ph for _, ph in command + event if ph is not None}), {},
            ))

    def make(self, index: int, number: int, args: tuple) -> GroundAction:
        rule = self.rules[number]
        pre_templates, post_templates, command, event, text_placeholders, text_memo = self._shapes[number]
        binding = self.found[rule.name][args]
        fact_bit = self.fact_bit
        pre = post = 0
        for name, arguments in pre_templates:
            pre |= fact_bit[(name, *arguments(binding))]
        for name, arguments in post_templates:
            post |= fact_bit[(name, *arguments(binding))]
        # Actions that differ only in objects their texts do not name (inventory slots)
        # share their texts: made once.
        text_key = tuple([binding.get(ph) for ph in text_placeholders])
        texts = text_memo.get(text_key)
        if texts is None:
            mapping = {ph: self.names.get(obj, obj) for ph, obj in binding.items()}
            texts = text_memo[text_key] = (_fill(command, mapping), _fill(event, mapping).lower())
        return GroundAction(
            index=index, rule=rule.name, args=args, binding=binding,
            pre=pre, delete=pre & ~post, add=post & ~pre, n_pre=len(pre_templates), room=self.room_of[index],
            command=texts[0], event=texts[1],
        )


def _getter(placeholders: tuple[str, ...]):
    """A function from a binding to the objects of ``placeholders``, as a tuple."""
    if len(placeholders) == 1:
        only = placeholders[0]
        return lambda binding: (binding[only],)
    if not placeholders:
        return lambda binding: ()
    return itemgetter(*placeholders)


def condition_mask(logic: CompiledLogic, propositions: Iterable) -> int | None:
    """The mask of a conjunction of facts; ``None`` if one of them can never hold."""
    mask = 0
    for prop in propositions:
        index = logic.fact_ids.get(_fact(prop))
        if index is None:
            return None
        mask |= 1 << index
    return mask
