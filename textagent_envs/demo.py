"""The README's demo: generate games at two complexity levels, then play one with its
walkthrough and one with a random agent, printing what happened."""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np

from . import infos

#: (id, seeds) of the two complexity levels the demo generates.
DEMO_LEVELS = (("TextWorld-Custom-w2-o3-q4-v0", (1, 2, 3)), ("TextWorld-Custom-w4-o6-q8-v0", (1, 2)))


def _show(obs: str, width: int = 300) -> str:
    text = " ".join(obs.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def run_demo(cache_dir: str | None = None) -> None:
    print("== 1. Generating games at two complexity levels (cached after the first run)")
    for env_id, seeds in DEMO_LEVELS:
        env = gym.make(env_id, cache_dir=cache_dir)
        for seed in seeds:
            started = time.perf_counter()
            _, info = env.reset(seed=seed)
            print(
                f"  {info[infos.TASK]['id']:<32} ready in {time.perf_counter() - started:5.2f} s; "
                f"walkthrough of {len(info[infos.WALKTHROUGH])} steps, "
                f"{len(info[infos.ADMISSIBLE_COMMANDS])} admissible commands at the start"
            )
        env.close()

    env_id, seed = "TextWorld-Custom-w2-o3-q4-v0", 1
    env = gym.make(env_id, cache_dir=cache_dir)
    print(f"\n== 2. {env_id}, seed {seed}, played with its walkthrough")
    obs, info = env.reset(seed=seed)
    print(f"  objective: {_show(info[infos.OBJECTIVE])}")
    total = 0.0
    for command in info[infos.WALKTHROUGH]:
        obs, reward, terminated, truncated, info = env.step(command)
        total += reward
        print(f"  > {command:<45} reward {reward:+.0f}  | {_show(obs, 90)}")
    print(f"  => won={info[infos.WON]} score {info[infos.SCORE]}/{info[infos.MAX_SCORE]}, return {total:g}, {info[infos.MOVES]} moves")

    print(f"\n== 3. {env_id}, seed {seed}, played by a random agent (admissible commands, seeded)")
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=seed)
    total, steps, terminated, truncated = 0.0, 0, False, False
    while not (terminated or truncated):
        command = str(rng.choice(info[infos.ADMISSIBLE_COMMANDS]))
        obs, reward, terminated, truncated, info = env.step(command)
        total += reward
        steps += 1
        print(f"  > {command:<45} reward {reward:+.0f}  | {_show(obs, 90)}")
    outcome = "won" if info[infos.WON] else "lost" if info[infos.LOST] else f"out of steps (budget {steps})"
    print(f"  => {outcome}; return {total:g} after {steps} steps")
    env.close()

    print("\nNext: `textagent-envs list` for every id and knob, `textagent-envs play TextWorld-Simple-v0` to play.")
