"""Token-exact multi-turn rollouts: the tokens trained on are exactly the tokens sampled,
with the log-probabilities recorded at sampling time."""

import pytest
import torch

from baselines.chat import ChatFormat
from baselines.policy import Agent, PolicyModel, token_logprobs
from baselines.rollout import collect
from baselines.trainer import pad_batch

from .conftest import MAX_TURNS, make_env

SEEDS = [30001, 30001, 30002]


@pytest.fixture(scope="module")
def envs():
    envs = [make_env() for _ in range(2)]  # fewer envs than episodes: two waves
    yield envs
    for env in envs:
        env.close()


@pytest.mark.parametrize("mode", ["text", "choice"])
def test_trained_tokens_are_the_sampled_tokens(tiny, envs, mode):
    model, tokenizer = tiny
    chat = ChatFormat(tokenizer)
    agent = Agent(PolicyModel(model), chat, mode=mode, temperature=0.7, max_new_tokens=6,
                  generator=torch.Generator().manual_seed(1))
    calls = {}  # id(episode token list) -> [(context as the model saw it, reply)]
    original_act = agent.act

    def recording_act(contexts, *args, **kwargs):
        out = original_act(contexts, *args, **kwargs)
        for context, reply in zip(contexts, out):
            calls.setdefault(id(context), []).append((list(context), reply))
        return out

    agent.act = recording_act
    episodes, stats = collect(agent, envs, SEEDS, groups=[0, 0, 1])
    assert [ep.seed for ep in episodes] == SEEDS and [ep.group for ep in episodes] == [0, 0, 1]
    assert sum(ep.turns for ep in episodes) == sum(len(c) for c in calls.values()) == stats.turns

    batch = pad_batch(episodes, chat.eos_id)
    for row, ep in enumerate(episodes):
        turns = calls[id(ep.tokens)]
        assert 1 <= len(turns) == ep.turns <= MAX_TURNS
        assert ep.commands == [reply.command for _, reply in turns]
        # the model saw exactly a prefix of the final sequence, followed by its own reply:
        # nothing before a reply was ever re-tokenised
        for context, reply in turns:
            assert ep.tokens[: len(context)] == context
            assert ep.tokens[len(context): len(context) + len(reply.ids)] == reply.ids
            assert ep.mask[len(context): len(context) + len(reply.ids)] == [1] * len(reply.ids)
            assert ep.logprobs[len(context): len(context) + len(reply.ids)] == reply.logprobs
        # the tokens trained on (mask of the padded batch) are the sampled ids, in order
        mask = batch["mask"][row].bool()
        assert batch["tokens"][row][mask].tolist() == [t for _, reply in turns for t in reply.ids]
        assert [i for i, e in enumerate(ep.turn_end) if e] == [len(c) + len(r.ids) - 1 for c, r in turns]
        # recorded sampling-time log-probs equal a fresh forward pass over the whole sequence
        ids = torch.tensor([ep.tokens])
        with torch.no_grad():
            fresh = token_logprobs(model(input_ids=ids).logits, ids, 0.7)[0]
        recorded = torch.tensor(ep.logprobs)
        own = mask[: len(ep.tokens)]
        assert torch.allclose(fresh[own], recorded[own], atol=1e-4)
        assert torch.count_nonzero(recorded[~own]) == 0


def test_choice_mode_replies_are_admissible_commands(tiny, envs):
    model, tokenizer = tiny
    chat = ChatFormat(tokenizer)
    agent = Agent(PolicyModel(model), chat, mode="choice", generator=torch.Generator().manual_seed(3))
    episodes, _ = collect(agent, envs, [30001, 30002])
    env = make_env()
    for ep in episodes:
        _, info = env.reset(seed=ep.seed)
        assert ep.commands[0] in info["admissible_commands"]
        first_reply = [t for t, m in zip(ep.tokens, ep.mask) if m][: len(chat.action_ids(ep.commands[0]))]
        assert tokenizer.decode(first_reply, skip_special_tokens=True) == ep.commands[0]
    env.close()


def test_pieces_concatenate_to_the_chat_template(tiny):
    _, tokenizer = tiny
    chat = ChatFormat(tokenizer)
    reply = chat.action_ids("go south")
    ids = chat.prompt_ids("Find the coin.", "-= Room =-") + reply + chat.turn_ids("You go south.", reply)
    messages = [{"role": "system", "content": chat.template.system},
                {"role": "user", "content": chat.template.first_user.format(objective="Find the coin.", observation="-= Room =-", choices_line="")},
                {"role": "assistant", "content": "go south"},
                {"role": "user", "content": chat.template.next_user.format(observation="You go south.", choices_line="")}]
    expected = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert tokenizer.decode(ids) == expected
    # a reply cut off before its eos gets the eos from the turn, never twice
    cut = chat.encode("go")
    assert chat.turn_ids("x", cut)[0] == chat.eos_id and chat.turn_ids("x", reply)[0] != chat.eos_id


def test_bad_agent_settings_are_clear_errors(tiny):
    model, tokenizer = tiny
    chat = ChatFormat(tokenizer)
    with pytest.raises(ValueError, match="mode"):
        Agent(PolicyModel(model), chat, mode="guess")
    with pytest.raises(ValueError, match="temperature"):
        Agent(PolicyModel(model), chat, temperature=0)
    with pytest.raises(ValueError, match="admissible"):
        Agent(PolicyModel(model), chat, mode="choice").offered(None)


def test_each_turn_reward_sits_on_the_last_token_of_its_reply(tiny):
    """The ledger puts a turn's reward on the last token of the reply that earned it (GAE
    discounts it back from there; choice mode reads it there)."""
    import gymnasium as gym

    from baselines.sft import demonstration

    from .signpost import ENV_ID

    model, tokenizer = tiny
    agent = Agent(PolicyModel(model), ChatFormat(tokenizer), mode="choice")
    env = gym.make(ENV_ID)
    ep = demonstration(env, 7, agent)
    env.close()
    ends = [j for j, e in enumerate(ep.turn_end) if e]
    assert ep.success and len(ends) == 2 and ep.reply_start[1] < ends[1]
    assert [ep.rewards[j] for j in ends] == [0.0, 1.0]
    assert [j for j, r in enumerate(ep.rewards) if r] == [ends[1]]
    for start, end in zip(ep.reply_start, ends):  # a reply runs from its start to its turn end, all masked
        assert ep.mask[start: end + 1] == [1] * (end + 1 - start) and ep.mask[start - 1] == 0
