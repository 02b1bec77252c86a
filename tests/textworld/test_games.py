import subprocess
import sys

import pytest

from textagent_envs.cache import CACHE_ENV_VAR, cache_root
from textagent_envs.tasks import TaskSpec
from textagent_envs.textworld.families import CustomKnobs
from textagent_envs.textworld.games import GameGenerationError, ensure_game, game_path


def test_cache_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "env"))
    assert cache_root(tmp_path / "arg") == tmp_path / "arg"
    assert cache_root() == tmp_path / "env"
    monkeypatch.delenv(CACHE_ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "textagent_envs"


def test_games_are_cached_by_family_knobs_and_seed(tmp_path):
    task = TaskSpec("tw-custom", CustomKnobs().to_params(), seed=5)
    path = ensure_game(task, tmp_path)
    assert path == game_path("tw-custom", CustomKnobs(), 5, tmp_path)
    assert path.is_file() and path.with_suffix(".json").is_file()
    mtime = path.stat().st_mtime_ns
    assert ensure_game(task, tmp_path) == path and path.stat().st_mtime_ns == mtime  # not regenerated
    assert game_path("tw-custom", CustomKnobs(), 6, tmp_path) != path
    assert game_path("tw-custom", CustomKnobs(nb_objects=4), 5, tmp_path) != path
    assert not list(path.parent.glob(".tmp-*"))  # no temporary folder left behind


def test_two_processes_generating_the_same_game_at_once(tmp_path):
    code = (
        "import sys; from textagent_envs.tasks import TaskSpec; from textagent_envs.textworld.games import ensure_game\n"
        "print(ensure_game(TaskSpec('tw-custom', {'world_size': 3, 'nb_objects': 4, 'quest_length': 3, 'quest_breadth': None}, seed=11), sys.argv[1]))"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=300)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(set(outs)) == 1
    folder = game_path("tw-custom", CustomKnobs(3, 4, 3), 11, tmp_path).parent
    assert sorted(p.name for p in folder.iterdir()) == ["s11.json", "s11.lock", "s11.z8"]


def test_same_seed_same_game_in_fresh_processes(tmp_path):
    """Generation depends only on knobs and seed, not on the process (hash seed, cache)."""
    code = (
        "import sys, hashlib; from textagent_envs.tasks import TaskSpec; from textagent_envs.textworld.games import ensure_game\n"
        "p = ensure_game(TaskSpec('tw-simple', {'rewards': 'dense', 'goal': 'detailed', 'test': False}, seed=7), sys.argv[1])\n"
        "print(hashlib.sha1(p.read_bytes()).hexdigest())"
    )
    digests = set()
    for i, hash_seed in enumerate(("0", "12345")):
        out = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / str(i))],
            env={**__import__("os").environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True, text=True, check=True,
        ).stdout
        digests.add(out.strip())
    assert len(digests) == 1


def test_impossible_knobs_give_a_clear_error(tmp_path):
    task = TaskSpec("tw-custom", CustomKnobs(world_size=1, nb_objects=0, quest_length=3, quest_breadth=3).to_params(), seed=1)
    with pytest.raises(GameGenerationError, match="no quest"):
        ensure_game(task, tmp_path)
