"""The ``paper`` preset renders the released code's prompt character for character
(pearls-lab/meow-tea-taro: ``multiturn_template.py``, ``format_multiturn_prompt``, the
sync_textworld agent and env), and stays token-exact."""

import json

import pytest
import torch

from baselines.chat import ChatFormat, PromptTemplate
from baselines.config import TrainConfig
from baselines.policy import Agent, PolicyModel
from baselines.presets import (
    PAPER_PROMPT, SEED_SPLITS, SETTINGS, essential_feedback, paper_observation, split_seeds, whole_reply_command,
)
from baselines.rollout import collect

from .conftest import ENV_ID, KNOBS

GAME = "TextWorld-Custom-w2-o3-q4-v0"
OBJECTIVE = (
    "I hope you're ready to go into rooms and interact with objects, because you've just entered TextWorld! Here is "
    "your task for today. Your first objective is to take the type J keycard from the case in the studio. After that, "
    "make it so that the type J chest is unlocked with the type J keycard. Then, ensure that the type J chest is open. "
    "Then, take the Quote of the Day Calendar from the type J chest in the studio. And if you do that, you're the winner!"
)
# The released MULTITURN_PROMPT_TEMPLATE filled as format_multiturn_prompt fills it (interactions =
# "current state: {state}\n\n", then "your action: "), with the state format_observation builds for game 1.
EXPECTED_FIRST = (
    "You are an expert TextWorld game solver. Your goal is to generate the best next action that will lead to winning "
    "the game.\n\nEnd your output sequence with an action starting with a verb. Example: open box.\n\n"
    "Here is how to win the game:\n" + OBJECTIVE + "\n\n"
    "Here is your interactions so far:\n"
    "current state: You are now in the studio.\n"
    "You find yourself in a studio. An ordinary one. The room is well lit.\n"
    "You see a locked type J chest. You lean against the wall, inadvertently pressing a secret button. The wall opens "
    "up to reveal a case. The case contains a type J keycard.\n"
    "You need an unblocked exit? You should try going north.\n"
    "You are carrying nothing.\n\nyour action: "
)
# The user message the released agent appends after the reply "take type J keycard from case\" (sent with
# the backslash removed) and then "go north".
EXPECTED_SECOND = ("current state: You are now in the studio.\nYou take the type J keycard from the case.\n"
                   "You are carrying: a type J keycard.\n\nyour action: ")
EXPECTED_THIRD = (
    "current state: You are now in the spare room.\nYou find yourself in a spare room. A typical one. You start to take "
    "note of what's in the room.\nThere is an unblocked exit to the south.\nYou are carrying: a type J keycard.\n\n"
    "your action: "
)


@pytest.fixture(scope="module")
def game():
    import textagent_envs

    env = textagent_envs.make(GAME, extra_infos=("location", "inventory"))
    yield env
    env.close()


def test_paper_prompt_and_later_turns_are_the_released_ones_character_for_character(tiny, game):
    _, tokenizer = tiny
    chat = ChatFormat(tokenizer, PromptTemplate(**PAPER_PROMPT))
    obs, info = game.reset(seed=1)
    assert info["objective"] == OBJECTIVE
    assert chat.first_message(info["objective"], paper_observation(obs, info)) == EXPECTED_FIRST
    replies = ["take type J keycard from case\\", "go north"]
    messages = [chat.user(EXPECTED_FIRST)]
    ids = chat.prompt_ids(info["objective"], paper_observation(obs, info))
    for reply, expected in zip(replies, (EXPECTED_SECOND, EXPECTED_THIRD)):
        obs, _, _, _, info = game.step(whole_reply_command(reply))
        assert chat.next_message(paper_observation(obs, info)) == expected
        reply_ids = chat.action_ids(reply)
        ids = ids + reply_ids + chat.turn_ids(paper_observation(obs, info), reply_ids)
        messages += [chat.assistant(reply), chat.user(expected)]
    # no system message of ours: the chat template renders exactly these messages, and the
    # piece-by-piece tokens decode to that rendering
    assert tokenizer.decode(ids) == tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def test_essential_feedback_reads_raw_textworld_text_as_the_released_code():
    raw = ("\n\n\n\nI hope you're ready.\n\n-= Studio =-\nYou find yourself in a studio.\n\nYou see a case.\n\n"
           "You need an unblocked exit? You should try going north.\n\n>      -= Studio =-0/1")
    assert essential_feedback(raw) == ("You find yourself in a studio.\nYou see a case.\n"
                                       "You need an unblocked exit? You should try going north.")
    assert essential_feedback("\nYou take the coin.\n\n\n\n>   -= Studio =-0/2") == "You take the coin."
    with pytest.raises(ValueError, match="extra_infos"):
        paper_observation("You take the coin.", {})


def test_the_action_is_the_whole_reply_without_backslashes():
    assert whole_reply_command("  open box\\ \n") == "open box"
    assert whole_reply_command("I think\ngo north") == "I think\ngo north"


def test_seed_splits_are_named_and_both_paper_readings_are_kept():
    assert (SEED_SPLITS["released-train"][0], SEED_SPLITS["released-train"][-1]) == (50001, 55000)
    assert (SEED_SPLITS["released-validation"][0], SEED_SPLITS["released-validation"][-1]) == (40001, 40100)
    assert list(SEED_SPLITS["released-test"]) == list(range(1, 101))
    assert (SEED_SPLITS["paper-rl"][0], SEED_SPLITS["paper-rl"][-1]) == (30001, 35000)
    assert (SEED_SPLITS["paper-sft"][0], SEED_SPLITS["paper-sft"][-1]) == (40001, 40101)
    assert split_seeds("released-test", 3) == [1, 2, 3]
    with pytest.raises(ValueError, match="has 100 seeds"):
        split_seeds("released-test", 101)
    with pytest.raises(ValueError, match="unknown seed split"):
        split_seeds("nope", 1)


def test_paper_preset_rollouts_are_token_exact(tiny):
    import textagent_envs

    model, tokenizer = tiny
    chat = ChatFormat(tokenizer, PromptTemplate(**PAPER_PROMPT))
    agent = Agent(PolicyModel(model), chat, mode="text", temperature=0.7, max_new_tokens=6,
                  generator=torch.Generator().manual_seed(1), observe=paper_observation, command=whole_reply_command)
    seen = {}
    act = agent.act

    def recording_act(contexts, *args, **kwargs):
        out = act(contexts, *args, **kwargs)
        for context, reply in zip(contexts, out):
            seen.setdefault(id(context), []).append((list(context), reply))
        return out

    agent.act = recording_act
    env = textagent_envs.make(ENV_ID, max_episode_steps=3, extra_infos=("location", "inventory"), **KNOBS)
    try:
        episodes, _ = collect(agent, [env], [30001, 30002])
    finally:
        env.close()
    for ep in episodes:
        turns = seen[id(ep.tokens)]
        assert len(turns) == ep.turns >= 1
        for (context, reply), observation in zip(turns, ep.observations):
            assert ep.tokens[: len(context)] == context  # nothing before a reply was re-tokenised
            assert ep.tokens[len(context): len(context) + len(reply.ids)] == reply.ids
            # each turn the model saw "current state: <the paper's observation>\n\nyour action: "
            assert tokenizer.decode(context).endswith(f"current state: {observation}\n\nyour action: " + chat._suffix)
            assert reply.command == whole_reply_command(tokenizer.decode(reply.ids, skip_special_tokens=True))
        assert ep.observations[0].startswith("You are now in the ")
        assert "current state: You are now in the " in tokenizer.decode(ep.tokens)


def test_train_cli_preset_paper_sets_the_papers_fields_and_flags_win(tmp_path):
    from baselines.train import build_parser, config_from_args

    cfg = config_from_args(build_parser().parse_args(["--preset", "paper", "--max-turns", "3", "--out", str(tmp_path)]))
    assert cfg.preset == "paper" and cfg.max_turns == 3
    for name, value in SETTINGS["paper"].items():
        if name != "max_turns":
            assert getattr(cfg, name) == value, name
    default = config_from_args(build_parser().parse_args(["--out", str(tmp_path)]))
    assert (default.preset, default.observation, default.action, default.train_split) == ("default", "raw", "last_line", "train")
    cfg.resolved().save(tmp_path / "config.json")
    assert TrainConfig.load(tmp_path / "config.json").prompt == PAPER_PROMPT
    with pytest.raises(SystemExit, match="preset"):
        config_from_args(build_parser().parse_args(["--resume", "--preset", "default", "--out", str(tmp_path)]))
    with pytest.raises(ValueError, match="unknown preset"):
        TrainConfig.from_preset("papr")
    with pytest.raises(ValueError, match="observation must be one of"):
        TrainConfig(observation="pretty").resolved()


def test_evaluate_with_the_paper_preset_plays_the_released_test_seeds(tmp_path):
    from baselines.evaluate import main

    out = tmp_path / "random.json"
    assert main(["--model", "random", "--preset", "paper", "--episodes", "2", "--max-turns", "2", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["env"] == GAME and result["seeds"] == [1, 2]


def _released_observation(game_state):
    """The released ``format_observation`` on TextWorld's own state: the room named from the
    game's facts, the essential feedback of the raw feedback (with its ``>`` prompt), the
    raw inventory."""
    room = next(f.arguments[1].name for f in game_state._facts if f.name == "at" and f.arguments[0].name == "P")
    return (f"You are now in the {game_state.game.infos[room].name}.\n" + essential_feedback(game_state.feedback)
            + "\n" + game_state.inventory)


def test_paper_observation_matches_textworld_raw_state_along_walkthroughs(game):
    """Differential: the observation built from the env's cleaned text and infos equals the
    released construction on TextWorld's raw game state, turn by turn (games 1-3)."""
    import textworld
    from textworld.agents import HumanAgent

    from textagent_envs.textworld.games import ensure_game

    for seed in (1, 2, 3):
        obs, info = game.reset(seed=seed)
        commands = ["look", "inventory", "go west"] + list(info["walkthrough"])[:-1]  # the last one ends the game
        agent = HumanAgent()
        reference = textworld.start(str(ensure_game(game.unwrapped.task_for_seed(seed), game.unwrapped.cache_dir)),
                                    request_infos=textworld.EnvInfos(feedback=True, description=True, inventory=True),
                                    wrappers=agent.wrappers)
        try:
            agent.reset(reference)
            state = reference.reset()
            assert paper_observation(obs, info) == _released_observation(state)
            for command in commands:
                obs, _, _, _, info = game.step(command)
                state, _, _ = reference.step(command)
                assert paper_observation(obs, info) == _released_observation(state), (seed, command)
        finally:
            reference.close()
