import pytest

from textagent_envs.textworld.families import (
    COOKING_LEVELS,
    FAMILIES,
    CoinCollectorKnobs,
    CookingKnobs,
    CustomKnobs,
    KnobError,
    SimpleKnobs,
    TreasureHunterKnobs,
    family_knobs,
)


@pytest.mark.parametrize(
    "cls, kwargs, message",
    [
        (CustomKnobs, dict(world_size=0), "world_size"),
        (CustomKnobs, dict(nb_objects="3"), "nb_objects"),
        (CustomKnobs, dict(quest_length=True), "quest_length"),
        (CustomKnobs, dict(quest_breadth=0), "quest_breadth"),
        (SimpleKnobs, dict(rewards="dens"), "rewards must be one of"),
        (SimpleKnobs, dict(goal="long"), "goal"),
        (SimpleKnobs, dict(test="yes"), "test"),
        (CookingKnobs, dict(go=5), "go must be one of"),
        (CookingKnobs, dict(recipe=2, take=3), "take"),
        (CookingKnobs, dict(level=9), "level"),
        (CookingKnobs, dict(level=2, recipe=3), "either level or the skills"),
        (CookingKnobs, dict(recipe_seed=3), "needs take"),
        (CookingKnobs, dict(split="dev"), "split"),
        (CoinCollectorKnobs, dict(level=301), "level"),
        (TreasureHunterKnobs, dict(level=0), "level"),
    ],
)
def test_bad_knobs_are_refused_with_the_reason(cls, kwargs, message):
    with pytest.raises(KnobError, match=message):
        cls(**kwargs)


def test_unknown_knob_lists_the_real_ones():
    with pytest.raises(KnobError, match=r"unknown knob\(s\) \['world'\].*world_size"):
        CustomKnobs.from_params({"world": 3})


@pytest.mark.parametrize("level", sorted(COOKING_LEVELS))
def test_cooking_level_sets_the_skills_and_round_trips(level):
    knobs = CookingKnobs(level=level)
    for key, value in COOKING_LEVELS[level].items():
        assert getattr(knobs, key) == value
    assert knobs.to_params() == {"level": level, "recipe_seed": 0, "split": None}
    assert CookingKnobs.from_params(knobs.to_params()) == knobs


def test_every_family_round_trips_its_params_and_has_a_slug():
    for family, cls in FAMILIES.items():
        knobs = cls()
        assert family_knobs(family) is cls
        assert cls.from_params(knobs.to_params()) == knobs
        assert knobs.slug()
    assert CustomKnobs(world_size=4, nb_objects=6, quest_length=8).slug() == "w4-o6-q8"
    with pytest.raises(KnobError, match="unknown TextWorld family"):
        family_knobs("tw-nope")


@pytest.mark.parametrize("level, ok", [(150, True), (151, False), (200, False), (201, True), (233, True), (234, False)])
def test_coin_collector_levels_beyond_100_rooms_are_refused(level, ok):
    if ok:
        assert CoinCollectorKnobs(level=level).level == level
    else:
        with pytest.raises(KnobError, match="at most 100"):
            CoinCollectorKnobs(level=level)


def test_a_cooking_level_and_its_skills_name_the_same_game():
    from textagent_envs.textworld.games import game_path

    spelled = CookingKnobs(**COOKING_LEVELS[4])
    assert game_path("tw-cooking", CookingKnobs(level=4), 1, "/c") == game_path("tw-cooking", spelled, 1, "/c")
    assert game_path("tw-cooking", CookingKnobs(level=5), 1, "/c") != game_path("tw-cooking", spelled, 1, "/c")


def test_each_knob_range_is_declared_once_and_validation_reads_it():
    import dataclasses

    from textagent_envs.knobs import KnobSpec

    for cls in FAMILIES.values():
        specs = {spec.name: spec for spec in cls.knob_specs()}
        assert set(specs) == {f.name for f in dataclasses.fields(cls)}, f"{cls.__name__}: a field without knob()"
        for spec in specs.values():
            assert isinstance(spec, KnobSpec) and spec.doc
            if spec.kind == "int":
                with pytest.raises(KnobError, match=rf"{spec.name} must be an int in \[{spec.minimum}, {spec.maximum}\]"):
                    cls(**{spec.name: spec.maximum + 1})
            if spec.kind == "choice":
                with pytest.raises(KnobError, match=f"{spec.name} must be one of"):
                    cls(**{spec.name: "not-a-choice"})
