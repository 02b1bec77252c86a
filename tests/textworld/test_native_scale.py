"""The native engine's incremental bookkeeping on large games (issue 14 §3).

Admissible commands and quest checks are updated from the facts each step changed
(``native/incremental.py``), and actions and command tables are made per room on the
first visit (``native/logic.py``, ``native/tables.py``); both answers are memoised per
state in a bounded :class:`StateMemo`. These tests walk large games at random, with
jumps by ``set_state``, and compare every step with a computation from scratch (memo
hits included); forks and saved states must replay exactly as the game they came from.
"""

import doctest
import random

import gymnasium as gym
import pytest

import textagent_envs  # noqa: F401  (registers the ids)
from textagent_envs.textworld.families import CoinCollectorKnobs, CookingKnobs, CustomKnobs
from textagent_envs.textworld.games import make_game_object
from textagent_envs.textworld.native.engine import NativeGame
from textagent_envs.textworld.native import incremental
from textagent_envs.textworld.native.incremental import QuestIndex, StateMemo
from textagent_envs.textworld.native.logic import compile_logic

from ..episodes import transcript

# The large games of the issue: ~6,700 grounded actions in 12 rooms; 8 rooms and 12
# objects; 30 rooms in a chain.
LARGE = {
    "tw-cooking level 8": CookingKnobs(level=8),
    "tw-custom w8-o12-q4": CustomKnobs(world_size=8, nb_objects=12, quest_length=4),
    "tw-coin_collector level 30": CoinCollectorKnobs(level=30),
}
WALK_STEPS = 400
# Commands that are never admissible but do reach the parser (some take a turn).
OFF_LIST = ["look", "inventory", "wait", "take all", "north", "xyzzy", "open door", "eat it"]


class _FullQuestCheck(QuestIndex):
    """The end-of-turn check from scratch: every condition of every quest, every turn."""

    def check_changed(self, facts, done, changed):
        return self.check(facts, done)


class _CountingMemo(StateMemo):
    """A small memo that counts the answers it gave back and the most it ever held."""

    __slots__ = ("hits", "most")

    def __init__(self, size):
        super().__init__(size)
        self.hits = self.most = 0

    def get(self, key):
        value = super().get(key)
        self.hits += value is not None
        return value

    def put(self, key, value):
        super().put(key, value)
        self.most = max(self.most, len(self))


class _NoMemo(StateMemo):
    """A memo that remembers nothing: every answer is computed."""

    def put(self, key, value):
        pass


_GAMES = {}


def _game(name):
    if name not in _GAMES:
        _GAMES[name] = make_game_object(LARGE[name], 1)
    return _GAMES[name]


def _admissible_from_scratch(game: NativeGame) -> list[str]:
    facts = game.facts
    return sorted({a.command for a in game.logic.actions if facts & a.pre == a.pre})


def _walk(rng, game, steps, on_step):
    """A random walk: walkthrough prefixes (the whole walkthrough first), admissible and
    off-list commands, saved states and jumps back to them by ``set_state``."""
    saved = [game.get_state()]
    plan = list(game.walkthrough)
    ends = 0
    for i in range(steps):
        r = rng.random()
        if r < 0.05 and not plan:
            game.set_state(rng.choice(saved))
        elif r < 0.12:
            saved.append(game.get_state())
        admissible = game.admissible_commands()
        if plan:
            command = plan.pop(0)
        elif rng.random() < 0.85 and admissible:
            command = rng.choice(admissible)
        else:
            command = rng.choice(OFF_LIST)
        on_step(i, command)
        if game.won or game.lost:
            ends += 1
            game.reset()
            plan = list(game.walkthrough)[: rng.randrange(len(game.walkthrough) + 1)]
    return ends


@pytest.mark.parametrize("name", sorted(LARGE))
def test_incremental_admissible_commands_equal_a_recomputation(name):
    game = NativeGame(_game(name))
    rng = random.Random(14)

    def check(i, command):
        assert game.admissible_commands() == _admissible_from_scratch(game), (name, i)
        game.step(command)
        assert game.admissible_commands() == _admissible_from_scratch(game), (name, i, command)
        assert {a.index for a in game.valid_actions()} == {
            a.index for a in game.logic.actions if game.facts & a.pre == a.pre}

    assert _walk(rng, game, WALK_STEPS, check) >= 1  # the walk reaches the end of an episode


@pytest.mark.parametrize("name", sorted(LARGE))
def test_incremental_quest_checks_equal_full_checks(name):
    game = NativeGame(_game(name))
    reference = NativeGame(_game(name))
    reference._quest_index = _FullQuestCheck(reference._quests)
    rng = random.Random(15)
    outcomes = set()

    def check(i, command):
        reference.set_state(game.get_state())
        text = game.step(command)
        assert reference.step(command) == text, (name, i, command)
        assert reference.get_state() == game.get_state(), (name, i, command)
        outcomes.add((game.won, game.lost, game.score))

    _walk(rng, game, WALK_STEPS, check)
    # Quests finished and failed along the walks: the checks were put to the test.
    assert any(won for won, _, _ in outcomes) and len({score for _, _, score in outcomes}) > 1


@pytest.mark.parametrize("name", sorted(LARGE))
def test_memoised_answers_equal_a_recomputation_and_the_memo_stays_bounded(name):
    # A memo of 16 states per half turns over many times in the walk: answers found in
    # it (after set_state jumps, revisits, a turnover) must be what a recomputation gives.
    game = NativeGame(_game(name))
    game._action_index.memo = commands_memo = _CountingMemo(16)
    game._quest_index.memo = quests_memo = _CountingMemo(16)
    reference = NativeGame(_game(name))
    reference._quest_index = _FullQuestCheck(reference._quests)
    reference._action_index.memo = _NoMemo()
    rng = random.Random(17)

    def check(i, command):
        reference.set_state(game.get_state())
        assert game.admissible_commands() == _admissible_from_scratch(game), (name, i)
        text = game.step(command)
        assert reference.step(command) == text, (name, i, command)
        assert reference.get_state() == game.get_state(), (name, i, command)
        assert game.admissible_commands() == _admissible_from_scratch(game), (name, i, command)

    _walk(rng, game, WALK_STEPS, check)
    assert commands_memo.hits > 100 and quests_memo.hits > 20, (commands_memo.hits, quests_memo.hits)
    assert commands_memo.most <= 32 and quests_memo.most <= 32


def test_state_memo_is_bounded_and_keeps_the_states_in_use():
    memo = StateMemo(size=100)
    for i in range(10_000):
        memo.put(i, str(i))
        if i % 10 == 0:
            assert memo.get(0) == "0"  # in use: survives every turnover
        assert len(memo) <= 200
    assert memo.get(9_999) == "9999" and memo.get(5) is None  # the newest kept, an old one dropped
    memo.clear()
    assert len(memo) == 0 and memo.get(0) is None
    assert len(StateMemo()) == 0 and StateMemo().size == incremental.MEMO_STATES
    assert doctest.testmod(incremental).failed == 0


def test_actions_made_per_room_equal_a_full_grounding():
    game = _game("tw-cooking level 8")
    lazy = NativeGame(game)
    lazy.step(lazy.walkthrough[0])
    made = {room for room in lazy.logic._by_room}
    assert len(made) < len(lazy.rooms)  # only the rooms the player has been in (and "no room")
    eager = compile_logic(game)
    key = [(a.index, a.rule, a.args, a.pre, a.delete, a.add, a.n_pre, a.room, a.command, a.event) for a in eager.actions]
    assert [(a.index, a.rule, a.args, a.pre, a.delete, a.add, a.n_pre, a.room, a.command, a.event)
            for a in lazy.logic.actions] == key
    assert len(key) == eager.n_actions > 5000


def test_forks_and_saved_states_replay_identically_on_a_large_game():
    env = gym.make("TextWorld-Cooking-v0", level=8, engine="native", max_episode_steps=-1)  # no TimeLimit
    _, info = env.reset(seed=1)
    walkthrough = info["walkthrough"]
    for command in walkthrough[:10]:
        _, _, _, _, info = env.step(command)
    saved = env.unwrapped.get_state()
    rng = random.Random(16)
    plan = [rng.choice(["look", "inventory", "west", "east", "north", "south"]) for _ in range(6)] + walkthrough[10:]

    first, second = env.unwrapped.fork(2)
    # The forks step in turn: the second plays random admissible commands between the
    # first's steps (they share the compiled game and its incremental tables).
    played = []
    other_info = info
    for command in plan:
        played.append(first.step(command))
        other_info = second.step(rng.choice(other_info["admissible_commands"]))[4]
        if other_info["won"] or other_info["lost"]:
            _, other_info = second.reset(seed=1)
        if played[-1][2] or played[-1][3]:
            break
    original = transcript(env, plan)
    assert played == original
    assert original[-1][4]["won"]

    env.unwrapped.set_state(saved)
    assert transcript(env, plan) == original
    for closing in (env, first, second):
        closing.close()


def test_forget_states_empties_every_per_state_memo():
    game = NativeGame(make_game_object(CustomKnobs(world_size=2, nb_objects=3, quest_length=4), 1))
    for command in game.walkthrough:
        game.admissible_commands()
        game.step(command)
    game.inventory_text()
    memos = [game._text_cache, game._action_index.memo, game._quest_index.memo]
    assert all(len(memo) > 0 for memo in memos)
    game.forget_states()
    assert all(len(memo) == 0 for memo in memos)
