"""Tasks: what one episode plays, and sets of them on disk.

A :class:`TaskSpec` names a game completely: its family, the family's knobs and the
generator seed (or a ready game file). It round-trips through JSON, so task sets are
small manifests of specs rather than folders of compiled games::

    spec = TaskSpec("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}, seed=30001)
    obs, info = env.reset(options={"task": spec})          # or spec.to_dict(), or a game file

A task set is a JSONL manifest (one ``TaskSpec`` dict per line), a JSON list of them, or
a directory of game files (``*.z8``); :func:`load_task_set` reads any of the three.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar

from .checks import require_choice, require_int

GAME_FILE_SUFFIXES = (".z8",)
#: A game file a task may also name: a TextWorld game's ``.json``, all the native engine
#: needs (what ``env.unwrapped.game_file`` is on ``engine="native"``). Task-set
#: directories list ``.z8`` files only (a compiled game has its ``.json`` beside it).
TASK_FILE_SUFFIXES = (*GAME_FILE_SUFFIXES, ".json")
#: Game seeds are ints in [0, MAX_SEED]; seeds an env or generator draws come from [0, MAX_SEED).
MAX_SEED = 2**31 - 1
T = TypeVar("T")


@dataclass(frozen=True)
class TaskSpec:
    """One task: ``family`` + ``params`` (the family's knobs) + ``seed``, or a ``game_file``.

    ``id`` is derived from the rest when not given, e.g.
    ``tw-custom-nb_objects=3-quest_length=4-world_size=2-s30001``.
    """

    family: str
    params: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None
    game_file: str | None = None
    id: str = ""
    #: Facts measured about the task (e.g. ``{"walkthrough_length": 4}``); not part of what it plays.
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.family, str) or not self.family:
            raise ValueError(f"TaskSpec.family must be a non-empty str, got {self.family!r}")
        if not isinstance(self.params, Mapping):
            raise TypeError(f"TaskSpec.params must be a mapping of knob names to values, got {type(self.params).__name__}")
        if self.seed is not None:
            object.__setattr__(self, "seed", require_int("TaskSpec.seed (or None)", self.seed, minimum=0))
        if self.seed is None and self.game_file is None:
            raise ValueError("a TaskSpec needs a seed (to generate its game) or a game_file (to play)")
        object.__setattr__(self, "params", dict(sorted(self.params.items())))
        if self.game_file is not None:
            object.__setattr__(self, "game_file", os.fspath(self.game_file))
        if not isinstance(self.metadata, Mapping):
            raise TypeError(f"TaskSpec.metadata must be a mapping, got {type(self.metadata).__name__}")
        object.__setattr__(self, "metadata", dict(self.metadata))
        if not self.id:
            object.__setattr__(self, "id", self._default_id())

    def _default_id(self) -> str:
        if self.game_file is not None and self.seed is None:
            return f"{self.family}-{Path(self.game_file).stem}"
        knobs = "-".join(f"{k}={v}" for k, v in self.params.items())
        return "-".join(part for part in (self.family, knobs, f"s{self.seed}") if part)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``TaskSpec.from_dict(spec.to_dict()) == spec``."""
        out: dict[str, Any] = {"id": self.id, "family": self.family, "params": dict(self.params), "seed": self.seed}
        if self.game_file is not None:
            out["game_file"] = self.game_file
        if self.metadata:
            out["metadata"] = dict(self.metadata)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TaskSpec":
        if not isinstance(data, Mapping):
            raise TypeError(f"a task dict must be a mapping, got {type(data).__name__}")
        unknown = set(data) - {"id", "family", "params", "seed", "game_file", "metadata"}
        if unknown:
            raise ValueError(f"unknown TaskSpec fields {sorted(unknown)}; expected id, family, params, seed, game_file, metadata")
        if "family" not in data:
            raise ValueError(f"a task dict needs a 'family' field, got {dict(data)!r}")
        return cls(
            family=data["family"],
            params=data.get("params") or {},
            seed=data.get("seed"),
            game_file=data.get("game_file"),
            id=data.get("id") or "",
            metadata=data.get("metadata") or {},
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "TaskSpec":
        return cls.from_dict(json.loads(text))


def load_task_set(source: str | os.PathLike | list, *, family: str, on_error: str = "raise") -> list[TaskSpec]:
    """Read a task set: a JSONL/JSON manifest, a directory of game files, or a list.

    ``family`` names the family that game files without a manifest belong to. A bad line
    raises ``ValueError`` naming the file and line (:func:`textagent_envs.jsonl.read_jsonl`);
    with ``on_error="warn"`` it is reported as a warning instead and the rest of the set is
    returned (make-tasks does so to resume after an interrupted run, whose last line may be
    torn).
    """
    require_choice("on_error", on_error, ("raise", "warn"))
    if isinstance(source, (list, tuple)):
        tasks = [_coerce(item, family) for item in source]
    else:
        path = Path(source).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"task set {str(path)!r} does not exist (expected a .jsonl/.json manifest or a directory of game files)")
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in GAME_FILE_SUFFIXES)
            manifests = sorted(p.name for p in path.glob("*.jsonl"))
            if not files and len(manifests) == 1:
                return load_task_set(path / manifests[0], family=family, on_error=on_error)
            if not files and manifests:
                raise ValueError(f"directory {str(path)!r} holds several manifests ({', '.join(manifests)}); pass one of them")
            tasks = [TaskSpec(family, {}, None, game_file=str(f)) for f in files]
        else:
            tasks = _read_manifest(path, family, on_error)
    if not tasks:
        raise ValueError(f"task set {source!r} holds no tasks")
    for task in tasks:
        if task.family != family:
            raise ValueError(f"task {task.id!r} belongs to family {task.family!r}, not {family!r}")
    return tasks


def _read_manifest(path: Path, family: str, on_error: str = "raise") -> list[TaskSpec]:
    if path.suffix == ".json":
        try:
            items = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not valid JSON ({err})") from None
        if not isinstance(items, list):
            raise ValueError(f"{path}: a JSON task set must be a list of task dicts")
        return [_coerce(item, family, where=f"{path} item {i}") for i, item in enumerate(items)]
    from .jsonl import read_jsonl

    records = read_jsonl(path, what="task set", on_error=on_error, convert=lambda item, where: _coerce(item, family, where))
    tasks = [task for _, task in records]
    # Relative game files in a manifest are relative to the manifest.
    return [
        dataclasses.replace(t, game_file=str((path.parent / t.game_file).resolve()))
        if t.game_file and not os.path.isabs(t.game_file) else t
        for t in tasks
    ]


def _coerce(item: Any, family: str, where: str = "task") -> TaskSpec:
    try:
        return as_task(item, family=family)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: {err}") from None


def as_task(task: Any, *, family: str) -> TaskSpec:
    """A :class:`TaskSpec` from a TaskSpec, its dict, or a game-file path."""
    if isinstance(task, TaskSpec):
        return task
    if isinstance(task, Mapping):
        return TaskSpec.from_dict(task)
    if isinstance(task, (str, os.PathLike)):
        path = Path(task).expanduser()
        if path.suffix not in TASK_FILE_SUFFIXES:
            raise ValueError(f"game file {str(path)!r} must end in one of {TASK_FILE_SUFFIXES}")
        if not path.is_file():
            raise FileNotFoundError(f"game file {str(path)!r} does not exist")
        return TaskSpec(family, {}, None, game_file=str(path.resolve()))
    raise TypeError(f"a task must be a TaskSpec, its dict or a game-file path, got {type(task).__name__}")


# -- choosing an episode's task (shared by the envs) -----------------------------------

#: How many seeds in a row an env may draw that make no task before reset gives up.
DRAW_ATTEMPTS = 20
TASK_ORDERS = ("random", "sequential")


def check_seed(seed: Any) -> None:
    """``ValueError`` unless ``seed`` is None or an int in [0, MAX_SEED]."""
    if seed is not None:
        require_int("seed", seed, minimum=0, maximum=MAX_SEED)


class TaskSetOrder:
    """Picks the task of each reset from a task set: at random with the env's
    ``np_random`` (``"random"``), or in order (``"sequential"``), starting again from the
    first task at a reset with a seed."""

    def __init__(self, order: str = "random"):
        if order not in TASK_ORDERS:
            raise ValueError(f"task_order must be 'random' or 'sequential', got {order!r}")
        self.order = order
        self._next = 0

    def pick(self, tasks: Sequence[TaskSpec], rng: Any, *, restart: bool) -> TaskSpec:
        if restart:
            self._next = 0
        if self.order == "random":
            return tasks[int(rng.integers(len(tasks)))]
        task = tasks[self._next % len(tasks)]
        self._next += 1
        return task


def make_with_redraws(
    task: TaskSpec, make: Callable[[TaskSpec], T], redraw: Callable[[], TaskSpec], *,
    drawn: bool, error: type[Exception], what: str,
) -> tuple[TaskSpec, T]:
    """``(task, make(task))``. When the env drew ``task``'s seed itself and ``make``
    raises ``error`` (that seed makes no task), the next task from ``redraw()`` is tried,
    up to :data:`DRAW_ATTEMPTS` in all; a chosen seed's error is raised as it is."""
    for _ in range(DRAW_ATTEMPTS):
        try:
            return task, make(task)
        except error:
            if not drawn:
                raise
        task = redraw()
    raise error(f"{DRAW_ATTEMPTS} drawn seeds in a row made no {what}")
