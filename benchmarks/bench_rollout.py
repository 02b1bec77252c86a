"""Rollout cost of the baselines' agents: episodes per CPU-minute with the KV cache kept
across turns against every context run whole each turn, in the same run.

    python benchmarks/bench_rollout.py --out docs/benchmarks.md    # SmolLM2, 8 episodes: ~8 CPU-minutes
    python benchmarks/bench_rollout.py --episodes 16 --tiny --out docs/benchmarks.md   # bigger, plus the tiny model

Each row plays the same seeds twice with the trainer's agent (``baselines.rollout.collect``,
one wave of ``--episodes`` episodes stepped in lockstep, sampling at the config's
temperature from the same generator seed): once with ``rollout_kv_cache`` on, once off.
CPU time is ``time.process_time()`` of this process around ``collect`` (one torch thread),
so other jobs on the machine do not count. The env plays the TextWorld id on the engine
of ``--engine`` (default ``native``, passed to the trainer explicitly); games are generated before timing. Reported per row: episodes per
CPU-minute each way and their ratio, context tokens run through the model per episode each
way (what the cache saves), agent tokens per episode, and how many episodes played the
very same commands both ways (sampling from nearly equal log-probabilities). The table
goes between the ``bench_rollout`` markers.
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
from markdown_section import command_line, write_section  # noqa: E402  benchmarks/markdown_section.py (scripts run from their folder)


def play(trainer, seeds, kv_cache: bool, seed: int):
    from baselines.rollout import collect

    trainer.agent.kv_cache = kv_cache
    trainer.generator.manual_seed(seed)  # the same samples both ways (up to float rounding)
    gc.collect()
    cpu = time.process_time()
    episodes, stats = collect(trainer.agent, trainer.envs, seeds, max_tokens=trainer.cfg.max_tokens)
    return episodes, stats, time.process_time() - cpu


def measure(model_spec, env_id, mode, max_turns, episodes, max_new_tokens, temperature, engine):
    from baselines.config import TrainConfig
    from baselines.trainer import Trainer, make_env

    cfg = TrainConfig(algo="reinforce", env=env_id, mode=mode, model=model_spec, max_turns=max_turns, kl_coef=0.0,
                      textworld_engine=engine,
                      num_envs=episodes, max_new_tokens=max_new_tokens, temperature=temperature, out="", train_tasks=8)
    trainer = Trainer(cfg, for_eval=True)
    seeds = list(range(1, episodes + 1))
    env = make_env(trainer.cfg)
    for seed in seeds:  # games generated beforehand: generation is not rollout time
        env.reset(seed=seed)
    env.close()
    play(trainer, seeds[:1], True, 0)  # warm-up of the model and the envs
    row = {"model": model_spec, "env": env_id, "mode": mode, "max_turns": max_turns, "episodes": episodes,
           "engine": trainer.cfg.textworld_engine, "max_new_tokens": max_new_tokens, "temperature": temperature}
    played = {}
    for kv_cache in (False, True):
        eps, stats, cpu = play(trainer, seeds, kv_cache, 1234)
        key = "cached" if kv_cache else "uncached"
        played[key] = eps
        row[key] = {"cpu_s": cpu, "episodes_per_cpu_min": 60 * len(eps) / cpu, "turns": sum(e.turns for e in eps),
                    "prefill_per_episode": stats.prefill_tokens / len(eps),
                    "agent_tokens_per_episode": stats.agent_tokens / len(eps), "fallbacks": stats.cache_fallbacks}
        print(f"{model_spec} {mode} {key}: {cpu:.1f} CPU s, {row[key]['turns']} turns", file=sys.stderr, flush=True)
    row["same"] = sum(a.commands == b.commands for a, b in zip(played["uncached"], played["cached"]))
    row["speedup"] = row["cached"]["episodes_per_cpu_min"] / row["uncached"]["episodes_per_cpu_min"]
    trainer.close()
    return row


def table(rows, command):
    lines = [
        "## Baselines: rollout cost, KV cache across turns",
        "",
        f"Produced by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        f"Machine: Python {platform.python_version()}, torch {torch.__version__}, {os.cpu_count()} CPUs, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, one torch thread; shared with other jobs while measured "
        "(CPU time is this process's own).",
        "",
        f"Each row: one wave of episodes played with `baselines.rollout.collect` (sampling at temperature "
        f"{rows[0]['temperature']:g} from the same generator seed both ways), once running every context whole each turn (uncached, the path "
        "before the cache) and once keeping each episode's KV cache across turns (cached). Context tokens: tokens run "
        "through the model to reach the turns' decisions (generated tokens not included).",
        "",
        "| model | env (engine) | mode | turn budget | episodes | turns | uncached episodes / CPU-min | cached episodes / CPU-min "
        "| speed-up | context tokens / episode, uncached | cached | agent tokens / episode | same commands both ways |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        u, c = r["uncached"], r["cached"]
        lines.append(f"| {r['model']} | {r['env']} ({r['engine']}) | {r['mode']} | {r['max_turns']} | {r['episodes']} | "
                     f"{c['turns']} | {u['episodes_per_cpu_min']:.2f} | {c['episodes_per_cpu_min']:.2f} | "
                     f"**{r['speedup']:.1f}x** | {u['prefill_per_episode']:.0f} | {c['prefill_per_episode']:.0f} | "
                     f"{c['agent_tokens_per_episode']:.0f} | {r['same']}/{r['episodes']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="markdown file to update (default: print)")
    parser.add_argument("--env", default="TextWorld-Custom-w2-o3-q4-v0")
    parser.add_argument("--episodes", type=int, default=8, help="episodes per row, played as one wave")
    parser.add_argument("--max-turns", type=int, default=12, help="turn budget (the paper's w2-o3-q4 budget: 12)")
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--engine", default="native", choices=["native", "inform7"], help="the TextWorld engine (default native)")
    parser.add_argument("--no-smollm2", action="store_true", help="skip SmolLM2-135M-Instruct")
    parser.add_argument("--tiny", action="store_true", help="also the tiny model, in text and choice mode")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rows = []
    if not args.no_smollm2:
        rows.append(measure("smollm2", args.env, "text", args.max_turns, args.episodes, args.max_new_tokens,
                            args.temperature, args.engine))
    if args.tiny:
        for mode in ("text", "choice"):
            rows.append(measure("tiny", args.env, mode, args.max_turns, args.episodes, args.max_new_tokens,
                                args.temperature, args.engine))
    if not rows:
        parser.error("nothing to measure: drop --no-smollm2 or add --tiny")
    body = table(rows, command_line("bench_rollout.py", argv))
    if args.out:
        write_section(Path(args.out), "rollout", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
