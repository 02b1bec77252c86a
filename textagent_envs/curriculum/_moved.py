"""The deprecation of the task-set modules that moved from ``curriculum`` to ``tasksets``
(kept for one release: see CHANGELOG.md)."""

from __future__ import annotations

import importlib
import warnings
from typing import Any

#: Old name -> ``"module:attribute"`` it now lives at.
MOVED = {
    "TaskGenerator": "textagent_envs.tasksets.generators:TaskGenerator",
    "generator_for": "textagent_envs.tasksets.generators:generator_for",
    "TextWorldGenerator": "textagent_envs.textworld.generator:TextWorldGenerator",
    "SWEMiniGenerator": "textagent_envs.swe.generator:SWEMiniGenerator",
    "make_tasks": "textagent_envs.tasksets.make_tasks:make_tasks",
    "MadeTasks": "textagent_envs.tasksets.make_tasks:MadeTasks",
    "manifest_path": "textagent_envs.tasksets.make_tasks:manifest_path",
    "measure_difficulty": "textagent_envs.textworld.difficulty:measure_difficulty",
    "DIFFICULTY_MAX_STATES": "textagent_envs.textworld.difficulty:DIFFICULTY_MAX_STATES",
    "SPLITS": "textagent_envs.tasksets.splits:SPLITS",
    "split_seeds": "textagent_envs.tasksets.splits:split_seeds",
    "split_of": "textagent_envs.tasksets.splits:split_of",
}


def moved(old_module: str, name: str, names: tuple[str, ...]) -> Any:
    """``name`` from where it lives now, with a ``DeprecationWarning`` naming the new path."""
    if name not in names:
        raise AttributeError(f"module {old_module!r} has no attribute {name!r}")
    module, _, attribute = MOVED[name].partition(":")
    warnings.warn(
        f"{old_module}.{name} moved to {module}.{attribute}; the old path works until the next release",
        DeprecationWarning, stacklevel=3,
    )
    return getattr(importlib.import_module(module), attribute)
