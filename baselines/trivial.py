"""Trivial policies: rules that pick one of the offered commands without learning anything,
to be reported beside every trained result so that nobody mistakes a rule for learning.

Every rule sees only the turn number, the offered commands (``info["admissible_commands"]``,
in the env's order) and the objective; :data:`TRIVIAL` names them all:

- ``random admissible``: uniform over the offered commands (seeded, so reproducible);
- positional rules (:data:`baselines.evaluate.POSITIONAL_RULES`): the first or the last
  offered command, on turn 1 and afterwards (CoinCollector level 2 falls to "first offered on
  turn 1, last afterwards");
- lexical rules, which never resend a command already sent in the episode (unless nothing
  else is offered) and break ties by the offered order:

  - ``most objective words``: the command sharing most words with the objective
    (stopwords such as "the", "to", "and" do not count);
  - ``verbs take > open > go`` (and two other fixed orders): the first command whose verb comes
    earliest in the order; commands with other verbs come after.

>>> from baselines.trivial import best_trivial
>>> best = best_trivial("TextWorld-CoinCollector-v0", range(1, 21), level=2, max_turns=4)   # doctest: +SKIP
>>> best["name"], best["success_rate"], best["success_rate_ci95"]                          # doctest: +SKIP
('first offered on turn 1, last afterwards', 1.0, [0.83, 1.0])
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

import numpy as np

from textagent_envs import infos

from .evaluate import POSITIONAL_RULES, play_rule, summarize

#: A rule: ``choose(turn, commands, info) -> index`` into ``commands`` (turn 0 starts an episode).
Rule = Callable[[int, list, dict], int]

#: Words that say nothing about what to do; the objective-word rule ignores them.
STOPWORDS = frozenset(
    "a an and are as at be been but by can could do for from get have here i if in is it its it's "
    "just let me my not now of off on once or our please should so that the then there this to too "
    "up us we what when which will with would you your you're".split())

#: The fixed verb orders of the verb rules.
VERB_ORDERS: dict[str, tuple[str, ...]] = {
    "verbs take > open > go": ("take", "open", "go"),
    "verbs open > take > go": ("open", "take", "go"),
    "verbs go > open > take": ("go", "open", "take"),
}


def words(text: str) -> set[str]:
    """The lower-case words of ``text`` without :data:`STOPWORDS`."""
    return set(re.findall(r"[a-z']+", text.lower())) - STOPWORDS


class LexicalRule:
    """The offered command with the lowest ``key(command, info)`` that was not sent yet in
    this episode (ties: the first offered)."""

    def __init__(self, key: Callable[[str, dict], float]):
        self.key, self.sent = key, set()

    def __call__(self, turn: int, commands: list, info: dict) -> int:
        if turn == 0:
            self.sent = set()
        fresh = [i for i, c in enumerate(commands) if c not in self.sent] or list(range(len(commands)))
        choice = min(fresh, key=lambda i: (self.key(commands[i], info), i))
        self.sent.add(commands[choice])
        return choice


def objective_overlap(command: str, info: dict) -> float:
    """Minus the number of the command's words that the objective also uses."""
    return -len(words(command) & words(str(info.get(infos.OBJECTIVE) or "")))


def verb_rank(order: Sequence[str]) -> Callable[[str, dict], float]:
    """The position of the command's verb (its first word) in ``order``; others after."""
    def rank(command: str, info: dict) -> float:
        verb = command.split(" ", 1)[0].lower()
        return order.index(verb) if verb in order else len(order)
    return rank


def _random(seed: int = 0) -> Rule:
    rng = np.random.default_rng(seed)
    return lambda turn, commands, info: int(rng.integers(len(commands)))


def _positional(first: int, then: int) -> Rule:
    return lambda turn, commands, info: first if turn == 0 else then


#: Every trivial policy, by name: a factory of a fresh rule (rules keep per-episode state).
TRIVIAL: dict[str, Callable[[], Rule]] = {
    "random admissible": _random,
    **{name: (lambda rule=rule: _positional(*rule)) for name, rule in POSITIONAL_RULES.items()},
    "most objective words": lambda: LexicalRule(objective_overlap),
    **{name: (lambda order=order: LexicalRule(verb_rank(order))) for name, order in VERB_ORDERS.items()},
}


def play_trivial(name: str, make_env: Callable[[], Any], seeds: Sequence[int]) -> list[dict[str, Any]]:
    """Episodes of the trivial policy ``name`` (a key of :data:`TRIVIAL`) on ``seeds``."""
    if name not in TRIVIAL:
        raise ValueError(f"unknown trivial policy {name!r}; choose from {sorted(TRIVIAL)}")
    return play_rule(make_env, seeds, TRIVIAL[name]())


def play_all(make_env: Callable[[], Any], seeds: Sequence[int], names: Sequence[str] | None = None) -> dict[str, list[dict]]:
    """The episodes of each trivial policy in ``names`` (default: all) on ``seeds``."""
    return {name: play_trivial(name, make_env, list(seeds)) for name in (names or TRIVIAL)}


def trivial_results(make_env: Callable[[], Any], seeds: Sequence[int], names: Sequence[str] | None = None) -> dict[str, dict]:
    """Summary (success rate with its Wilson 95% interval, return, steps) of each trivial
    policy in ``names`` (default: all) on ``seeds``."""
    return {name: summarize(episodes) for name, episodes in play_all(make_env, seeds, names).items()}


def best_of(results: dict[str, dict]) -> tuple[str, dict]:
    """The (name, summary) with the highest success rate; ties go to the earlier name."""
    if not results:
        raise ValueError("no trivial policy results to pick the best of")
    name = max(results, key=lambda n: results[n]["success_rate"])
    return name, results[name]


def best_trivial(env_id: str, seeds: Sequence[int], *, reward: str = "sparse", max_turns: int | None = None,
                 **env_kwargs: Any) -> dict[str, Any]:
    """Play every trivial policy on ``seeds`` of ``env_id`` and return the best one:
    ``{"name", "success_rate", "success_rate_ci95", "summary", "all"}`` (``all`` maps every
    policy to its summary). ``env_kwargs`` go to ``textagent_envs.make`` (knobs, ``engine``)."""
    import textagent_envs

    seeds = list(seeds)
    if not seeds:
        raise ValueError("best_trivial needs at least one seed")

    def make_env():
        return textagent_envs.make(env_id, reward=reward, max_episode_steps=max_turns, **env_kwargs)

    results = trivial_results(make_env, seeds)
    name, summary = best_of(results)
    return {"name": name, "success_rate": summary["success_rate"], "success_rate_ci95": summary["success_rate_ci95"],
            "summary": summary, "all": results}
