import numpy as np

from textagent_envs import infos
from textagent_envs.alfworld.env import ALFWorldEnv
from textagent_envs.tasksets import generator_for
from textagent_envs.tasksets import make_tasks


def test_generator_protocol():
    generator = generator_for("alfworld")
    assert list(generator.levels()) == list(range(1, 8))
    assert generator.knobs({"task_type": "pick_two_obj_and_place"}, level=1).nb_receptacles == 2
    a = generator.generate({"nb_receptacles": 3}, np.random.default_rng(0))
    b = generator.generate({"nb_receptacles": 3}, np.random.default_rng(0))
    assert a == b and a.family == "alfworld" and a.params["nb_receptacles"] == 3


def test_make_tasks_writes_a_manifest_of_playable_trials(tmp_path):
    made = make_tasks("alfworld", {"task_type": "look_at_obj_in_light"}, level=2, count=3, split="test", out_dir=tmp_path, workers=1, progress=False)
    assert made.manifest.name == "alfworld-look_at_obj_in_light-r4-o4-d0-test.jsonl"
    assert [t.seed for t in made.tasks] == [1, 2, 3]
    for task in made.tasks:
        assert task.metadata["task_type"] == "look_at_obj_in_light" and task.metadata["max_score"] == 3
        assert task.game_file.endswith("game.tw-pddl")
    env = ALFWorldEnv(tasks=str(made.manifest), task_order="sequential")
    for task in made.tasks:
        _, info = env.reset()
        assert info[infos.TASK]["id"] == task.id
        assert len(info[infos.WALKTHROUGH]) == task.metadata["walkthrough_length"]
        for command in info[infos.WALKTHROUGH]:
            *_, info = env.step(command)
        assert info[infos.SUCCESS]
