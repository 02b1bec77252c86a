"""A tiny policy and a cheap env for the baselines tests (built here; nothing downloaded)."""

import os

import pytest
import torch

os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(1)

ENV_ID = "TextWorld-CoinCollector-v0"
KNOBS = {"level": 2}
MAX_TURNS = 3


def make_env():
    import textagent_envs

    return textagent_envs.make(ENV_ID, reward="sparse", max_episode_steps=MAX_TURNS, **KNOBS)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """(model, tokenizer) of a small random Qwen2 with a tokenizer trained on two games."""
    from baselines.corpus import env_corpus
    from baselines.models import TinyModelSettings, build_tiny_model

    corpus = env_corpus(make_env, [30001, 30002])
    return build_tiny_model(corpus, tmp_path_factory.mktemp("tiny"), TinyModelSettings(vocab_size=600, hidden_size=32))


@pytest.fixture
def small_config(tmp_path):
    """A TrainConfig that runs an iteration in a second or two."""
    from baselines.config import TrainConfig

    def make(**overrides):
        values = dict(env=ENV_ID, env_kwargs=dict(KNOBS), max_turns=MAX_TURNS, tasks_per_iter=2, group_size=2,
                      num_envs=4, iterations=1, minibatch=4, epochs=1, train_tasks=2, eval_tasks=2, eval_every=0,
                      save_every=0, out=str(tmp_path / "run"))
        values.update(overrides)
        return TrainConfig(**values)

    return make


from .signpost import register as _register_signpost  # noqa: E402

_register_signpost()
