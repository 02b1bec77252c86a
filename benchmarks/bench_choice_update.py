"""Cost of scoring choice-mode episodes for the update: every turn's candidates scored
against the episode's cached keys and values (``baselines.policy.packed_candidate_logprobs``,
what the trainer and SFT use), against the episode and its candidates packed into one
sequence under a dense mask (the former way, still the fallback without a cache) and against
each turn scored after its own context (``candidate_logprobs`` turn by turn), in the same
run, on the same episodes.

    python benchmarks/bench_choice_update.py --out docs/benchmarks.md   # tw-simple (24 turns) and w2-o3-q4 (8)

Each row plays ``--episodes`` episodes of the study's setting (``baselines.study.SETTING``:
the paper preset, the tiny model in choice mode, untrained, so most episodes run the whole
turn budget), then, in a fresh process per way, computes the log-probability of every
turn's choice with gradients and runs backward, as one update's forward and backward do.
Reported per way: CPU seconds (``time.process_time()`` of that process, one torch thread)
and the peak resident memory the scoring added (``ru_maxrss`` after, less before), and
their ratios. The table goes between the ``bench_choice_update`` markers.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from markdown_section import command_line, write_section  # noqa: E402  benchmarks/markdown_section.py (scripts run from their folder)

WAYS = ("packed", "dense", "turn by turn")


def play(env_id: str, turns: int, episodes: int, folder: Path) -> Path:
    """Play the episodes and save the trainer's run (its initial model) and the episodes."""
    import torch

    from baselines import study
    from baselines.config import TrainConfig
    from baselines.rollout import collect
    from baselines.trainer import Trainer

    cfg = TrainConfig(**{**study.SETTING, "env": env_id, "max_turns": turns, "sft_demos": 0, "iterations": 0, "seed": 0,
                         "num_envs": episodes, "out": str(folder / "run")})
    trainer = Trainer(cfg)  # builds and saves its initial tiny model under run/init_model
    seeds = list(range(1, episodes + 1))
    with torch.no_grad():
        played, _ = collect(trainer.agent, trainer.envs, seeds, max_tokens=trainer.cfg.max_tokens)
    trainer.close()
    path = folder / "episodes.pkl"
    path.write_bytes(pickle.dumps(played))
    return path


def score(folder: Path, way: str) -> dict:
    """In this process: the choices' log-probabilities with gradients, and backward."""
    import torch

    from baselines.models import load_model
    from baselines.policy import (PACKED_TOKENS, _dense_candidate_logprobs, candidate_logprobs, choice_distribution,
                                  packed_candidate_logprobs)

    torch.set_num_threads(1)
    lm, tokenizer = load_model(str(folder / "run" / "init_model"))
    episodes = pickle.loads((folder / "episodes.pkl").read_bytes())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu = time.process_time()
    terms = []
    for ep in episodes:
        if way == "packed":
            scores = packed_candidate_logprobs(lm, ep.tokens, ep.reply_start, ep.candidates, 1.0)
        elif way == "dense":
            scores = _dense_candidate_logprobs(lm, ep.tokens, ep.reply_start, ep.candidates, 1.0, PACKED_TOKENS,
                                               torch.device("cpu"))
        else:
            scores = [candidate_logprobs(lm, ep.tokens[:s], c, 1.0, tokenizer.eos_token_id or 0)
                      for s, c in zip(ep.reply_start, ep.candidates)]
        terms += [choice_distribution(turn, "mean")[choice] for turn, choice in zip(scores, ep.choice)]
    torch.stack(terms).sum().backward()
    return {"cpu_s": time.process_time() - cpu, "peak_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024,
            "turns": len(terms), "tokens": sum(len(ep.tokens) for ep in episodes),
            "candidates": sum(len(c) for ep in episodes for c in ep.candidates)}


def measure(env_id: str, turns: int, episodes: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        play(env_id, turns, episodes, folder)
        row = {"env": env_id, "max_turns": turns, "episodes": episodes}
        for way in WAYS:
            out = subprocess.run([sys.executable, __file__, "--score", str(folder), "--way", way], check=True,
                                 capture_output=True, text=True, cwd=Path(__file__).parent)
            row[way] = json.loads(out.stdout.strip().splitlines()[-1])
        return row


def ratio(slow: float, fast: float, what: str) -> str:
    # below a few MB the process's peak does not move measurably: a memory ratio would be noise
    if what == "MB" and fast < 5:
        return "packed added < 5 MB"
    return f"{slow / fast:.1f}x"


def table(rows: list[dict], command: str) -> str:
    lines = [f"Produced by `{command}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python "
             f"{platform.python_version()}, {platform.machine()}, one torch thread). Each way runs in its own process "
             "on the same saved episodes; CPU time and peak memory are that process's own, so other jobs on the "
             "machine do not count (memory: the peak the scoring added). *packed*: the candidates scored against the "
             "episode's cached keys and values (what the trainer runs); *dense*: the episode and its candidates as one "
             "sequence under a dense mask (the former way, the fallback without a cache); *turn by turn*: each turn "
             "after its own context.", "",
             "| game | turns | episodes (agent turns, tokens) | CPU s: packed | dense | turn by turn | speed-up vs dense | "
             "vs turn by turn | peak MB: packed | dense | turn by turn | memory ratio vs dense | vs turn by turn |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        p, d, t = r["packed"], r["dense"], r["turn by turn"]
        lines.append(f"| `{r['env']}` | {r['max_turns']} | {r['episodes']} ({p['turns']}, {p['tokens']:,}) | "
                     f"{p['cpu_s']:.1f} | {d['cpu_s']:.1f} | {t['cpu_s']:.1f} | **{ratio(d['cpu_s'], p['cpu_s'], 's')}** | "
                     f"{ratio(t['cpu_s'], p['cpu_s'], 's')} | {p['peak_mb']:,.0f} | {d['peak_mb']:,.0f} | "
                     f"{t['peak_mb']:,.0f} | {ratio(d['peak_mb'], p['peak_mb'], 'MB')} | "
                     f"{ratio(t['peak_mb'], p['peak_mb'], 'MB')} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="markdown file to update (default: print)")
    parser.add_argument("--episodes", type=int, default=8, help="episodes per row (one update's minibatch: 8)")
    parser.add_argument("--score", help=argparse.SUPPRESS)
    parser.add_argument("--way", choices=WAYS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.score:
        print(json.dumps(score(Path(args.score), args.way)))
        return 0
    if args.episodes < 1:
        parser.error(f"--episodes must be at least 1, got {args.episodes}")
    rows = [measure("TextWorld-Simple-v0", 24, args.episodes), measure("TextWorld-Custom-w2-o3-q4-v0", 8, args.episodes)]
    body = table(rows, command_line("bench_choice_update.py", argv))
    if args.out:
        write_section(Path(args.out), "choice_update", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
