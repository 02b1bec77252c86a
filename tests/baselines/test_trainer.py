"""The trainer: every trained parameter changes and the loss stays finite; the first
update's ratio is exactly 1; resume is exact; SFT warm start; the SFT:RL budget."""

import json
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


def test_the_sft_model_depends_on_the_seed_not_on_the_rl_algorithm(small_config, tmp_path):
    """The study's algorithms start from one SFT model per training seed (docs/reproduction.md
    says so, and reads its SFT-alone row as every algorithm's starting point)."""
    def sft_weights(seed, **overrides):
        # each run builds its own initial tiny model in its own directory, as the study's runs do
        trainer = Trainer(small_config(sft_demos=2, sft_epochs=2, iterations=0, mode="choice", sft_loss="choice",
                                       seed=seed, out=str(tmp_path / f"{overrides['algo']}-seed{seed}"), **overrides))
        trainer.warm_start()
        weights = {k: v.clone() for k, v in trainer.policy.lm.state_dict().items()}
        trainer.close()
        return weights

    ppo = sft_weights(0, algo="ppo", tasks_per_iter=4, group_size=1)
    # PPO has a value head and GRPO none: the heads' parameters must not touch the LM's SFT
    grpo = sft_weights(0, algo="grpo", tasks_per_iter=2, group_size=2)
    assert all(torch.equal(ppo[k], grpo[k]) for k in ppo)
    other_seed = sft_weights(1, algo="ppo", tasks_per_iter=4, group_size=1)
    assert not all(torch.equal(ppo[k], other_seed[k]) for k in ppo)  # the check can tell two SFT models apart


@pytest.mark.parametrize("score, temperature", [("mean", 1.0), ("sum", 0.7)])
def test_the_choice_loss_is_minus_the_log_probability_rl_trains(small_config, score, temperature):
    """SFT's choice loss is -log p(demonstrated command) under the very softmax over the
    offered commands that the trainer's ratio and KL are taken on (same score, same
    temperature), averaged over the demonstrated turns."""
    from baselines.sft import choice_loss, demonstration, sft_objective
    from baselines.trainer import pad_batch

    trainer = Trainer(small_config(algo="grpo", mode="choice", sft_loss="choice", choice_score=score,
                                   temperature=temperature, iterations=0))
    demos = [demonstration(trainer.envs[0], s, trainer.agent) for s in (40001, 40002)]
    for demo in demos:  # each turn knows what was offered and which command the walkthrough took
        assert demo.commands and len(demo.choice) == demo.turns
        for k, command in enumerate(demo.commands):
            assert demo.candidates[k][demo.choice[k]] == trainer.chat.action_ids(command)
    batch = pad_batch(demos, trainer.chat.eos_id)
    with torch.no_grad():
        loss = choice_loss(trainer.policy.lm, demos, temperature=temperature, score=score)
        rl_logp = trainer._choice_logprobs(trainer.policy.lm, demos, tuple(batch["tokens"].shape))[0]
        objective = sft_objective(trainer.model, batch, demos, loss="choice", temperature=temperature, score=score)
        both = sft_objective(trainer.model, batch, demos, loss="both", temperature=temperature, score=score)
        token = sft_objective(trainer.model, batch, demos, loss="token")
    turns = sum(d.turns for d in demos)
    assert float(loss) == pytest.approx(-float(rl_logp.sum()) / turns, rel=1e-5)
    assert float(objective) == pytest.approx(float(loss), rel=1e-6)
    assert float(both) == pytest.approx(float(loss) + float(token), rel=1e-5)
    assert float(loss) != pytest.approx(float(token), rel=1e-3)
    trainer.close()


def test_sft_with_the_choice_loss_makes_the_demonstrated_choice_likelier(small_config):
    from baselines.sft import choice_loss, demonstration

    trainer = Trainer(small_config(algo="grpo", mode="choice", sft_loss="choice", sft_demos=2, sft_epochs=4, sft_lr=3e-3,
                                   iterations=0))
    demos = [demonstration(trainer.envs[0], s, trainer.agent) for s in (40001, 40002)]

    def loss():
        with torch.no_grad():
            return float(choice_loss(trainer.policy.lm, demos, temperature=1.0, score="mean"))

    before = loss()
    losses = trainer.warm_start()
    assert len(losses) == 4 and losses[0] == pytest.approx(before, rel=1e-4)
    assert loss() < before
    trainer.close()


def test_the_tiny_model_takes_its_size_from_the_config(small_config):
    trainer = Trainer(small_config(tiny_model={"hidden_size": 48, "num_layers": 3, "intermediate_size": 96, "num_heads": 4},
                                   iterations=0))
    config = trainer.policy.lm.config
    assert (config.hidden_size, config.num_hidden_layers, config.intermediate_size) == (48, 3, 96)
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
    (dict(device="gpu0"), "device"),
    (dict(precision="fp8"), "precision"),
    (dict(rollout_backend="vllm"), "rollout_backend"),
    (dict(sft_loss="cross_entropy"), "sft_loss"),
    (dict(mode="text", sft_loss="choice"), "sft_loss='token' in text mode"),
    (dict(tiny_model={"hidden": 128}), "tiny_model"),
    (dict(value_detach="yes"), "value_detach"),
])
def test_bad_configs_are_clear_errors(overrides, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**overrides).resolved()


def _no_learning(trainer):
    for group in trainer.optimizer.param_groups:
        group["lr"] = 0.0


@pytest.mark.parametrize("lora", [False, True])
def test_the_kl_reference_is_the_policy_after_the_warm_start(small_config, lora):
    """After SFT the policy starts RL at KL 0 from its reference (not from the untrained model)."""
    trainer = Trainer(small_config(algo="grpo", sft_demos=2, sft_epochs=3, sft_lr=1e-2, kl_coef=0.1, lora=lora,
                                   epochs=1, minibatch=64, mode="text", max_new_tokens=4))
    trainer.warm_start()
    _no_learning(trainer)
    row = trainer.step()
    assert row["losses/kl_ref"] == pytest.approx(0.0, abs=1e-6)
    trainer.close()


def test_the_group_estimators_default_to_outcome_credit_without_a_step_penalty():
    """An all-success group of lengths 2, 2, 4, 4 under a sparse reward: every estimator's
    default compares nothing (all advantages 0); turn-level GRPO would charge the long ones."""
    from baselines.advantages import ESTIMATORS

    from .test_advantages import layout

    rows = ["pApA", "pApA", "pApApApA", "pApApApA"]
    rewards, mask, turn_end = layout(rows, [[0, 1], [0, 1], [0, 0, 0, 1], [0, 0, 0, 1]])
    group = torch.zeros(4, dtype=torch.long)
    for algo in ("grpo", "rloo"):
        cfg = TrainConfig(algo=algo).resolved()
        adv, _ = ESTIMATORS[cfg.estimator](rewards, mask, turn_end, group, turn_level=cfg.turn_level)
        assert torch.count_nonzero(adv.abs() > 1e-6) == 0, algo
    adv, _ = ESTIMATORS["grpo"](rewards, mask, turn_end, group, turn_level=True)
    assert float(adv[0, 1]) > 0 > float(adv[2, 1])  # why it is not the default: it charges every extra turn
    assert TrainConfig(algo="ppo").resolved().turn_level is True


def test_choice_mode_trains_and_regularises_the_choice_probability(small_config):
    """In choice mode the ratio and the KL are taken on log p(choice) under the softmax over
    the offered commands (what the agent samples from), not on the command's tokens."""
    from baselines.policy import Agent, PolicyModel, candidate_logprobs, choice_distribution

    trainer = Trainer(small_config(algo="grpo", mode="choice", kl_coef=0.1, epochs=1, minibatch=64))
    with torch.no_grad():  # move the policy away from its reference
        torch.manual_seed(0)
        for p in trainer.policy.lm.parameters():
            p.add_(0.05 * torch.randn_like(p))
    _no_learning(trainer)
    row = trainer.step()
    assert row["losses/approx_kl"] == pytest.approx(0.0, abs=1e-6)  # recorded = recomputed choice log-probs
    kls = []
    for ep in trainer.last_episodes:
        assert len(ep.choice_logprobs) == ep.turns
        for k, start in enumerate(ep.reply_start):
            with torch.no_grad():
                ref = choice_distribution(candidate_logprobs(trainer.reference, ep.tokens[:start], ep.candidates[k], 1.0,
                                                             trainer.chat.eos_id), "mean")[ep.choice[k]]
            q = float(ref) - ep.choice_logprobs[k]
            kls.append(math.exp(q) - q - 1.0)
    assert row["losses/kl_ref"] == pytest.approx(sum(kls) / len(kls), rel=1e-4, abs=1e-7)
    trainer.close()


def test_approx_kl_is_the_non_negative_k3_estimate(small_config):
    # the entropy bonus moves the policy between epochs even when every reward is 0 (an
    # untrained policy's usual lot), so the later epochs' ratios differ from 1
    trainer = Trainer(small_config(algo="rloo", epochs=3, minibatch=2, lr=3e-2, mode="text", max_new_tokens=4,
                                   entropy_coef=0.1))
    row = trainer.step()
    assert row["losses/approx_kl"] > 0.0
    assert row["losses/approx_kl"] != row["losses/approx_kl_k1"]  # both are logged, k1 may be negative
    trainer.close()


def test_ppo_bootstraps_from_the_critic_where_the_turn_budget_cut_the_episode(small_config):
    """An episode cut by the budget gets the critic's value of the state it was cut in
    (cleanrl's bootstrap) with bootstrap_truncated=True; one that ended gets 0; by default
    (bootstrap_truncated=False) every cut is an end."""
    from baselines.trainer import pad_batch

    assert TrainConfig().bootstrap_truncated is False
    trainer = Trainer(small_config(algo="ppo", max_turns=1, tasks_per_iter=4, group_size=1, bootstrap_truncated=True))
    with torch.no_grad():
        trainer.policy.value_head.bias.fill_(0.7)
        trainer.policy.value_head.weight.normal_(std=0.1)
    trainer.step()
    episodes = trainer.last_episodes
    cut = [ep for ep in episodes if ep.truncated and not ep.terminated]
    assert cut, "with one turn every unfinished CoinCollector game is cut by the budget"
    batch = pad_batch(episodes, trainer.chat.eos_id)
    act = trainer._actions(episodes, batch)
    _, bootstrap, _ = trainer._score(episodes, batch, act["mask"])
    for row, ep in enumerate(episodes):
        if ep.truncated and not ep.terminated:
            state = torch.tensor([ep.tokens + ep.final_turn])
            with torch.no_grad():
                out = trainer.policy.lm(input_ids=state, output_hidden_states=True)
                expected = trainer.policy.head_values(out.hidden_states[-1])[0, -1]
            assert float(bootstrap[row]) == pytest.approx(float(expected), abs=1e-5) and float(bootstrap[row]) != 0
        else:
            assert float(bootstrap[row]) == 0.0
    trainer.cfg.bootstrap_truncated = False
    _, bootstrap, _ = trainer._score(episodes, batch, act["mask"])
    assert torch.count_nonzero(bootstrap) == 0
    trainer.close()


@pytest.mark.parametrize("overrides", [
    dict(algo="ppo", mode="text", max_new_tokens=4, precision="bfloat16", device="cpu"),
    dict(algo="ppo", mode="choice", gradient_checkpointing=True, entropy_coef=0.01),
    dict(algo="grpo", mode="text", max_new_tokens=4, rollout_backend="generate", gradient_checkpointing=True,
         entropy_coef=0.01),
])
def test_device_precision_checkpointing_and_backends_train(small_config, overrides):
    trainer = Trainer(small_config(kl_coef=0.1, epochs=2, **overrides))  # the KL moves every weight in epoch 2
    dtype = torch.bfloat16 if overrides.get("precision") == "bfloat16" else torch.float32
    assert trainer.device.type == "cpu" and trainer.dtype == dtype
    assert all(p.dtype == torch.float32 for p in trainer.policy.lm.parameters())  # master weights
    assert all(p.dtype == dtype for p in trainer.reference.parameters())  # frozen copy in the compute dtype
    before = _params(trainer)
    row = trainer.step()
    assert all(not torch.equal(before[k], v) for k, v in _params(trainer).items())
    assert math.isfinite(row["losses/loss"])
    assert ("losses/entropy" in row) == bool(overrides.get("entropy_coef"))  # entropy only when it is used
    for key in ("time/rollout_s", "time/env_s", "time/reference_s", "time/forward_s", "time/backward_s"):
        assert row[key] >= 0.0, key
    assert row["time/forward_s"] > 0 and row["time/backward_s"] > 0
    trainer.close()


def test_no_reference_copy_when_there_is_no_kl(small_config):
    trainer = Trainer(small_config(algo="grpo", kl_coef=0.0))
    assert trainer.reference is None
    trainer.close()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a GPU")
def test_asking_for_a_missing_gpu_is_a_clear_error(small_config):
    with pytest.raises(ValueError, match="device 'cuda' was asked for"):
        Trainer(small_config(device="cuda"))


def test_textworld_ids_play_on_the_native_engine_unless_told_otherwise(tmp_path):
    """The trainer's envs take ``textworld_engine`` (native by default) on TextWorld ids;
    ``env_kwargs`` and other envs are left alone; a run saved before the knob existed keeps
    the engine it ran with (inform7)."""
    from baselines.play import ENGINE_KWARG, env_kwargs, make_env

    def kwargs(**fields):
        return env_kwargs(TrainConfig(**fields).resolved())

    assert kwargs(env="TextWorld-Custom-w2-o3-q4-v0") == {ENGINE_KWARG: "native"}
    assert kwargs(env="TextWorld-CoinCollector-v0", textworld_engine="inform7", env_kwargs={"level": 2}) == {
        "level": 2, ENGINE_KWARG: "inform7"}
    assert kwargs(env="TextWorld-CoinCollector-v0", env_kwargs={ENGINE_KWARG: "inform7"}) == {ENGINE_KWARG: "inform7"}
    assert kwargs(env="ALFWorld-v0") == {}
    with pytest.raises(ValueError, match="textworld_engine"):
        TrainConfig(textworld_engine="jericho").resolved()
    env = make_env(TrainConfig(env="TextWorld-CoinCollector-v0", env_kwargs={"level": 2}).resolved())
    assert env.unwrapped.engine == "native"
    env.close()
    saved = json.loads(TrainConfig().to_json())
    del saved["textworld_engine"]
    (tmp_path / "config.json").write_text(json.dumps(saved))
    assert TrainConfig.load(tmp_path / "config.json").textworld_engine == "inform7"


def test_trainer_and_evaluate_import_no_cycle():
    """What both need lives in baselines.play and baselines.stats: the trainer imports nothing
    from baselines.evaluate (evaluate may use the trainer, one way)."""
    import ast
    from pathlib import Path

    import baselines.trainer

    tree = ast.parse(Path(baselines.trainer.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {"evaluate", "baselines.evaluate"} & imported
    from baselines import evaluate, play, stats

    assert evaluate.evaluate_agent is play.evaluate_agent and evaluate.summarize is stats.summarize
    assert baselines.trainer.make_env is play.make_env  # the public names stay where they were
