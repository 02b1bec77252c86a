import pytest

from textagent_envs.alfworld.knobs import TASK_IDS, TASK_TYPES, ALFWorldKnobs
from textagent_envs.knobs import KnobError


def test_levels_grow_to_alfworld_size():
    sizes = [ALFWorldKnobs.from_level(level) for level in ALFWorldKnobs.levels()]
    assert [k.nb_receptacles for k in sizes] == sorted(k.nb_receptacles for k in sizes)
    assert (sizes[-1].nb_receptacles, sizes[-1].nb_objects) == (30, 30)
    assert ALFWorldKnobs.from_params({"level": 2, "task_type": "pick_two_obj_and_place"}).task_type == "pick_two_obj_and_place"


@pytest.mark.parametrize(
    "params, message",
    [
        ({"task_type": "make_coffee"}, "task_type must be one of"),
        ({"nb_receptacles": 1}, "nb_receptacles must be an int in"),
        ({"nb_objects": 500}, "nb_objects must be an int in"),
        ({"nb_objects": 4, "nb_distractors": 3}, r"nb_distractors must be an int in \[0, 2\]"),
        ({"level": 9}, "level must be an int in"),
        ({"level": 2, "nb_objects": 4}, "either level or knobs"),
        ({"rooms": 2}, "unknown knob"),
        ({"nb_receptacles": 2.5}, "must be an int"),
    ],
)
def test_bad_knobs_are_clear_errors(params, message):
    with pytest.raises(KnobError, match=message):
        ALFWorldKnobs.from_params(params)


def test_task_ids_are_the_six_types_and_round_trip():
    assert set(TASK_IDS) == set(TASK_TYPES) and len(TASK_TYPES) == 6
    knobs = ALFWorldKnobs(task_type="pick_cool_then_place_in_recep", nb_receptacles=5, nb_objects=6, nb_distractors=1)
    task = knobs.task(7)
    assert ALFWorldKnobs.from_params(task.params) == knobs
    assert task.id == "alfworld-pick_cool_then_place_in_recep-r5-o6-d1-s7"


def test_alfworld_knobs_need_no_textworld_helper():
    import ast
    import inspect

    import textagent_envs.alfworld.knobs as module

    imported = {node.module for node in ast.walk(ast.parse(inspect.getsource(module))) if isinstance(node, ast.ImportFrom)}
    assert not any("textworld" in (name or "") for name in imported), imported
