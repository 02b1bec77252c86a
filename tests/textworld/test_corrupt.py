"""Broken game files: a broken cached game is logged and generated again; a broken file
the user names is an error naming it; nothing takes the Python process down."""

import logging
import shutil
import subprocess
import sys

import gymnasium as gym
import pytest

from textagent_envs import infos
from textagent_envs.alfworld.engine import GameFileError as ALFWorldGameFileError
from textagent_envs.tasks import TaskSpec
from textagent_envs.textworld.games import GameFileError

KNOBS = dict(world_size=1, nb_objects=2, quest_length=2)


def _break(path, how):
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif how == "garbage":
        path.write_bytes(b"\x08garbage" * 100)
    elif how == "folder":
        path.unlink()
        path.mkdir()
        (path / "inside").write_text("x")
    elif how == "no game":
        path.write_text('{"version": 1}')


BREAKAGES = ["empty", "truncated", "garbage", "folder"]


CACHED_BREAKAGES = [
    (backend, suffix, how)
    for backend, suffix in [("inform7", ".z8"), ("inform7", ".json"), ("native", ".json")]
    for how in BREAKAGES + (["no game"] if suffix == ".json" else [])
]


@pytest.mark.parametrize("backend, suffix, how", CACHED_BREAKAGES)
def test_a_broken_cached_game_is_logged_and_generated_again(backend, suffix, how, tmp_path, caplog):
    env = gym.make("TextWorld-Custom-v0", engine=backend, cache_dir=tmp_path, **KNOBS)
    try:
        obs, info = env.reset(seed=5)
        game_file = env.unwrapped.game_file
        env.close()
        _break(game_file.with_suffix(suffix), how)
        with caplog.at_level(logging.WARNING, logger="textagent_envs"):
            again, info2 = env.reset(seed=5)
        assert again == obs and info2[infos.WALKTHROUGH] == info[infos.WALKTHROUGH]
        assert any("broken" in r.getMessage() and game_file.stem in r.getMessage() for r in caplog.records)
        assert game_file.with_suffix(suffix).is_file()
        for command in info[infos.WALKTHROUGH]:
            *_, info2 = env.step(command)
        assert info2[infos.WON]
    finally:
        env.close()


@pytest.mark.parametrize("how", BREAKAGES)
def test_a_broken_game_file_the_user_names_is_an_error_naming_it(how, tmp_path):
    env = gym.make("TextWorld-Custom-v0", engine="inform7", cache_dir=tmp_path / "cache", **KNOBS)
    try:
        env.reset(seed=5)
        mine = tmp_path / "mine"
        mine.mkdir()
        for suffix in (".z8", ".json"):
            shutil.copy(env.unwrapped.game_file.with_suffix(suffix), mine / f"game{suffix}")
        env.close()
        _break(mine / "game.z8", how)
        with pytest.raises((GameFileError, FileNotFoundError), match=r"game\.z8.*cannot be played|game\.z8.*does not exist") as err:
            env.reset(options={"task": str(mine / "game.z8")})
        assert str(mine / "game.z8") in str(err.value)
        with pytest.raises((GameFileError, FileNotFoundError), match="game.z8"):
            listed = gym.make("TextWorld-Custom-v0", engine="inform7", tasks=[str(mine / "game.z8")], cache_dir=tmp_path / "cache",
                              **KNOBS)
            listed.reset(seed=0)
        native = gym.make("TextWorld-Custom-v0", engine="native", cache_dir=tmp_path / "cache", **KNOBS)
        _break(mine / "game.json", "garbage" if how == "folder" else how)
        with pytest.raises(GameFileError, match=r"game\.json.*cannot be played"):
            native.reset(options={"task": TaskSpec("tw-custom", {}, None, game_file=str(mine / "game.z8"))})
        native.close()
    finally:
        env.close()


def test_a_damaged_story_file_never_ends_the_process(tmp_path):
    # Jericho's C code calls exit() on a story file it cannot read; the env must check the
    # file first, so the caller survives (isolation="none": the game runs in this process).
    code = (
        "import sys, gymnasium as gym, textagent_envs\n"
        "env = gym.make('TextWorld-Custom-v0', engine='inform7', world_size=1, nb_objects=2, quest_length=2, isolation='none',"
        " cache_dir=sys.argv[1])\n"
        "env.reset(seed=5)\n"
        "z8 = env.unwrapped.game_file\n"
        "env.close()\n"
        "data = z8.read_bytes()\n"
        "z8.write_bytes(data[: len(data) // 2])  # truncated: Jericho says 'Story file read error' and exits\n"
        "obs, info = env.reset(seed=5)  # the cached game: regenerated\n"
        "print('alive', info['walkthrough'] != [])\n"
        "damaged = bytearray(z8.read_bytes())\n"
        "damaged[0x40:0x2000] = bytes(len(damaged[0x40:0x2000]))  # header intact, code zeroed\n"
        "mine = z8.with_name('mine.z8')\n"
        "mine.write_bytes(bytes(damaged))\n"
        "mine.with_suffix('.json').write_text(z8.with_suffix('.json').read_text())\n"
        "try:\n"
        "    env.reset(options={'task': str(mine)})\n"
        "except ValueError as err:\n"
        "    print('refused:', err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "refused:" in out.stdout and "checksum" in out.stdout and "alive True" in out.stdout


@pytest.mark.parametrize("file, how", [("game.tw-pddl", h) for h in BREAKAGES] + [("traj_data.json", "garbage")])
def test_a_broken_cached_household_is_generated_again(file, how, tmp_path, caplog):
    env = gym.make("ALFWorld-v0", level=1, cache_dir=tmp_path)
    try:
        obs, info = env.reset(seed=2)
        folder = env.unwrapped.game_file.parent
        env.close()
        _break(folder / file, how)
        with caplog.at_level(logging.WARNING, logger="textagent_envs"):
            again, _ = env.reset(seed=2)
        assert again == obs
        assert any("broken" in r.getMessage() for r in caplog.records)
        mine = tmp_path / "mine"
        shutil.copytree(folder, mine)
        _break(mine / file, how)
        with pytest.raises((ALFWorldGameFileError, FileNotFoundError), match="mine"):
            env.reset(options={"task": str(mine)})
    finally:
        env.close()


@pytest.mark.parametrize("backend", ["inform7", "native"])
def test_a_cached_game_that_passes_the_checks_but_does_not_load_is_made_again(backend, tmp_path, caplog):
    env = gym.make("TextWorld-Custom-v0", engine=backend, cache_dir=tmp_path, **KNOBS)
    try:
        obs, _ = env.reset(seed=5)
        game_file = env.unwrapped.game_file
        env.close()
        # Well-formed JSON with every key a game has, and nothing TextWorld can read in them.
        game_file.with_suffix(".json").write_text('{"version": 1, "world": 3, "quests": 3, "infos": 3, "KB": 3, "grammar": 3}')
        with caplog.at_level(logging.WARNING, logger="textagent_envs"):
            again, _ = env.reset(seed=5)
        assert again == obs
        assert any("broken" in r.getMessage() for r in caplog.records)
    finally:
        env.close()
