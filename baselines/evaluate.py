"""Evaluation on held-out tasks, with confidence intervals; also the random-admissible
baseline.

``python -m baselines.evaluate --run runs/ppo`` evaluates a trained run's last checkpoint on
the first ``--episodes`` seeds of the test split and writes JSON; ``--model smollm2`` (or
``tiny``, or a local folder) evaluates a model zero-shot, ``--model random`` plays a uniformly
random admissible command, ``--model trivial`` plays every trivial policy of
:mod:`baselines.trivial` and reports the best (all of them under ``policies``). The JSON
holds success rate (Wilson 95% interval), mean return and mean steps (normal 95%
intervals), and every episode.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from textagent_envs import infos

from .play import evaluate_agent, make_env
from .stats import Z95, mean_interval, summarize, wilson_interval

__all__ = ["POSITIONAL_RULES", "Z95", "evaluate_agent", "main", "mean_interval", "play_positional", "play_random",
           "play_rule", "summarize", "wilson_interval"]

def play_random(make_env: Callable[[], Any], seeds: Sequence[int], seed: int = 0) -> list[dict[str, Any]]:
    """Episodes of the random-admissible-command policy (uniform over
    ``info["admissible_commands"]`` every turn)."""
    rng = np.random.default_rng(seed)
    return play_rule(make_env, seeds, lambda turn, commands, info: int(rng.integers(len(commands))))


#: Positional rules: which offered command to send (0 first, -1 last) on the first turn and afterwards.
POSITIONAL_RULES = {"first offered, every turn": (0, 0), "last offered, every turn": (-1, -1),
                    "first offered on turn 1, last afterwards": (0, -1), "last offered on turn 1, first afterwards": (-1, 0)}


def play_positional(make_env: Callable[[], Any], seeds: Sequence[int], first: int, then: int) -> list[dict[str, Any]]:
    """Episodes of a fixed positional rule: the ``first``-th offered command on turn 1 and the
    ``then``-th on every later turn (``info["admissible_commands"]`` order; -1 is the last)."""
    return play_rule(make_env, seeds, lambda turn, commands, info: first if turn == 0 else then)


def play_rule(make_env: Callable[[], Any], seeds: Sequence[int], choose: Callable[[int, list, dict], int]) -> list[dict[str, Any]]:
    """Episodes of a policy that sends ``commands[choose(turn, commands, info)]`` every turn
    (``turn`` counts from 0 in each episode; ``info`` is the env's latest info dict)."""
    env = make_env()
    episodes = []
    try:
        for s in seeds:
            obs, info = env.reset(seed=int(s))
            total, steps, done = 0.0, 0, False
            while not done:
                commands = list(info.get(infos.ADMISSIBLE_COMMANDS) or [])
                if not commands:
                    raise ValueError("the rule-based baselines need info['admissible_commands']")
                obs, reward, terminated, truncated, info = env.step(commands[choose(steps, commands, info)])
                total, steps, done = total + float(reward), steps + 1, terminated or truncated
            episodes.append({"seed": int(s), "success": bool(info.get(infos.SUCCESS, False)), "return": total, "steps": steps})
    finally:
        env.close()
    return episodes


def main(argv: Sequence[str] | None = None) -> int:
    from textagent_envs.knobargs import add_knob_arguments, knobs_from_args

    parser = argparse.ArgumentParser(prog="python -m baselines.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", help="a training run directory (its config and last checkpoint)")
    parser.add_argument("--model", help="instead of --run: tiny | smollm2 | random | trivial (every trivial policy, "
                        "the best reported) | a local model folder")
    parser.add_argument("--env", help="env id (default: the run's)")
    add_knob_arguments(parser)  # --knob NAME=VALUE (repeatable); --env-kwargs JSON, deprecated
    parser.add_argument("--mode", choices=["text", "choice"])
    parser.add_argument("--max-turns", type=int)
    from .presets import SEED_SPLITS, SETTINGS

    parser.add_argument("--preset", choices=sorted(SETTINGS), help="with --model: the named setting (default: default)")
    parser.add_argument("--episodes", type=int, default=50, help="the first N seeds of --split")
    parser.add_argument("--split", choices=sorted(SEED_SPLITS),
                        help="named seed split (default: the run's or preset's eval_split: test, or released-test)")
    parser.add_argument("--first-seed", type=int, default=None, help="instead of --split: seeds from this one on")
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--sample", action="store_true", help="sample replies (default: greedy)")
    parser.add_argument("--temperature", type=float, default=None)
    parser.add_argument("--max-new-tokens", type=int, default=None)
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args(argv)
    args.env_kwargs = knobs_from_args(args) or None
    if (args.run is None) == (args.model is None):
        parser.error("give exactly one of --run and --model")
    if args.run and args.preset:
        parser.error("--preset is for --model; a run keeps its own settings")
    if args.split and args.first_seed is not None:
        parser.error("give --split or --first-seed, not both")
    import gymnasium as gym

    try:
        return _evaluate(args)
    except (ValueError, FileNotFoundError, ModuleNotFoundError, gym.error.Error) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _evaluate(args: argparse.Namespace) -> int:
    from .config import TrainConfig

    cfg = (TrainConfig.load(Path(args.run) / "config.json") if args.run
           else TrainConfig.from_preset(args.preset or "default", model=args.model))
    for name, value in (("env", args.env), ("env_kwargs", args.env_kwargs), ("mode", args.mode), ("max_turns", args.max_turns),
                        ("temperature", args.temperature), ("max_new_tokens", args.max_new_tokens)):
        if value is not None:
            setattr(cfg, name, value)
    if args.first_seed is not None:
        seeds = list(range(args.first_seed, args.first_seed + args.episodes))
    else:
        from .presets import split_seeds

        seeds = split_seeds(args.split or cfg.eval_split, args.episodes)
    result: dict[str, Any] = {"env": cfg.env, "env_kwargs": cfg.env_kwargs, "max_turns": cfg.max_turns, "seeds": [seeds[0], seeds[-1]]}
    if args.model == "random":
        rows = play_random(lambda: make_env(cfg), seeds)
        summary = summarize(rows)
        result.update(model="random-admissible", mode="choice")
    elif args.model == "trivial":
        from .trivial import best_of, play_all

        played = play_all(lambda: make_env(cfg), seeds)
        policies = {name: summarize(episodes) for name, episodes in played.items()}
        best, summary = best_of(policies)
        rows = played[best]
        result.update(model=f"best trivial policy: {best}", mode="choice", policies=policies)
    else:
        from .trainer import Trainer  # torch: loaded only when a model plays

        trainer = Trainer(cfg.resolved() if args.run else _eval_config(cfg), resume=bool(args.run), for_eval=True)
        summary, rows = trainer.evaluate(seeds, greedy=not args.sample, num_envs=args.num_envs, progress=True)
        result.update(model=cfg.model if args.model else args.run, mode=cfg.mode, iteration=trainer.iteration)
    result.update(summary=summary, episodes=rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    s = summary
    print(f"success {s['success_rate']:.3f} [{s['success_rate_ci95'][0]:.3f}, {s['success_rate_ci95'][1]:.3f}]  "
          f"return {s['mean_return']:.3f}  steps {s['mean_steps']:.2f}  ({s['episodes']} episodes) -> {args.out}")
    return 0


def _eval_config(cfg):
    cfg = cfg.resolved()
    cfg.out = ""
    return cfg


if __name__ == "__main__":
    sys.exit(main())
