"""Advantage estimators against advantages computed by hand on tiny token layouts.

Layout helper: an episode is a string of token kinds, ``p`` prompt/observation, ``a`` an
agent token, ``A`` the last agent token of a turn (where that turn's reward sits), ``.``
padding.
"""

import math

import pytest
import torch

from baselines.advantages import ESTIMATORS, GRPO_EPS, gae, grpo, reinforce, rloo


def layout(rows, rewards):
    """Tensors for episodes given as kind strings and per-turn rewards."""
    width = max(len(r) for r in rows)
    mask = torch.zeros(len(rows), width)
    turn_end = torch.zeros(len(rows), width, dtype=torch.long)
    reward = torch.zeros(len(rows), width)
    for i, (row, turn_rewards) in enumerate(zip(rows, rewards)):
        ends = [j for j, c in enumerate(row) if c == "A"]
        assert len(ends) == len(turn_rewards)
        for j, c in enumerate(row):
            mask[i, j] = c in "aA"
            turn_end[i, j] = c == "A"
        for j, r in zip(ends, turn_rewards):
            reward[i, j] = r
    return reward, mask, turn_end


def agent_values(adv, mask, row):
    return [float(x) for x, m in zip(adv[row], mask[row]) if m]


def test_group_of_one_gets_zero_for_grpo_and_rloo():
    rewards, mask, turn_end = layout(["ppaApA", "pA.."], [[0.0, 1.0], [1.0]])
    group = torch.tensor([0, 1])  # two groups of one
    for fn in (grpo, rloo):
        for turn_level in (True, False):
            adv, _ = fn(rewards, mask, turn_end, group, turn_level=turn_level)
            assert torch.count_nonzero(adv) == 0, fn.__name__


def test_all_equal_rewards_give_zero_advantage():
    rewards, mask, turn_end = layout(["pA", "pA", "pA"], [[0.5], [0.5], [0.5]])
    group = torch.tensor([3, 3, 3])
    for fn in (grpo, rloo):
        adv, _ = fn(rewards, mask, turn_end, group, turn_level=False)
        assert torch.count_nonzero(adv) == 0
    adv, _ = reinforce(rewards, mask, turn_end, group, turn_level=False)
    assert agent_values(adv, mask, 0) == pytest.approx([0.5], abs=1e-5)  # no baseline: the return itself


def test_grpo_trajectory_level_by_hand():
    rewards, mask, turn_end = layout(["paA", "pA.", "pA."], [[1.0], [0.0], [0.0]])
    group = torch.tensor([0, 0, 0])
    adv, _ = grpo(rewards, mask, turn_end, group, turn_level=False)
    mean, std = 1 / 3, math.sqrt(((2 / 3) ** 2 + 2 * (1 / 3) ** 2) / 2)  # unbiased std of (1, 0, 0)
    win, lose = (1 - mean) / (std + GRPO_EPS), (0 - mean) / (std + GRPO_EPS)
    assert agent_values(adv, mask, 0) == pytest.approx([win] * 2, abs=1e-5)
    assert agent_values(adv, mask, 1) == pytest.approx([lose], abs=1e-5)
    assert adv[0, 0] == 0  # prompt tokens get nothing


def test_rloo_trajectory_and_turn_level_by_hand():
    # two turns; episode 0 scores 1 then 1, episode 1 scores 0 then 1, episode 2 one turn scoring 0
    rewards, mask, turn_end = layout(["pApA", "pApA", "pA.."], [[1.0, 1.0], [0.0, 1.0], [0.0]])
    group = torch.tensor([0, 0, 0])
    adv, _ = rloo(rewards, mask, turn_end, group, turn_level=False)
    # returns 2, 1, 0 -> each minus the mean of the other two
    assert agent_values(adv, mask, 0) == pytest.approx([2 - 0.5, 2 - 0.5], abs=1e-5)
    assert agent_values(adv, mask, 1) == pytest.approx([1 - 1.0, 1 - 1.0], abs=1e-5)
    assert agent_values(adv, mask, 2) == pytest.approx([0 - 1.5], abs=1e-5)
    adv, _ = rloo(rewards, mask, turn_end, group, turn_level=True)
    # to-go at turn 0: 2, 1, 0; at turn 1: 1, 1, 0 (episode 2 had ended: 0)
    assert agent_values(adv, mask, 0) == pytest.approx([2 - 0.5, 1 - 0.5], abs=1e-5)
    assert agent_values(adv, mask, 1) == pytest.approx([1 - 1.0, 1 - 0.5], abs=1e-5)
    assert agent_values(adv, mask, 2) == pytest.approx([0 - 1.5], abs=1e-5)


def test_grpo_turn_level_is_process_supervision():
    rewards, mask, turn_end = layout(["pApA", "pA.."], [[1.0, 0.0], [0.0]])
    group = torch.tensor([5, 5])
    adv, _ = grpo(rewards, mask, turn_end, group, turn_level=True)
    pool = torch.tensor([1.0, 0.0, 0.0])
    m, s = float(pool.mean()), float(pool.std())
    n = [(x - m) / (s + GRPO_EPS) for x in (1.0, 0.0, 0.0)]
    assert agent_values(adv, mask, 0) == pytest.approx([n[0] + n[1], n[1]], abs=1e-5)
    assert agent_values(adv, mask, 1) == pytest.approx([n[2]], abs=1e-5)


def test_reinforce_turn_level_uses_discounted_reward_to_go():
    rewards, mask, turn_end = layout(["pAApA"], [[1.0, 0.0, 2.0]])
    adv, returns = reinforce(rewards, mask, turn_end, torch.tensor([0]), gamma=0.5, turn_level=True)
    assert agent_values(adv, mask, 0) == pytest.approx([1 + 0.5 * 0 + 0.25 * 2, 0 + 0.5 * 2, 2.0], abs=1e-5)
    assert torch.equal(adv, returns)


def test_gae_skips_observation_tokens_and_matches_hand_computation():
    # agent tokens a, A | p | a, A ; reward 1 on the last token; values given per token
    rewards, mask, turn_end = layout(["paApaA"], [[0.0, 1.0]])
    values = torch.tensor([[9.0, 0.1, 0.2, 9.0, 0.3, 0.4]])  # 9 on non-agent tokens must be ignored
    gamma, lam = 0.9, 0.8
    v = [0.1, 0.2, 0.3, 0.4]
    r = [0.0, 0.0, 0.0, 1.0]
    expected, running, next_v = [0.0] * 4, 0.0, 0.0
    for t in range(3, -1, -1):
        delta = r[t] + gamma * next_v - v[t]
        running = delta + gamma * lam * running
        expected[t], next_v = running, v[t]
    adv, returns = gae(rewards, mask, turn_end, torch.tensor([0]), values, gamma=gamma, lam=lam)
    assert agent_values(adv, mask, 0) == pytest.approx(expected, abs=1e-5)
    assert agent_values(returns, mask, 0) == pytest.approx([a + b for a, b in zip(expected, v)], abs=1e-5)
    assert adv[0, 0] == 0 and adv[0, 3] == 0


def test_gae_truncated_episode_bootstraps_from_the_given_value():
    rewards, mask, turn_end = layout(["pA"], [[0.0]])
    values = torch.tensor([[0.0, 0.25]])
    terminated, _ = gae(rewards, mask, turn_end, torch.tensor([0]), values, torch.tensor([0.0]))
    truncated, _ = gae(rewards, mask, turn_end, torch.tensor([0]), values, torch.tensor([0.5]), gamma=0.9)
    assert float(terminated[0, 1]) == pytest.approx(-0.25)
    assert float(truncated[0, 1]) == pytest.approx(0.9 * 0.5 - 0.25)


def test_truncated_episode_without_reward_in_group_estimators():
    # episode 1 was cut off by the turn budget (its last turn has reward 0, a sparse failure)
    rewards, mask, turn_end = layout(["pA", "pApApA"], [[1.0], [0.0, 0.0, 0.0]])
    group = torch.tensor([0, 0])
    adv, _ = rloo(rewards, mask, turn_end, group, turn_level=False)
    assert agent_values(adv, mask, 0) == pytest.approx([1.0], abs=1e-5)
    assert agent_values(adv, mask, 1) == pytest.approx([-1.0, -1.0, -1.0], abs=1e-5)
    assert adv[1, 0] == 0 and adv[1, 2] == 0  # observation tokens between turns get nothing


def test_trajectory_level_gae_moves_rewards_to_the_last_token():
    rewards, mask, turn_end = layout(["pApA"], [[0.5, 0.5]])
    values = torch.zeros(1, 4)
    adv, _ = gae(rewards, mask, turn_end, torch.tensor([0]), values, turn_level=False, gamma=0.5, lam=1.0)
    assert agent_values(adv, mask, 0) == pytest.approx([0.5, 1.0], abs=1e-5)


def test_every_estimator_has_the_same_signature_and_zero_outside_the_mask():
    rewards, mask, turn_end = layout(["ppApA.", "pA...."], [[0.0, 1.0], [0.2]])
    values = torch.rand(2, 6)
    for name, fn in ESTIMATORS.items():
        adv, ret = fn(rewards, mask, turn_end, torch.tensor([0, 0]), values, None, gamma=1.0, lam=1.0, turn_level=True)
        assert adv.shape == ret.shape == rewards.shape, name
        assert torch.count_nonzero(adv * (1 - mask)) == 0, name


def test_gae_without_values_is_a_clear_error():
    rewards, mask, turn_end = layout(["pA"], [[1.0]])
    with pytest.raises(ValueError, match="value head"):
        gae(rewards, mask, turn_end, torch.tensor([0]))
