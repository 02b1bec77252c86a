import numpy as np
import pytest

from textagent_envs.curriculum import SPLITS, generator_for, split_of, split_seeds
from textagent_envs.textworld.families import FAMILIES, CustomKnobs, KnobError


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


@pytest.mark.parametrize("family", sorted(FAMILIES))
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
