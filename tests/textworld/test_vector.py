import gymnasium as gym
import numpy as np
import pytest

from textagent_envs import infos


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_make_vec_batches_strings(mode):
    envs = gym.make_vec("TextWorld-Custom-w2-o3-q4-v0", num_envs=2, vectorization_mode=mode)
    single = gym.make("TextWorld-Custom-w2-o3-q4-v0", isolation="none")
    try:
        obs, info = envs.reset(seed=[1, 2])
        assert len(obs) == 2 and all(isinstance(o, str) for o in obs)
        assert obs[0] == single.reset(seed=1)[0] and obs[1] == single.reset(seed=2)[0]
        walkthroughs = info[infos.WALKTHROUGH]
        obs, reward, terminated, truncated, info = envs.step((walkthroughs[0][0], "xyzzy"))
        single.reset(seed=1)
        expected, expected_reward, *_ = single.step(walkthroughs[0][0])
        assert obs[0] == expected and reward[0] == expected_reward
        assert info[infos.LAST_ACTION_VALID].tolist() == [True, False]
        assert isinstance(reward, np.ndarray) and reward.shape == (2,)
    finally:
        envs.close()
        single.close()
