"""The ``textagent-envs`` command (also ``python -m textagent_envs``).

Every command that takes a family takes it by the same names as the Python API: a family
name (``tw-custom``, ``alfworld``, ``swe-mini``, ...) or a registered id, whose pinned
knobs are then the defaults. Knobs are ``--knob NAME=VALUE`` (repeatable) everywhere.

Subcommands:
  list [FAMILY|ID]          families: levels, knobs with their ranges, engines, and their ids
  play FAMILY|ID [--seed N] [--knob k=v ...]
                            play a game in the terminal (/help lists the slash commands)
  check FAMILY|ID [--seeds N ...] [--knob k=v ...]
                            run the conformance check (textagent_envs.testing)
  demo                      generate games at two complexity levels and play two of them
  make-tasks FAMILY|ID [--knob k=v ... | --level N] --count N --split S --out DIR
                            generate a task set and its JSONL manifest (resumable)
  plot run LOG.jsonl --out FIG.png          success and return against level over a run
  plot difficulty MANIFEST.jsonl --out FIG.png [--key walkthrough_length]
                                            histogram of a task set's difficulty
  serve ID ... [--knob k=v ...]             serve ids over OpenEnv
  clean [--dry-run]         remove SWE workspaces, cgroups and containers whose owner process is gone

Old knob spellings (``--world-size 4`` after the command, ``--env-kwargs JSON``) still work
for one release and warn.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from typing import Any, Sequence

import gymnasium as gym

from . import infos
from .knobargs import add_knob_arguments, knobs_from_args
from .knobs import KnobError
from .registry import FAMILIES, Family, family


def _family(name: str) -> Family:
    try:
        return family(name)
    except KnobError as err:
        raise SystemExit(f"error: {err}") from None


def _env_id(name: str) -> str:
    """The env id a family name or an id stands for (a family's first, unpinned id)."""
    item = _family(name)
    env_id = name.split(":", 1)[-1]
    return env_id if env_id in item.ids else item.ids[0]


def _family_lines(item: Family) -> list[str]:
    lines = [f"{item.name}: {item.summary}"]
    knobs = item.knobs_class
    if knobs is None:
        lines.append(f"    no generator: {item.no_generator}")
    else:
        specs = knobs.knob_specs()
        levels = item.levels
        span = f"{levels.start}..{levels.stop - 1} (easiest to hardest)"
        if "level" in {s.name for s in specs}:
            lines.append(f"    levels: {span}")
        else:
            extra = f" ({', '.join(knobs.level_knobs)} may go with it)" if knobs.level_knobs else ""
            lines.append(f"    or level={span} instead of the knobs{extra}")
        width = max(len(s.name) for s in specs)
        lines.append("    knobs (--knob NAME=VALUE):")
        for spec in specs:
            default = list(spec.default) if isinstance(spec.default, tuple) else spec.default
            lines.append(f"      {spec.name:<{width}}  default {default!r}; {spec.describe()}: {spec.doc}")
    lines.append(f"    engines ({item.engine_option}=): {', '.join(item.engines)}")
    for entry in item.envs:
        pinned = ", ".join(f"{k}={v}" for k, v in entry.kwargs.items())
        lines.append(f"    {entry.id}  (max_episode_steps={entry.max_episode_steps}" + (f"; {pinned}" if pinned else "")
                     + f")\n        {entry.summary}")
    return lines


def cmd_list(args: argparse.Namespace) -> int:
    chosen = [_family(args.name)] if args.name else list(FAMILIES.values())
    print("\n".join(line for item in chosen for line in _family_lines(item)))
    return 0


def _make(env_id: str, knobs: dict[str, Any], **kwargs: Any) -> gym.Env:
    try:
        return gym.make(_env_id(env_id), **knobs, **kwargs)
    except (ValueError, TypeError) as err:
        raise SystemExit(f"error: {err}") from None


PLAY_HELP = """Type {example}, or:
  /admissible   list the commands the game accepts here
  /walkthrough  show a solution from the start of the game
  /objective    show the goal again
  /score        show score and moves
  /quit         leave"""
TEXT_EXAMPLE = "a command (e.g. 'open the chest')"
TOOL_EXAMPLE = 'a tool call as JSON (e.g. {"name": "bash", "arguments": {"command": "ls"}})'
#: Words a player types to leave; the game refuses them as interpreter commands, so play says how.
LEAVING_WORDS = {"quit", "exit", "q", "bye", "leave"}


def _play_help(env: gym.Env) -> str:
    tools = getattr(env.unwrapped, "tool_schemas", None)
    return PLAY_HELP.format(example=TOOL_EXAMPLE if tools else TEXT_EXAMPLE)


def cmd_play(args: argparse.Namespace, knobs: dict[str, Any]) -> int:
    env = _make(args.id, knobs, cache_dir=args.cache_dir)
    obs, info = env.reset(seed=args.seed)
    play_help = _play_help(env)
    print(f"{env.spec.id}, task {info[infos.TASK]['id']}\n{play_help}\n\n{obs}")
    while True:
        try:
            line = input("\n> ")
        except (EOFError, KeyboardInterrupt):
            print()
            break
        command = line.strip()
        if command in ("/quit", "/q"):
            break
        if command.lower().rstrip(".!") in LEAVING_WORDS:
            print("To leave, type /quit (/help lists the other slash commands).")
        elif command == "/help":
            print(play_help)
        elif command == "/admissible":
            print("\n".join(info.get(infos.ADMISSIBLE_COMMANDS) or ["(not available)"]))
        elif command == "/walkthrough":
            print(" > ".join(info[infos.WALKTHROUGH]))
        elif command == "/objective":
            print(info[infos.OBJECTIVE])
        elif command == "/score":
            print(f"score {info[infos.SCORE]}/{info[infos.MAX_SCORE]}, moves {info[infos.MOVES]}")
        else:
            obs, reward, terminated, truncated, info = env.step(line)
            print(obs + (f"\n[reward {reward:+g}]" if reward else ""))
            if terminated or truncated:
                outcome = "won" if info[infos.WON] else "lost" if info[infos.LOST] else "out of steps"
                print(f"\n*** {outcome}: score {info[infos.SCORE]}/{info[infos.MAX_SCORE]} in {info[infos.MOVES]} moves ***")
                break
    env.close()
    return 0


def cmd_check(args: argparse.Namespace, knobs: dict[str, Any]) -> int:
    from .progress import waiting
    from .testing import check_text_env

    env = _make(args.id, knobs, cache_dir=args.cache_dir)
    started = time.perf_counter()
    try:
        with waiting(f"checking {args.id} on seeds {list(args.seeds)}", kind=f"check {args.id}"):
            check_text_env(env, seeds=args.seeds)
    except AssertionError as err:
        print(f"FAIL {args.id}: {err}")
        return 1
    finally:
        env.close()
    print(f"OK {args.id}: check_env and the textagent_envs contract hold for seeds {list(args.seeds)} ({time.perf_counter() - started:.1f} s)")
    return 0


def cmd_make_tasks(args: argparse.Namespace, knobs: dict[str, Any]) -> int:
    from .tasksets.make_tasks import make_tasks

    try:
        made = make_tasks(
            args.family, knobs, level=args.level, count=args.count, split=args.split, out_dir=args.out,
            workers=args.workers, specs_only=args.specs_only, progress=True,
        )
    except ValueError as err:  # KnobError included
        raise SystemExit(f"error: {err}") from None
    print(
        f"{made.manifest}: {len(made.tasks)} tasks ({made.generated} generated now, {made.reused} kept from an earlier run"
        + (f", seeds without a quest skipped: {made.skipped_seeds}" if made.skipped_seeds else "") + ")"
    )
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from . import plots

    try:
        if args.what == "run":
            out = plots.plot_run(args.source, args.out)
        else:
            out = plots.plot_difficulty(args.source, args.out, key=args.key)
    except (OSError, ValueError) as err:
        raise SystemExit(f"error: {err}") from None
    print(out)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    run_demo(cache_dir=args.cache_dir)
    return 0


def cmd_serve(args: argparse.Namespace, knobs: dict) -> int:
    """Serve ids with OpenEnv's server until interrupted (textagent_envs.integrations.openenv)."""
    try:
        from .integrations.openenv import serve
    except ImportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        serve(args.ids, args.host, args.port, max_sessions=args.max_sessions, idle_timeout=args.idle_timeout,
              env_kwargs=knobs)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    """Remove what SWE sandboxes of dead processes left (textagent_envs.swe.cleanup)."""
    from .swe.cleanup import reap

    removed = reap(dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    print("\n".join(f"{verb} {item}" for item in removed) or "nothing to clean")
    return 0


def cmd_view(args: argparse.Namespace) -> int:
    """Write the HTML page of a baselines training run (baselines.view)."""
    try:
        from baselines.view import main as view_main
    except ImportError as err:
        print(f"error: the run viewer is part of the baselines package ({err})", file=sys.stderr)
        return 2
    return view_main([args.run] + (["--out", args.out] if args.out else []))


def _add_view_parser(sub) -> None:
    view = sub.add_parser("view", help="write a baselines training run's HTML page (curves, results, transcripts)")
    view.add_argument("run", help="a baselines.train run directory")
    view.add_argument("--out", default=None, help="the HTML file to write (default: RUN/view.html)")


def _add_clean_parser(sub) -> None:
    clean = sub.add_parser("clean", help="remove SWE workspaces, cgroups and containers whose owner process is gone")
    clean.add_argument("--dry-run", action="store_true", help="list them only")


FAMILY_HELP = "a family (" + ", ".join(FAMILIES) + ") or a registered id (`textagent-envs list`)"


def knobs_epilog() -> str:
    """Each family's knobs and their ranges, from the registry (the help of the commands that take knobs)."""
    lines = ["knobs by family (--knob NAME=VALUE; `textagent-envs list FAMILY` tells what each sets):"]
    for item in FAMILIES.values():
        knobs = item.knobs_class
        if knobs is None:
            lines.append(f"  {item.name}: none ({item.no_generator})")
            continue
        specs = ", ".join(f"{spec.name} ({spec.describe()})" for spec in knobs.knob_specs())
        lines.append(f"  {item.name}: {specs}; levels {item.levels.start}-{item.levels.stop - 1}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="textagent-envs", description="Gymnasium text environments for agentic RL.")
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="families: levels, knobs with their ranges, engines, and their ids")
    listing.add_argument("name", nargs="?", default=None, help="only this family (or the family of this id)")
    epilog = dict(epilog=knobs_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    play = sub.add_parser("play", help="play a game in the terminal", **epilog)
    play.add_argument("id", metavar="FAMILY|ID", help=FAMILY_HELP)
    play.add_argument("--seed", type=int, default=None)
    check = sub.add_parser("check", help="run the conformance check on an id", **epilog)
    check.add_argument("id", metavar="FAMILY|ID", help=FAMILY_HELP)
    check.add_argument("--seeds", type=int, nargs="+", default=[1])
    sub.add_parser("demo", help="generate games at two levels and play two of them")
    make = sub.add_parser("make-tasks", help="generate a task set", **epilog)
    make.add_argument("family", metavar="FAMILY|ID", help=FAMILY_HELP + "; an id's knobs are the defaults")
    make.add_argument("--level", type=int, default=None, help="a difficulty level instead of knobs")
    make.add_argument("--count", type=int, required=True)
    make.add_argument("--split", required=True, choices=["train", "valid", "test", "sft"])
    make.add_argument("--out", required=True, help="folder for the manifest (and games/)")
    make.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    make.add_argument("--specs-only", action="store_true", help="write only the manifest; games go to the cache")
    plot = sub.add_parser("plot", help="plot a curriculum run log or a task set's difficulty (PNG)")
    plot.add_argument("what", choices=["run", "difficulty"])
    plot.add_argument("source", help="a curriculum log (run) or a task manifest (difficulty)")
    plot.add_argument("--out", required=True, help="the PNG to write")
    plot.add_argument("--key", default="walkthrough_length", help="the metadata field to histogram (difficulty)")
    serve = sub.add_parser("serve", help="serve ids over OpenEnv's HTTP/WebSocket protocol (needs the integrations extra)")
    serve.add_argument("ids", nargs="+", metavar="ID")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--max-sessions", type=int, default=64, help="concurrent sessions (envs) per id")
    serve.add_argument("--idle-timeout", type=float, default=600.0, help="seconds before an idle session is closed")
    _add_clean_parser(sub)
    _add_view_parser(sub)
    for command in (play, check, sub.choices["demo"]):
        command.add_argument("--cache-dir", default=None, help="where generated games are cached")
    for command in (play, check, make, serve):
        add_knob_arguments(command)
    return parser


#: Commands that take env knobs (and, deprecated, knob flags after the command).
KNOB_COMMANDS = ("play", "check", "make-tasks", "serve")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command not in KNOB_COMMANDS:
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        return {"list": cmd_list, "demo": cmd_demo, "plot": cmd_plot, "clean": cmd_clean, "view": cmd_view}[args.command](args)
    with warnings.catch_warnings(record=True) as caught:  # a CLI user sees the old-spelling warnings
        warnings.simplefilter("always", DeprecationWarning)
        knobs = knobs_from_args(args, extra)
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    if args.command == "make-tasks":
        return cmd_make_tasks(args, knobs)
    if args.command == "serve":
        return cmd_serve(args, knobs)
    _family(args.id)  # an unknown name: the choices, before anything is built
    return cmd_play(args, knobs) if args.command == "play" else cmd_check(args, knobs)


if __name__ == "__main__":
    sys.exit(main())
