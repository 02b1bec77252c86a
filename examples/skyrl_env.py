"""A SkyRL-gym episode on any id, the way SkyRL's generator drives a BaseTextEnv: make it
through skyrl_gym's registry, init, then step with the model's reply text (here the
walkthrough, written as a model would: a thought line, then the command).

    python examples/skyrl_env.py [--env ALFWorld-PickAndPlaceSimple-v0] [--seed 3]
"""

from __future__ import annotations

import argparse


def main(env_id: str = "ALFWorld-PickAndPlaceSimple-v0", seed: int = 3) -> dict:
    import skyrl_gym

    import textagent_envs
    from textagent_envs.integrations.skyrl import register

    walkthrough = textagent_envs.make(env_id).reset(seed=seed)[1]["walkthrough"]  # the "model" of this example
    env = skyrl_gym.make(register(), env_config={}, extras={"env_id": env_id, "seed": seed, "max_turns": 30})
    chat, meta = env.init([])
    for command in walkthrough:
        out = env.step(f"The goal says what to do next.\n{command}")
        chat += out["observations"]
        if out["done"]:
            break
    metrics = env.get_metrics()
    env.close()
    return {"messages": len(chat), "done": out["done"], "reward": out["reward"], **metrics}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="ALFWorld-PickAndPlaceSimple-v0")
    parser.add_argument("--seed", type=int, default=3)
    a = parser.parse_args()
    print(main(a.env, a.seed))
