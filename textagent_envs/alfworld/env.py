"""The ALFWorld Gymnasium environment: generated households by default, real ALFWorld
data with ``data_dir=``.

It is a :class:`~textagent_envs.textworld.env.TextWorldEnv` (ALFWorld runs on TextWorld)
with ALFWorld's knobs, games and backends, so seeds, task sets, reset options, the step
timeout, process isolation and the info contract are the TextWorld family's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from .. import infos
from ..tasks import MAX_SEED, TaskSpec, make_with_redraws
from ..textworld.env import TextWorldEnv
from ..worker import InProcessBackend, ProcessBackend
from .backend import FAST_OPTIONAL, PDDL_OPTIONAL
from .data import SPLITS, find_games
from .games import discard_household, ensure_game, game_file_of
from .households import GenerationError
from .knobs import FAMILY, ALFWorldKnobs

ENGINES = {
    "fast": "textagent_envs.alfworld.backend:FastBackend",
    "pddl": "textagent_envs.alfworld.backend:PddlBackend",
}


class ALFWorldEnv(TextWorldEnv):
    """ALFWorld (text): household tasks of six types, in generated rooms or real data.

    Description: the agent stands in a room of receptacles (cabinets, fridge, sink basin,
    ...) holding objects, and is given one task: ``pick_and_place_simple``,
    ``look_at_obj_in_light``, ``pick_clean_then_place_in_recep``,
    ``pick_heat_then_place_in_recep``, ``pick_cool_then_place_in_recep`` or
    ``pick_two_obj_and_place``.

    Observation: ``str``, the game's reply (at reset: the room and ``Your task is to:
    ...``). Action: ``str``, one command such as ``go to fridge 1``, ``take apple 1 from
    countertop 2``, ``heat apple 1 with microwave 1``, ``move apple 1 to fridge 1``;
    ``info["admissible_commands"]`` lists the accepted ones. Anything else gets
    ``Nothing happens.``; unreadable strings are refused (see
    :mod:`textagent_envs.commands`).

    Rewards: the change in sub-goal progress (found, picked up, cleaned / heated /
    cooled, placed, done; :mod:`textagent_envs.alfworld.progress`), so the dense reward
    wrapper gives turn-level rewards; ``info["success"]`` is the win.

    Termination: ``terminated`` when the task is done (ALFWorld games are never lost);
    ``truncated`` at the step budget or a step timeout.

    Knobs (generated households): ``task_type`` (one of the six, or None for any),
    ``nb_receptacles`` (2-60), ``nb_objects`` (2-80), ``nb_distractors``, or one ``level``
    1-7 (7 = real ALFWorld size: 30 receptacles, 30 objects).

    Args:
        data_dir: a ``json_2.1.1`` folder of real ALFWorld games (see
            :mod:`textagent_envs.alfworld.data`); the env then plays the games of
            ``split`` (of ``task_type`` if set) as its task set.
        split: ``"train"``, ``"valid_seen"`` or ``"valid_unseen"``.
        engine: ``"fast"`` (default; the native engine) or ``"pddl"`` (alfworld's own
            engine, hundreds of times slower; extra infos: policy commands only).
        Everything else as :class:`~textagent_envs.textworld.env.TextWorldEnv`, except
        ``backend`` (TextWorld's game engines; ALFWorld has ``engine``), which is refused.
        ``get_state`` / ``set_state`` copy an episode with ``engine="fast"``.

    Registered ids: ``ALFWorld-v0`` (any task type) and one per type:
    ``ALFWorld-PickAndPlaceSimple-v0``, ``ALFWorld-LookAtObjInLight-v0``,
    ``ALFWorld-PickCleanThenPlace-v0``, ``ALFWorld-PickHeatThenPlace-v0``,
    ``ALFWorld-PickCoolThenPlace-v0``, ``ALFWorld-PickTwoObjAndPlace-v0``.
    """

    Knobs = ALFWorldKnobs

    def __init__(
        self,
        *,
        data_dir: str | Path | None = None,
        split: str = "train",
        engine: str = "fast",
        tasks: str | Path | Sequence | None = None,
        extra_infos: Sequence[str] = (),
        **kwargs: Any,
    ):
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {sorted(ENGINES)}, got {engine!r}")
        if "backend" in kwargs:
            raise TypeError(
                f"ALFWorldEnv has no backend option (got backend={kwargs['backend']!r}): TextWorld's backends play "
                "TextWorld games; ALFWorld games play on engine='fast' (default) or engine='pddl'"
            )
        allowed = FAST_OPTIONAL if engine == "fast" else PDDL_OPTIONAL
        unsupported = set(extra_infos) & set(infos.OPTIONAL) - set(allowed)
        if unsupported:
            raise ValueError(f"engine={engine!r} cannot give {sorted(unsupported)}; engine='fast' gives {list(infos.OPTIONAL)}")
        if split not in SPLITS:
            raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
        if data_dir is not None and tasks is not None:
            raise ValueError("give data_dir (real ALFWorld games) or tasks (a task set), not both")
        super().__init__(tasks=tasks, extra_infos=extra_infos, **kwargs)
        self.engine = engine
        self.data_dir = data_dir
        self.split = split
        if data_dir is not None:
            kinds = None if self.knobs.task_type is None else [self.knobs.task_type]
            self.task_set = [
                TaskSpec(FAMILY, {}, None, game_file=str(path), id=f"{FAMILY}-{split}-{path.parent.parent.name}-{path.parent.name}")
                for path in find_games(data_dir, split, kinds)
            ]

    def _choose_task(self, seed: int | None, options: dict | None) -> TaskSpec:
        options = dict(options or {})
        task = options.get("task")
        if isinstance(task, (str, Path)):
            options["task"] = TaskSpec(FAMILY, {}, None, game_file=str(game_file_of(task).resolve()))
        return super()._choose_task(seed, options)

    def _game_for(self, task: TaskSpec, *, drawn: bool) -> tuple[TaskSpec, Path]:
        return make_with_redraws(
            task, lambda t: ensure_game(t, self.cache_dir),
            lambda: self.task_for_seed(int(self.np_random.integers(MAX_SEED))),
            drawn=drawn, error=GenerationError, what=f"household with knobs {self.knobs.to_params()}",
        )

    def _discard_cached(self, game_file: Path, reason: str) -> None:
        discard_household(Path(game_file).parent, reason)

    def _require_state_copies(self, method: str) -> None:
        if self.engine != "fast":
            raise NotImplementedError(
                f"{method}() needs engine='fast' (alfworld's own engine cannot copy its state); engines that copy and "
                "fork states: TextWorld backend='native', ALFWorld engine='fast', SWE-Mini sandbox='bwrap'"
            )

    def _state_copy_hint(self) -> str:
        return "" if self.engine == "fast" else "; state copies need engine='fast'"

    def _call(self, method: str, *args: Any, timeout: float | None = None) -> Any:
        if self._backend is None:
            runner = ProcessBackend if self.isolation == "process" else InProcessBackend
            self._backend = runner(ENGINES[self.engine], {"extra_infos": self._requested})
        return self._backend.call(method, *args, timeout=timeout)
