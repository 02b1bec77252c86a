"""The shared losses against values computed by hand, and the direction of their gradients
(a sign slip or max-for-min in PPO-clip, or a reversed KL, fails here)."""

import math

import pytest
import torch

from baselines.losses import kl_to_reference, masked_mean, ppo_clip_loss, value_loss


def _loss(ratio, advantage, clip=0.2):
    logp = torch.tensor([[0.0, math.log(ratio)]], requires_grad=True)
    old = torch.zeros(1, 2)
    adv = torch.tensor([[0.0, advantage]])
    mask = torch.tensor([[0.0, 1.0]])
    loss, clipped = ppo_clip_loss(logp, old, adv, mask, clip)
    loss.backward()
    return float(loss.detach()), float(clipped), float(logp.grad[0, 1])


@pytest.mark.parametrize("ratio, advantage, expected, clipped", [
    (1.0, 2.0, -2.0, 0.0),   # on policy: -A
    (1.5, 1.0, -1.2, 1.0),   # A > 0, ratio above 1 + clip: the clipped (smaller) objective
    (0.5, 1.0, -0.5, 1.0),   # A > 0, ratio below 1 - clip: the unclipped (smaller) one
    (0.5, -1.0, 0.8, 1.0),   # A < 0, ratio below 1 - clip: clipped, -(0.8 * -1)
    (1.5, -1.0, 1.5, 1.0),   # A < 0, ratio above 1 + clip: unclipped, -(1.5 * -1)
])
def test_ppo_clip_loss_by_hand(ratio, advantage, expected, clipped):
    loss, fraction, _ = _loss(ratio, advantage)
    assert loss == pytest.approx(expected, abs=1e-6)
    assert fraction == clipped


def test_ppo_gradient_raises_the_log_prob_of_a_good_action_and_stops_past_the_clip():
    _, _, grad = _loss(1.0, 1.0)
    assert grad < 0  # gradient descent raises logp when A > 0
    _, _, grad = _loss(1.0, -1.0)
    assert grad > 0
    _, _, grad = _loss(1.5, 1.0)
    assert grad == 0.0  # already 50% more likely: no further push


def test_kl_to_reference_is_k3_of_kl_policy_to_reference():
    logp, ref = torch.tensor([math.log(0.5)]), torch.tensor([math.log(0.25)])
    q = math.log(0.25 / 0.5)
    assert float(kl_to_reference(logp, ref)) == pytest.approx(math.exp(q) - q - 1.0, abs=1e-6)
    # the other direction (q = logp - ref) would give 2 - log 2 - 1 = 0.307, not 0.193
    assert float(kl_to_reference(logp, ref)) == pytest.approx(0.5 + math.log(2) - 1.0, abs=1e-6)
    assert float(kl_to_reference(ref, ref)) == 0.0


def test_kl_gradient_pulls_the_policy_towards_the_reference():
    logp = torch.tensor([math.log(0.5)], requires_grad=True)
    kl_to_reference(logp, torch.tensor([math.log(0.25)])).sum().backward()
    assert float(logp.grad) > 0  # descending lowers the over-weighted action's log-prob
    logp = torch.tensor([math.log(0.1)], requires_grad=True)
    kl_to_reference(logp, torch.tensor([math.log(0.25)])).sum().backward()
    assert float(logp.grad) < 0


def test_value_loss_and_masked_mean():
    v, r, m = torch.tensor([[1.0, 3.0, 9.0]]), torch.tensor([[0.0, 1.0, 0.0]]), torch.tensor([[1.0, 1.0, 0.0]])
    assert float(value_loss(v, r, m)) == pytest.approx(0.5 * (1 + 4) / 2)
    assert float(masked_mean(torch.ones(1, 3), torch.zeros(1, 3))) == 0.0
