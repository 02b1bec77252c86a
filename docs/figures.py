"""Makes the figures in docs/img/ (run from the repository root):

    .venv/bin/python docs/figures.py

1. ``curriculum-run.png``: an adaptive curriculum over TextWorld-CoinCollector levels 1-10
   driven by a scripted agent that plays the walkthrough with a probability falling with
   the level (and random admissible commands otherwise), plotted with ``textagent-envs
   plot run``.
2. ``difficulty-w4-o6-q8.png``: walkthrough lengths of the committed w4-o6-q8 train set.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import gymnasium as gym
import numpy as np

import textagent_envs  # noqa: F401
from textagent_envs import infos
from textagent_envs.curriculum import AdaptiveLevel, CurriculumWrapper
from textagent_envs.plots import plot_difficulty, plot_run

OUT = Path(__file__).parent / "img"


def skill(level: int) -> float:
    """Chance that the scripted agent knows the way at this level."""
    return max(0.0, 1.0 - 0.15 * (level - 1))


def curriculum_run(episodes: int = 150) -> Path:
    log = Path(tempfile.mkdtemp()) / "run.jsonl"
    env = CurriculumWrapper(
        gym.make("TextWorld-CoinCollector-v0", isolation="none", max_episode_steps=20),
        AdaptiveLevel(levels=range(1, 11), promote_at=0.8, demote_at=0.4, window=10),
        log_path=log,
    )
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=0)
    for _ in range(episodes):
        plan = list(info[infos.WALKTHROUGH]) if rng.random() < skill(env.level) else []
        done = False
        while not done:
            command = plan.pop(0) if plan else str(rng.choice(info[infos.ADMISSIBLE_COMMANDS]))
            obs, reward, terminated, truncated, info = env.step(command)
            done = terminated or truncated
        obs, info = env.reset()
    env.close()
    return plot_run(log, OUT / "curriculum-run.png")


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print(curriculum_run())
    print(plot_difficulty("tasks/tw-custom-w4-o6-q8-train.jsonl", OUT / "difficulty-w4-o6-q8.png"))
