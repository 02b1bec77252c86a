"""``make-tasks``: generate a task set for a family, its knobs (or level) and a split.

Writes ``<out>/<family>-<knobs slug>-<split>.jsonl`` (one TaskSpec per line: id, family,
params, seed, game_file, and ``metadata`` with the measured difficulty) and the games
under ``<out>/games/`` (or, with ``specs_only``, no game files: the specs regenerate the
same games). Seeds come from the split's range (:mod:`.splits`) in order; a seed for
which TextWorld finds no quest is skipped, so the set is the first ``count`` seeds that
make a game. Games are made by a process pool; the run is resumable: tasks already in the
manifest with their game on disk are kept, a torn last line from an interrupted run is
dropped and redone, and the manifest is rewritten in seed order at the end.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..checks import require_int
from ..knobs import KnobError, Knobs
from ..registry import family as registry_family
from ..tasks import TaskSpec, load_task_set
from .generators import generator_for
from .splits import split_seeds

__all__ = ["MadeTasks", "make_tasks", "manifest_path", "resolve_family"]


@dataclass(frozen=True)
class MadeTasks:
    """What a make-tasks run left: the manifest, its tasks, and what this run did."""

    manifest: Path
    tasks: list[TaskSpec]
    generated: int
    reused: int
    skipped_seeds: list[int]


def _make_one(family: str, params: Mapping[str, Any], seed: int, games_dir: str | None) -> tuple[int, dict | None, str | None]:
    """Generate one task (a worker process); returns (seed, task dict or None, error)."""
    generator = generator_for(family)
    task = generator.knobs(params).task(seed)
    try:
        path, metadata = generator.make_game(task, games_dir)
    except generator.generation_errors as err:
        return seed, None, str(err)
    out = TaskSpec(task.family, task.params, seed, id=task.id, metadata=metadata).to_dict()
    if games_dir is not None:
        out["game_file"] = os.path.relpath(path, Path(games_dir).parent)
    return seed, out, None


def resolve_family(name: str, params: Mapping[str, Any] | None = None, *, level: int | None = None) -> tuple[str, dict[str, Any]]:
    """``(family name, knobs)`` for a family name or a registered id. An id's pinned knobs
    (e.g. ``TextWorld-Custom-w4-o6-q8-v0``'s sizes) are defaults under ``params``; with a
    ``level`` only those a level allows stay (e.g. an ALFWorld task type)."""
    entry = registry_family(name)
    if entry.generator is None:
        raise KnobError(f"{name} has no task generator: {entry.no_generator}")
    params = dict(params or {})
    if name == entry.name:
        return entry.name, params
    pinned = next(e.kwargs for e in entry.envs if e.id == name.split(":", 1)[-1])
    allowed = entry.knobs_class.level_knobs
    pinned = pinned if level is None else {k: v for k, v in pinned.items() if k in allowed}
    return entry.name, {**pinned, **params}


def manifest_path(out_dir: Path, family: str, knobs: Knobs, split: str) -> Path:
    return Path(out_dir) / f"{family}-{knobs.slug()}-{split}.jsonl"


def _existing(manifest: Path, family: str, specs_only: bool) -> dict[int, dict]:
    """Tasks of an earlier run that are complete (their game exists unless specs_only)."""
    if not manifest.is_file():
        return {}
    done = {}
    for task in load_task_set(manifest, family=family, on_error="warn") if manifest.stat().st_size else []:
        if specs_only or (task.game_file and Path(task.game_file).exists()):
            item = task.to_dict()
            if task.game_file:
                item["game_file"] = os.path.relpath(task.game_file, manifest.parent)
            done[task.seed] = item
    return done


def make_tasks(
    family: str,
    params: Mapping[str, Any] | None = None,
    *,
    level: int | None = None,
    count: int,
    split: str,
    out_dir: str | os.PathLike,
    workers: int | None = None,
    specs_only: bool = False,
    progress: bool = True,
) -> MadeTasks:
    """Make (or complete) the task set; see the module docstring.

    ``family`` is a family name (``tw-custom``, ``alfworld``, ``swe-mini``, ...) or a
    registered id, whose pinned knobs are then the defaults under ``params`` (see
    :func:`resolve_family`)."""
    family, params = resolve_family(family, params, level=level)
    generator = generator_for(family)
    knobs = generator.knobs(params, level=level)
    seeds = split_seeds(split)
    require_int(f"count (at most the size of split {split!r})", count, minimum=1, maximum=len(seeds))
    if workers is None:
        workers = os.cpu_count() or 1
    require_int("workers", workers, minimum=1)
    out_dir = Path(out_dir)
    games_dir = None if specs_only else out_dir / "games"
    (games_dir or out_dir).mkdir(parents=True, exist_ok=True)
    manifest = manifest_path(out_dir, family, knobs, split)

    done = _existing(manifest, family, specs_only)
    reused = len(done)
    # Start a clean append-only file holding the complete tasks (drops torn lines).
    _write_manifest(manifest, done.values())
    skipped: list[int] = []
    seed_iter: Iterator[int] = (s for s in seeds if s not in done)
    bar = _progress(total=count, initial=min(len(done), count), enabled=progress, desc=manifest.stem)
    with ProcessPoolExecutor(max_workers=workers) as pool, open(manifest, "a", encoding="utf-8") as sink:
        while len(done) < count:
            batch = [s for _, s in zip(range(count - len(done)), seed_iter)]
            if not batch:
                raise ValueError(f"split {split!r} ran out of seeds that make a game for {family} {knobs.to_params()}")
            futures = [pool.submit(_make_one, family, knobs.to_params(), s, str(games_dir) if games_dir else None) for s in batch]
            for future in futures:
                seed, item, error = future.result()
                if item is None:
                    skipped.append(seed)
                    continue
                done[seed] = item
                sink.write(json.dumps(item, sort_keys=True) + "\n")
                sink.flush()
                bar.update(1)
    bar.close()
    chosen = sorted(done.items())[:count] if len(done) > count else sorted(done.items())
    _write_manifest(manifest, (item for _, item in chosen))
    return MadeTasks(manifest, load_task_set(manifest, family=family), len(done) - reused, reused, skipped)


def _write_manifest(path: Path, items) -> None:
    tmp = path.with_suffix(".jsonl.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, sort_keys=True) + "\n")
    os.replace(tmp, path)


def _progress(total: int, initial: int, enabled: bool, desc: str):
    from tqdm import tqdm

    from ..progress import progress_enabled

    # A bar with its rate and time left, on a terminal only (a log gets no carriage-return noise).
    return tqdm(total=total, initial=initial, disable=not (enabled and progress_enabled()), desc=desc, unit="game")
