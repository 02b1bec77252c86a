"""The ALFWorld Gymnasium environment: generated households by default, real ALFWorld
data with ``data_dir=``.

:class:`ALFWorldEnv` is a :class:`~textagent_envs.game_env.GameEnv` (as the TextWorld env
is, its sibling) with ALFWorld's knobs, games and engines, so seeds, task sets, reset
options, the step timeout, process isolation and the info contract are every game env's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ..checks import require_choice
from ..game_env import GameEnv
from ..tasks import TaskSpec
from ..textworld.games import GameFileError
from .backend import FAST_OPTIONAL, PDDL_OPTIONAL
from .data import SPLITS, find_games
from .games import discard_household, ensure_game, game_file_of
from .households import GenerationError
from .knobs import FAMILY, ALFWorldKnobs

#: Engine name -> the backend its runner builds.
ENGINES = {
    "fast": "textagent_envs.alfworld.backend:FastBackend",
    "pddl": "textagent_envs.alfworld.backend:PddlBackend",
}


class ALFWorldEnv(GameEnv):
    """ALFWorld (text): household tasks of six types, in generated rooms or real data.

    Description:
        The agent stands in a room of receptacles (cabinets, fridge, sink basin, ...)
        holding objects, and is given one task: ``pick_and_place_simple``,
        ``look_at_obj_in_light``, ``pick_clean_then_place_in_recep``,
        ``pick_heat_then_place_in_recep``, ``pick_cool_then_place_in_recep`` or
        ``pick_two_obj_and_place``.

    Observation:
        ``str``, the game's reply (at reset: the room and ``Your task is to: ...``).

    Action:
        ``str``, one command such as ``go to fridge 1``, ``take apple 1 from countertop
        2``, ``heat apple 1 with microwave 1``, ``move apple 1 to fridge 1``;
        ``info["admissible_commands"]`` lists the accepted ones. Anything else gets
        ``Nothing happens.``; unreadable strings are refused (see
        :mod:`textagent_envs.commands`).

    Rewards:
        The change in sub-goal progress (found, picked up, cleaned / heated / cooled,
        placed, done; :mod:`textagent_envs.alfworld.progress`), so the dense reward
        wrapper gives turn-level rewards; ``info["success"]`` is the win.

    Termination and truncation:
        ``terminated`` when the task is done (ALFWorld games are never lost);
        ``truncated`` at the step budget or a step timeout.

    Infos:
        The keys in :mod:`textagent_envs.infos`; with ``engine="pddl"`` the only
        optional ones are ``admissible_commands`` and ``policy_commands``.

    Knobs:
        Generated households: ``task_type`` (one of the six, or None for any),
        ``nb_receptacles``, ``nb_objects``, ``nb_distractors``, or one ``level`` (7 =
        real ALFWorld size); their ranges are in the knob table of docs/alfworld.md,
        generated from the family registry. Env arguments:

        - ``engine``: ``"fast"`` (default; the native engine; ``get_state`` /
          ``set_state`` / ``fork`` copy its episodes) or ``"pddl"`` (alfworld's own
          engine, hundreds of times slower).
        - ``data_dir``: a ``json_2.1.1`` folder of real ALFWorld games (see
          :mod:`textagent_envs.alfworld.data`); the env then plays the games of
          ``split`` (of ``task_type`` if set) as its task set.
        - ``split``: ``"train"``, ``"valid_seen"`` or ``"valid_unseen"``.
        - ``tasks``, ``task_order``, ``cache_dir``, ``admissible_commands``,
          ``extra_infos``, ``isolation``, ``step_timeout``, ``render_mode``: as every
          game env (:class:`~textagent_envs.game_env.GameEnv`).

        Registered ids: ``ALFWorld-v0`` (any task type) and one per type:
        ``ALFWorld-PickAndPlaceSimple-v0``, ``ALFWorld-LookAtObjInLight-v0``,
        ``ALFWorld-PickCleanThenPlace-v0``, ``ALFWorld-PickHeatThenPlace-v0``,
        ``ALFWorld-PickCoolThenPlace-v0``, ``ALFWorld-PickTwoObjAndPlace-v0``.

    Examples:
        >>> import gymnasium as gym, textagent_envs
        >>> env = gym.make("ALFWorld-v0", level=1)
        >>> obs, info = env.reset(seed=3)
        >>> for command in info["walkthrough"]:
        ...     obs, reward, terminated, truncated, info = env.step(command)
        >>> terminated, info["success"]
        (True, True)
        >>> env.close()
    """

    Knobs = ALFWorldKnobs
    ENGINES = ENGINES
    COPYING_ENGINES = ("fast",)
    ENGINE_INFOS = {"fast": FAST_OPTIONAL, "pddl": PDDL_OPTIONAL}
    GameFileError = GameFileError
    GenerationError = GenerationError

    def __init__(
        self,
        *,
        data_dir: str | Path | None = None,
        split: str = "train",
        engine: str = "fast",
        tasks: str | Path | Sequence | None = None,
        **kwargs: Any,
    ):
        if "backend" in kwargs:
            raise TypeError(
                f"ALFWorldEnv has no backend option (got backend={kwargs['backend']!r}): ALFWorld games play on "
                "engine='fast' (default) or engine='pddl'"
            )
        require_choice("split", split, SPLITS)
        if data_dir is not None and tasks is not None:
            raise ValueError("give data_dir (real ALFWorld games) or tasks (a task set), not both")
        super().__init__(engine=engine, tasks=tasks, **kwargs)
        self.data_dir = data_dir
        self.split = split
        if data_dir is not None:
            kinds = None if self.knobs.task_type is None else [self.knobs.task_type]
            self.task_set = [
                TaskSpec(FAMILY, {}, None, game_file=str(path), id=f"{FAMILY}-{split}-{path.parent.parent.name}-{path.parent.name}")
                for path in find_games(data_dir, split, kinds)
            ]

    def _choose_task(self, seed: int | None, options: dict | None) -> TaskSpec:
        task = (options or {}).get("task") if isinstance(options, dict) else None
        if isinstance(task, (str, Path)):
            options = {**options, "task": TaskSpec(FAMILY, {}, None, game_file=str(game_file_of(task).resolve()))}
        return super()._choose_task(seed, options)

    def _ensure_game(self, task: TaskSpec) -> Path:
        return ensure_game(task, self.cache_dir)

    def _discard_cached(self, game_file: Path, reason: str) -> None:
        discard_household(Path(game_file).parent, reason)
