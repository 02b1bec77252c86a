"""The native TextWorld engine against the Inform 7 reference, and its own contract."""

import io
import json

import gymnasium as gym
import pytest

from textagent_envs import infos
from textagent_envs.tasks import TaskSpec
from textagent_envs.testing import check_text_env
from textagent_envs.textworld.backend import JerichoBackend
from textagent_envs.textworld.env import ResetNeeded
from textagent_envs.textworld.families import family_knobs
from textagent_envs.textworld.games import ensure_game, make_game_object
from textagent_envs.textworld.native.backend import NativeBackend
from textagent_envs.textworld.compare import ADVERSARIAL_KINDS, REQUESTED, compare_game, normalise, play
from textagent_envs.textworld.native.text import inform_parts, inform_quotes, list_sentence, parse_template, render

# Every family, and more than one knob setting for the ones with many. Seeds the other
# TextWorld tests also play, so the cached games are shared.
EQUIVALENCE_GAMES = [
    ("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}, 1),
    ("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}, 2),
    ("tw-simple", {"rewards": "sparse", "goal": "brief"}, 2),
    ("tw-cooking", {"level": 3}, 2),
    ("tw-cooking", {"level": 1}, 2),
    ("tw-coin_collector", {"level": 5}, 2),
    ("tw-treasure_hunter", {"level": 12}, 2),
]


def _game_file(family, params, seed):
    return ensure_game(family_knobs(family).from_params(params).task(seed))


_COMPARED = {}


def _compare(family, params, seed):
    """compare_game on one equivalence game, played once per test session."""
    key = (family, json.dumps(params, sort_keys=True), seed)
    if key not in _COMPARED:
        _COMPARED[key] = compare_game(_game_file(family, params, seed), seed=seed, n_random=30)
    return _COMPARED[key]


@pytest.mark.parametrize("family, params, seed", EQUIVALENCE_GAMES)
def test_native_matches_the_reference_step_by_step(family, params, seed):
    # The walkthrough, then 30 random commands: admissible ones and adversarial ones
    # (bare verbs, commas, partial commands, invalid words, unknown objects, empty input).
    # Every step: the same text (exactly), description, inventory, score, moves, won,
    # lost, location and admissible commands.
    result = _compare(family, params, seed)
    assert result.steps > 20
    assert result.mismatches == [], [(m.command, m.key, m.native, m.reference) for m in result.mismatches[:3]]


def test_the_equivalence_games_play_every_kind_of_adversarial_command():
    played = set()
    for family, params, seed in EQUIVALENCE_GAMES:
        played |= set(_compare(family, params, seed).steps_by_kind)
    assert set(ADVERSARIAL_KINDS) <= played


#: Commands on which the native engine's reply used to differ from Inform 7's (issue 14
#: §1), played on tw-custom w2-o3-q4 seed 1 (a studio with a locked chest and a case
#: holding a keycard; a spare room to the north) and tw-cooking level 3 seed 2.
CUSTOM_COMMANDS = [
    "", "   ", "take", "open", "put", "take the", "look at", "go", "bob, take key", ",open chest", "open,", "look,",
    "chest,", "case, open chest", "examine case,", "examine case, chest", "take case,", "go north,", "smell", "think",
    "score", "score tv", "wait chest", "help", "goal", "remove chest", "look chest", "put chest", "open case with",
    "examine case junk", "frobnicate key", "take type J keycard from", "take type J keycard from case", "x", "drop",
    "insert", "unlock", "x the", "look", "south", "drop",
]
#: Commands that used to reach another state (tw-custom w2-o3-q4 seed 1): "pick up"/"get"
#: of a thing on or in something moves it in the game but not in TextWorld's tracked
#: state (Inform 7's "taking" event is TextWorld's take from the floor), so no move counts
#: and later actions on it are untracked too; "of" names a thing only inside its whole
#: name ("quote of" is "I only understood you as far as ...", no examining).
UNTRACKED_AND_OF_COMMANDS = [
    "pick up type J keycard", "inventory", "get type J keycard", "drop type J keycard", "pick up type J keycard",
    "unlock type J chest with type J keycard", "open type J chest", "examine quote of", "x quote of the",
    "x calendar of the day", "x day of quote", "x quote of the day calendar", "x quote of day",
    "get quote of the day calendar",
]
#: "take X from" (tw-custom w2-o3-q4 seed 2: a latchkey in a basket): TextWorld's "does
#: the player mean" rule makes X its own likeliest second object ("But it isn't there
#: now."), unless X's name has a capital (the command is in lower case); "take X from Y"
#: sees for X only what is in or on Y.
TAKE_FROM_COMMANDS = [
    "go east", "take latchkey from basket", "open basket", "take latchkey from box", "take latchkey from",
    "take latchkey", "take latchkey from basket", "take latchkey from", "put latchkey in basket", "take latchkey",
    "drop latchkey", "take latchkey from basket", "take latchkey from", "take box from basket", "take basket from",
]
#: tw-cooking level 3 seed 2: food that needs cooking is refused before the need to carry it.
RAW_FOOD_COMMANDS = ["open plain door", "go south", "eat tuna", "take red tuna", "eat red tuna", "eat",
                     "cook red tuna with stove", "eat red tuna"]
#: Locking what is locked, unlocking what is not, locking what is open (tw-custom w2-o3-q4
#: seed 1): "That's locked at the moment.", "First you would have to close the case.".
LOCK_COMMANDS = [
    "lock type J chest with case", "take type J keycard from case", "lock type J chest with", "lock type J chest",
    "lock type J chest with type J keycard", "unlock type J chest with type J keycard",
    "unlock type J chest with type J keycard", "unlock type J chest with", "lock case with type J keycard",
]
#: Inform 7's parser buffer (tw-custom w2-o3-q4 seed 1): a direction followed by other
#: words prints what the parser last understood of a command it could not read to the end
#: ("... wanting to (go) north the type J keycard."), left by a printed "I only understood
#: ...", by "take X from Y", "drop X on Y", "open X with Y" (their one-object line is tried
#: first), emptied by "look at X", "go ..."; compass directions as objects ("examine
#: north", "shut" then "north studio"); "take the"/"put the"/"pick up the" when nothing
#: but what is carried is in view; "drop" of a door.
BUFFER_COMMANDS = [
    "north case", "take type J keycard from case", "north case", "go up chest", "s chest", "examine case chest",
    "n chest", "look at case", "north chest", "open case with keycard", "s chest", "drop type J keycard on chest",
    "w chest", "pick up type J keycard from case", "north x", "inventory x", "north x", "x", "north", "shut",
    "north studio", "examine north", "open north", "x in spare", "take north", "smell south", "go n studio",
    "go in studio", "take the", "put the", "pick up the", "drop type J keycard", "drop case", "drop", "take the", "open",
    "go north", "drop", "take the", "pick up the", "take", "take the", "put the", "pick up the", "put",
]
#: Two-object commands that go wrong after their first words (tw-simple sparse/brief seed 2):
#: "put"/"insert" look ahead for their preposition, and another one before the last word
#: ("of", "top") makes every line fail ("I didn't understand that sentence."); the first
#: object named by its leading words only, then a word that is not the preposition, too;
#: the whole line read with words left over ("... as far as wanting to open the antique
#: trunk with the old key."); "chop"/"slice" outside tw-cooking is Inform 7's "cut"; an
#: indefinite article alone names nothing ("examine a").
PREPOSITION_COMMANDS = [
    "put set of chairs", "insert half of a bag of chips", "insert top unicorn", "insert top", "put chest unicorn",
    "put chest of", "lock chest flurb", "lock chest with flurb", "lock antique flurb with king-size bed",
    "unlock chest drawer with bed flurb", "open chest drawer", "take old key from chest drawer",
    "open antique trunk with old flurb", "open antique trunk with old key flurb", "insert old key into antique trunk flurb",
    "examine a", "take a", "open an", "x some", "put a", "pick up a", "insert a", "unlock a", "examine the a",
    "wake chest flurb", "wake flurb",
    "take antique flurb", "examine antique flurb", "x chest someone", "open chest someone", "chop antique flurb",
    "slice chest drawer with old key", "put old key on top of chest drawer", "take old key from chest drawer flurb",
    "s flurb", "take old key from king-size bed flurb", "drop old key", "take old key from king-size bed flurb",
]
#: tw-cooking level 3 seed 2 (a red hot pepper, a red tuna and a red bell pepper in the
#: kitchen): words that fit several things, then others: "take"/"open" (verbs with a
#: second-object line) ask which, "examine"/"eat" cannot see; "meal" and "using" are
#: tw-cooking's prepositions; "open X junk with Y" is "open [something]" read as far as X.
WHICH_COMMANDS = [
    # tw-cooking's source: "food is usually cuttable" (the peanut oil has no cuttable fact).
    "take peanut oil from shelf", "chop peanut oil with shelf", "open plain door", "go south", "take red tuna",
    "chop red tuna with fridge", "dice cookbook with knife", "open fridge flurb with red tuna", "drop red tuna", "open fridge", "take red flurb", "get red flurb", "open red flurb", "x red flurb",
    "eat red flurb", "insert meal bob", "put meal bob", "insert red using", "insert red using knife", "lock red flurb",
    "take red tuna", "take red flurb", "open fridge with red tuna flurb", "cook red tuna with red flurb",
    "slice red tuna with knife flurb", "take knife", "slice red tuna with knife flurb", "s flurb", "insert red flurb",
    # The answer to "Which do you mean": words that do not start with a verb go before the
    # words that fitted several things, and the command is read again.
    "take red flurb", "hot", "s zz", "get red flurb", "dance table", "open red flurb", "north", "s zz", "take red flurb",
    "x tuna",
]
#: tw-cooking level 6 seed 118 (a backyard with a sliding patio door, a patio chair and a
#: patio table): Inform 7 moves a room's doors into it as the player enters, so the door
#: is listed before what lay there, and after what is dropped later.
DOOR_FIRST_COMMANDS = ["examine patio", "patio chair", "x patio", "sliding", "open sliding patio door", "go west",
                       "go east", "x patio", "table", "take patio chair", "go west", "drop patio chair", "go east",
                       "go west", "x patio", "go east", "x patio"]
#: tw-custom w4-o6-q8 seed 154 (a locker and a Henderson's style locker in one room):
#: TextWorld's own "take Henderson's style keycard from locker" is ambiguous to Inform 7,
#: whose rule on printed names is case-sensitive against the lower-case command, so it
#: asks which locker (and the walkthrough does not win on the reference, nor natively).
AMBIGUOUS_WALKTHROUGH_COMMANDS = ["unlock locker with keycard", "open locker", "take Henderson's style keycard from locker",
                                  "look", "inventory"]
COOKING_COMMANDS = ["prepare meal", "slice", "chop", "cook", "help", "examine cookbook", "put", "insert", "pick up", "out",
                    "go east", "x", "take", "drop", "eat", "cut cookbook", "score"]


@pytest.mark.parametrize(
    "family, params, seed, commands",
    [
        ("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}, 1, CUSTOM_COMMANDS),
        ("tw-cooking", {"level": 3}, 2, COOKING_COMMANDS),
        ("tw-cooking", {"level": 3}, 2, RAW_FOOD_COMMANDS),
        ("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}, 1, UNTRACKED_AND_OF_COMMANDS),
        ("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}, 2, TAKE_FROM_COMMANDS),
        ("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}, 1, LOCK_COMMANDS),
        ("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}, 1, BUFFER_COMMANDS),
        ("tw-simple", {"rewards": "sparse", "goal": "brief"}, 2, PREPOSITION_COMMANDS),
        ("tw-cooking", {"level": 3}, 2, WHICH_COMMANDS),
        ("tw-cooking", {"level": 6}, 118, DOOR_FIRST_COMMANDS),
        ("tw-custom", {"world_size": 4, "nb_objects": 6, "quest_length": 8}, 154, AMBIGUOUS_WALKTHROUGH_COMMANDS),
    ],
)
def test_bare_verbs_commas_and_partial_commands_get_inform7s_replies(family, params, seed, commands):
    out = io.StringIO()
    assert play(str(_game_file(family, params, seed)), commands, out=out) == 0, out.getvalue()[:2000]


def test_prepare_meal_checks_the_recipe_even_when_admissible():
    # tw-cooking level 4 seed 2: the recipe is a sliced cilantro and a sliced red onion.
    # TextWorld's rules include a one-ingredient recipe, so with the cilantro alone
    # "prepare meal" is admissible; the game's Inform 7 rule refuses it (measured on the
    # reference), and the meal must not be made natively either.
    task = family_knobs("tw-cooking").from_params({"level": 4}).task(2)
    backend = NativeBackend(extra_infos=REQUESTED)
    backend.load(str(ensure_game(task, engine="native")))
    backend.reset()
    for command in ["open plain door", "go south", "open fridge", "take cilantro from fridge"]:
        before = backend.step(command)
    assert "prepare meal" in before[infos.ADMISSIBLE_COMMANDS]
    assert "prepare meal" not in [command for command, _ in backend.game.successors()]  # nor in a search
    state = backend.step("prepare meal")
    assert state["feedback"] == "Something still needs to be cut."
    assert state[infos.SCORE] == before[infos.SCORE] and state[infos.INVENTORY] == before[infos.INVENTORY]


def test_the_parser_names_doors_without_an_article_when_it_asks_which():
    # tw-simple seed 2's kitchen has a wooden door and a screen door; the reference asks
    # "Which do you mean, wooden door or screen door?" (the source's order, not the exits'),
    # the player having come in through the wooden door.
    backend = NativeBackend()
    backend.load(str(_game_file("tw-simple", {"rewards": "sparse", "goal": "brief"}, 2)))
    backend.reset()
    for command in ["open chest drawer", "take old key from chest drawer", "unlock wooden door with old key",
                    "open wooden door", "go east"]:
        backend.step(command)
    reply = backend.step("open door")["feedback"]
    assert reply.startswith("Which do you mean, ") and "the " not in reply, reply
    assert reply == "Which do you mean, wooden door or screen door?"
    assert backend.step("screen")["feedback"] == "You open screen door."  # the answer completes the command
    # Inform 7 moves a door into the room the player enters when it is in its other room:
    # the screen door, last left in the backyard, comes first; going north and back moves none.
    for command in ["unlock screen door with old key", "open screen door", "go east", "go west"]:
        backend.step(command)
    assert backend.step("x door")["feedback"] == "Which do you mean, screen door or wooden door?"
    for command in ["go north", "go south"]:
        backend.step(command)
    assert backend.step("x door")["feedback"] == "Which do you mean, screen door or wooden door?"


def test_inform7_prints_a_long_objective_in_parts():
    # TextWorld's source cuts the objective every 200 characters; each part's quotes are
    # converted on their own, so an apostrophe at a cut becomes a double quote.
    text = "x" * 197 + "you've won. Don't wait."
    assert inform_parts(text) == "x" * 197 + 'you"ve won. Don\'t wait.'
    assert inform_parts("a\n'b'") == 'a\n"b"'
    # ...but a part that starts with "'s" keeps it (tw-treasure_hunter level 19 seed 79:
    # "... from the rack. That" | "'s it!").
    assert inform_parts("x" * 196 + "That's it!") == "x" * 196 + "That's it!"
    assert inform_quotes("say 'sorry'") == 'say "sorry"'


@pytest.mark.parametrize("extra_infos", [(), (infos.ADMISSIBLE_COMMANDS,)])
def test_moves_follow_the_reference_with_and_without_state_tracking(extra_infos):
    # Without admissible commands the reference counts Inform 7 turns (failed actions
    # too); with them, the actions TextWorld's tracker recognised.
    game_file = str(_game_file("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}, 1))
    reference, native = JerichoBackend(extra_infos=extra_infos), NativeBackend(extra_infos=extra_infos)
    reference.load(game_file)
    native.load(game_file)
    start = reference.reset()
    native.reset()
    for command in ["xyzzy", "jump", "look", "examine me", "take all", "go west", *start[infos.WALKTHROUGH]]:
        ref, nat = reference.step(command), native.step(command)
        assert (nat[infos.MOVES], nat[infos.SCORE], nat[infos.WON]) == (ref[infos.MOVES], ref[infos.SCORE], ref[infos.WON]), command
    reference.close()


def test_walkthrough_and_state_copies_on_the_backend():
    backend = NativeBackend(extra_infos=REQUESTED)
    backend.load(str(_game_file("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}, 1)))
    start = backend.reset()
    first = backend.step(start[infos.WALKTHROUGH][0])
    saved = backend.get_state()
    rest = [backend.step(c) for c in start[infos.WALKTHROUGH][1:]]
    assert rest[-1][infos.WON] and rest[-1][infos.SCORE] == rest[-1][infos.MAX_SCORE] > 0
    backend.set_state(saved)
    assert backend.step("inventory")[infos.INVENTORY] == first[infos.INVENTORY]
    backend.set_state(saved)
    again = [backend.step(c) for c in start[infos.WALKTHROUGH][1:]]
    assert again == rest


def test_native_env_passes_the_conformance_check_and_wins():
    env = gym.make("TextWorld-Custom-w2-o3-q4-v0", engine="native")
    cooking = gym.make("TextWorld-Cooking-v0", level=3, engine="native")
    try:
        check_text_env(env, seeds=(1,))
        check_text_env(cooking, seeds=(2,), skip_gymnasium=True)
        obs, info = cooking.reset(seed=2)
        assert obs.startswith(info[infos.OBJECTIVE]) and "\n\n-= " in obs  # the goal, then the first room
        total = 0.0
        for command in info[infos.WALKTHROUGH]:
            obs, reward, terminated, truncated, info = cooking.step(command)
            total += reward
        assert terminated and not truncated and info[infos.WON] and info[infos.SUCCESS]
        assert total == info[infos.SCORE] == info[infos.MAX_SCORE]
    finally:
        env.close()
        cooking.close()


@pytest.mark.parametrize("isolation", ["none", "process"])
def test_env_get_state_and_set_state_replay_the_same_future(isolation):
    env = gym.make("TextWorld-Custom-w2-o3-q4-v0", engine="native", isolation=isolation)
    other = gym.make("TextWorld-Custom-w2-o3-q4-v0", engine="native", isolation="none")
    try:
        _, info = env.reset(seed=1)
        walkthrough = info[infos.WALKTHROUGH]
        env.step(walkthrough[0])
        saved = env.unwrapped.get_state()
        future = [env.step(c) for c in walkthrough[1:]]
        assert future[-1][2]  # terminated: won
        with pytest.raises(ResetNeeded):
            env.step("look")
        env.unwrapped.set_state(saved)
        assert [env.step(c) for c in walkthrough[1:]] == future
        other.reset(seed=3)  # another env, another game: set_state brings the saved one
        other.unwrapped.set_state(saved)
        assert [other.step(c) for c in walkthrough[1:]] == future
    finally:
        env.close()
        other.close()


def test_bad_backend_and_state_calls_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="engine must be one of"):
        gym.make("TextWorld-Custom-v0", engine="zmachine")
    env = gym.make("TextWorld-Custom-v0", engine="inform7")  # the reference cannot copy its state
    with pytest.raises(NotImplementedError, match="engine='native'"):
        env.unwrapped.get_state()
    env.close()
    env = gym.make("TextWorld-Custom-v0", engine="native")
    with pytest.raises(ResetNeeded):
        env.unwrapped.get_state()
    with pytest.raises(TypeError, match="get_state"):
        env.unwrapped.set_state("not a state")
    env.close()
    with pytest.raises(FileNotFoundError, match=r"\.json"):
        NativeBackend().load(str(tmp_path / "missing.z8"))
    with pytest.raises(ValueError, match=r"cannot give \['colour'\]"):
        NativeBackend(extra_infos=["colour"])


def test_native_games_are_generated_without_compiling(tmp_path):
    task = TaskSpec("tw-custom", {"world_size": 1, "nb_objects": 2, "quest_length": 2}, seed=5)
    path = ensure_game(task, tmp_path, engine="native")
    assert path.suffix == ".json" and path.is_file()
    assert not path.with_suffix(".z8").exists()
    env = gym.make("TextWorld-Custom-v0", world_size=1, nb_objects=2, quest_length=2, engine="native", cache_dir=tmp_path)
    _, info = env.reset(seed=5)
    for command in info[infos.WALKTHROUGH]:
        *_, info = env.step(command)
    assert info[infos.WON]
    assert not path.with_suffix(".z8").exists()
    env.close()
    with pytest.raises(ValueError, match="engine must be 'inform7' or 'native', got 'glulx'"):
        ensure_game(task, tmp_path, engine="glulx")
    with pytest.warns(DeprecationWarning, match="backend= is now engine="):
        assert ensure_game(task, tmp_path, backend="native") == path


def test_native_generation_makes_the_same_game_as_the_compiled_path():
    # tw-cooking's generator records its walkthrough by playing the game; natively here.
    knobs = family_knobs("tw-cooking").from_params({"level": 3})
    reference = json.loads(ensure_game(knobs.task(2)).with_suffix(".json").read_text())
    assert json.loads(json.dumps(make_game_object(knobs, 2).serialize())) == reference


class _FakeWorld:
    def __init__(self, open_=(), locked=(), contents=None):
        self.open_, self.locked, self._contents = set(open_), set(locked), contents or {}

    def is_open(self, obj):
        return obj in self.open_

    def is_locked(self, obj):
        return obj in self.locked

    def contents(self, holder):
        return self._contents.get(holder, [])

    def indefinite(self, obj):
        return f"a {obj}"

    def name(self, obj):
        return obj


def test_inform7_descriptions_render_against_the_state():
    nodes = parse_template(
        "You see [if c_1 is locked]a locked[else if c_1 is open]an opened[otherwise]a closed[end if] fridge."
        "[if c_1 is open and there is something in the c_1] The fridge contains [a list of things in the c_1].[end if]"
        "[if c_1 is open and the c_1 contains nothing] It is empty.[end if]"
    )
    assert render(nodes, _FakeWorld(locked={"c_1"})) == "You see a locked fridge."
    assert render(nodes, _FakeWorld(open_={"c_1"})) == "You see an opened fridge. It is empty."
    full = _FakeWorld(open_={"c_1"}, contents={"c_1": ["milk", "egg", "carrot"]})
    assert render(nodes, full) == "You see an opened fridge. The fridge contains a milk, a egg and a carrot."
    own = parse_template("The [noun] is [if open]open[else if closed]shut[otherwise]odd[end if].")
    assert render(own, _FakeWorld(locked={"box"}), subject="box") == "The box is shut."  # locked things are closed in Inform 7
    assert list_sentence([]) == "nothing" and list_sentence(["a b"]) == "a b"
    assert inform_quotes("copy of 'Cooking' isn't") == 'copy of "Cooking" isn\'t'
    assert normalise("  a \n\n b ") == "a b"


def test_backends_share_a_compiled_game_but_not_its_state(tmp_path):
    game_file = _game_file("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}, 1)
    first, second = NativeBackend(["admissible_commands"]), NativeBackend(["admissible_commands"])
    first.load(str(game_file))
    second.load(str(game_file))
    assert first.game is not second.game and first.game.logic is second.game.logic  # compiled once
    walkthrough = first.reset()[infos.WALKTHROUGH]
    second.reset()
    start = second.get_state()
    for command in walkthrough:
        done = first.step(command)
    assert done[infos.WON] and second.get_state() == start and not second.game.won
    copy = tmp_path / "copy.json"  # another file (or the same one changed) is compiled anew
    copy.write_text(game_file.with_suffix(".json").read_text())
    third = NativeBackend()
    third.load(str(copy))
    assert third.game.logic is not first.game.logic


#: Commands on which the two backends used to disagree (issue 16 §5): Inform 7 reads a
#: comma as addressing someone, repeats with "g"/"again", acts on several objects with
#: "all"; the native engine does none of these. Both now refuse them alike.
DIVERGENT_COMMANDS = ["g", "again", "north,", "i,", "look ,", "eat all", "put all in chest ,", "take all", "G", "oops",
                      "verbose", "look!", "inventory?", "take everything", "drop all except key", "*note"]


def _lockstep(reference_env, native_env, commands):
    """Play ``commands`` (a callable gets the last info and returns one) on both envs;
    every step must agree on the text, reward, ending and state."""
    keys = (infos.SCORE, infos.MOVES, infos.WON, infos.LOST, infos.LAST_ACTION_VALID, infos.INVALID_REASON)
    ref_info = reference_env.reset(seed=21)[1]
    native_env.reset(seed=21)
    for command in commands:
        command = command(ref_info) if callable(command) else command
        ref_obs, ref_reward, ref_term, _, ref_info = reference_env.step(command)
        nat_obs, nat_reward, nat_term, _, nat_info = native_env.step(command)
        assert normalise(nat_obs) == normalise(ref_obs), command
        assert (nat_reward, nat_term) == (ref_reward, ref_term), command
        assert [nat_info.get(k) for k in keys] == [ref_info.get(k) for k in keys], command
        assert sorted(nat_info[infos.ADMISSIBLE_COMMANDS]) == sorted(ref_info[infos.ADMISSIBLE_COMMANDS]), command
        if ref_term:
            return ref_info
    return ref_info


def test_backends_agree_on_the_commands_that_used_to_diverge():
    # On w8-o3-q4 seed 21, walkthrough commands with a comma won on Inform 7 (read as
    # "someone, do this") but not natively; now both refuse them, and both play the
    # same commands with a trailing "!".
    reference = gym.make("TextWorld-Custom-w8-o3-q4-v0", engine="inform7")
    native = gym.make("TextWorld-Custom-w8-o3-q4-v0", engine="native")
    try:
        walkthrough = reference.reset(seed=21)[1][infos.WALKTHROUGH]
        plan = []
        for i, command in enumerate(walkthrough):
            plan += [DIVERGENT_COMMANDS[i % len(DIVERGENT_COMMANDS)], f"{command},", f"{command} ,", f"{command}!"]
        plan += DIVERGENT_COMMANDS
        last = _lockstep(reference, native, plan)
        assert last[infos.WON]  # the "!" spellings played the whole walkthrough, on both
    finally:
        reference.close()
        native.close()


@pytest.mark.parametrize(
    "env_id, kwargs, seed",
    [
        ("TextWorld-Simple-v0", {}, 2),  # returned [] after a 35.8 s search (issue 16 §3)
        ("TextWorld-Cooking-v0", {"level": 7}, 3),  # limited inventory: dropping is part of a plan
        ("TextWorld-Custom-v0", {"world_size": 8, "nb_objects": 12, "quest_length": 4}, 2),
    ],
)
def test_policy_commands_win_from_anywhere_within_the_bounds(env_id, kwargs, seed):
    import random

    from textagent_envs.textworld.native.search import explore, winning_policy

    env = gym.make(env_id, engine="native", extra_infos=["policy_commands"], **kwargs)
    try:
        _, info = env.reset(seed=seed)
        assert info[infos.POLICY_COMMANDS] and len(info[infos.POLICY_COMMANDS]) <= len(info[infos.WALKTHROUGH])
        rng = random.Random(seed)
        for _ in range(12):  # wander off the walkthrough
            *_, terminated, _, info = env.step(rng.choice(info[infos.ADMISSIBLE_COMMANDS]))
            if terminated:
                return
        plan = info[infos.POLICY_COMMANDS]
        assert plan, "the game is not over, so it can still be won"
        for command in plan:
            *_, terminated, _, info = env.step(command)
        assert terminated and info[infos.WON]
        game = env.unwrapped._runner._backend.game
        game.reset()
        bounded = explore(game, max_states=50)  # the search stops at its bounds
        assert bounded.states <= 50 and not bounded.exhaustive
        assert winning_policy(game, game._relevant_objects, game._rejoin_walkthrough, max_seconds=0) is None
    finally:
        env.close()


def test_native_policy_wins_on_the_reference_too():
    native = gym.make("TextWorld-Simple-v0", engine="native", extra_infos=["policy_commands"])
    reference = gym.make("TextWorld-Simple-v0", engine="inform7")
    try:
        plan = native.reset(seed=2)[1][infos.POLICY_COMMANDS]
        reference.reset(seed=2)
        for command in plan:
            *_, terminated, _, info = reference.step(command)
        assert terminated and info[infos.WON]
    finally:
        native.close()
        reference.close()
