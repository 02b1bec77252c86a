import numpy as np
import pytest

from textagent_envs.knobs import GenerationError, KnobError
from textagent_envs.registry import families
from textagent_envs.tasksets import SPLITS, generator_for, split_of, split_seeds
from textagent_envs.textworld.families import CustomKnobs


def test_splits_are_disjoint_and_start_at_the_papers_seeds():
    ranges = list(SPLITS.values())
    for i, a in enumerate(ranges):
        for b in ranges[i + 1:]:
            assert not set(a) & set(b)
    assert split_seeds("test")[:100] == range(1, 101)
    assert split_seeds("train")[0] == 30001 and split_seeds("sft")[0] == 40001
    assert split_of(30001) == "train" and split_of(25000) is None
    with pytest.raises(ValueError, match="unknown split"):
        split_seeds("dev")


@pytest.mark.parametrize("family", [f.name for f in families(generated=True)])
def test_every_family_has_levels_that_make_valid_knobs(family):
    generator = generator_for(family)
    levels = generator.levels()
    assert levels[0] == 1 and len(levels) >= 3
    for level in (levels[0], levels[len(levels) // 2], levels[-1]):
        knobs = generator.knobs(level=level)
        assert type(knobs).from_params(knobs.to_params()) == knobs
    with pytest.raises(KnobError, match="level"):
        generator.knobs(level=levels[-1] + 1)


def test_custom_levels_include_the_papers_settings_in_order_of_difficulty():
    slugs = [CustomKnobs.from_level(level).slug() for level in CustomKnobs.levels()]
    paper = ["w2-o3-q4", "w8-o3-q4", "w2-o12-q4", "w8-o12-q4", "w4-o6-q8"]
    assert [s for s in slugs if s in paper] == paper


def test_generate_draws_the_seed_from_the_rng():
    generator = generator_for("tw-custom")
    a = [generator.generate({"world_size": 3}, np.random.default_rng(7)) for _ in range(2)]
    assert a[0] == a[1] and a[0].params["world_size"] == 3 and a[0].id == f"tw-custom-w3-o3-q4-s{a[0].seed}"
    assert generator.generate({}, np.random.default_rng(8)).seed != a[0].seed
    with pytest.raises(KnobError, match="either level or knobs"):
        generator.knobs({"world_size": 3}, level=2)
    with pytest.raises(KnobError, match="unknown family"):
        generator_for("alfworld-ish")
    with pytest.raises(KnobError, match="has no task generator"):
        generator_for("swe-gym")


def test_every_generator_comes_from_the_registry_and_its_errors_share_one_base():
    from textagent_envs.alfworld.households import GenerationError as HouseholdError
    from textagent_envs.swe.mini import TaskGenerationError
    from textagent_envs.textworld.games import GameGenerationError

    for item in families(generated=True):
        generator = generator_for(item.name)
        assert generator.family == item.name and generator.levels() == item.levels
        assert generator.generation_errors == (GenerationError,)
    for error in (GameGenerationError, HouseholdError, TaskGenerationError):
        assert issubclass(error, GenerationError)


@pytest.mark.parametrize("old, name", [
    ("textagent_envs.curriculum", "generator_for"),
    ("textagent_envs.curriculum.generators", "TextWorldGenerator"),
    ("textagent_envs.curriculum.make_tasks", "make_tasks"),
    ("textagent_envs.curriculum.make_tasks", "measure_difficulty"),
    ("textagent_envs.curriculum.splits", "split_seeds"),
])
def test_old_task_set_paths_still_work_and_warn(old, name):
    import importlib

    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=f"{name} moved to"):
        value = getattr(module, name)
    assert callable(value)
    with pytest.raises(AttributeError):
        module.not_a_name  # noqa: B018
