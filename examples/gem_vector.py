"""GEM: a vector of textagent_envs envs through GEM's own make_vec (SyncVectorEnv, autoreset),
played with random admissible commands for a few steps; GEM's single-env API on the side.

    python examples/gem_vector.py [--env TextWorld-CoinCollector-v0] [--num-envs 4] [--steps 20]
"""

from __future__ import annotations

import argparse


def main(env_id: str = "TextWorld-CoinCollector-v0", num_envs: int = 4, steps: int = 20) -> dict:
    import gem

    from textagent_envs.integrations.gem import register

    knobs = {"env_kwargs": {"engine": "native", "level": 2}} if env_id.startswith("TextWorld") else {}
    gem_id = register(env_id, max_turns=8, **knobs)
    vec = gem.make_vec([gem_id] * num_envs, seed=10)
    obs, infos = vec.reset()
    episodes = rewards = 0
    for _ in range(steps):
        actions = [f"Trying something.\n{env.sample_random_action()}" for env in vec.envs]
        obs, reward, terminated, truncated, infos = vec.step(actions)
        episodes += int(sum(terminated) + sum(truncated))
        rewards += float(sum(reward))
    return {"num_envs": num_envs, "steps": steps, "episodes_ended": episodes, "total_reward": rewards,
            "first_obs": obs[0][:60]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="TextWorld-CoinCollector-v0")
    parser.add_argument("--num-envs", type=int, default=4)
    parser.add_argument("--steps", type=int, default=20)
    a = parser.parse_args()
    print(main(a.env, a.num_envs, a.steps))
