"""Reading ALFWorld's PDDL problems: objects, initial facts and the goal, and checking
the goal against a set of facts.

Names are lower-cased, as Fast Downward (which textworld's ``PddlEnv`` uses) reads them.
Only the PDDL that ALFWorld problems use is understood: typed objects, atomic facts
(numeric ``(= (f ...) n)`` initialisations are skipped), and goals made of ``and``,
``or``, ``not``, ``imply``, ``exists``, ``forall`` and ``=``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterator

_TOKENS = re.compile(r"\(|\)|[^\s()]+")


class PddlError(ValueError):
    """A PDDL problem this module cannot read; the message says what and where."""


def parse_sexpr(text: str) -> list:
    """The nested lists of one PDDL s-expression (comments after ``;`` removed)."""
    text = re.sub(r";[^\n]*", "", text)
    stack: list[list] = [[]]
    for token in _TOKENS.findall(text):
        if token == "(":
            stack.append([])
        elif token == ")":
            if len(stack) == 1:
                raise PddlError("unbalanced parentheses: a ')' closes nothing")
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(token.lower())
    if len(stack) != 1:
        raise PddlError(f"unbalanced parentheses: {len(stack) - 1} '(' never closed")
    if len(stack[0]) != 1 or not isinstance(stack[0][0], list):
        raise PddlError("expected exactly one top-level (define ...) expression")
    return stack[0][0]


def _typed_list(items: list) -> list[tuple[str, str]]:
    """``a b - t c - u`` -> ``[(a, t), (b, t), (c, u)]``; also reads ``a # t``."""
    out, pending, i = [], [], 0
    while i < len(items):
        item = items[i]
        if item in ("-", "#"):
            if i + 1 >= len(items):
                raise PddlError(f"a type is missing after '{item}' in {items}")
            out.extend((name, items[i + 1]) for name in pending)
            pending, i = [], i + 2
            continue
        pending.append(item)
        i += 1
    out.extend((name, "object") for name in pending)
    return out


@dataclass
class Problem:
    """A parsed problem: ``types`` maps each object to its type, ``init`` holds the
    initial facts as ``(predicate, arg, ...)`` tuples, ``goal`` the goal expression."""

    name: str
    types: dict[str, str]
    init: list[tuple[str, ...]]
    goal: Any
    by_type: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        by_type: dict[str, list[str]] = defaultdict(list)
        for name, kind in self.types.items():
            by_type[kind].append(name)
        self.by_type = dict(by_type)


def parse_problem(text: str) -> Problem:
    """Read a PDDL problem (``(define (problem ...) ...)``)."""
    if not isinstance(text, str) or not text.strip():
        raise PddlError("the PDDL problem is empty")
    tree = parse_sexpr(text)
    if not tree or tree[0] != "define":
        raise PddlError("a PDDL problem must start with (define (problem NAME) ...)")
    name, types, init, goal = "", {}, [], None
    for part in tree[1:]:
        if not isinstance(part, list) or not part:
            continue
        head = part[0]
        if head == "problem":
            name = part[1] if len(part) > 1 else ""
        elif head == ":objects":
            types.update(_typed_list(part[1:]))
        elif head == ":init":
            for fact in part[1:]:
                if isinstance(fact, list) and fact and fact[0] not in ("=", "not") and all(isinstance(a, str) for a in fact):
                    init.append(tuple(fact))
        elif head == ":goal":
            if len(part) != 2:
                raise PddlError("(:goal ...) must hold one expression")
            goal = part[1]
    if goal is None:
        raise PddlError("the PDDL problem has no (:goal ...)")
    for fact in init:
        for arg in fact[1:]:
            if arg not in types:
                raise PddlError(f"initial fact {fact} names {arg!r}, which is not declared in (:objects ...)")
    return Problem(name, types, init, goal)


Facts = dict[str, set[tuple[str, ...]]]


def index_facts(facts) -> Facts:
    """``{predicate: {args, ...}}`` from ``(predicate, arg, ...)`` tuples."""
    out: Facts = defaultdict(set)
    for fact in facts:
        out[fact[0]].add(tuple(fact[1:]))
    return out


def holds(expr: Any, facts: Facts, problem: Problem, binding: dict[str, str] | None = None) -> bool:
    """Whether the goal expression ``expr`` is true in ``facts``."""
    return _holds(expr, facts, problem, binding or {})


def _value(term: str, binding: dict[str, str]) -> str:
    return binding.get(term, term) if term.startswith("?") else term


def _holds(expr: Any, facts: Facts, problem: Problem, binding: dict[str, str]) -> bool:
    if not isinstance(expr, list) or not expr:
        return True  # () is the empty conjunction
    head = expr[0]
    if head == "and":
        return _solve(expr[1:], facts, problem, binding, [])
    if head == "or":
        return any(_holds(e, facts, problem, binding) for e in expr[1:])
    if head == "not":
        return not _holds(expr[1], facts, problem, binding)
    if head == "imply":
        return not _holds(expr[1], facts, problem, binding) or _holds(expr[2], facts, problem, binding)
    if head == "=":
        return _value(expr[1], binding) == _value(expr[2], binding)
    if head in ("exists", "forall"):
        variables = _typed_list(expr[1])
        if head == "exists":
            return _solve([expr[2]], facts, problem, binding, variables)
        return not _solve([["not", expr[2]]], facts, problem, binding, variables)
    args = tuple(_value(a, binding) for a in expr[1:])
    return args in facts.get(head, ())


def _conjuncts(items: list) -> list:
    out = []
    for item in items:
        if isinstance(item, list) and item and item[0] == "and":
            out.extend(_conjuncts(item[1:]))
        else:
            out.append(item)
    return out


def _solve(conjuncts: list, facts: Facts, problem: Problem, binding: dict[str, str], free: list[tuple[str, str]]) -> bool:
    """Whether some values of the ``free`` variables make every conjunct true.

    Free variables are bound by matching positive atoms against the facts (a join), so
    that nested ``exists`` over objects, receptacles and locations stay cheap; a variable
    that no atom binds ranges over the objects of its type.
    """
    conjuncts = _conjuncts(conjuncts)
    open_vars = {name for name, _ in free if name not in binding}
    if not open_vars:
        return all(_holds(c, facts, problem, binding) for c in conjuncts)
    for i, atom in enumerate(conjuncts):
        if not _is_atom(atom) or not any(a in open_vars for a in atom[1:]):
            continue
        rest = conjuncts[:i] + conjuncts[i + 1 :]
        for extended in _matches(atom, facts, binding):
            if _solve(rest, facts, problem, extended, free):
                return True
        return False
    name = next(n for n, _ in free if n in open_vars)
    kind = dict(free)[name]
    return any(
        _solve(conjuncts, facts, problem, {**binding, name: value}, free)
        for value in problem.by_type.get(kind, ())
    )


def _is_atom(expr: Any) -> bool:
    return isinstance(expr, list) and bool(expr) and expr[0] not in ("and", "or", "not", "imply", "exists", "forall", "=")


def _matches(atom: list, facts: Facts, binding: dict[str, str]) -> Iterator[dict[str, str]]:
    pattern = [_value(a, binding) for a in atom[1:]]
    for args in facts.get(atom[0], ()):
        if len(args) != len(pattern):
            continue
        extended = dict(binding)
        for want, got in zip(pattern, args):
            if want.startswith("?"):
                if extended.setdefault(want, got) != got:
                    break
            elif want != got:
                break
        else:
            yield extended
