"""The policy model: the critic values a token's position before the token; log-probs
computed only at masked positions equal the full computation; the generate() backend
records the log-probabilities of what it sampled; choice scores without KV copies; packed
choice scores (against the episode's cached keys and values) equal each turn scored alone."""

import copy
from types import SimpleNamespace

import pytest
import torch

from baselines import policy as policy_module
from baselines.chat import ChatFormat
from baselines.models import LoraSettings, apply_lora
from baselines.policy import (Agent, PolicyModel, candidate_logprobs, choice_distribution, masked_logprobs,
                              packed_candidate_logprobs, token_entropy, token_logprobs, turn_choice_distributions)


def _critic(tiny):
    model, _ = tiny
    policy = PolicyModel(model, value_head=True)
    with torch.no_grad():
        torch.manual_seed(0)
        policy.value_head.weight.normal_()
        policy.value_head.bias.fill_(0.1)
    return policy


def test_the_value_of_a_token_is_read_before_the_token(tiny):
    """values[:, t] is V(tokens[:t]): it must not change with token t itself (else it is
    Q(s, a)), and must change with token t - 1."""
    policy = _critic(tiny)
    tokens = torch.tensor([[5, 9, 17, 33, 41, 60]])
    attention = torch.ones_like(tokens)
    with torch.no_grad():
        _, base = policy(tokens, attention)
        for t in range(1, tokens.shape[1]):
            changed = tokens.clone()
            changed[0, t] = changed[0, t] + 1
            _, values = policy(changed, attention)
            assert torch.allclose(values[0, : t + 1], base[0, : t + 1]), t  # nothing up to t sees token t
            if t + 1 < tokens.shape[1]:
                assert not torch.isclose(values[0, t + 1], base[0, t + 1]), t  # the next position does
    assert float(base[0, 0]) == 0.0


def test_masked_logprobs_equal_the_full_computation_where_the_mask_is_set(tiny):
    model, _ = tiny
    tokens = torch.tensor([[5, 9, 17, 33, 41, 60], [7, 8, 9, 10, 0, 0]])
    attention = torch.tensor([[1] * 6, [1, 1, 1, 1, 0, 0]])
    mask = torch.tensor([[0, 0, 1, 1, 0, 1], [0, 1, 0, 1, 0, 0]], dtype=torch.float32)
    with torch.no_grad():
        logits = model(input_ids=tokens, attention_mask=attention).logits
        full, ent_full = token_logprobs(logits, tokens, 0.7), token_entropy(logits, 0.7)
        logp, ent, _ = masked_logprobs(model, tokens, attention, mask, 0.7, entropy=True)
    assert torch.allclose(logp, full * mask, atol=1e-5)
    assert torch.allclose(ent, ent_full * mask, atol=1e-5)
    _, no_entropy, _ = masked_logprobs(model, tokens, attention, mask, 0.7)
    assert no_entropy is None


def test_generate_backend_records_the_logprobs_of_its_samples(tiny):
    model, tokenizer = tiny
    chat = ChatFormat(tokenizer)
    contexts = [chat.prompt_ids("Take the coin.", "You are in a room."), chat.prompt_ids("Go east.", "A hall.")[:-3]]
    loop = Agent(PolicyModel(model), chat, mode="text", max_new_tokens=5, temperature=0.8)
    hf = Agent(PolicyModel(model), chat, mode="text", max_new_tokens=5, temperature=0.8, backend="generate",
               generator=torch.Generator().manual_seed(3))
    assert [r.ids for r in hf.act(contexts, greedy=True)] == [r.ids for r in loop.act(contexts, greedy=True)]
    replies = hf.act(contexts)
    for context, reply in zip(contexts, replies):
        assert 1 <= len(reply.ids) <= 5
        assert chat.eos_id not in reply.ids[:-1]
        seq = torch.tensor([context + reply.ids])
        with torch.no_grad():
            fresh = token_logprobs(model(input_ids=seq).logits, seq, 0.8)[0, len(context):]
        assert fresh.tolist() == pytest.approx(reply.logprobs, abs=1e-4)
    again = Agent(PolicyModel(model), chat, mode="text", max_new_tokens=5, temperature=0.8, backend="generate",
                  generator=torch.Generator().manual_seed(3))
    again.act(contexts, greedy=True)
    assert [r.ids for r in again.act(contexts)] == [r.ids for r in replies]  # seeded from the run's generator
    with pytest.raises(ValueError, match="backend"):
        Agent(PolicyModel(model), chat, backend="vllm")


def test_choice_scores_in_one_batch_equal_scores_one_by_one(tiny):
    model, tokenizer = tiny
    chat = ChatFormat(tokenizer)
    context = chat.prompt_ids("Take the coin.", "You are in a room.")
    cands = [chat.action_ids(c) for c in ("go east", "take coin", "look", "open the wooden door", "x")]
    with torch.no_grad():
        together = candidate_logprobs(model, context, cands, 1.0, chat.eos_id, batch=2)  # three batches, cache cropped
        alone = [candidate_logprobs(model, context, [c], 1.0, chat.eos_id)[0] for c in cands]
        for c, score in zip(cands, together):
            seq = torch.tensor([context + c])
            fresh = token_logprobs(model(input_ids=seq).logits, seq, 1.0)[0, len(context):]
            assert torch.allclose(score, fresh, atol=1e-4)
    for a, b in zip(together, alone):
        assert torch.allclose(a, b, atol=1e-5)
    dist = choice_distribution(together, "mean")
    assert float(dist.exp().sum()) == pytest.approx(1.0)


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
@pytest.mark.parametrize("max_tokens", [4096, 5])
def test_packed_candidates_of_every_turn_equal_each_turn_scored_alone(tiny, attention, max_tokens, route):
    """One pass over the episode with every turn's candidates packed after it gives each
    turn's scores (and their gradients) as scoring the turn after its own context does."""
    model, tokenizer = tiny
    chat = ChatFormat(tokenizer)
    old = model.config._attn_implementation
    model.config._attn_implementation = attention
    try:
        g = torch.Generator().manual_seed(0)
        vocab = model.config.vocab_size
        tokens = torch.randint(3, vocab, (90,), generator=g).tolist()
        starts = [12, 40, 41, 90]  # the last turn's context is the whole episode
        cands = [[torch.randint(3, vocab, (int(w),), generator=g).tolist() for w in widths]
                 for widths in ([1, 3, 2], [4], [2, 2, 1, 5], [3, 1])]
        packed = packed_candidate_logprobs(model, tokens, starts, cands, 0.7, max_tokens=max_tokens)
        alone = [candidate_logprobs(model, tokens[:s], c, 0.7, chat.eos_id) for s, c in zip(starts, cands)]
        assert [[len(x) for x in turn] for turn in packed] == [[len(c) for c in turn] for turn in cands]
        for p_turn, a_turn in zip(packed, alone):
            for p, a in zip(p_turn, a_turn):
                assert torch.allclose(p, a, atol=1e-5)
        weight = model.get_input_embeddings().weight
        grads = []
        for scores in (packed, alone):
            model.zero_grad()
            torch.stack([choice_distribution(turn, "mean")[0] for turn in scores]).sum().backward()
            grads.append(weight.grad.clone())
        assert grads[0].abs().sum() > 0 and torch.allclose(grads[0], grads[1], atol=1e-5)
    finally:
        model.config._attn_implementation = old
        model.zero_grad()


@pytest.fixture(params=["cached", "dense"])
def route(request, monkeypatch):
    """Packed scoring's two ways, whatever the episode's length: against the episode's
    cached keys and values, or as one dense sequence (what short episodes take)."""
    monkeypatch.setattr(policy_module, "DENSE_BELOW", 0 if request.param == "cached" else 10**9)
    return request.param


def test_short_episodes_take_the_dense_sequence_and_long_ones_the_cache(tiny, monkeypatch):
    model, _ = tiny
    passes = []
    real = policy_module._candidate_pass
    monkeypatch.setattr(policy_module, "_candidate_pass", lambda *a, **k: passes.append(1) or real(*a, **k))
    short = _random_episode(model.config.vocab_size, ROUGH_STARTS, ROUGH_WIDTHS)
    packed_candidate_logprobs(model, short[0], ROUGH_STARTS, short[1], 1.0)
    assert not passes  # 36 context and 41 candidate tokens: at most DENSE_BELOW
    starts = [200, 400, 600, 800]
    long = _random_episode(model.config.vocab_size, starts, [[4] * 10] * 4)
    packed_candidate_logprobs(model, long[0], starts, long[1], 1.0)
    assert passes


def _random_episode(vocab, starts, widths, seed=0):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(3, vocab, (max(starts) + 5,), generator=g).tolist()
    cands = [[torch.randint(3, vocab, (int(w),), generator=g).tolist() for w in turn] for turn in widths]
    return tokens, cands


def _assert_packed_equals_alone(model, tokens, starts, cands, temperature=0.7, params=None, **packed_kwargs):
    """Scores and the gradients of the turns' choice log-probabilities (on ``params``,
    default the input embeddings) of the packed computation equal each turn scored alone."""
    packed = packed_candidate_logprobs(model, tokens, starts, cands, temperature, **packed_kwargs)
    alone = [candidate_logprobs(model, tokens[:s], c, temperature, 0) for s, c in zip(starts, cands)]
    assert [[len(x) for x in turn] for turn in packed] == [[len(c) for c in turn] for turn in cands]
    for p_turn, a_turn in zip(packed, alone):
        for p, a in zip(p_turn, a_turn):
            assert torch.allclose(p, a, atol=1e-5), (p, a)
    params = params if params is not None else [model.get_input_embeddings().weight]
    grads = []
    for scores in (packed, alone):
        model.zero_grad()
        # the last candidate's choice (a short or long one, after the padding of its row)
        torch.stack([choice_distribution(turn, "mean")[-1] for turn in scores]).sum().backward()
        grads.append(torch.cat([p.grad.flatten() for p in params]))
    model.zero_grad()
    assert torch.isfinite(grads[0]).all() and grads[0].abs().sum() > 0
    assert torch.allclose(grads[0], grads[1], atol=1e-5)


#: Turns whose candidates differ in count and length (so rows of a pass are padded), a turn
#: at position 1 (a one-token context), turns whose candidates are all one token, and a
#: turn listed out of order.
ROUGH_STARTS = [1, 2, 9, 30, 31, 33, 20]
ROUGH_WIDTHS = ([1, 4], [1, 1, 1], [6], [2, 1, 3, 1, 2], [1], [5, 5], [3, 1])


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
@pytest.mark.parametrize("share", [0.0, 0.75, 1.0])
def test_packed_scores_with_padded_rows_short_contexts_and_shared_passes(tiny, attention, share, monkeypatch, route):
    """Rows of one candidate pass hold turns with different contexts and differently padded
    candidates: share 0 puts every turn in one pass (a row sees at most its own context of
    the longest one held), 1 gives each turn its own pass."""
    model, _ = tiny
    monkeypatch.setattr(policy_module, "GROUP_CONTEXT_SHARE", share)
    monkeypatch.setattr(model.config, "_attn_implementation", attention)
    tokens, cands = _random_episode(model.config.vocab_size, ROUGH_STARTS, ROUGH_WIDTHS)
    _assert_packed_equals_alone(model, tokens, ROUGH_STARTS, cands)
    _assert_packed_equals_alone(model, tokens, ROUGH_STARTS, cands, max_tokens=6)  # passes split by candidate tokens


def test_packed_scores_through_lora_adapters(tiny, route):
    """With peft LoRA adapters (``lora=True``), the adapters' gradients through the cached
    keys and values equal those of each turn scored alone."""
    model, _ = tiny
    lora = apply_lora(copy.deepcopy(model), LoraSettings(r=4))
    adapters = [p for name, p in lora.named_parameters() if "lora_" in name]
    with torch.no_grad():
        torch.manual_seed(0)
        for p in adapters:
            p.normal_(0, 0.2)  # B starts at zero: make every adapter count
    tokens, cands = _random_episode(model.config.vocab_size, ROUGH_STARTS, ROUGH_WIDTHS, seed=1)
    _assert_packed_equals_alone(lora, tokens, ROUGH_STARTS, cands, params=adapters)


def _count_forwards(lm) -> list:
    calls: list = []
    lm.register_forward_hook(lambda *_: calls.append(1))
    return calls


def test_packed_scores_without_a_cache_under_gradient_checkpointing(tiny, monkeypatch):
    """A model training with gradient checkpointing keeps no cache: however long the episode,
    the scores go straight to packed sequences with a dense mask (one forward per group of
    turns, no wasted pass over the episode first), still equal to each turn scored alone."""
    model, _ = tiny
    monkeypatch.setattr(policy_module, "DENSE_BELOW", 0)  # what a long episode takes
    ckpt = copy.deepcopy(model)
    ckpt.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    ckpt.train()
    assert not policy_module.keeps_cache(ckpt) and policy_module.keeps_cache(model)
    assert policy_module.keeps_cache(copy.deepcopy(model).train())  # training without checkpointing keeps it
    assert policy_module.keeps_cache(ckpt.eval())  # and so does evaluation with checkpointing on
    ckpt.train()
    tokens, cands = _random_episode(model.config.vocab_size, ROUGH_STARTS, ROUGH_WIDTHS, seed=2)
    calls = _count_forwards(ckpt)
    packed_candidate_logprobs(ckpt, tokens, ROUGH_STARTS, cands, 0.7, max_tokens=12)
    assert len(calls) == len(policy_module._turn_groups(ROUGH_STARTS, cands, 12, share=0.0)) > 1
    _assert_packed_equals_alone(ckpt, tokens, ROUGH_STARTS, cands, max_tokens=12)
    # the hidden states at every turn's context's end, a turn without commands included
    cands[-1] = []
    _, states = policy_module._packed_scores(ckpt, tokens, ROUGH_STARTS, cands, 0.7, 12, hidden=True)
    plain = ckpt(input_ids=torch.tensor([tokens]), output_hidden_states=True).hidden_states[-1][0]
    assert torch.allclose(states, plain[torch.tensor(ROUGH_STARTS) - 1], atol=1e-5)


def test_packed_scores_refuse_bad_turns(tiny, route):
    model, _ = tiny
    with pytest.raises(ValueError, match="start"):
        packed_candidate_logprobs(model, [5, 6, 7], [0], [[[5]]], 1.0)
    with pytest.raises(ValueError, match="start"):
        packed_candidate_logprobs(model, [5, 6, 7], [4], [[[5]]], 1.0)
    with pytest.raises(ValueError, match="no tokens"):
        packed_candidate_logprobs(model, [5, 6, 7], [2], [[[5], []]], 1.0)
    with pytest.raises(ValueError, match="max_tokens"):
        packed_candidate_logprobs(model, [5, 6, 7], [2], [[[5]]], 1.0, max_tokens=0)
    with pytest.raises(ValueError, match="one list of candidates per turn"):
        packed_candidate_logprobs(model, [5, 6, 7], [2, 3], [[[5]]], 1.0)
    assert packed_candidate_logprobs(model, [5, 6, 7], [2, 3], [[[5]], []], 1.0)[1] == []
    assert packed_candidate_logprobs(model, [5, 6, 7], [2, 3], [[], []], 1.0) == [[], []]


@pytest.mark.parametrize("checkpointing", [False, True])
def test_choice_values_come_from_the_scoring_pass_and_equal_a_plain_forward(tiny, checkpointing, route):
    """Choice mode reads the critic's values of the turns' states from the pass that scores
    the commands (no second pass over the episode): they and their gradients equal a plain
    forward's values at the reply starts, also without a cache (gradient checkpointing)."""
    model, _ = tiny
    lm = copy.deepcopy(model)
    if checkpointing:
        lm.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        lm.train()
    policy = _critic((lm, None))
    tokens, cands = _random_episode(model.config.vocab_size, ROUGH_STARTS, ROUGH_WIDTHS, seed=3)
    episode = SimpleNamespace(tokens=tokens, reply_start=ROUGH_STARTS, candidates=cands)
    assert all(len(item) == 3 for item in turn_choice_distributions(lm, episode, 0.7, "mean"))
    calls = _count_forwards(lm)
    items = list(turn_choice_distributions(lm, episode, 0.7, "mean", critic=policy.head_values))
    assert len(calls) == (1 if checkpointing or route == "dense" else 1 + len(policy_module._turn_groups(
        ROUGH_STARTS, cands, policy_module.PACKED_TOKENS)))  # the episode's pass, then the candidates' passes
    assert [item[:2] for item in items] == [(k, s) for k, s in enumerate(ROUGH_STARTS)]
    ids = torch.tensor([tokens])
    plain = policy(ids, torch.ones_like(ids))[1][0, ROUGH_STARTS]
    got = torch.stack([item[3] for item in items])
    assert torch.allclose(got, plain, atol=1e-5)
    params = [lm.get_input_embeddings().weight, policy.value_head.weight]
    grads = []
    for values in (got, plain):
        policy.zero_grad()
        (values * torch.arange(1.0, len(ROUGH_STARTS) + 1)).sum().backward(retain_graph=True)
        grads.append(torch.cat([p.grad.flatten() for p in params]))
    scale = grads[1].abs().max()  # gradients reach the hundreds: compare up to float32 rounding of that size
    assert grads[0].abs().sum() > 0 and torch.allclose(grads[0], grads[1], atol=1e-6 * float(scale))


@pytest.mark.parametrize("detach", [False, True])
def test_a_detached_critic_trains_its_head_and_not_the_backbone(tiny, detach):
    model, _ = tiny
    policy = PolicyModel(copy.deepcopy(model), value_head=True, detach_critic=detach)
    torch.nn.init.normal_(policy.value_head.weight)  # the zero init would send no gradient back at all
    _, values = policy(torch.tensor([[5, 6, 7, 8]]), torch.ones(1, 4, dtype=torch.long))
    values.sum().backward()
    backbone = [p.grad for p in policy.lm.parameters() if p.grad is not None and p.grad.abs().sum() > 0]
    assert policy.value_head.weight.grad.abs().sum() > 0
    assert (not backbone) == detach
