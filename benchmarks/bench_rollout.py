"""Rollout throughput of the baselines' agents: agent tokens per second and the env's share
of rollout wall time, against the env alone in the same run.

    python benchmarks/bench_rollout.py --out docs/benchmarks.md            # tiny model
    python benchmarks/bench_rollout.py --smollm2 --out docs/benchmarks.md  # also SmolLM2-135M

For each configuration: batched rollouts (``baselines.rollout.collect``) of the same seeds,
then the same number of env steps with a random admissible command (the reference: the env
alone; ``look``/``inventory`` when the env computes no admissible commands). Text mode
does not need admissible commands, and computing them is about two thirds of a TextWorld
step, so it is measured with and without; and with both TextWorld backends (``inform7``,
the default, and ``native``). Reported: agent tokens/s (tokens the agent appended: sampled text, or the chosen
command and its eos), turns/s, the env's share of rollout wall time, and rollout turns/s as
a ratio of the env-alone steps/s. The table goes between the ``bench_rollout`` markers.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
from markdown_section import write_section  # noqa: E402  benchmarks/markdown_section.py (scripts run from their folder)


def env_alone(make_env, seeds, steps_per_episode):
    import numpy as np

    rng = np.random.default_rng(0)
    env = make_env()
    steps, elapsed = 0, 0.0
    for seed in seeds:
        obs, info = env.reset(seed=seed)
        for _ in range(steps_per_episode):
            commands = info.get("admissible_commands") or ["look", "inventory"]
            command = commands[int(rng.integers(len(commands)))]
            t0 = time.perf_counter()
            obs, reward, terminated, truncated, info = env.step(command)
            elapsed += time.perf_counter() - t0
            steps += 1
            if terminated or truncated:
                break
    env.close()
    return steps / elapsed


def measure(model_spec, env_id, knobs, mode, max_turns, episodes, num_envs, max_new_tokens, group=1, seen=False):
    from baselines.config import TrainConfig
    from baselines.trainer import Trainer, make_env
    from baselines.rollout import collect

    cfg = TrainConfig(algo="reinforce", env=env_id, env_kwargs=knobs, mode=mode, model=model_spec, max_turns=max_turns,
                      kl_coef=0.0, num_envs=num_envs, max_new_tokens=max_new_tokens, temperature=1.0, out="",
                      train_tasks=8)
    gc.collect()  # the earlier rows' objects, so a collection does not land inside this row
    trainer = Trainer(cfg, for_eval=True)
    seeds = [1 + i // group for i in range(episodes)]  # `group` rollouts of each task, as GRPO/RLOO play them
    for seed in sorted(set(seeds)):  # games generated on disk beforehand: generation is not rollout time
        make_env(cfg).reset(seed=seed)
    collect(trainer.agent, trainer.envs, [seeds[0]] * num_envs)  # warm-up of the model and the envs
    from textagent_envs.textworld.native import backend as native_backend

    native_backend._COMPILED.clear()  # every row starts with no game compiled in memory (but the warm-up's)
    if seen:  # the tasks were played before, as a fixed training set is from the second iteration on
        collect(trainer.agent, trainer.envs, seeds)
    episodes_, stats = collect(trainer.agent, trainer.envs, seeds)
    turns = sum(ep.turns for ep in episodes_)
    reference = env_alone(lambda: make_env(cfg), seeds, max(1, turns // len(seeds)))
    trainer.close()
    return {"model": model_spec, "env": env_id, "knobs": knobs, "mode": mode, "group": group, "seen": seen, "episodes": len(seeds), "turns": turns,
            "tokens": stats.agent_tokens, "tokens_per_s": stats.tokens_per_s, "turns_per_s": turns / stats.wall_s,
            "env_share": stats.env_share, "reset_share": stats.reset_s / stats.wall_s, "env_steps_per_s": reference}


def table(rows, command):
    lines = [
        "## Baselines: rollout throughput",
        "",
        f"Produced by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        f"Machine: Python {platform.python_version()}, torch {torch.__version__}, {os.cpu_count()} CPUs, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, one torch thread; shared with other jobs while measured.",
        "",
        "Batched rollouts with `baselines.rollout.collect` (one batched model call per turn for all running "
        "episodes); the reference is the same env stepped alone with random admissible commands in the same run. "
        "Agent tokens are the tokens the agent appended (sampled text, or the chosen command and its eos).",
        "",
        "| model | env | mode | rollouts per task | tasks played before | episodes | turns | agent tokens/s | turns/s | env share of rollout time | of which resets | rollout turns/s ÷ env-alone steps/s |",
        "|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        knobs = ",".join(f"{k}={v}" for k, v in r["knobs"].items())
        lines.append(f"| {r['model']} | {r['env']}{' (' + knobs + ')' if knobs else ''} | {r['mode']} | {r['group']} | {'yes' if r['seen'] else 'no'} | {r['episodes']} | "
                     f"{r['turns']} | {r['tokens_per_s']:.0f} | {r['turns_per_s']:.1f} | {100 * r['env_share']:.1f}% | "
                     f"{100 * r['reset_share']:.1f}% | "
                     f"{r['turns_per_s'] / r['env_steps_per_s']:.3f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="markdown file to update (default: print)")
    parser.add_argument("--episodes", type=int, default=32)
    parser.add_argument("--smollm2", action="store_true", help="also SmolLM2-135M-Instruct (slow: a few episodes)")
    parser.add_argument("--smollm2-episodes", type=int, default=4)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    coin = "TextWorld-CoinCollector-v0"
    rows = []
    for backend in ("inform7", "native"):
        for mode, admissible in (("choice", True), ("text", True), ("text", False)):
            knobs = {"level": 2, "backend": backend, **({} if admissible else {"admissible_commands": False})}
            for group, seen in ((1, False), (4, False), (1, True)) if backend == "native" else ((1, False),):
                rows.append(measure("tiny", coin, knobs, mode, 4, args.episodes, 16, 12, group, seen))
    if args.smollm2:
        rows.append(measure("smollm2", "TextWorld-Custom-w2-o3-q4-v0", {}, "text", 4, args.smollm2_episodes,
                            args.smollm2_episodes, 24))
    command = "python benchmarks/bench_rollout.py " + " ".join(argv if argv is not None else sys.argv[1:])
    body = table(rows, command.strip())
    if args.out:
        write_section(Path(args.out), "rollout", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
