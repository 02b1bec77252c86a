"""Zero drift: over hundreds of random episodes on TextWorld, ALFWorld and SWE-Mini, with
every chat template available offline, the ledger a ChatEnv builds equals a fresh rendering
of the conversation; re-tokenising rollout loops and history-rewriting templates are caught
and named by check_token_exact."""

import json
import random

import pytest

import textagent_envs
from textagent_envs.chat import ChatEnv, PromptTemplate, TokenReply, check_token_exact, render_messages

from .conftest import ACT_TOOL, APPENDING, tool_call_command

GAMES = {  # id -> (knobs, seeds): a few games each, replayed with different random replies
    "TextWorld-CoinCollector-v0": (dict(engine="native", level=2), [1, 2, 3]),
    "TextWorld-Custom-w2-o3-q4-v0": (dict(engine="native"), [1, 2]),
    "ALFWorld-PickAndPlaceSimple-v0": ({}, [1, 2, 3]),
}
EPISODES_PER_GAME = 24  # x 3 games x 5 templates = 360 episodes, plus SWE-Mini's


def _template(name):
    if name == "qwen_tools":
        return PromptTemplate(observation_role="tool"), [ACT_TOOL], tool_call_command
    return PromptTemplate(), None, None


def _make(env_id, name, tokenizer, max_steps=6, **extra):
    knobs = GAMES.get(env_id, ({}, None))[0]
    template, tools, parse = _template(name)
    kwargs = {"parse_action": parse} if parse else {}
    return ChatEnv(textagent_envs.make(env_id, max_episode_steps=max_steps, **knobs), tokenizer, template,
                   tools=tools, **kwargs, **extra), tools


def _reply_text(rng, name, info, swe):
    if swe:
        command = rng.choice(list(info["walkthrough"]) + ['{"name": "bash", "arguments": {"command": "ls calckit"}}',
                                                           '{"name": "view", "arguments": {"path": "."}}'])
    else:
        command = rng.choice(list(info.get("admissible_commands") or ["look"]) + ["look", "xyzzy", "go north"])
    if name == "qwen_tools":
        call = command if swe else json.dumps({"name": "act", "arguments": {"command": command}})
        return rng.choice(["", "Let me act.\n"]) + f"<tool_call>\n{call}\n</tool_call>"
    return rng.choice(["", "I should try this.\n", "Thinking: the goal says so.\n\n"]) + command


def _play(env, rng, name, seed, swe=False, canonical=True):
    """One random episode; returns the ledger and the ids handed out and sampled, in order."""
    ids, info = env.reset(seed=seed)
    seen = list(ids)
    chat = env.chat
    done = False
    while not done:
        text = _reply_text(rng, name, info, swe)
        reply = chat.encode(text) if canonical else [t for ch in text for t in chat.encode(ch)]
        if rng.random() < 0.8:  # else cut off before its closing token
            reply = reply + [chat.close_id]
        logprobs = [-rng.random() for _ in reply]
        delta, reward, terminated, truncated, info = env.step(TokenReply(reply, logprobs))
        seen += reply + delta
        done = terminated or truncated
    return env.ledger, seen


@pytest.mark.parametrize("name", APPENDING)
def test_zero_drift_over_random_episodes(tokenizers, name):
    tokenizer = tokenizers[name]
    rng = random.Random(name)
    played = turns = 0
    for env_id, (knobs, seeds) in GAMES.items():
        env, tools = _make(env_id, name, tokenizer)
        for i in range(EPISODES_PER_GAME):
            ledger, seen = _play(env, rng, name, seeds[i % len(seeds)])
            report = check_token_exact(tokenizer, ledger, tools=tools)
            assert report.ok, f"{env_id} episode {i}: {report}"
            assert ledger.ids == seen  # the context handed out is exactly the trained sequence
            assert sum(ledger.mask) == sum(len(r) for r in ledger.replies)
            played, turns = played + 1, turns + ledger.turns
        env.close()
    assert played == EPISODES_PER_GAME * len(GAMES) and turns > 2 * played


@pytest.mark.parametrize("name", APPENDING)
def test_zero_drift_on_swe_mini(tokenizers, name):
    import shutil

    if shutil.which("bwrap") is None:
        pytest.skip("SWE-Mini needs bubblewrap (apt-get install bubblewrap)")
    tokenizer = tokenizers[name]
    rng = random.Random(name)
    env, tools = _make("SWE-Mini-v0", name, tokenizer, max_steps=4)
    for seed in (1, 2):
        ledger, seen = _play(env, rng, name, seed, swe=True)
        assert check_token_exact(tokenizer, ledger, tools=tools).ok
        assert ledger.ids == seen and ledger.turns >= 1
    env.close()


class SlicingChatEnv(ChatEnv):
    """The classic bug: each turn's delta is sliced out of the re-rendered, re-tokenised
    conversation (``encode(render(messages))[len(ids_so_far):]``)."""

    def step(self, action):
        delta, *rest = super().step(action)
        if delta:
            self.ledger.ids[-len(delta):] = []
            for name in ("mask", "logprobs", "turn_end", "rewards"):
                del getattr(self.ledger, name)[-len(delta):]
            self.ledger.segments.pop()
            self.ledger.deltas.pop()
            message = self.ledger.messages.pop()
            fresh = self.chat.encode(render_messages(self.chat.tokenizer, self.ledger.messages + [message], True))
            delta = fresh[len(self.ledger.ids):]
            self.ledger.add_observation(delta, message)
        return (delta, *rest)


class RetokenizingChatEnv(ChatEnv):
    """Trains on the re-tokenised conversation: after each step the ledger's ids are
    replaced by a fresh tokenisation of the whole chat."""

    def step(self, action):
        out = super().step(action)
        last_is_reply = self.ledger.segments[-1].kind == "reply"
        fresh = self.chat.encode(render_messages(self.chat.tokenizer, self.ledger.messages, not last_is_reply))
        self.ledger.ids[:] = fresh[: len(self.ledger.ids)] + [0] * max(0, len(self.ledger.ids) - len(fresh))
        return out


@pytest.mark.parametrize("name", ["tiny", "llama3"])
def test_non_canonical_replies_keep_the_ledger_sound_and_are_named(tokenizers, name):
    tokenizer = tokenizers[name]
    env, tools = _make("TextWorld-CoinCollector-v0", name, tokenizer)
    ledger, seen = _play(env, random.Random(0), name, 1, canonical=False)
    report = check_token_exact(tokenizer, ledger, tools=tools)
    assert ledger.ids == seen
    assert not report.ok and report.sound, str(report)
    assert report.reason == "non_canonical_reply" and report.segment == "reply" and report.segment_index == 0


@pytest.mark.parametrize("variant, reasons", [
    (SlicingChatEnv, {"not_the_template_text"}),
    (RetokenizingChatEnv, {"masked_tokens_not_sampled", "not_append_only"}),
])
@pytest.mark.parametrize("name", ["tiny", "chatml", "llama3"])
def test_re_tokenising_variants_are_caught(tokenizers, name, variant, reasons):
    tokenizer = tokenizers[name]
    rng = random.Random(1)
    caught = 0
    for seed in (1, 2, 3):
        env = variant(textagent_envs.make("TextWorld-CoinCollector-v0", max_episode_steps=5, engine="native", level=2),
                      tokenizer)
        ledger, _ = _play(env, rng, name, seed, canonical=False)
        report = check_token_exact(tokenizer, ledger)
        if ledger.turns > 1:
            assert not report.sound and report.reason in reasons, str(report)
            caught += 1
    assert caught >= 1


def test_history_rewriting_template_is_detected(tokenizers):
    tokenizer = tokenizers["reasoning"]
    env, _ = _make("TextWorld-CoinCollector-v0", "reasoning", tokenizer)
    assert env.chat.rewrites_history
    env.reset(seed=1)
    think = "<think>\nThe coin is north.\n</think>\n\n"
    for command in ("look", "inventory"):
        _, _, terminated, truncated, _ = env.step(TokenReply(env.chat.encode(think + command) + [env.chat.close_id]))
        assert not (terminated or truncated)
    report = check_token_exact(tokenizer, env)
    assert not report.ok and report.sound and report.reason == "template_rewrites_history", str(report)
    # without reasoning blocks the same template renders by appending: no drift
    env.reset(seed=1)
    env.step("look")
    env.step("inventory")
    assert check_token_exact(tokenizer, env).ok


def test_trimming_template_is_detected(tokenizers):
    tokenizer = tokenizers["llama3"]
    env, _ = _make("TextWorld-CoinCollector-v0", "llama3", tokenizer)
    assert not env.chat.rewrites_history
    env.reset(seed=1)
    env.step(TokenReply(env.chat.encode("look\n\n") + [env.chat.close_id]))
    report = check_token_exact(tokenizer, env)
    assert not report.ok and report.sound and report.reason == "template_rewrites_reply", str(report)
