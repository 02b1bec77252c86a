"""Shared fixtures: one game cache for the whole session, built by the tests themselves."""

import os

import pytest

from textagent_envs.cache import CACHE_ENV_VAR


@pytest.fixture(scope="session", autouse=True)
def game_cache(tmp_path_factory):
    """Every test generates its games into one session cache (never the user's)."""
    path = tmp_path_factory.mktemp("game-cache")
    old = os.environ.get(CACHE_ENV_VAR)
    os.environ[CACHE_ENV_VAR] = str(path)
    yield path
    if old is None:
        os.environ.pop(CACHE_ENV_VAR, None)
    else:
        os.environ[CACHE_ENV_VAR] = old
