"""textagent_envs: Gymnasium-compatible text environments for multi-turn agentic RL.

Importing the package registers every id (``textagent_envs.ENV_IDS``) with gymnasium;
game backends (textworld, Jericho) load only when an environment is made::

    import gymnasium as gym
    import textagent_envs

    env = gym.make("TextWorld-Custom-w2-o3-q4-v0")
    obs, info = env.reset(seed=1)
    obs, reward, terminated, truncated, info = env.step(info["walkthrough"][0])
"""

from . import infos
from .registration import ENV_IDS, make, register_all
from .tasks import TaskSpec, load_task_set

__version__ = "0.1.0"
__all__ = ["ENV_IDS", "TaskSpec", "infos", "load_task_set", "make", "check_text_env", "fork", "TextEnv", "ResetNeeded"]

register_all()


def __getattr__(name: str):
    if name == "check_text_env":
        from .testing import check_text_env

        return check_text_env
    if name == "fork":
        from .forks import fork

        return fork
    if name in ("TextEnv", "ResetNeeded"):
        from . import base

        return getattr(base, name)
    raise AttributeError(f"module 'textagent_envs' has no attribute {name!r}")
