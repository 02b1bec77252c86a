"""``python -m baselines.train``: train a PPO / GRPO / RLOO / REINFORCE agent on a
textagent_envs id.

    python -m baselines.train --algo grpo --env TextWorld-CoinCollector-v0 --knob level=2 \\
        --mode choice --model tiny --iterations 60 --out runs/grpo
    python -m baselines.train --resume --out runs/grpo --iterations 80   # continue, exactly
    python -m baselines.train --preset paper --algo ppo --model smollm2 --out runs/paper  # the paper's format

``--preset NAME`` starts from a named setting (:data:`baselines.presets.SETTINGS`:
``default``, or ``paper``: the released code's prompt, observation, action and seed splits);
flags given with it win.

Every field of :class:`baselines.config.TrainConfig` is a flag (``--tasks-per-iter 8``);
``--knob name=value`` sets an env knob (JSON values). The run directory gets
``config.json``, ``metrics.csv``, TensorBoard events, ``checkpoint.pt`` and ``init_model/``
(the tiny model's initial weights and tokenizer). Multi-process (DDP):
``accelerate launch --multi_gpu --num_processes 2 -m baselines.train ...`` (CPU processes
under torchrun; ``--cpu`` would start only one).
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import sys
import typing
from pathlib import Path
from typing import Sequence

from textagent_envs.knobargs import add_knob_arguments, knobs_from_args

from .config import TrainConfig

_HIDDEN = {"estimator", "value_head", "env_kwargs", "prompt", "preset"}


def field_docs(cls: type) -> dict[str, str]:
    """The ``#:`` comments above each dataclass field (the config's documentation)."""
    docs, pending = {}, []
    for line in inspect.getsource(cls).splitlines():
        stripped = line.strip()
        if stripped.startswith("#:"):
            pending.append(stripped[2:].strip())
        elif ":" in stripped and not stripped.startswith(("#", '"', "def", "@", "class")):
            docs[stripped.split(":", 1)[0].strip()] = " ".join(pending)
            pending = []
        else:
            pending = []
    return docs


def _parse_bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m baselines.train", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    docs = field_docs(TrainConfig)
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        if f.name in _HIDDEN:
            continue
        hint = hints[f.name]
        base = next((t for t in typing.get_args(hint) if t is not type(None)), hint)
        kind = _parse_bool if base is bool else json.loads if base is dict else base
        parser.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=kind, default=None,
                            help=f"{docs.get(f.name, '')} (default: {f.default!r})")
    add_knob_arguments(parser)  # --knob NAME=VALUE (repeatable); --env-kwargs JSON, deprecated
    parser.add_argument("--prompt", type=json.loads, default=None,
                        help='prompt wording as JSON, e.g. \'{"system": "You play text games."}\' (fields of PromptTemplate)')
    from .presets import SETTINGS

    parser.add_argument("--preset", choices=sorted(SETTINGS), default=None,
                        help="a named setting to start from (default: default; paper: the released code's format and splits)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    if args.resume:
        if args.out is None:
            raise SystemExit("--resume needs --out (the run directory)")
        path = Path(args.out) / "config.json"
        if not path.exists():
            raise SystemExit(f"cannot resume: {path} does not exist")
        cfg = TrainConfig.load(path)
        allowed = {"iterations", "eval_every", "save_every", "eval_tasks", "num_envs"}
        changed = {k for k in vars(args) if k in {f.name for f in dataclasses.fields(TrainConfig)}
                   and getattr(args, k) is not None and k != "out"}
        if args.knob:
            changed.add("knob")
        if args.preset is not None and args.preset != cfg.preset:
            changed.add("preset")
        if changed - allowed:
            raise SystemExit(f"a resumed run keeps its config; only {sorted(allowed)} may change, got {sorted(changed - allowed)}")
    else:
        cfg = TrainConfig.from_preset(args.preset or "default")
    for f in dataclasses.fields(TrainConfig):
        value = getattr(args, f.name, None)
        if value is not None:
            setattr(cfg, f.name, value)
    if args.prompt is not None:
        cfg.prompt = args.prompt
    knobs = knobs_from_args(args)
    if knobs:
        cfg.env_kwargs = {**cfg.env_kwargs, **knobs}
    return cfg


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cfg = config_from_args(args)
    from .trainer import Trainer

    import gymnasium as gym

    try:
        trainer = Trainer(cfg, resume=args.resume)
    except (ValueError, FileNotFoundError, ModuleNotFoundError, gym.error.Error) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        rows = trainer.train(progress=not args.no_progress)
    finally:
        trainer.close()
    if rows and trainer.accelerator.is_main_process:
        last = rows[-1]
        print(f"iteration {last['iteration']}: train success {last['charts/success_rate']:.3f}, "
              f"held-out success {last.get('eval/success_rate', float('nan')):.3f} -> {trainer.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
