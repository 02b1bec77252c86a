"""The family registry: one entry per family, read by registration, generators, the CLI and the docs."""

import dataclasses
import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from textagent_envs import registration, registry
from textagent_envs.knobdocs import knob_table, stale_docs
from textagent_envs.knobs import GenerationError, KnobError, Knobs, knob
from textagent_envs.registry import ENTRIES, FAMILIES, Family, families, family
from textagent_envs.tasksets.generators import TaskGenerator, generator_for

ROOT = Path(__file__).resolve().parents[1]


def test_the_docs_knob_tables_are_the_ones_the_registry_renders():
    stale = stale_docs(ROOT)
    assert not stale, (
        "these docs' knob tables differ from the registry: " + "; ".join(stale)
        + "\nfix: python -m textagent_envs.knobdocs --write"
    )


def test_every_registered_id_comes_from_a_family_and_plays_its_knobs():
    assert registration.ENTRIES is ENTRIES
    assert [e.id for e in ENTRIES] == [i for f in FAMILIES.values() for i in f.ids]
    assert len(set(registration.ENV_IDS)) == len(registration.ENV_IDS)
    for item in FAMILIES.values():
        for entry in item.envs:
            module, _, name = entry.entry_point.partition(":")
            env_class = getattr(importlib.import_module(module), name)
            if item.knobs is None:
                assert getattr(env_class, "Knobs", None) is None, entry.id
                continue
            assert env_class.Knobs is item.knobs_class, entry.id
            knobs = item.knobs_class.from_params(entry.kwargs)  # pinned knobs are valid knobs
            assert knobs.family == item.name
            assert item.engines and item.engine_option in ("backend", "engine", "sandbox")
            # The registry's first engine is the one the env plays when not told (what `list` shows).
            default = inspect.signature(env_class).parameters.get(item.engine_option)
            if default is not None and default.default is not None:
                assert default.default == item.engines[0], entry.id
            engines = getattr(env_class, "ENGINES", None)
            if engines is not None:
                assert set(engines) == set(item.engines), entry.id
            if item.group == "textworld":
                from textagent_envs.textworld.env import DEFAULT_ENGINE

                assert DEFAULT_ENGINE == item.engines[0] == "native", entry.id


def test_a_family_is_found_by_name_or_by_id_and_an_unknown_name_lists_them():
    assert family("tw-coin_collector").ids == ("TextWorld-CoinCollector-v0",)
    assert family("textagent_envs:ALFWorld-LookAtObjInLight-v0").name == "alfworld"
    assert family("SWE-Gym-v0").knobs_class is None and "instances" in family("SWE-Gym-v0").no_generator
    with pytest.raises(KnobError, match="unknown family 'tw-nope'.*tw-custom.*swe-gym"):
        family("tw-nope")
    assert {f.name for f in families(group="textworld")} == {
        "tw-custom", "tw-simple", "tw-cooking", "tw-coin_collector", "tw-treasure_hunter"}
    assert [f.name for f in families(generated=False)] == ["swe-gym"]


# -- a fourth family: one knobs class, one generator, one registry entry -----------------------------


@dataclass(frozen=True)
class MazeKnobs(Knobs):
    family: ClassVar[str] = "maze"
    _LEVELS: ClassVar[dict] = {1: dict(size=3), 2: dict(size=5), 3: dict(size=9)}
    size: int = knob(3, "side of the maze", minimum=2, maximum=50)
    walls: bool = knob(True, "walls between cells")


class MazeGenerator(TaskGenerator):
    group = "maze"

    def make_game(self, task, games_dir=None):
        if task.seed % 2:
            raise GenerationError(f"odd seed {task.seed} makes no maze")
        path = Path(games_dir) / f"{task.id}.maze"
        path.write_text(f"maze {task.params['size']}")
        return path, {"cells": task.params["size"] ** 2}


def test_adding_a_family_is_one_registry_entry(monkeypatch, tmp_path, capsys):
    from textagent_envs.cli import main
    from textagent_envs.tasksets.make_tasks import _make_one

    entry = registry.EnvEntry("Maze-v0", f"{__name__}:MazeEnv", 20, summary="walk out of a maze")
    maze = Family("maze", "maze", "walk out of a maze", f"{__name__}:MazeKnobs", f"{__name__}:MazeGenerator",
                  "engine", ("python",), (entry,))
    monkeypatch.setitem(registry.FAMILIES, "maze", maze)

    generator = generator_for("maze")
    assert generator.levels() == range(1, 4) and generator.knobs(level=2) == MazeKnobs(size=5)
    with pytest.raises(KnobError, match=r"size must be an int in \[2, 50\], got 1"):
        generator.knobs({"size": 1})
    assert "| `size` | `3` | 2-50 | side of the maze |" in knob_table("maze")
    assert "| `level` | - | 1-3 |" in knob_table("maze")
    assert main(["list", "maze"]) == 0
    out = capsys.readouterr().out
    assert "size   default 3; 2-50: side of the maze" in out and "Maze-v0  (max_episode_steps=20)" in out
    seed, item, error = _make_one("maze", {"size": 4}, 2, str(tmp_path))
    assert item["metadata"] == {"cells": 16} and error is None
    assert _make_one("maze", {"size": 4}, 3, str(tmp_path)) == (3, None, "odd seed 3 makes no maze")


def test_knobs_declare_their_fields_and_bools_are_not_numbers():
    for item in families(generated=True):
        cls = item.knobs_class
        assert [s.name for s in cls.knob_specs()] == [f.name for f in dataclasses.fields(cls)], item.name
        ints = [s for s in cls.knob_specs() if s.kind == "int"]
        for spec in ints:
            with pytest.raises(KnobError, match=f"{spec.name} must be an int"):
                cls(**{spec.name: True})
