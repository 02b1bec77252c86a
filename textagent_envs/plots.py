"""Plots of curriculum runs and of task-set difficulty, as image files.

- :func:`plot_run`: from a curriculum log (the JSONL
  :class:`~textagent_envs.curriculum.wrapper.CurriculumWrapper` writes), the level over
  episodes with the rolling success rate, and per level the success rate and mean return.
- :func:`plot_difficulty`: from a task manifest (one ``TaskSpec`` dict per line), a
  histogram of one difficulty metric in the tasks' ``metadata`` (e.g.
  ``walkthrough_length``), stacked by family when there are several.

matplotlib is imported only inside these functions, and drawn with its Agg canvas
(files only; pyplot and the global backend are left alone)::

    from textagent_envs.plots import plot_difficulty, plot_run
    plot_run("runs/curriculum.jsonl", "runs/curriculum.png")
    plot_difficulty("tasks/coin_train.jsonl", "runs/difficulty.png", key="walkthrough_length")
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .checks import is_int, is_number, require_int
from .jsonl import read_jsonl

__all__ = ["plot_difficulty", "plot_run"]

#: Keys every curriculum log line must have for :func:`plot_run`.
RUN_KEYS = ("episode", "level", "success", "return")


def plot_run(log_path: str | os.PathLike, out_png: str | os.PathLike, *, window: int = 20) -> Path:
    """Draw a curriculum run from its JSONL log into ``out_png``; returns that path.

    Top: the level of every episode, and the success rate over the last ``window``
    episodes (all levels). Bottom: per level, the success rate and the mean return
    (with the standard deviation); the success bars are labelled with their number of
    episodes.

    Raises ``FileNotFoundError`` for a missing log and ``ValueError`` naming the file and
    line for an empty log or a line that is not a JSON object with ``episode`` (int),
    ``level`` (int), ``success`` (bool) and ``return`` (number).
    """
    require_int("window", window, minimum=1)
    path = Path(log_path).expanduser()
    records = _read_jsonl(path, "curriculum log")
    episodes, levels, successes, returns = [], [], [], []
    for lineno, record in records:
        for key in RUN_KEYS:
            if key not in record:
                raise ValueError(f"{path}:{lineno}: a curriculum log line needs {list(RUN_KEYS)}, this one has no {key!r}")
        if not is_int(record["episode"]):
            raise ValueError(f"{path}:{lineno}: 'episode' must be an int, got {record['episode']!r}")
        if not is_int(record["level"]):
            raise ValueError(f"{path}:{lineno}: 'level' must be an int, got {record['level']!r}")
        if not isinstance(record["success"], bool):
            raise ValueError(f"{path}:{lineno}: 'success' must be true or false, got {record['success']!r}")
        if not is_number(record["return"]):
            raise ValueError(f"{path}:{lineno}: 'return' must be a finite number, got {record['return']!r}")
        episodes.append(record["episode"])
        levels.append(record["level"])
        successes.append(float(record["success"]))
        returns.append(float(record["return"]))

    episodes_a, levels_a = np.array(episodes), np.array(levels)
    successes_a, returns_a = np.array(successes), np.array(returns)
    width = min(window, len(successes_a))
    rolling = _rolling_mean(successes_a, width)

    fig = _figure((10, 7))
    axes = fig.subplot_mosaic([["run", "run"], ["success", "return"]], height_ratios=[1.2, 1])
    ax = axes["run"]
    ax.step(episodes_a, levels_a, where="post", color="tab:blue", label="level")
    ax.set_xlabel("episode")
    ax.set_ylabel("level", color="tab:blue")
    ax.yaxis.get_major_locator().set_params(integer=True)
    twin = ax.twinx()
    twin.plot(episodes_a, rolling, color="tab:orange", label=f"success rate (last {width} episodes)")
    twin.set_ylim(-0.02, 1.02)
    twin.set_ylabel("success rate", color="tab:orange")
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, fontsize="small", frameon=False)
    fig.suptitle(f"{path.name}: {len(episodes)} episodes, levels {levels_a.min()}-{levels_a.max()}")

    unique = np.unique(levels_a)
    names = [str(level) for level in unique]
    n = [int((levels_a == level).sum()) for level in unique]
    rates = [successes_a[levels_a == level].mean() for level in unique]
    means = [returns_a[levels_a == level].mean() for level in unique]
    stds = [returns_a[levels_a == level].std() for level in unique]
    bars = axes["success"].bar(names, rates, color="tab:green")
    axes["success"].bar_label(bars, labels=[f"n={k}" for k in n], fontsize="small")
    axes["success"].set_ylim(0, 1.15)
    axes["success"].set(xlabel="level", ylabel="success rate", title="success rate per level")
    axes["return"].bar(names, means, yerr=stds, capsize=3, color="tab:purple")
    axes["return"].axhline(0.0, color="black", linewidth=0.5)
    axes["return"].set(xlabel="level", ylabel="mean return", title="mean return per level (± std)")
    return _save(fig, out_png)


def plot_difficulty(
    manifest_path: str | os.PathLike,
    out_png: str | os.PathLike,
    key: str = "walkthrough_length",
    *,
    bins: int | str | None = None,
) -> Path:
    """Draw a histogram of ``metadata[key]`` over a task manifest into ``out_png``;
    returns that path.

    Each line of the manifest is a ``TaskSpec`` dict (``{"id", "family", "params",
    "seed", "game_file"?, "metadata": {...}}``); lines whose metadata lacks ``key`` are
    counted in the title but not drawn. Integer metrics get one bar per value; ``bins``
    overrides that (an int or a numpy bin rule such as ``"auto"``). Several families
    are stacked, one colour each.

    Raises ``FileNotFoundError`` for a missing manifest, and ``ValueError`` naming the
    file and line for an empty manifest, a line that is not a JSON object, a
    ``metadata`` that is not an object, a non-numeric value, or a ``key`` that no line
    has (listing the metadata keys that are there).
    """
    if not isinstance(key, str) or not key:
        raise ValueError(f"key must be a metadata key (a non-empty str), got {key!r}")
    path = Path(manifest_path).expanduser()
    records = _read_jsonl(path, "task manifest")
    by_family: dict[str, list[float]] = {}
    seen_keys: set[str] = set()
    missing = 0
    for lineno, record in records:
        metadata = record.get("metadata", {})
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            raise ValueError(f"{path}:{lineno}: 'metadata' must be a JSON object, got {type(metadata).__name__}")
        seen_keys.update(metadata)
        if key not in metadata:
            missing += 1
            continue
        value = metadata[key]
        if not is_number(value):
            raise ValueError(f"{path}:{lineno}: metadata[{key!r}] must be a finite number, got {value!r}")
        by_family.setdefault(str(record.get("family", "?")), []).append(value)
    if not by_family:
        found = f"the metadata keys there are {sorted(seen_keys)}" if seen_keys else "no line has any metadata"
        raise ValueError(f"no line of {path} has metadata[{key!r}]; {found}")

    values = [v for family in by_family.values() for v in family]
    if bins is None:
        if all(is_int(v) for v in values):
            bins = np.arange(min(values) - 0.5, max(values) + 1.5)
        else:
            bins = "auto"
    fig = _figure((8, 5))
    ax = fig.subplots()
    families = sorted(by_family)
    ax.hist([by_family[f] for f in families], bins=bins, stacked=True, label=families, edgecolor="white")
    if len(families) > 1:
        ax.legend(title="family", fontsize="small")
    ax.yaxis.get_major_locator().set_params(integer=True)
    if all(is_int(v) for v in values):
        _integer_ticks(ax, values)
    ax.set_xlabel(key)
    ax.set_ylabel("tasks")
    title = f"{path.name}: {key} over {len(values)} tasks (mean {np.mean(values):.2f}, median {np.median(values):g})"
    if missing:
        title += f"\n{missing} line(s) without {key!r} not drawn"
    ax.set_title(title, fontsize="medium")
    return _save(fig, out_png)


# -- helpers ---------------------------------------------------------------------------------


def _integer_ticks(ax, values: Sequence[int]) -> None:
    """Only whole-number ticks on the x axis, also when every value is the same (where
    matplotlib's integer locator, finding one integer in view, falls back to fractions)."""
    low, high = int(min(values)), int(max(values))
    if high - low <= 20:
        ax.set_xticks(range(low, high + 1))
    else:
        ax.xaxis.get_major_locator().set_params(integer=True)


def _rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """The mean of each value and the ``window - 1`` before it (fewer at the start)."""
    cumulative = np.concatenate([[0.0], np.cumsum(values, dtype=float)])
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (cumulative[ends] - cumulative[starts]) / (ends - starts)


def _read_jsonl(path: Path, what: str) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for every non-blank line (:func:`textagent_envs.jsonl.read_jsonl`:
    a bad line raises naming the file and line); an empty file has nothing to plot."""
    records = read_jsonl(path, what=what)
    if not records:
        raise ValueError(f"{what} {str(path)!r} is empty: nothing to plot")
    return records


def _figure(figsize: tuple[float, float]):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install matplotlib (or the 'baselines' extra)") from None
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig, out: str | os.PathLike) -> Path:
    out = Path(out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format=out.suffix[1:].lower() or "png", dpi=100)
    return out
