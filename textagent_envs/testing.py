"""The conformance check every textagent_envs environment passes.

:func:`check_text_env` runs gymnasium's ``check_env`` and then this project's contract:

- determinism: ``reset(seed=s)`` twice gives the same observation and info;
- info: every key of :data:`textagent_envs.infos.ALWAYS` at reset and after each step,
  with the documented types;
- per-step rewards: each reward equals the change in ``info["score"]`` (or, under a
  reward wrapper of :mod:`textagent_envs.wrappers`, is finite);
- the walkthrough (``info["walkthrough"]``) wins the game, and the episode terminates on
  the win;
- bad input: empty, huge, unicode, control-character, backslash and multi-command strings
  get a ``str`` observation and ``last_action_valid=False``; a non-``str`` raises
  ``TypeError``; stepping a finished episode raises.

It raises ``AssertionError`` naming the first broken rule. Use it on your own envs::

    from textagent_envs.testing import check_text_env
    check_text_env(gym.make("TextWorld-Simple-v0"), seeds=(1, 2))
"""

from __future__ import annotations

import math
import warnings
from typing import Iterable

import gymnasium as gym
from gymnasium.utils.env_checker import check_env

from . import infos

#: Actions every env must answer without an exception, hang, or a valid move.
BAD_ACTIONS = (
    "",
    "   ",
    "x" * 100_000,
    "\u00e9\u00e8 \u2603 \U0001f600 \u4e2d\u6587",
    "\x00\x01\x02 look \x1b[31m",
    "look \\ \\\\ \\n",
    "look; inventory",
    "look\ninventory",
    "look. inventory",
    "quit",
    "restart",
    "save",
    "script",
    "xyzzy plugh",
)

_TYPES = {
    infos.WON: bool,
    infos.LOST: bool,
    infos.SUCCESS: bool,
    infos.SCORE: int,
    infos.MAX_SCORE: int,
    infos.MOVES: int,
    infos.OBJECTIVE: str,
    infos.WALKTHROUGH: list,
    infos.LAST_ACTION_VALID: bool,
    infos.TASK: dict,
}


def check_text_env(env: gym.Env, *, seeds: Iterable[int] = (1,), skip_gymnasium: bool = False) -> None:
    """Assert that ``env`` keeps the textagent_envs contract (see the module docstring)."""
    if not skip_gymnasium:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_env(env.unwrapped, skip_render_check=True)
    for seed in seeds:
        _check_determinism(env, seed)
        _check_walkthrough(env, seed)
        _check_bad_input(env, seed)


def _check_info(info: dict, where: str) -> None:
    for key, kind in _TYPES.items():
        assert key in info, f"{where}: info lacks {key!r}"
        assert isinstance(info[key], kind), f"{where}: info[{key!r}] is {type(info[key]).__name__}, expected {kind.__name__}"
    assert all(isinstance(c, str) for c in info[infos.WALKTHROUGH]), f"{where}: walkthrough holds non-str commands"
    if infos.ADMISSIBLE_COMMANDS in info:
        commands = info[infos.ADMISSIBLE_COMMANDS]
        assert isinstance(commands, list) and all(isinstance(c, str) for c in commands), (
            f"{where}: admissible_commands must be a list of str"
        )


def _check_determinism(env: gym.Env, seed: int) -> None:
    obs1, info1 = env.reset(seed=seed)
    obs2, info2 = env.reset(seed=seed)
    assert isinstance(obs1, str) and obs1, f"reset(seed={seed}) returned no text observation"
    assert obs1 == obs2, f"reset(seed={seed}) twice gave different observations"
    assert info1 == info2, f"reset(seed={seed}) twice gave different infos"
    _check_info(info1, f"reset(seed={seed})")
    assert info1[infos.LAST_ACTION_VALID] is False, "last_action_valid must be False at reset"


def _reward_is_shaped(env: gym.Env) -> bool:
    from .wrappers.rewards import RewardTransform

    while isinstance(env, gym.Wrapper):
        if isinstance(env, RewardTransform):
            return True
        env = env.env
    return False


def _check_walkthrough(env: gym.Env, seed: int) -> None:
    shaped = _reward_is_shaped(env) or not getattr(env.unwrapped, "reward_is_score_change", True)
    _, info = env.reset(seed=seed)
    walkthrough = info[infos.WALKTHROUGH]
    assert walkthrough, f"seed {seed}: the walkthrough is empty"
    score = info[infos.SCORE]
    for i, command in enumerate(walkthrough):
        obs, reward, terminated, truncated, info = env.step(command)
        where = f"seed {seed}, walkthrough step {i} ({command!r})"
        assert isinstance(obs, str), f"{where}: observation is not a str"
        assert isinstance(reward, float), f"{where}: reward is {type(reward).__name__}, not float"
        _check_info(info, where)
        if shaped:
            assert math.isfinite(reward), f"{where}: shaped reward {reward} is not finite"
        else:
            assert reward == info[infos.SCORE] - score, f"{where}: reward {reward} is not the score change"
        score = info[infos.SCORE]
        assert terminated or not truncated, f"{where}: truncated before the walkthrough finished (is the step budget too small?)"
        if terminated:
            assert i == len(walkthrough) - 1, f"{where}: the episode ended before the walkthrough did"
    assert terminated and info[infos.WON] and not info[infos.LOST], f"seed {seed}: the walkthrough did not win"
    assert info[infos.SUCCESS], f"seed {seed}: a won game must report success"
    try:
        env.step("look")
    except RuntimeError:  # ResetNeeded (textagent_envs.base), or another env's own error
        pass
    else:
        raise AssertionError("stepping a finished episode must raise")


def _check_bad_input(env: gym.Env, seed: int) -> None:
    env.reset(seed=seed)
    for action in BAD_ACTIONS:
        obs, reward, terminated, truncated, info = env.step(action)
        where = f"bad action {action[:30]!r}"
        assert isinstance(obs, str) and obs, f"{where}: no text observation"
        assert info[infos.LAST_ACTION_VALID] is False, f"{where}: reported as a valid action"
        assert reward == 0.0 and not terminated, f"{where}: changed the game"
        _check_info(info, where)
        if truncated:  # the step budget may be small; start again
            env.reset(seed=seed)
    for action in (None, 3, b"look", ["look"]):
        try:
            env.step(action)
        except TypeError:
            continue
        raise AssertionError(f"step({action!r}) must raise TypeError")
