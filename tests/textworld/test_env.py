"""The TextWorld environments against the Gymnasium contract and ours."""

import json
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import pytest

import textagent_envs
from textagent_envs import infos
from textagent_envs.tasks import TaskSpec
from textagent_envs.testing import check_text_env
from textagent_envs.textworld import env as env_module
from textagent_envs.textworld.env import ResetNeeded


TEXTWORLD_IDS = [i for i in textagent_envs.ENV_IDS if i.startswith("TextWorld-")]
#: One id per family: the ids beyond these differ only in pinned knobs and reward wrappers,
#: which the native run of every id covers; what inform7 adds is its engine.
FAMILY_IDS = ["TextWorld-Custom-v0", "TextWorld-Simple-v0", "TextWorld-Cooking-v0",
              "TextWorld-CoinCollector-v0", "TextWorld-TreasureHunter-v0"]


@pytest.mark.parametrize("env_id, engine", [*((i, None) for i in TEXTWORLD_IDS), *((i, "inform7") for i in FAMILY_IDS)])
def test_every_registered_id_passes_the_conformance_check(env_id, engine):
    # Every id on its default engine (native), one per family on the reference.
    assert set(FAMILY_IDS) <= set(TEXTWORLD_IDS)
    env = gym.make(env_id) if engine is None else gym.make(env_id, engine=engine)
    try:
        check_text_env(env, seeds=(1,))
        assert env.unwrapped.engine == (engine or "native")
        assert env.reset(seed=1)[1][infos.ENGINE] == env.unwrapped.engine
    finally:
        env.close()


@pytest.mark.parametrize(
    "env_id, kwargs",
    [
        ("TextWorld-Custom-v0", {}),
        ("TextWorld-Simple-v0", {"rewards": "sparse", "goal": "brief"}),
        ("TextWorld-Cooking-v0", {"level": 3}),
        ("TextWorld-CoinCollector-v0", {"level": 5}),
        ("TextWorld-TreasureHunter-v0", {"level": 12}),
    ],
)
def test_walkthrough_wins_every_family_at_several_seeds(env_id, kwargs):
    env = gym.make(env_id, isolation="none", **kwargs)
    try:
        check_text_env(env, seeds=(2, 3, 4), skip_gymnasium=True)
    finally:
        env.close()


@pytest.fixture
def env():
    e = gym.make("TextWorld-Custom-w2-o3-q4-v0")
    yield e
    e.close()


def test_reset_seed_picks_the_game_and_reset_without_seed_draws_from_np_random(env):
    obs1, info1 = env.reset(seed=1)
    obs2, info2 = env.reset(seed=2)
    assert info1[infos.TASK]["seed"] == 1 and info2[infos.TASK]["seed"] == 2
    assert obs1 != obs2
    env.reset(seed=10)
    drawn = [env.reset()[1][infos.TASK]["seed"] for _ in range(2)]
    env.reset(seed=10)
    assert [env.reset()[1][infos.TASK]["seed"] for _ in range(2)] == drawn


def test_same_seed_same_first_observation_in_another_process(env, tmp_path):
    obs, info = env.reset(seed=3)
    code = (
        "import gymnasium as gym, json, sys, textagent_envs\n"
        "env = gym.make('TextWorld-Custom-w2-o3-q4-v0', cache_dir=sys.argv[1], isolation='none')\n"
        "obs, info = env.reset(seed=3)\n"
        "print(json.dumps([obs, info['walkthrough'], info['task']]))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [obs, info[infos.WALKTHROUGH], info[infos.TASK]]


def test_reset_with_a_task_its_dict_or_a_game_file(env):
    _, info = env.reset(seed=4)
    game_file = str(env.unwrapped.game_file)
    spec = TaskSpec.from_dict(info[infos.TASK])
    for task in (spec, spec.to_dict(), game_file):
        obs, info2 = env.reset(options={"task": task})
        assert info2[infos.WALKTHROUGH] == info[infos.WALKTHROUGH]
        assert env.unwrapped.game_file.resolve() == Path(game_file).resolve()  # the very same game file
    assert info2[infos.TASK]["game_file"] == game_file


def test_reset_errors(env):
    with pytest.raises(ValueError, match="only option is 'task'"):
        env.reset(options={"level": 3})
    with pytest.raises(ValueError, match="'tw-simple' task but this env plays 'tw-custom'"):
        env.reset(options={"task": TaskSpec("tw-simple", {}, seed=1)})
    with pytest.raises(FileNotFoundError):
        env.reset(options={"task": "/nonexistent/game.z8"})
    with pytest.raises(ValueError, match="seed must be"):
        env.reset(seed=-1)


def test_step_errors(env):
    fresh = gym.make("TextWorld-Custom-w2-o3-q4-v0", disable_env_checker=True).unwrapped
    with pytest.raises(ResetNeeded, match="reset"):
        fresh.step("look")
    env.reset(seed=1)
    with pytest.raises(TypeError, match="must be a str"):
        env.step(None)


def test_task_set_is_sampled_or_cycled_with_the_env_rng(tmp_path):
    manifest = tmp_path / "tasks.jsonl"
    specs = [TaskSpec("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}, seed=s) for s in (21, 22, 23)]
    manifest.write_text("".join(s.to_json() + "\n" for s in specs))
    cyc = gym.make("TextWorld-Custom-v0", tasks=str(manifest), task_order="sequential", isolation="none")
    seen = [cyc.reset(seed=0 if i == 0 else None)[1][infos.TASK]["seed"] for i in range(4)]
    assert seen == [21, 22, 23, 21]
    rnd = gym.make("TextWorld-Custom-v0", tasks=str(manifest), isolation="none")
    first = [rnd.reset(seed=5 if i == 0 else None)[1][infos.TASK]["seed"] for i in range(6)]
    again = [rnd.reset(seed=5 if i == 0 else None)[1][infos.TASK]["seed"] for i in range(6)]
    assert first == again and set(first) <= {21, 22, 23}
    cyc.close(), rnd.close()


def test_rewards_are_per_step_and_losing_is_not_winning():
    env = gym.make("TextWorld-Simple-v0", rewards="dense", isolation="none")
    _, info = env.reset(seed=1)
    total = 0.0
    for command in info[infos.WALKTHROUGH]:
        _, reward, terminated, _, info = env.step(command)
        total += reward
    assert terminated and info[infos.WON] and total == info[infos.SCORE] == info[infos.MAX_SCORE]
    # Eat the food instead of putting it on the stove: a loss, never a win.
    _, info = env.reset(seed=1)
    walkthrough = info[infos.WALKTHROUGH]
    food_step = next(i for i, c in enumerate(walkthrough) if c.startswith("put ") and "stove" in c)
    for command in walkthrough[:food_step]:
        env.step(command)
    food = walkthrough[food_step][len("put "):].split(" on ")[0]
    _, reward, terminated, truncated, info = env.step(f"eat {food}")
    assert terminated and not truncated and info[infos.LOST] and not info[infos.WON] and not info[infos.SUCCESS]
    env.close()


def test_infos_are_opt_in():
    lean = gym.make("TextWorld-Custom-w2-o3-q4-v0", admissible_commands=False, isolation="none")
    _, info = lean.reset(seed=1)
    assert infos.ADMISSIBLE_COMMANDS not in info
    rich = gym.make("TextWorld-Custom-w2-o3-q4-v0", extra_infos=list(infos.OPTIONAL), isolation="none")
    _, info = rich.reset(seed=1)
    assert set(infos.OPTIONAL) <= set(info)
    assert info[infos.POLICY_COMMANDS] == info[infos.WALKTHROUGH]
    assert info[infos.LOCATION] == "Studio" and "carrying" in info[infos.INVENTORY]
    lean.close(), rich.close()


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(world=3), ValueError, "unknown knob"),
        (dict(isolation="docker"), ValueError, "isolation"),
        (dict(step_timeout=-1), ValueError, "positive"),
        (dict(step_timeout=True), ValueError, "positive"),
        (dict(task_order="shuffled"), ValueError, "task_order"),
        (dict(extra_infos=["colour"]), ValueError, "extra_infos"),
        (dict(render_mode="rgb_array"), ValueError, "render_mode"),
        (dict(admissible_commands="yes"), TypeError, "bool"),
    ],
)
def test_bad_constructor_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        gym.make("TextWorld-Custom-v0", **kwargs)


def test_in_process_and_isolated_backends_agree():
    transcripts = []
    for isolation in ("none", "process"):
        env = gym.make("TextWorld-Custom-w2-o3-q4-v0", isolation=isolation)
        obs, info = env.reset(seed=6)
        steps = [(obs, info)]
        for command in ["look", "xyzzy", *info[infos.WALKTHROUGH]]:
            steps.append(env.step(command))
        transcripts.append(steps)
        env.close()
    assert transcripts[0] == transcripts[1]


@pytest.mark.parametrize("isolation", ["none", "process"])
def test_a_hung_backend_is_cut_off_by_the_step_timeout(monkeypatch, isolation):
    monkeypatch.setitem(env_module.ENGINES, "inform7", "tests.fakes:HangOnCommand")
    env = gym.make("TextWorld-Custom-w2-o3-q4-v0", engine="inform7", step_timeout=1.0, isolation=isolation)
    _, info = env.reset(seed=1)
    backend = env.unwrapped._runner
    started = time.monotonic()
    obs, reward, terminated, truncated, info = env.step("hang now")
    assert time.monotonic() - started < 10
    assert truncated and not terminated and reward == 0.0
    assert info[infos.TRUNCATION_REASON] == "step_timeout" and "cut off" in obs
    with pytest.raises(ResetNeeded):
        env.step("look")
    _, info = env.reset(seed=1)  # a fresh backend serves the next episode
    assert env.unwrapped._runner is not backend
    for command in info[infos.WALKTHROUGH]:
        *_, info = env.step(command)
    assert info[infos.WON]
    env.close()


def test_an_env_stepped_in_another_thread_is_cut_off_by_the_step_timeout(monkeypatch):
    # Before the runner's watchdog, a step off the main thread had no timeout at all.
    import threading

    monkeypatch.setitem(env_module.ENGINES, "inform7", "tests.fakes:HangOnCommand")
    env = gym.make("TextWorld-Custom-w2-o3-q4-v0", engine="inform7", step_timeout=1.0, isolation="none")
    env.reset(seed=1)
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(env.step("hang a while")))
    started = time.monotonic()
    thread.start()
    thread.join(60)
    obs, reward, terminated, truncated, info = outcome[0]
    assert time.monotonic() - started < 10
    assert truncated and info[infos.TRUNCATION_REASON] == "step_timeout" and "cut off" in obs
    env.close()


def test_render_ansi_returns_the_last_observation():
    env = gym.make("TextWorld-Custom-w2-o3-q4-v0", render_mode="ansi", isolation="none")
    obs, _ = env.reset(seed=1)
    assert env.render() == obs
    obs, *_ = env.step("look")
    assert env.render() == obs
    env.close()


def test_the_step_budget_truncates():
    env = gym.make("TextWorld-Custom-w2-o3-q4-v0", max_episode_steps=3, isolation="none")
    env.reset(seed=1)
    results = [env.step("look") for _ in range(3)]
    assert [r[3] for r in results] == [False, False, True]
    assert gym.spec("TextWorld-Custom-w4-o6-q8-v0").max_episode_steps == 24


def test_a_missing_game_in_a_task_set_fails_that_reset_only(env, tmp_path):
    _, info = env.reset(seed=1)
    good = TaskSpec.from_dict(info[infos.TASK])
    manifest = tmp_path / "set.jsonl"
    manifest.write_text(
        json.dumps({"family": "tw-custom", "game_file": "gone.z8", "id": "gone"}) + "\n" + good.to_json() + "\n"
    )
    played = gym.make("TextWorld-Custom-w2-o3-q4-v0", tasks=str(manifest), task_order="sequential", isolation="none")
    with pytest.raises(FileNotFoundError, match="gone.z8"):
        played.reset(seed=0)
    _, info = played.reset()
    assert info[infos.TASK]["id"] == good.id
    played.close()


def test_last_action_valid_counts_moves_score_and_outcome():
    before = {infos.MOVES: 3, infos.SCORE: 1, infos.WON: False, infos.LOST: False}
    from textagent_envs.game_env import _accepted

    assert not _accepted(before, dict(before))
    assert _accepted(before, {**before, infos.MOVES: 4})
    assert _accepted(before, {**before, infos.SCORE: 0})
    assert _accepted(before, {**before, infos.LOST: True})  # e.g. drinking the milk in tw-cooking


def test_a_drawn_seed_without_a_game_is_replaced_but_a_chosen_one_is_an_error(monkeypatch):
    from textagent_envs.textworld.games import GameGenerationError, ensure_game

    refused = set()

    def flaky(task, cache_dir=None, **kwargs):
        if task.seed not in refused and len(refused) < 2:
            refused.add(task.seed)
            raise GameGenerationError(f"no quest for seed {task.seed}")
        return ensure_game(task, cache_dir, **kwargs)

    monkeypatch.setattr(env_module, "ensure_game", flaky)
    env = gym.make("TextWorld-Custom-w2-o3-q4-v0", isolation="none")
    with pytest.raises(GameGenerationError, match="no quest for seed 1"):
        env.reset(seed=1)  # a chosen seed that makes no game is an error
    _, info = env.reset()  # a drawn one is replaced by the next draw
    assert len(refused) == 2 and info[infos.TASK]["seed"] not in refused
    env.close()


def test_the_native_engines_game_file_is_a_task_on_either_engine(tmp_path):
    # On the default engine the game file is the game's .json (no compile); it can be
    # passed back as a task, and engine="inform7" plays the .z8 beside it, if there is one.
    from textagent_envs.textworld.games import GameFileError, ensure_game

    env = gym.make("TextWorld-Custom-w2-o3-q4-v0", cache_dir=tmp_path)
    reference = gym.make("TextWorld-Custom-w2-o3-q4-v0", cache_dir=tmp_path, engine="inform7")
    try:
        _, info = env.reset(seed=4)
        game_file = str(env.unwrapped.game_file)
        assert game_file.endswith(".json")
        assert env.reset(options={"task": game_file})[1][infos.WALKTHROUGH] == info[infos.WALKTHROUGH]
        with pytest.raises(GameFileError, match="native engine's .json"):
            reference.reset(options={"task": game_file})
        ensure_game(TaskSpec.from_dict(info[infos.TASK]), tmp_path, engine="inform7")  # compiles the .z8 beside it
        assert reference.reset(options={"task": game_file})[1][infos.WALKTHROUGH] == info[infos.WALKTHROUGH]
    finally:
        env.close()
        reference.close()
