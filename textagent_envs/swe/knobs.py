"""SWE-Mini's knobs and its practice repositories (shipped as package data).

The repositories live in ``textagent_envs/swe/repos/<name>/`` (the package itself and its
``tests/``), found through :mod:`importlib.resources`, so an installed wheel finds them as a
source checkout does. Nothing heavy is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from ..knobs import Knobs, knob
from .mutations import MUTATION_KINDS

#: The task family name in :class:`~textagent_envs.tasks.TaskSpec`.
FAMILY = "swe-mini"
#: Where the practice repositories live: the package data folder ``textagent_envs/swe/repos``.
REPOS_DIR = Path(str(resources.files(__package__).joinpath("repos")))


def available_repos() -> list[str]:
    """Names of the practice repositories."""
    if not REPOS_DIR.is_dir():
        return []
    return sorted(p.name for p in REPOS_DIR.iterdir() if (p / "tests").is_dir())


def repo_path(name: str) -> Path:
    """The folder of the practice repository ``name``."""
    repos = available_repos()
    if name not in repos:
        if not repos:
            raise FileNotFoundError(
                f"no SWE-Mini repositories at {REPOS_DIR}: they ship as package data of textagent_envs; "
                "reinstall the package (pip install --force-reinstall textagent_envs)"
            )
        raise ValueError(f"unknown SWE-Mini repository {name!r}; available: {repos}")
    return REPOS_DIR / name


@dataclass(frozen=True)
class MiniKnobs(Knobs):
    """SWE-Mini's complexity knobs: the repository, how many bugs, and which kinds.

    Levels (1 = easiest): 1 one operator/comparison bug; 2 one bug of any kind; 3 two
    bugs; 4 three bugs; 5 four bugs (more bugs usually spread over more files and more
    failing tests, so the failing test points less directly at each bug). ``repo`` may go
    with a level.
    """

    family: ClassVar[str] = FAMILY
    _LEVELS: ClassVar[dict[int, dict[str, Any]]] = {
        1: dict(nb_bugs=1, kinds=("operator_swap", "comparison_swap")),
        2: dict(nb_bugs=1),
        3: dict(nb_bugs=2),
        4: dict(nb_bugs=3),
        5: dict(nb_bugs=4),
    }
    level_knobs: ClassVar[tuple[str, ...]] = ("repo",)

    repo: str = knob("calckit", "the practice repository (package data: `textagent_envs/swe/repos/`)", choices=available_repos)
    nb_bugs: int = knob(1, "bugs injected, each caught by a test that passed before", minimum=1, maximum=5)
    kinds: tuple[str, ...] = knob(MUTATION_KINDS, "bug kinds to draw from", subset=MUTATION_KINDS)

    @classmethod
    def from_level(cls, level: int, repo: str = "calckit") -> "MiniKnobs":
        """The knobs of ``level`` (1-5) on ``repo``."""
        return super().from_level(level, repo=repo)

    def slug(self) -> str:
        kinds = "all" if self.kinds == MUTATION_KINDS else "+".join(k.split("_")[0] for k in self.kinds)
        return f"{self.repo}-b{self.nb_bugs}-{kinds}"
