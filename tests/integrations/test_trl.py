"""TRL: the rollout_func plays token-exact multi-turn episodes, and the example runs two GRPO
steps on CPU with the masked tokens equal to the sampled ones."""

import pytest

pytest.importorskip("trl", reason="needs trl (pip install -e '.[integrations]')")

from .helpers import example


def _example():
    return example("trl_grpo")


def test_example_runs_two_grpo_steps(tmp_path):
    result = _example().main(steps=2, out=str(tmp_path))
    assert result["steps"] == 2 and result["trained_samples"] == result["episodes"] == 8
    assert result["changed_parameters"] > 0


def test_rollout_func_groups_replay_one_task_and_mask_only_sampled_tokens():
    import torch

    from baselines.models import TinyModelSettings, build_tiny_model
    from textagent_envs.chat import Ledger, check_token_exact
    from textagent_envs.integrations.trl import make_rollout_func, seed_of

    example = _example()
    kwargs = {"engine": "native", "level": 2}
    model, tokenizer = build_tiny_model(example.corpus("TextWorld-CoinCollector-v0", kwargs, [1]),
                                        settings=TinyModelSettings(vocab_size=600, hidden_size=32))
    ledgers: list[Ledger] = []
    sampled = []
    rollout = make_rollout_func("TextWorld-CoinCollector-v0", tokenizer, env_kwargs=kwargs, max_turns=3,
                                max_reply_tokens=8, on_episode=lambda env, r: (ledgers.append(env.ledger), sampled.append(r)))

    class Args:
        temperature = 0.7

    class Trainer:  # what rollout_func reads of a GRPOTrainer
        args = Args()

    trainer = Trainer()
    trainer.model = model

    torch.manual_seed(0)
    out = rollout(["seed=1", "seed=1", "seed=2", "seed=2"], trainer)
    assert out["prompt_ids"][0] == out["prompt_ids"][1] != out["prompt_ids"][2] == out["prompt_ids"][3]
    for i, ledger in enumerate(ledgers):
        completion, mask, logprobs = out["completion_ids"][i], out["env_mask"][i], out["logprobs"][i]
        assert len(completion) == len(mask) == len(logprobs)
        assert [t for t, m in zip(completion, mask) if m] == [t for r in sampled[i] for t in r.ids]
        assert [lp for lp, m in zip(logprobs, mask) if m] == [x for r in sampled[i] for x in r.logprobs]
        assert check_token_exact(tokenizer, ledger).sound
        # the recorded log-probs are those of a fresh forward pass over the whole sequence
        ids = torch.tensor([out["prompt_ids"][i] + completion])
        with torch.no_grad():
            logp = torch.log_softmax(model(input_ids=ids).logits[0, :-1].float() / 0.7, -1)
        fresh = logp.gather(1, ids[0, 1:, None]).squeeze(1)[len(out["prompt_ids"][i]) - 1:]
        own = torch.tensor(mask, dtype=torch.bool)
        assert torch.allclose(fresh[own], torch.tensor(logprobs)[own], atol=1e-4)
    with pytest.raises(ValueError, match="seed"):
        seed_of("play well")
