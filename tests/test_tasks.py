import json

import pytest

from textagent_envs.tasks import TaskSpec, as_task, load_task_set


def test_round_trips_through_json():
    spec = TaskSpec("tw-custom", {"world_size": 2, "nb_objects": 3}, seed=30001)
    assert TaskSpec.from_json(spec.to_json()) == spec
    assert TaskSpec.from_dict(spec.to_dict()) == spec
    assert spec.id == "tw-custom-nb_objects=3-world_size=2-s30001"


def test_game_file_task(tmp_path):
    game = tmp_path / "g.z8"
    game.write_bytes(b"")
    spec = as_task(str(game), family="tw-custom")
    assert spec.game_file == str(game) and spec.seed is None and spec.id == "tw-custom-g"
    assert TaskSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(family="", seed=1), "family"),
        (dict(family="tw-custom", params=[1], seed=1), "mapping"),
        (dict(family="tw-custom", seed=-1), "seed"),
        (dict(family="tw-custom", seed=True), "seed"),
        (dict(family="tw-custom"), "needs a seed"),
    ],
)
def test_rejects_bad_specs(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        TaskSpec(**kwargs)


def test_from_dict_rejects_unknown_fields():
    with pytest.raises(ValueError, match="unknown TaskSpec fields"):
        TaskSpec.from_dict({"family": "tw-custom", "seed": 1, "sead": 2})


def test_as_task_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        as_task(str(tmp_path / "missing.z8"), family="tw-custom")
    with pytest.raises(ValueError, match="must end in"):
        as_task(str(tmp_path / "game.txt"), family="tw-custom")
    with pytest.raises(TypeError):
        as_task(3, family="tw-custom")


def test_load_task_set_from_each_source(tmp_path):
    specs = [TaskSpec("tw-custom", {"world_size": 2}, seed=s) for s in (1, 2, 3)]
    jsonl = tmp_path / "set.jsonl"
    jsonl.write_text("\n".join(s.to_json() for s in specs) + "\n\n")
    as_json = tmp_path / "set.json"
    as_json.write_text(json.dumps([s.to_dict() for s in specs]))
    assert load_task_set(jsonl, family="tw-custom") == specs
    assert load_task_set(as_json, family="tw-custom") == specs
    assert load_task_set([s.to_dict() for s in specs], family="tw-custom") == specs
    games = tmp_path / "games"
    games.mkdir()
    for name in ("b.z8", "a.z8", "a.json"):
        (games / name).write_bytes(b"")
    from_dir = load_task_set(games, family="tw-custom")
    assert [t.game_file for t in from_dir] == [str(games / "a.z8"), str(games / "b.z8")]
    one = tmp_path / "one"
    one.mkdir()
    (one / "set.jsonl").write_text(jsonl.read_text())
    assert load_task_set(one, family="tw-custom") == specs  # a folder with one manifest
    (one / "other.jsonl").write_text(jsonl.read_text())
    with pytest.raises(ValueError, match="several manifests"):
        load_task_set(one, family="tw-custom")


def test_load_task_set_errors_name_the_place(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"family": "tw-custom", "seed": 1}\nnot json\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2"):
        load_task_set(bad, family="tw-custom")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_task_set(tmp_path / "nope.jsonl", family="tw-custom")
    other = tmp_path / "other.jsonl"
    other.write_text('{"family": "tw-simple", "seed": 1}\n')
    with pytest.raises(ValueError, match="belongs to family 'tw-simple'"):
        load_task_set(other, family="tw-custom")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ValueError, match="no tasks"):
        load_task_set(empty, family="tw-custom")


def test_task_set_order_random_and_sequential():
    import numpy as np

    from textagent_envs.tasks import TaskSetOrder

    tasks = [TaskSpec("tw-custom", {}, seed) for seed in (1, 2, 3)]
    sequential = TaskSetOrder("sequential")
    rng = np.random.default_rng(0)
    assert [sequential.pick(tasks, rng, restart=False).seed for _ in range(4)] == [1, 2, 3, 1]
    assert sequential.pick(tasks, rng, restart=True).seed == 1
    picks = [TaskSetOrder("random").pick(tasks, np.random.default_rng(5), restart=False).seed for _ in range(2)]
    assert picks[0] == picks[1]  # the env's seeded generator decides
    with pytest.raises(ValueError, match="task_order must be"):
        TaskSetOrder("shuffled")


def test_make_with_redraws_replaces_drawn_seeds_only():
    from textagent_envs.tasks import DRAW_ATTEMPTS, check_seed, make_with_redraws

    class NoTask(RuntimeError):
        pass

    def make(task):
        if task.seed < 3:
            raise NoTask(f"seed {task.seed}")
        return f"game {task.seed}"

    seeds = iter(range(1, 100))
    redraw = lambda: TaskSpec("tw-custom", {}, next(seeds))  # noqa: E731
    task, game = make_with_redraws(TaskSpec("tw-custom", {}, 0), make, redraw, drawn=True, error=NoTask, what="game")
    assert (task.seed, game) == (3, "game 3")
    with pytest.raises(NoTask, match="seed 0"):
        make_with_redraws(TaskSpec("tw-custom", {}, 0), make, redraw, drawn=False, error=NoTask, what="game")
    with pytest.raises(NoTask, match=f"{DRAW_ATTEMPTS} drawn seeds in a row made no game"):
        make_with_redraws(TaskSpec("tw-custom", {}, 0), make, lambda: TaskSpec("tw-custom", {}, 0), drawn=True,
                          error=NoTask, what="game")
    for bad in (-1, True, 1.5, 2**31):
        with pytest.raises(ValueError, match="seed must be"):
            check_seed(bad)
    check_seed(None)
