"""Reward density, shaping and penalties on real TextWorld trajectories."""

import gymnasium as gym
import pytest

import textagent_envs
from textagent_envs import infos
from textagent_envs.wrappers import (
    BalancedReward,
    DenseReward,
    InvalidActionPenalty,
    PotentialShaping,
    SparseReward,
    StepPenalty,
    wrap_reward,
)


def play(env, commands, seed=1):
    """Rewards of the commands (stopping at the end of the episode) and the last info."""
    _, info = env.reset(seed=seed)
    rewards = []
    for command in commands:
        _, reward, terminated, truncated, info = env.step(command)
        rewards.append(reward)
        if terminated or truncated:
            break
    return rewards, info


def walkthrough(env_id, seed=1, **kwargs):
    env = gym.make(env_id, isolation="none", **kwargs)
    _, info = env.reset(seed=seed)
    env.close()
    return info[infos.WALKTHROUGH]


def losing_commands(seed=1):
    """tw-simple: walk to the food, then eat it (a loss)."""
    commands = walkthrough("TextWorld-Simple-v0", seed)
    put = next(i for i, c in enumerate(commands) if c.startswith("put ") and "stove" in c)
    food = commands[put][len("put "):].split(" on ")[0]
    return commands[:put] + [f"eat {food}"]


@pytest.fixture
def simple():
    env = gym.make("TextWorld-Simple-v0", rewards="dense", isolation="none")
    yield env
    env.close()


def test_game_mode_sums_to_the_score(simple):
    rewards, info = play(wrap_reward(simple, "game"), walkthrough("TextWorld-Simple-v0"))
    assert sum(rewards) == info[infos.SCORE] == info[infos.MAX_SCORE] > 1


def test_sparse_is_zero_until_the_end_and_one_on_success(simple):
    rewards, info = play(SparseReward(simple), walkthrough("TextWorld-Simple-v0"))
    assert rewards[:-1] == [0.0] * (len(rewards) - 1) and rewards[-1] == 1.0
    assert info[infos.SUCCESS] and info[infos.SCORE] == info[infos.MAX_SCORE]  # raw score kept


def test_dense_sums_to_one_on_a_win_with_positive_milestones(simple):
    rewards, info = play(DenseReward(simple), walkthrough("TextWorld-Simple-v0"))
    assert sum(rewards) == pytest.approx(1.0)
    assert sum(r > 0 for r in rewards[:-1]) >= 3  # turn-level, not only at the end


def test_balanced_sums_to_one_on_a_win(simple):
    rewards, _ = play(BalancedReward(simple), walkthrough("TextWorld-Simple-v0"))
    assert sum(rewards) == pytest.approx(1.0) and rewards[0] > 0


def test_losing_is_never_a_success_in_any_mode(simple):
    commands = losing_commands()
    sparse, info = play(SparseReward(simple, failure_reward=-1.0), commands)
    assert info[infos.LOST] and not info[infos.SUCCESS] and not info[infos.WON]
    assert sparse[-1] == -1.0 and sum(sparse) == -1.0
    dense, info = play(DenseReward(simple), commands)
    assert sum(dense) == pytest.approx(info[infos.SCORE] / info[infos.MAX_SCORE]) and sum(dense) < 1.0
    balanced, _ = play(BalancedReward(simple), commands)
    assert sum(balanced) == pytest.approx(0.5 * sum(dense)) and sum(balanced) < 0.5


def test_sparse_counts_a_truncated_episode_as_a_failure():
    env = SparseReward(gym.make("TextWorld-Custom-w2-o3-q4-v0", max_episode_steps=3, isolation="none"), failure_reward=-0.5)
    rewards, _ = play(env, ["look"] * 10)
    assert rewards == [0.0, 0.0, -0.5]
    env.close()


def _detours(commands):
    """Winning command sequences that differ: detours, invalid commands, at various places."""
    yield list(commands)
    for at in range(len(commands)):
        yield commands[:at] + ["look", "xyzzy", "inventory"] + commands[at:]
    yield ["go north", "go south"] + list(commands)


@pytest.mark.parametrize("potential", ["progress", "remaining_steps"])
@pytest.mark.parametrize("gamma", [1.0, 0.9])
def test_potential_shaping_shifts_every_return_by_the_same_constant(potential, gamma):
    base = gym.make("TextWorld-Custom-w2-o3-q4-v0", extra_infos=["policy_commands"], isolation="none", max_episode_steps=50)
    shaped = PotentialShaping(base, potential=potential, gamma=gamma)
    _, info = base.reset(seed=1)
    phi0 = {"progress": 0.0, "remaining_steps": -float(len(info[infos.POLICY_COMMANDS]))}[potential]
    shifts = []
    for commands in _detours(info[infos.WALKTHROUGH]):
        raw, _ = play(base, commands)
        rewards, last = play(shaped, commands)
        assert last[infos.WON]
        discounted = lambda rs: sum(r * gamma**t for t, r in enumerate(rs))
        shifts.append(discounted(rewards) - discounted(raw))
    assert shifts == pytest.approx([-phi0] * len(shifts))
    if potential == "remaining_steps":
        assert phi0 < 0  # so the check above is not trivially 0
    base.close()


def test_potential_shaping_rewards_progress_within_an_episode():
    env = PotentialShaping(gym.make("TextWorld-Custom-w2-o3-q4-v0", extra_infos=["policy_commands"], isolation="none"), "remaining_steps")
    rewards, _ = play(env, ["go north", "go south"])
    assert rewards[0] < 0 < rewards[1]  # walking away costs, walking back pays it back


def test_penalties_compose_with_a_density(simple):
    commands = walkthrough("TextWorld-Simple-v0")
    noisy = commands[:2] + ["xyzzy", "look; look"] + commands[2:]
    env = InvalidActionPenalty(StepPenalty(DenseReward(simple), 0.01), 0.1)
    rewards, info = play(env, noisy)
    assert info[infos.SUCCESS]
    assert sum(rewards) == pytest.approx(1.0 - 0.01 * len(noisy) - 0.1 * 2)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda e: StepPenalty(e, -1), ValueError, "penalty"),
        (lambda e: InvalidActionPenalty(e, float("nan")), ValueError, "penalty"),
        (lambda e: PotentialShaping(e, "distance"), ValueError, "potential must be one of"),
        (lambda e: PotentialShaping(e, 3), TypeError, "callable"),
        (lambda e: PotentialShaping(e, gamma=1.5), ValueError, "gamma"),
        (lambda e: BalancedReward(e, weight=2), ValueError, "weight"),
        (lambda e: wrap_reward(e, "shaped"), ValueError, "reward must be one of"),
    ],
)
def test_bad_wrapper_arguments(simple, make, error, message):
    with pytest.raises(error, match=message):
        make(simple)


def test_remaining_steps_without_policy_commands_says_what_to_do(simple):
    with pytest.raises(KeyError, match="extra_infos=\\['policy_commands'\\]"):
        PotentialShaping(simple, "remaining_steps").reset(seed=1)


def test_make_applies_the_density_outside_the_step_budget():
    env = textagent_envs.make("TextWorld-Custom-w2-o3-q4-v0", reward="sparse", reward_kwargs={"failure_reward": -1}, max_episode_steps=2, isolation="none")
    assert isinstance(env, SparseReward)
    rewards, _ = play(env, ["look", "look"])
    assert rewards == [0.0, -1.0]
    with pytest.raises(ValueError, match="reward must be one of"):
        textagent_envs.make("TextWorld-Custom-v0", reward="shaped")


@pytest.mark.parametrize("density, wrapper", [("Dense", DenseReward), ("Balanced", BalancedReward), ("Sparse", SparseReward)])
def test_registered_simple_density_variants(density, wrapper):
    env = gym.make(f"TextWorld-Simple-{density}-v0", isolation="none")
    assert isinstance(env, wrapper) and env.unwrapped.knobs.rewards == density.lower()
    rewards, info = play(env, walkthrough(f"TextWorld-Simple-{density}-v0"))
    assert info[infos.SUCCESS] and sum(rewards) == pytest.approx(1.0)
    env.close()
