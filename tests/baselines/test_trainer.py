"""The trainer: every trained parameter changes and the loss stays finite; the first
update's ratio is exactly 1; resume is exact; SFT warm start; the SFT:RL budget."""

import math

import pytest
import torch

from baselines.config import Budget, TrainConfig
from baselines.trainer import Trainer


def _params(trainer):
    return {name: p.detach().clone() for name, p in trainer.policy.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("algo, lora, mode", [("ppo", False, "choice"), ("grpo", False, "text"), ("rloo", True, "choice")])
def test_every_trained_parameter_changes_and_the_loss_is_finite(small_config, algo, lora, mode):
    trainer = Trainer(small_config(algo=algo, kl_coef=0.1, entropy_coef=0.01, epochs=2, lora=lora, mode=mode,
                                   max_new_tokens=4))
    before = _params(trainer)
    assert before, "nothing to train"
    if algo == "ppo":
        assert any(name.startswith("value_head") for name in before)
    if lora:  # only the adapters train; the reference is the base model (adapters off)
        assert all("lora_" in name for name in before) and trainer.reference is None
    row = trainer.step()
    after = _params(trainer)
    unchanged = [name for name in before if torch.equal(before[name], after[name])]
    assert unchanged == []
    for key in ("losses/loss", "losses/policy", "losses/entropy", "losses/kl_ref", "losses/grad_norm"):
        assert math.isfinite(row[key]), key
    assert row["losses/kl_ref"] > 0  # the policy moved away from the frozen reference
    trainer.close()


def test_first_minibatch_ratio_is_one(small_config):
    """The recorded log-probs are the policy's own: before any update, nothing is clipped."""
    trainer = Trainer(small_config(algo="reinforce", epochs=1, minibatch=64, kl_coef=0.0))
    row = trainer.step()
    assert row["losses/clip_fraction"] == 0.0
    assert abs(row["losses/approx_kl"]) < 1e-5
    trainer.close()


def test_resume_is_exact(small_config, tmp_path):
    straight = Trainer(small_config(algo="rloo", iterations=2, out=str(tmp_path / "a")))
    straight.train(progress=False)
    halves = Trainer(small_config(algo="rloo", iterations=1, out=str(tmp_path / "b")))
    halves.train(progress=False)
    cfg = TrainConfig.load(tmp_path / "b" / "config.json")
    cfg.iterations = 2
    resumed = Trainer(cfg, resume=True)
    assert resumed.iteration == 1
    resumed.train(progress=False)
    a, b = _params(straight), _params(resumed)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    rows = (tmp_path / "b" / "metrics.csv").read_text().strip().splitlines()
    assert len(rows) == 3  # header and two iterations, none repeated
    for t in (straight, halves, resumed):
        t.close()


def test_sft_warm_start_lowers_the_demonstration_loss(small_config):
    from baselines.sft import demonstration, sft_loss
    from baselines.trainer import pad_batch

    trainer = Trainer(small_config(algo="grpo", sft_demos=2, sft_epochs=4, sft_lr=3e-3, iterations=0))
    demo = demonstration(trainer.envs[0], 40001, trainer.agent)
    assert demo.success and demo.commands == trainer.envs[0].reset(seed=40001)[1]["walkthrough"]
    batch = pad_batch([demo], trainer.chat.eos_id)
    with torch.no_grad():
        before = float(sft_loss(trainer.model, batch))
    losses = trainer.warm_start()
    with torch.no_grad():
        after = float(sft_loss(trainer.model, batch))
    assert trainer.sft_done and len(losses) == 4
    assert after < before
    trainer.close()


def test_budget_splits_units_between_demonstrations_and_episodes():
    assert Budget(1000, 10, 1).rl_episodes(60) == 400
    cfg = TrainConfig(algo="grpo", budget_units=1000, sft_demos=60, tasks_per_iter=10, group_size=4).resolved()
    assert cfg.iterations == 400 // 40
    with pytest.raises(ValueError, match="budget"):
        TrainConfig(budget_units=100, sft_demos=11).resolved()


@pytest.mark.parametrize("overrides, message", [
    (dict(algo="a2c"), "algo"),
    (dict(algo="grpo", group_size=1), "group_size"),
    (dict(algo="rloo", kl_in_reward=True), "kl_in_reward"),
    (dict(mode="speak"), "mode"),
    (dict(tasks_per_iter=0), "tasks_per_iter"),
    (dict(prompt={"sistem": "typo"}), "prompt"),
])
def test_bad_configs_are_clear_errors(overrides, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**overrides).resolved()
