"""``python -m baselines.plot``: learning curves of one or more runs to a PNG.

    python -m baselines.plot runs/ppo runs/grpo runs/rloo --out curves.png --baseline 0.27

Left: training success rate per iteration (rolling mean over ``--window``); right: held-out
success rate at each evaluation. ``--baseline`` draws a reference line (e.g. the
random-admissible policy's held-out success rate). x is environment episodes.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Sequence


def read_metrics(run: str | Path) -> list[dict[str, float]]:
    """The rows of ``<run>/metrics.csv`` as floats (empty cells dropped)."""
    path = Path(run) / "metrics.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; is {run} a baselines.train run directory?")
    with open(path) as f:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]


def plot_runs(runs: Sequence[str | Path], out_png: str | Path, *, labels: Sequence[str] | None = None,
              baseline: float | None = None, window: int = 5) -> Path:
    """Draw the runs' curves into ``out_png``; returns the path."""
    from matplotlib.figure import Figure

    labels = list(labels) if labels else [Path(r).name for r in runs]
    if len(labels) != len(runs):
        raise ValueError(f"{len(runs)} runs but {len(labels)} labels")
    fig = Figure(figsize=(10, 4))
    train_ax, eval_ax = fig.subplots(1, 2)
    for run, label in zip(runs, labels):
        rows = read_metrics(run)
        if not rows:
            raise ValueError(f"{run}/metrics.csv has no rows yet")
        trained = [r for r in rows if "charts/success_rate" in r]  # (an iteration-0 row has only eval/*)
        x = [r["episodes"] for r in trained]
        y = [r["charts/success_rate"] for r in trained]
        smooth = [sum(y[max(0, i - window + 1): i + 1]) / len(y[max(0, i - window + 1): i + 1]) for i in range(len(y))]
        train_ax.plot(x, smooth, label=label)
        evals = [(r["episodes"], r["eval/success_rate"]) for r in rows if "eval/success_rate" in r]
        if evals:
            eval_ax.plot(*zip(*evals), marker="o", label=label)
    for ax, title in ((train_ax, f"training success (rolling {window})"), (eval_ax, "held-out success (greedy)")):
        if baseline is not None:
            ax.axhline(baseline, color="grey", linestyle="--", label="random admissible")
        ax.set_xlabel("episodes")
        ax.set_ylabel("success rate")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
    fig.tight_layout()
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m baselines.plot", description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="run directories (each with metrics.csv)")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("--labels", nargs="*", help="one label per run (default: folder names)")
    parser.add_argument("--baseline", type=float, help="a reference success rate to draw")
    parser.add_argument("--window", type=int, default=5)
    args = parser.parse_args(argv)
    try:
        out = plot_runs(args.runs, args.out, labels=args.labels, baseline=args.baseline, window=args.window)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
