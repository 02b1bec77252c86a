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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

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


@dataclass
class CompiledLogic:
    """A game's logic, grounded: facts numbered, actions as masks."""

    fact_ids: dict[Fact, int]
    facts: list[Fact]
    initial: int
    actions: list[GroundAction]
    by_room: dict[str | None, list[GroundAction]]
    by_event: dict[str, list[GroundAction]]
    player_at: dict[int, str]  # bit of at(P, room) -> room id
    types: dict[str, str]  # object id -> type name
    supertypes: dict[str, frozenset[str]]  # type name -> itself and its ancestors

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


def _bindings(preconditions, index, types, supertypes, constants=None):
    """Every injective binding of placeholders to objects that makes all
    ``preconditions`` facts of ``index`` (predicate name -> set of arg tuples)."""
    preds = [(p.name, tuple((ph.name, ph.type) for ph in p.parameters)) for p in preconditions]
    results = []

    def fits(obj, type_name):
        return type_name in supertypes.get(types.get(obj, ""), ())

    def extend(k, binding, used):
        if k == len(preds):
            results.append(dict(binding))
            return
        # Next: the precondition with the most placeholders already bound.
        best, best_score = None, -1
        for j in range(k, len(preds)):
            score = sum(ph in binding for ph, _ in preds[j][1])
            if score > best_score:
                best, best_score = j, score
        preds[k], preds[best] = preds[best], preds[k]
        name, params = preds[k]
        for args in index.get(name, ()):
            if len(args) != len(params):
                continue
            new = []
            ok = True
            for (ph, ph_type), obj in zip(params, args):
                bound = binding.get(ph)
                if bound is None:
                    if obj in used or not fits(obj, ph_type):
                        ok = False
                        break
                    binding[ph] = obj
                    used.add(obj)
                    new.append(ph)
                elif bound != obj:
                    ok = False
                    break
            if ok:
                extend(k + 1, binding, used)
            for ph in new:
                used.discard(binding.pop(ph))
        preds[k], preds[best] = preds[best], preds[k]

    start = dict(constants or {})
    extend(0, start, set(start.values()))
    return results


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


def _format(template: str, names: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: names.get(m.group(1), m.group(1)), template)


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
    reachable: set[Fact] = set(initial_facts)
    index: dict[str, set[tuple]] = {}
    for fact in reachable:
        index.setdefault(fact[0], set()).add(fact[1:])
    rules = list(kb.rules.values())
    found: dict[tuple[str, tuple], tuple[Any, dict]] = {}
    changed = True
    while changed:
        changed = False
        for rule in rules:
            order = [ph.name for ph in rule.placeholders]
            fixed = {ph.name: constants[ph.name] for ph in rule.placeholders if ph.name in constants}
            for binding in _complete(rule, _bindings(rule.preconditions, index, types, supertypes, fixed), types, supertypes):
                key = (rule.name, tuple(binding.get(ph) for ph in order))
                if key in found:
                    continue
                found[key] = (rule, binding)
                for post in rule.postconditions:
                    fact = (post.name, *(binding[ph.name] for ph in post.parameters))
                    if fact not in reachable:
                        reachable.add(fact)
                        index.setdefault(fact[0], set()).add(fact[1:])
                        changed = True

    facts = sorted(reachable)
    fact_ids = {fact: i for i, fact in enumerate(facts)}
    initial = 0
    for fact in initial_facts:
        initial |= 1 << fact_ids[fact]

    names = {entity_id: (info.name or entity_id) for entity_id, info in game.infos.items()}
    rule_order = {name: i for i, name in enumerate(kb.rules)}
    events = kb.inform7_events
    rooms = {obj for obj, t in types.items() if "r" in supertypes.get(t, ())}
    actions: list[GroundAction] = []
    for (rule_name, args), (rule, binding) in sorted(found.items(), key=lambda kv: (rule_order[kv[0][0]], kv[0][1])):
        pre_facts = [(p.name, *(binding[ph.name] for ph in p.parameters)) for p in rule.preconditions]
        post_facts = [(p.name, *(binding[ph.name] for ph in p.parameters)) for p in rule.postconditions]
        pre = sum(1 << fact_ids[f] for f in set(pre_facts))
        post = sum(1 << fact_ids[f] for f in set(post_facts))
        room = next((f[2] for f in pre_facts if f[0] == "at" and f[1] == "P" and f[2] in rooms), None)
        mapping = {ph: names.get(obj, obj) for ph, obj in binding.items()}
        actions.append(GroundAction(
            index=len(actions), rule=rule_name, args=args, binding=binding,
            pre=pre, delete=pre & ~post, add=post & ~pre, n_pre=len(rule.preconditions), room=room,
            command=_format(rule.command_template or "", mapping),
            event=_format(events.get(rule_name, ""), mapping).lower(),
        ))

    by_room: dict[str | None, list[GroundAction]] = {}
    for action in actions:
        by_room.setdefault(action.room, []).append(action)
    by_event: dict[str, list[GroundAction]] = {}
    for action in sorted(actions, key=lambda a: -a.n_pre):  # stable: rule order among equals
        by_event.setdefault(action.event, []).append(action)
    player_at = {1 << i: fact[2] for fact, i in fact_ids.items() if fact[0] == "at" and fact[1] == "P"}
    return CompiledLogic(fact_ids, facts, initial, actions, by_room, by_event, player_at, types, supertypes)


def condition_mask(logic: CompiledLogic, propositions: Iterable) -> int | None:
    """The mask of a conjunction of facts; ``None`` if one of them can never hold."""
    mask = 0
    for prop in propositions:
        index = logic.fact_ids.get(_fact(prop))
        if index is None:
            return None
        mask |= 1 << index
    return mask
