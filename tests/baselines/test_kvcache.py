"""The KV cache kept across turns: a cached rollout plays the very same tokens, with the same
log-probabilities, as one that runs every context whole, while running far fewer tokens."""

import pytest
import torch

from baselines.chat import ChatFormat
from baselines.kvcache import TurnCache
from baselines.policy import Agent, PolicyModel
from baselines.rollout import collect

from .conftest import make_env

SEEDS = [30001, 30002, 30003, 30001, 30004]


@pytest.fixture(scope="module")
def envs():
    envs = [make_env() for _ in range(3)]  # fewer envs than episodes: two waves of different sizes
    yield envs
    for env in envs:
        env.close()


@pytest.fixture(scope="module")
def eos_prone(tiny):
    """The tiny model with a bias on eos that makes sampled replies of one batch end at
    different steps (the filler a finished reply gets while the others go on must stay out
    of the cache)."""
    import copy

    model, tokenizer = tiny
    model = copy.deepcopy(model)
    chat = ChatFormat(tokenizer)
    eos = chat.eos_id
    old = model.get_output_embeddings()
    head = torch.nn.Linear(old.in_features, old.out_features, bias=True)
    with torch.no_grad():
        head.weight.copy_(old.weight)
        head.bias.zero_()
        ids = torch.tensor([chat.prompt_ids("Take the coin.", "You are in a room. There is a door to the east.")])
        logits = model(input_ids=ids).logits[0]
        gap = logits[:, torch.arange(logits.shape[1]) != eos].max(-1).values - logits[:, eos]
        head.bias[eos] = gap.median() + 2.5
    model.lm_head = head
    return model, tokenizer


def _agent(tiny, mode, kv_cache, backend="loop"):
    model, tokenizer = tiny
    return Agent(PolicyModel(model), ChatFormat(tokenizer), mode=mode, temperature=0.7, max_new_tokens=6,
                 backend=backend, kv_cache=kv_cache, generator=torch.Generator().manual_seed(5))


def _same_rollouts(tiny, envs, mode, backend, greedy):
    fresh, fresh_stats = collect(_agent(tiny, mode, False, backend), envs, SEEDS, greedy=greedy)
    cached, stats = collect(_agent(tiny, mode, True, backend), envs, SEEDS, greedy=greedy)
    assert max(ep.turns for ep in fresh) >= 3  # multi-turn: later turns continue from the cache
    for a, b in zip(fresh, cached):
        assert b.tokens == a.tokens and b.mask == a.mask and b.commands == a.commands
        assert b.logprobs == pytest.approx(a.logprobs, abs=1e-4)
        assert b.choice_logprobs == pytest.approx(a.choice_logprobs, abs=1e-4)
    # the cache was used: later turns ran only their new tokens, and never fell back
    assert stats.cache_fallbacks == 0 and stats.cached_tokens > 0
    assert stats.prefill_tokens + stats.cached_tokens == fresh_stats.prefill_tokens
    assert stats.prefill_tokens < fresh_stats.prefill_tokens / 2
    return fresh


@pytest.mark.parametrize("mode,backend", [("text", "loop"), ("text", "generate"), ("choice", "loop")])
def test_cached_greedy_rollout_equals_the_uncached_one(tiny, envs, mode, backend):
    _same_rollouts(tiny, envs, mode, backend, greedy=True)


@pytest.mark.parametrize("backend", ["loop", "generate"])
def test_cached_sampled_rollout_equals_the_uncached_one_when_replies_end_apart(eos_prone, envs, backend):
    """Same generator seed, same samples: also when some replies of a turn end (eos) while
    others go on, so the cache holds filler that must stay masked out in later turns."""
    episodes = _same_rollouts(eos_prone, envs, "text", backend, greedy=False)
    eos = eos_prone[1].convert_tokens_to_ids("<|im_end|>")
    ends = [ep.tokens[j] == eos for ep in episodes for j, t in enumerate(ep.turn_end) if t]
    assert any(ends) and not all(ends)


def test_a_context_that_does_not_extend_the_cache_is_run_again(tiny):
    """A row whose context rewrites what it held keeps only the common prefix (counted as a
    fallback), and its logits are those of the context run whole."""
    model, tokenizer = tiny
    chat = ChatFormat(tokenizer)
    a = chat.prompt_ids("Take the coin.", "You are in a room.")
    b = chat.prompt_ids("Go east.", "A long hall with a door.")
    cache = TurnCache(model, chat.eos_id)
    with torch.no_grad():
        cache.extend(["a", "b"], [a, b])
        grown, rewritten = a + chat.action_ids("go east"), b[:-4] + chat.action_ids("look")
        logits = cache.extend(["a", "b"], [grown, rewritten])
        whole = [model(input_ids=torch.tensor([c])).logits[0, -1] for c in (grown, rewritten)]
    assert cache.fallbacks == 1 and cache.reused == len(a) + len(b) - 4
    for got, want in zip(logits, whole):
        assert torch.allclose(got, want, atol=1e-4)
    assert cache.held == [grown, rewritten]
    with torch.no_grad():  # a dropped row goes, a new one starts empty; the others keep their cache
        logits = cache.extend(["c", "a"], [b, grown + [5]])
        want = model(input_ids=torch.tensor([grown + [5]])).logits[0, -1]
    assert cache.keys == ["c", "a"] and torch.allclose(logits[1], want, atol=1e-4)
    assert cache.fallbacks == 1 and cache.mask.shape[0] == 2


def test_turn_cache_arguments_are_checked(tiny):
    model, tokenizer = tiny
    chat = ChatFormat(tokenizer)
    agent = Agent(PolicyModel(model), chat, mode="text")
    context = chat.prompt_ids("Take the coin.", "You are in a room.")
    with pytest.raises(ValueError, match="one key per context"):
        agent.act([context], cache=agent.turn_cache())
    with pytest.raises(TypeError, match="kv_cache must be a bool"):
        Agent(PolicyModel(model), chat, kv_cache=1)
    assert Agent(PolicyModel(model), chat, kv_cache=False).turn_cache() is None
