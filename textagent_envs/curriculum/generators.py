"""Deprecated: moved to :mod:`textagent_envs.tasksets.generators` (task sets are apart from curricula now).

The old names still work for one release and warn when used (see CHANGELOG.md)."""

from typing import Any

from ._moved import moved

_NAMES = ("TaskGenerator", "generator_for", "TextWorldGenerator", "SWEMiniGenerator", )


def __getattr__(name: str) -> Any:
    return moved(__name__, name, _NAMES)
