"""Learning regression: a few GRPO iterations on Signpost (tests/baselines/signpost.py) must
beat every trivial policy by a wide margin on held-out games. Signpost is chosen because no
fixed command sequence and no positional rule (first, last, k-th offered command) wins more
than about a quarter of its games: the policy has to read the sign. A trainer that learns
backwards (loss sign, zeroed advantages, rewards on the wrong token) fails here."""

import itertools

import gymnasium as gym
import pytest

from baselines.config import TrainConfig
from baselines.trainer import Trainer, split_seeds

from .signpost import DIRECTIONS, ENV_ID, SECOND

HELD_OUT = split_seeds("test", 40)
#: A short prompt (no system text, no listed choices: listing every direction would put all
#: four in the context) keeps the tiny model's job to "read one word".
PROMPT = dict(system="", first_user="{observation}", next_user="{observation}", show_choices=False)


def trivial_policies() -> dict[str, float]:
    """Success on the held-out games of every fixed and every positional policy."""
    env = gym.make(ENV_ID)
    games = []
    for seed in HELD_OUT:
        env.reset(seed=seed)
        games.append((env.unwrapped.direction, list(env.unwrapped.order_1), list(env.unwrapped.order_2)))
    env.close()
    rates = {}
    for d, c in itertools.product(DIRECTIONS, SECOND):
        rates[f"always 'go {d}', '{c}'"] = sum(g[0] == d and c == "take coin" for g in games) / len(games)
    for i, j in itertools.product(range(4), range(3)):
        rates[f"offered command {i + 1} then {j + 1}"] = sum(
            o1[i] == f"go {d}" and o2[j] == "take coin" for d, o1, o2 in games) / len(games)
    return rates


def test_a_few_grpo_iterations_beat_every_trivial_policy(tmp_path):
    trivial = trivial_policies()
    best = max(trivial.values())
    assert best <= 0.4, trivial  # the task is not solved by a rule
    # 16 iterations of 16 tasks x 4: every training seed 0-7 passed with this setting (held-out
    # success 0.575-1.0, best trivial 0.35). With 12 iterations of 8 x 4 at lr 5e-3 only half
    # of them did, so the test's verdict turned on float rounding (e.g. the order tests ran in).
    cfg = TrainConfig(algo="grpo", env=ENV_ID, reward="game", max_turns=2, mode="choice", prompt=PROMPT,
                      train_tasks=64, tasks_per_iter=16, group_size=4, num_envs=64, iterations=16, epochs=4,
                      minibatch=32, lr=3e-3, eval_every=0, save_every=0, out=str(tmp_path / "run"), seed=0)
    trainer = Trainer(cfg)
    before, _ = trainer.evaluate(HELD_OUT)
    for _ in range(cfg.iterations):
        trainer.step()
    after, _ = trainer.evaluate(HELD_OUT)
    trainer.close()
    print(f"held-out greedy success {before['success_rate']:.2f} -> {after['success_rate']:.2f}; best trivial {best:.2f}")
    assert after["success_rate"] >= best + 0.2, (before["success_rate"], after["success_rate"], best)
