"""``python -m baselines.probe``: one small measured experiment on the study's setting.

    python -m baselines.probe                               # SFT alone, 50 held-out games
    python -m baselines.probe --set sft_loss=token          # the same with another SFT loss
    python -m baselines.probe --set iterations=30 --set lr=3e-4 --out runs/probe-rl
    python -m baselines.probe --spread 4                    # and how RL's groups would see it

Trains one run of :data:`baselines.study.SETTING` (the headline's setting: PPO, SFT on
:data:`baselines.study.HEADLINE_DEMOS` walkthroughs) with the ``--set NAME=VALUE`` overrides
of :class:`~baselines.config.TrainConfig` fields (JSON values; ``iterations`` of RL after the
SFT, none by default), evaluates it greedily on the first ``--episodes`` held-out games of
the study's test split, and prints one JSON line: the overrides, the held-out success with
its 95% (Wilson) interval, the last SFT loss, the RL iterations, the parameter count, and the CPU seconds of
training and of the evaluation. With ``--spread K`` it also plays the first
``--spread-games`` games of the training split K times each at the training temperature
and counts the games won never, sometimes and always: only the sometimes-won ones give a
group-relative estimator (RLOO, GRPO) a nonzero advantage under the sparse reward, and a
game never won gives no RL signal at all. The lab notebook of docs/reproduction.md is made
of these lines.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from typing import Any, Sequence

from textagent_envs.checks import require_int

from . import study


def parse_override(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` with VALUE as JSON (a bare word stays a string)."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"--set takes NAME=VALUE (a TrainConfig field), got {text!r}")
    try:
        return name.replace("-", "_"), json.loads(value)
    except ValueError:
        return name.replace("-", "_"), value


def probe(overrides: dict[str, Any], episodes: int = 50, out: str | None = None, spread: int = 0,
          spread_games: int = 60) -> dict[str, Any]:
    """Train the study's setting with ``overrides`` and evaluate it on ``episodes`` held-out
    games (and with ``spread`` its spread over training games, :func:`train_spread`);
    returns what ``python -m baselines.probe`` prints."""
    from .config import TrainConfig
    from .presets import split_seeds
    from .trainer import Trainer

    require_int("episodes", episodes, minimum=1)
    require_int("spread", spread, minimum=0)
    require_int("spread_games", spread_games, minimum=1)
    fixed = {"algo": "ppo", "sft_demos": study.HEADLINE_DEMOS, "iterations": 0, "eval_every": 0, "save_every": 0}
    with tempfile.TemporaryDirectory(prefix="probe-") as scratch:
        cfg = TrainConfig(**{**study.SETTING, **fixed, "out": out or scratch, **overrides})
        start = time.process_time()
        trainer = Trainer(cfg)
        try:
            losses = trainer.warm_start() if trainer.cfg.sft_demos else []
            while trainer.iteration < trainer.cfg.iterations:
                trainer.step()
            trained = time.process_time()
            summary, _ = trainer.evaluate(split_seeds(study.TEST_SPLIT, episodes))
            evaluated = time.process_time()
            spread_result = train_spread(trainer, spread, spread_games) if spread else None
            params = sum(p.numel() for p in trainer.policy.lm.parameters())
            iterations = trainer.iteration
        finally:
            trainer.close()
    result = {"set": overrides, "episodes": episodes, "success_rate": summary["success_rate"],
              "ci95": summary["success_rate_ci95"], "sft_loss": losses[-1] if losses else None, "iterations": iterations,
              "params": params, "train_cpu_s": round(trained - start, 1), "eval_cpu_s": round(evaluated - trained, 1)}
    if spread_result is not None:
        result["train_spread"] = spread_result
    return result


def train_spread(trainer: Any, samples: int, games: int) -> dict[str, Any]:
    """The first ``games`` games of the trainer's training split, each played ``samples``
    times at its temperature (as a group of an RL iteration would be): how many were won
    never, sometimes and always, and the success rate of all those episodes."""
    from collections import Counter

    seeds = list(trainer.train_seeds[:games])
    _, played = trainer.evaluate([s for s in seeds for _ in range(samples)], greedy=False)
    wins = Counter(int(ep["seed"]) for ep in played if ep["success"])
    counts = [wins[s] for s in seeds]
    return {"games": len(seeds), "samples": samples, "never": sum(c == 0 for c in counts),
            "sometimes": sum(0 < c < samples for c in counts), "always": sum(c == samples for c in counts),
            "sampled_success": sum(counts) / (len(seeds) * samples)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m baselines.probe", description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", dest="overrides", action="append", type=parse_override, default=[],
                        metavar="NAME=VALUE", help="a TrainConfig field over the study's setting (repeatable)")
    parser.add_argument("--episodes", type=int, default=50, help="held-out games to evaluate on")
    parser.add_argument("--out", default=None, help="keep the run directory here (default: a temporary one)")
    parser.add_argument("--spread", type=int, default=0, metavar="K",
                        help="also play the first --spread-games training games K times each at the training "
                             "temperature and count those won never, sometimes and always (0: not measured)")
    parser.add_argument("--spread-games", type=int, default=60, help="training games --spread plays (default 60)")
    args = parser.parse_args(argv)
    try:
        result = probe(dict(args.overrides), args.episodes, args.out, args.spread, args.spread_games)
    except (TypeError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
