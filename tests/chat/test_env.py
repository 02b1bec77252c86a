"""ChatEnv and ChatFormat: the token-in, token-out API, the ledger's exports, and clear
errors for tokenizers and templates that cannot be token-exact."""

import copy
import subprocess
import sys

import pytest

import textagent_envs
from textagent_envs import infos
from textagent_envs.chat import MAX_TOKENS, OBSERVATION_TEXT, ChatEnv, ChatFormat, TokenReply, check_token_exact


def _env(tokenizer, **kwargs):
    return ChatEnv(textagent_envs.make("TextWorld-CoinCollector-v0", max_episode_steps=4, engine="native", level=2),
                   tokenizer, **kwargs)


def test_import_loads_no_torch():
    code = "import sys, textagent_envs.chat; print(any(m.split('.')[0] in ('torch', 'transformers') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_reset_and_step_hand_out_the_sequence_piece_by_piece(tokenizers):
    tokenizer = tokenizers["tiny"]
    env = _env(tokenizer)
    ids, info = env.reset(seed=1)
    assert ids == env.ledger.ids and info[OBSERVATION_TEXT] and tokenizer.decode(ids).endswith("<|im_start|>assistant\n")
    walk = info[infos.WALKTHROUGH]
    context = list(ids)
    reply = env.chat.encode("I will go.\n" + walk[0]) + [env.chat.close_id]
    delta, reward, terminated, truncated, info = env.step(TokenReply(reply, [-0.5] * len(reply)))
    context += reply + delta
    assert env.ledger.ids == context and env.ledger.commands == [walk[0]]
    assert env.ledger.logprobs[len(ids): len(ids) + len(reply)] == [-0.5] * len(reply)
    assert env.ledger.turn_end[len(ids) + len(reply) - 1] == 1 and sum(env.ledger.turn_end) == 1
    for command in walk[1:]:  # a string reply is encoded and closed as the model would have
        delta, reward, terminated, truncated, info = env.step(command)
        if terminated or truncated:
            break
    assert terminated and delta == [] and env.ledger.success and env.ledger.terminated
    assert env.ledger.rewards[len(env.ledger.ids) - 1] == reward == 1.0 and env.ledger.total_reward == 1.0
    assert check_token_exact(tokenizer, env).ok
    with pytest.raises(RuntimeError, match="reset"):
        env.step("look")


def test_exports(tokenizers):
    env = _env(tokenizers["tiny"])
    ids, info = env.reset(seed=2)
    env.step("look")
    env.step(info[infos.WALKTHROUGH][0])
    led = env.ledger
    trl = led.to_trl()
    assert trl["prompt_ids"] == ids and trl["prompt_ids"] + trl["completion_ids"] == led.ids
    assert len(trl["env_mask"]) == len(trl["logprobs"]) == len(trl["completion_ids"])
    assert [t for t, m in zip(trl["completion_ids"], trl["env_mask"]) if m] == [t for r in led.replies for t in r]
    flat = led.as_dict()
    assert flat["input_ids"] == led.ids and flat["loss_mask"] == led.mask and flat["prompt_length"] == len(ids)
    assert sum(flat["token_rewards"]) == flat["reward"] == led.total_reward


def test_max_tokens_truncates_with_a_reason(tokenizers):
    env = _env(tokenizers["tiny"])
    ids, _ = env.reset(seed=1)
    env.max_tokens = len(ids) + 5
    delta, _, terminated, truncated, info = env.step("look")
    assert (delta, terminated, truncated) == ([], False, True)
    assert info[infos.TRUNCATION_REASON] == MAX_TOKENS == env.ledger.truncation_reason


def test_bad_inputs_say_what_to_do(tokenizers):
    tokenizer = copy.deepcopy(tokenizers["tiny"])
    env = _env(tokenizer)
    with pytest.raises(RuntimeError, match="reset"):
        env.step("look")
    env.reset(seed=1)
    with pytest.raises(TypeError, match="TokenReply"):
        env.step(3.5)
    with pytest.raises(ValueError, match="log-probabilities"):
        env.step(TokenReply([1, 2], [0.0]))
    tokenizer.chat_template = (  # renders only the last message: not an appending template
        "{{ '<|im_start|>' + messages[-1]['role'] + '\\n' + messages[-1]['content'] + '<|im_end|>\\n' }}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
    with pytest.raises(ValueError, match="re-renders earlier turns"):
        ChatFormat(tokenizer)
    tokenizer.chat_template = None
    with pytest.raises(ValueError, match="chat template"):
        ChatFormat(tokenizer)
    with pytest.raises(ValueError, match="observation_role"):
        from textagent_envs.chat import PromptTemplate

        PromptTemplate(observation_role="narrator")
