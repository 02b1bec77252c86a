"""Fuzzing interpreter meta-commands (quit, save, script, undo ...) in many spellings on
both TextWorld backends: none reaches the game, no file lands in the working directory,
and the score stays the game's."""

import random

import gymnasium as gym
import pytest

from textagent_envs import infos
from textagent_envs.commands import META_FIRST_WORDS, META_WORDS


def _spellings(n, seed=0):
    rng = random.Random(seed)
    words = sorted(META_WORDS | META_FIRST_WORDS)
    out = []
    for _ in range(n):
        word = rng.choice(words)
        word = rng.choice([word, word.upper(), word.title()])
        prefix = rng.choice(["", "", "bob, ", "Bob , ", "take key, "]) if word.lower() not in META_FIRST_WORDS else rng.choice(["", "", " "])
        suffix = rng.choice(["", ",", "!", "?", ".", " ,", "!!", " game", " on", " off", " now,", " s3", " transcript"])
        out.append(prefix + word + suffix)
    return out


@pytest.mark.parametrize("backend", ["inform7", "native"])
def test_fuzzed_meta_commands_never_reach_the_game(backend, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = gym.make("TextWorld-Custom-w2-o3-q4-v0", engine=backend)
    try:
        _, info = env.reset(seed=1)
        walkthrough = info[infos.WALKTHROUGH]
        total = 0.0
        spellings = _spellings(300)
        for i, action in enumerate(spellings):
            obs, reward, terminated, truncated, info = env.step(action)
            assert infos.INVALID_REASON in info, action  # refused before the game
            assert "yes or no" not in obs.lower() and "are you sure" not in obs.lower(), action
            total += reward
            if i % 50 == 0:  # interleave real moves, so a rewind or restart would show in the score
                total += env.step(walkthrough[0] if i == 0 else "look")[1]
        for command in walkthrough[1:]:
            obs, reward, terminated, truncated, info = env.step(command)
            total += reward
        assert terminated and info[infos.WON]
        assert total == info[infos.SCORE] == info[infos.MAX_SCORE] > 0
    finally:
        env.close()
    assert list(tmp_path.iterdir()) == []  # no save file, no transcript
