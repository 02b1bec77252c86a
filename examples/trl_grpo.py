"""Two GRPO steps with TRL on CPU: a tiny random Qwen2 (built here, nothing downloaded)
plays multi-turn TextWorld episodes through textagent_envs' rollout_func, and the example
checks that the tokens TRL trains on (its completion mask times the env mask) are exactly
the tokens the policy sampled, and that training changed the model.

    python examples/trl_grpo.py [--steps 2] [--env TextWorld-CoinCollector-v0]
"""

from __future__ import annotations

import argparse
import os
import tempfile

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


def corpus(env_id: str, env_kwargs: dict, seeds) -> list[str]:
    """Text to train the tiny tokenizer on: the prompt's words and a few observations."""
    import textagent_envs
    from textagent_envs.chat import PromptTemplate

    t = PromptTemplate()
    texts = [t.system, t.first_user, t.next_user]
    env = textagent_envs.make(env_id, **env_kwargs)
    for seed in seeds:
        obs, info = env.reset(seed=seed)
        texts += [obs, info.get("objective", "")] + list(info.get("admissible_commands") or [])
    env.close()
    return texts


def shorter_episodes(completions, **kwargs) -> list[float]:
    """A small shaping reward so that an untrained policy's group still has spread (its env
    rewards are all zero at first): fewer completion characters is better."""
    return [-len(str(c)) / 1000 for c in completions]


def main(steps: int = 2, env_id: str = "TextWorld-CoinCollector-v0", max_turns: int = 3, out: str | None = None) -> dict:
    import torch
    from trl import GRPOConfig, GRPOTrainer

    from baselines.models import TinyModelSettings, build_tiny_model
    from textagent_envs.integrations.trl import env_reward, make_rollout_func, task_dataset

    torch.set_num_threads(1)
    env_kwargs = {"engine": "native", "level": 2} if env_id.startswith("TextWorld") else {}
    model, tokenizer = build_tiny_model(corpus(env_id, env_kwargs, [1, 2]), settings=TinyModelSettings(vocab_size=600, hidden_size=32))
    sampled: list[list[int]] = []  # each episode's reply tokens as sampled, in order

    rollout = make_rollout_func(env_id, tokenizer, env_kwargs=env_kwargs, max_turns=max_turns, max_reply_tokens=12,
                                on_episode=lambda env, replies: sampled.append([t for r in replies for t in r.ids]))
    args = GRPOConfig(output_dir=out or tempfile.mkdtemp(prefix="trl-grpo-"), max_steps=steps, per_device_train_batch_size=4,
                      num_generations=2, learning_rate=1e-2, logging_steps=1, save_strategy="no", report_to=[],
                      use_cpu=True, temperature=1.0, max_completion_length=512, beta=0.0, seed=0)
    trainer = GRPOTrainer(model=model, processing_class=tokenizer, reward_funcs=[env_reward, shorter_episodes],
                          train_dataset=task_dataset([1, 2, 3, 4]), args=args, rollout_func=rollout)

    trained: list[list[int]] = []  # the tokens TRL's loss covers, per sample
    generate = trainer._generate_and_score_completions

    def recording(inputs):
        batch = generate(inputs)
        mask = batch["completion_mask"] * batch.get("tool_mask", torch.ones_like(batch["completion_mask"]))
        for ids, m in zip(batch["completion_ids"], mask):
            trained.append(ids[m.bool()].tolist())
        return batch

    trainer._generate_and_score_completions = recording
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    trainer.train()
    assert trained and trained == sampled[: len(trained)], "the tokens trained on are not the tokens sampled"
    changed = sum(not torch.equal(before[n], p.detach()) for n, p in model.named_parameters())
    assert changed > 0, "no parameter changed"
    return {"episodes": len(sampled), "trained_samples": len(trained), "changed_parameters": changed,
            "steps": trainer.state.global_step}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--env", default="TextWorld-CoinCollector-v0")
    parser.add_argument("--max-turns", type=int, default=3)
    a = parser.parse_args()
    print(main(a.steps, a.env, a.max_turns))
