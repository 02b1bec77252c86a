"""Forks of a running episode: ``k`` independent copies of an env in its current state,
for group-based RL (GRPO / RLOO groups, GiGPO's anchor states), tree search and prefix
sampling.

``env.unwrapped.fork(k)`` copies the bare env; :func:`fork` copies what ``gym.make``
returned, wrappers and their state included: the steps taken toward ``TimeLimit``'s
budget, what the reward wrappers have returned so far (``DenseReward``,
``PotentialShaping``, ...), gymnasium's reset-order check. Engines that fork:
TextWorld ``engine="native"``, ALFWorld ``engine="fast"``, SWE-Mini ``sandbox="bwrap"``;
the others raise ``NotImplementedError``.

>>> import gymnasium as gym, textagent_envs
>>> env = gym.make("TextWorld-Custom-w2-o3-q4-v0", engine="native", max_episode_steps=20)
>>> obs, info = env.reset(seed=1); _ = env.step(info["walkthrough"][0])
>>> group = textagent_envs.fork(env, 8)   # 8 envs after that first step, 19 steps left each
>>> len(group), group[0].unwrapped.get_state()["last"] == env.unwrapped.get_state()["last"]
(8, True)
"""

from __future__ import annotations

import copy

import gymnasium as gym

from .base import FORKING_ENGINES

__all__ = ["fork"]


def fork(env: gym.Env, k: int = 1) -> list[gym.Env]:
    """``k`` independent copies of ``env`` (a bare env or one in wrappers) in its current
    state, each wrapped as ``env`` is, with a copy of each wrapper's state.

    Raises ``NotImplementedError`` for engines that cannot copy their state (TextWorld's
    Inform 7, ALFWorld's PDDL engine, SWE envs in Docker) and ``ResetNeeded`` before the
    first reset.
    """
    base = env.unwrapped
    if not hasattr(base, "fork"):
        raise NotImplementedError(f"{type(base).__name__} cannot fork; engines that fork: {FORKING_ENGINES}")
    twins = base.fork(k)
    if env is base:
        return twins
    # Every wrapper is deep-copied (its counters, a BalancedReward's inner wrappers); the
    # memo puts each fork where the original bare env was, so the game is never copied,
    # and shares what wrappers only read (constructor arguments, spaces, the last
    # step's data that gymnasium's checker keeps to compare).
    shared = {}
    layer = env
    while isinstance(layer, gym.Wrapper):
        for name in _READ_ONLY:
            value = layer.__dict__.get(name)
            if value is not None:
                shared[id(value)] = value
        layer = layer.env
    return [copy.deepcopy(env, {**shared, id(base): twin}) for twin in twins]


#: Wrapper attributes that a fork can share with the original.
_READ_ONLY = ("_saved_kwargs", "_previous_data", "_action_space", "_observation_space", "_metadata", "_cached_spec")
