"""``python -m baselines.reproduce``: the paper's findings in miniature, by one command.

    python -m baselines.reproduce                 # the whole grid (make reproduce)
    python -m baselines.reproduce --quick         # the headline row alone, then its table
    python -m baselines.reproduce --dry-run       # the plan and its CPU budget, nothing run
    python -m baselines.reproduce --workers 2     # two units at once, each in its own process
    python -m baselines.reproduce --doc-only      # the page from the units finished so far; nothing run
    python -m baselines.reproduce --only 'transfer/*'   # the units whose keys match (and what they need)
    python -m baselines.reproduce --cheapest-first      # small units first: a cut-short run leaves the most

Runs the grid of :mod:`baselines.study` (algorithms, reward density, SFT:RL budget mixes,
transfer; every training condition with each of ``--seeds``), evaluates greedily on the
held-out test seeds, draws the figures and writes docs/reproduction.md: a table per finding,
our numbers beside the paper's, and a verdict per claim (:data:`baselines.study.VERDICT_RULE`).

Resumable: each unit's result is saved to ``<out>/<key>/result.json`` as it finishes (written
to a temporary file and renamed, so a half-written result is never taken as finished); a
rerun skips finished units and continues cut-off training runs from their checkpoints.

The CPU budget is stated up front, estimated from a calibration (``<out>/calibration.json``:
CPU seconds per demonstration, training episode and evaluation episode, measured once on
this machine). ``--budget-minutes`` caps it: the RL iterations of the runs that have no fixed
unit budget are scaled down (never below one) so the estimate fits.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from textagent_envs.checks import require_int, require_number

from . import study
from .study import Unit

RESULT = "result.json"
CALIBRATION = "calibration.json"
#: The issue's CPU budget of ``--quick`` (minutes).
QUICK_MINUTES = 45.0
#: Training seeds of every condition and held-out games, unless ``--seeds`` / ``--episodes``.
DEFAULT_SEEDS, DEFAULT_EPISODES = [0, 1, 2], 100


def _log(message: str) -> None:
    print(f"[reproduce {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- results on disk ------------------------------------------------------------------------
def fingerprint(unit: Unit, episodes: int) -> str:
    """What a unit's result depends on; a saved result with another fingerprint is stale."""
    return json.dumps({"kind": unit.kind, "config": unit.config, "source": unit.source, "episodes": episodes},
                      sort_keys=True)


def load_result(out: Path, unit: Unit, episodes: int) -> dict | None:
    """The unit's finished result, or None when it has none (no file, a half-written or
    unreadable one, or one not marked complete; an evaluation of a checkpoint trained again
    since). Raises when the saved result was made by a different setting (change ``--out``
    or delete that directory)."""
    path = out / unit.key / RESULT
    result = _read_result(path)
    if result is None:
        return None
    if result.get("fingerprint") != fingerprint(unit, episodes):
        raise ValueError(f"{path} was made with other settings than this study asks for "
                         f"(another --seeds, --episodes or --budget-minutes?); use another --out or delete {path.parent}")
    if unit.source is not None and result.get("source_stamp") != source_stamp(_read_result(out / unit.source / RESULT)):
        return None  # its checkpoint was trained again (or is gone) since: evaluate it again
    return result


def _read_result(path: Path) -> dict | None:
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) and result.get("complete") is True else None


def source_stamp(result: dict | None) -> str | None:
    """What names the finished training result whose checkpoint an evaluation read: its
    settings, code and SFT model (None without one). An evaluation whose stamp no longer
    matches its source's result is stale and runs again."""
    if result is None:
        return None
    return json.dumps({k: result.get(k) for k in ("fingerprint", "code", "sft_digest", "iteration")}, sort_keys=True)


def save_result(out: Path, unit: Unit, episodes: int, result: dict) -> dict:
    """Write ``result`` as the unit's finished result, atomically."""
    folder = out / unit.key
    folder.mkdir(parents=True, exist_ok=True)
    from .provenance import code_version

    result = {**result, "key": unit.key, "kind": unit.kind, "fingerprint": fingerprint(unit, episodes),
              "code": code_version(), "complete": True}
    tmp = folder / (RESULT + ".tmp")
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    os.replace(tmp, folder / RESULT)
    return result


# --- running one unit -------------------------------------------------------------------------
def test_seeds(episodes: int) -> list[int]:
    from .presets import split_seeds

    return split_seeds(study.TEST_SPLIT, episodes)


def run_unit(out: Path, unit: Unit, episodes: int) -> dict:
    """Run ``unit`` (its result is saved and returned)."""
    from .config import TrainConfig
    from .provenance import sft_digest
    from .trainer import CHECKPOINT, Trainer

    seeds = test_seeds(episodes)
    start = time.process_time()
    if unit.kind == "trivial":
        import textagent_envs

        from .evaluate import summarize
        from .trivial import best_of, play_all

        cfg = unit.config

        def make_env():
            return textagent_envs.make(cfg["env"], reward=cfg["reward"], max_episode_steps=cfg["max_turns"], **cfg["env_kwargs"])

        played = play_all(make_env, seeds)
        summaries = {name: summarize(rows) for name, rows in played.items()}
        best, _ = best_of(summaries)
        return save_result(out, unit, episodes, {"best": best, "policies": summaries,
                                                 "successes": [bool(e["success"]) for e in played[best]],
                                                 "cpu_s": time.process_time() - start})
    if unit.kind == "train":
        run = out / unit.key / "run"
        cfg = TrainConfig(**unit.config, out=str(run))
        trainer = Trainer(cfg, resume=(run / CHECKPOINT).exists())
        try:
            trainer.train(progress=False)
            trainer.save_checkpoint()
            digest = sft_digest(trainer.checkpoint_state())  # what the saved checkpoint holds, not read back
            summary, rows = trainer.evaluate(seeds)
        finally:
            trainer.close()
        return save_result(out, unit, episodes, {
            "summary": summary, "successes": [bool(r["success"]) for r in rows], "iteration": trainer.iteration,
            "train_cpu_s": trainer.cpu_s, "cpu_s": time.process_time() - start, "run": str(run),
            "sft_digest": digest})
    if unit.kind == "eval":
        if unit.source is None:
            cfg = TrainConfig(**unit.config, out="")
            resume = False
        else:
            stamp = source_stamp(_read_result(out / unit.source / RESULT))
            if stamp is None:
                raise ValueError(f"{unit.key} evaluates {unit.source}, which has no finished result in {out}")
            source = out / unit.source / "run"
            cfg = TrainConfig.load(source / "config.json")
            cfg = dataclasses.replace(cfg, env=unit.config["env"], max_turns=unit.config["max_turns"], out=str(source))
            resume = True
        trainer = Trainer(cfg, resume=resume, for_eval=True)
        try:
            summary, rows = trainer.evaluate(seeds)
        finally:
            trainer.close()
        extra = {} if unit.source is None else {"source_stamp": stamp}
        return save_result(out, unit, episodes, {"summary": summary, "successes": [bool(r["success"]) for r in rows],
                                                 "iteration": trainer.iteration, "cpu_s": time.process_time() - start,
                                                 **extra})
    raise ValueError(f"unknown unit kind {unit.kind!r}; one of {study.KINDS}")


# --- calibration and the CPU budget ---------------------------------------------------------
def calibrate(out: Path) -> dict[str, float]:
    """CPU seconds of the study's parts, measured once here and kept in
    ``<out>/calibration.json`` (measured again when :data:`baselines.study.SETTING` or the
    calibrated games changed): a short run of the setting on the base game (and the trivial
    policies there), and one on each other game the study trains on (``per_env``), whose
    longer turn budgets and texts cost more than a turn-count scaling of the base game says."""
    path = out / CALIBRATION
    setting = json.dumps(study.SETTING, sort_keys=True)
    others = [env for env in study.TRAIN_ENVS if env != study.BASE_ENV]
    if path.exists():
        try:
            kept = json.loads(path.read_text())
        except ValueError:
            kept = {}
        if kept.get("setting") == setting and sorted(kept.get("per_env", {})) == sorted(others):
            return kept
    import textagent_envs

    from .trivial import play_trivial

    _log("calibrating: short runs of the study's setting to measure CPU time per episode "
         f"({', '.join(study.TRAIN_ENVS)})")
    result: dict[str, Any] = _measure(out / "calibration-run", study.BASE_ENV)
    t0 = time.process_time()
    make = lambda: textagent_envs.make(study.BASE_ENV, max_episode_steps=study.TURNS[study.BASE_ENV], engine="native")  # noqa: E731
    play_trivial("random admissible", make, list(range(111, 115)))
    result["env_episode_s"] = (time.process_time() - t0) / 4
    result["per_env"] = {env: {k: v for k, v in _measure(out / "calibration-run", env).items() if k != "build_s"}
                         for env in others}
    result.update(machine=platform.machine(), measured=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), setting=setting)
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    return result


def _measure(run: Path, env: str) -> dict[str, float]:
    """CPU seconds of building the model, an SFT demonstration epoch, a training episode and
    an evaluation episode of the setting on ``env`` at its turn budget."""
    import shutil

    from .config import TrainConfig
    from .trainer import Trainer

    shutil.rmtree(run, ignore_errors=True)
    t0 = time.process_time()
    trainer = Trainer(TrainConfig(**{**study.SETTING, "env": env, "max_turns": study.TURNS[env], "sft_demos": 4,
                                     "sft_epochs": 1, "iterations": 1, "seed": 0, "eval_every": 0, "out": str(run)}))
    t1 = time.process_time()
    trainer.warm_start()
    t2 = time.process_time()
    trainer.step()
    t3 = time.process_time()
    trainer.evaluate(list(range(101, 109)))
    t4 = time.process_time()
    trainer.close()
    shutil.rmtree(run, ignore_errors=True)
    return {"build_s": t1 - t0, "demo_s": (t2 - t1) / 4, "train_episode_s": (t3 - t2) / study.SETTING["tasks_per_iter"],
            "eval_episode_s": (t4 - t3) / 8}


def rl_iterations(unit: Unit) -> int:
    from .config import TrainConfig

    return TrainConfig(**unit.config).resolved().iterations


def estimate(unit: Unit, cal: dict[str, float], episodes: int) -> float:
    """Estimated CPU seconds of ``unit``: from the calibration of its game when it has one
    (``per_env``), otherwise the base game's, with episode costs scaled by the turn budget
    over the base game's."""
    c = unit.config
    turns = c.get("max_turns", 8) / study.TURNS[study.BASE_ENV]
    if unit.kind == "trivial":
        from .trivial import TRIVIAL

        return len(TRIVIAL) * episodes * cal["env_episode_s"] * turns
    own = cal.get("per_env", {}).get(c.get("env"))
    if own is not None:
        cal, turns = {**cal, **own}, 1.0
    evaluation = cal["build_s"] + episodes * cal["eval_episode_s"] * turns
    if unit.kind == "eval":
        return evaluation
    iterations = rl_iterations(unit)
    per_iter = c["tasks_per_iter"] * c["group_size"]
    evals = (iterations // c["eval_every"] + 1 if c["eval_every"] else 0) * c["eval_tasks"]
    return (evaluation + c["sft_demos"] * c["sft_epochs"] * cal["demo_s"] + iterations * per_iter * cal["train_episode_s"] * turns
            + evals * cal["eval_episode_s"] * turns)


def fit_budget(units: list[Unit], cal: dict[str, float], episodes: int, minutes: float | None) -> tuple[list[Unit], float]:
    """The units with the RL iterations of the runs without a unit budget scaled down so the
    estimate fits ``minutes`` (never below one iteration; unchanged without ``minutes``), and
    the scale applied (1.0: none)."""
    if minutes is None:
        return units, 1.0
    total = sum(estimate(u, cal, episodes) for u in units)
    scalable = [u for u in units if u.kind == "train" and not u.config.get("budget_units")]
    rl = sum(estimate(u, cal, episodes) - estimate(dataclasses.replace(u, config={**u.config, "iterations": 0}), cal, episodes)
             for u in scalable)
    if total <= minutes * 60 or rl <= 0:
        return units, 1.0
    scale = max(0.0, (minutes * 60 - (total - rl)) / rl)
    fitted = [dataclasses.replace(u, config={**u.config, "iterations": max(1, int(u.config["iterations"] * scale))})
              if u in scalable else u for u in units]
    return fitted, scale


def measured_ratios(plan: list[Unit], results: dict[str, dict], cal: dict[str, Any], episodes: int) -> dict[str, float]:
    """By game: the CPU time its finished training units took over their estimates (the
    calibration is one short iteration; whole runs can cost more or less per episode)."""
    spent: dict[str, float] = {}
    guessed: dict[str, float] = {}
    for unit in plan:
        result = results.get(unit.key)
        if unit.kind != "train" or not result:
            continue
        took = max(result.get("cpu_s", 0.0), result.get("train_cpu_s", 0.0))  # train_cpu_s counts across resumes
        if took > 0:
            env = unit.config["env"]
            spent[env] = spent.get(env, 0.0) + took
            guessed[env] = guessed.get(env, 0.0) + estimate(unit, cal, episodes)
    return {env: spent[env] / guessed[env] for env in spent if guessed[env] > 0}


def minutes_left(plan: list[Unit], results: dict[str, dict], cal: dict[str, Any], episodes: int,
                 seeds: Sequence[int]) -> dict[str, float]:
    """By finding: estimated CPU minutes of its units (and the checkpoints they evaluate)
    that have no result yet, each scaled by :func:`measured_ratios` of its game when
    units of that game have finished."""
    by_key = {u.key: u for u in plan}
    ratios = measured_ratios(plan, results, cal, episodes)
    left = {}
    for finding in study.findings(seeds):
        keys = {k for row in finding.rows for k in row.keys if k in by_key}
        keys |= {by_key[k].source for k in keys if by_key[k].source in by_key}
        left[finding.name] = sum(estimate(by_key[k], cal, episodes)
                                 * (ratios.get(by_key[k].config.get("env"), 1.0) if by_key[k].kind == "train" else 1.0)
                                 for k in keys if k not in results) / 60
    return left


# --- the command ----------------------------------------------------------------------------
def select(units: list[Unit], patterns: Sequence[str] | None) -> list[Unit]:
    """The units whose keys match one of the shell ``patterns`` (all without patterns), with
    the training units they evaluate, in plan order. Raises on a pattern that matches none."""
    if patterns is None:
        return units
    from fnmatch import fnmatchcase

    for pattern in patterns:
        if not any(fnmatchcase(u.key, pattern) for u in units):
            raise ValueError(f"--only {pattern!r} matches no unit of the plan; its keys look like "
                             f"{units[0].key!r} or {units[-1].key!r} (--dry-run lists them all)")
    chosen = {u.key for u in units if any(fnmatchcase(u.key, p) for p in patterns)}
    chosen |= {u.source for u in units if u.key in chosen and u.source is not None}
    return [u for u in units if u.key in chosen]


def positive_minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--budget-minutes takes a number of CPU minutes, got {text!r}") from None
    return require_number("--budget-minutes", value, positive=True, error=argparse.ArgumentTypeError)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m baselines.reproduce", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the headline row alone (SFT then RL on w2-o3-q4), "
                        f"within {QUICK_MINUTES:.0f} CPU-minutes unless --budget-minutes says otherwise")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and its CPU budget; run nothing")
    parser.add_argument("--doc-only", action="store_true",
                        help="write the page and figures from the units finished so far; run nothing")
    parser.add_argument("--out", default="runs/reproduce", help="the study's directory (results, runs, calibration)")
    parser.add_argument("--seeds", type=int, nargs="+", default=DEFAULT_SEEDS, help="training seeds of every condition")
    parser.add_argument("--episodes", type=int, default=DEFAULT_EPISODES, help="held-out test games (seeds 1..N of released-test)")
    parser.add_argument("--budget-minutes", type=positive_minutes, default=None,
                        help="CPU minutes the run may take: RL iterations are scaled down to fit")
    parser.add_argument("--workers", type=int, default=1,
                        help="units run at once, each in its own process (the CPU budget is unchanged; the wall time shrinks)")
    parser.add_argument("--only", nargs="+", metavar="PATTERN", default=None,
                        help="run only the units whose keys match one of these shell patterns (e.g. 'train/w2-o3-q4/*' "
                             "'transfer/*'; --dry-run lists the keys) and the units they evaluate; the page is written "
                             "from every finished unit")
    parser.add_argument("--cheapest-first", action="store_true",
                        help="start the units with the smallest estimates first (a run cut short then leaves the most "
                             "finished units); default: plan order")
    parser.add_argument("--doc", default="docs/reproduction.md", help="the page written from the results")
    parser.add_argument("--figures", default="docs/img", help="folder of the figures")
    args = parser.parse_args(argv)
    try:
        require_int("--episodes", args.episodes, minimum=1, maximum=len(study_test_range()))
        for s in args.seeds:
            require_int("--seeds", s, minimum=0)
        require_int("--workers", args.workers, minimum=1, maximum=os.cpu_count() or 1)
    except ValueError as err:
        parser.error(str(err))
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f"--seeds repeats a seed: {args.seeds}")
    if args.dry_run and args.doc_only:
        parser.error("--dry-run writes nothing and --doc-only writes the page: choose one")
    if args.quick and args.budget_minutes is None:
        args.budget_minutes = QUICK_MINUTES
    return args


def study_test_range() -> range:
    from .presets import SEED_SPLITS

    return SEED_SPLITS[study.TEST_SPLIT]


def describe_plan(units: list[Unit], cal: dict[str, float], episodes: int, scale: float, minutes: float | None) -> list[str]:
    costs = [estimate(u, cal, episodes) for u in units]
    lines = [f"{'unit':<58} {'kind':<8} {'RL it.':>6} {'CPU min':>8}"]
    for unit, cost in zip(units, costs):
        it = str(rl_iterations(unit)) if unit.kind == "train" else ""
        lines.append(f"{unit.key:<58} {unit.kind:<8} {it:>6} {cost / 60:>8.1f}")
    lines.append(f"{len(units)} units, estimated {sum(costs) / 60:.0f} CPU-minutes "
                 f"(calibration: {cal['train_episode_s']:.2f} CPU-s a training episode, {cal['eval_episode_s']:.2f} an "
                 f"evaluation episode, {cal['demo_s']:.2f} a demonstration epoch)")
    if scale < 1.0:
        lines.append(f"RL iterations scaled by {scale:.2f} to fit --budget-minutes {minutes:g}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    plan = study.plan(args.seeds, quick=args.quick)
    try:
        units = select(plan, args.only)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    cal = calibrate(out)
    units, scale = fit_budget(units, cal, args.episodes, args.budget_minutes)
    plan_lines = describe_plan(units, cal, args.episodes, scale, args.budget_minutes)
    print("\n".join(plan_lines), flush=True)
    if args.dry_run:
        return 0
    try:
        if args.doc_only:
            results = page_results(out, plan, units, args.episodes)
            _log(f"--doc-only: {len(results)} of {len(plan)} units have results; nothing is run")
        else:
            run_all(out, units, cal, args.episodes, workers=args.workers, cheapest_first=args.cheapest_first)
            results = page_results(out, plan, units, args.episodes)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    from .reproduction_doc import write_doc

    command = "python -m baselines.reproduce " + " ".join(argv if argv is not None else sys.argv[1:])
    full_minutes = sum(estimate(u, cal, DEFAULT_EPISODES) for u in study.plan(DEFAULT_SEEDS)) / 60
    quick = fit_budget(study.plan(DEFAULT_SEEDS, quick=True), cal, DEFAULT_EPISODES, QUICK_MINUTES)[0]
    quick_minutes = sum(estimate(u, cal, DEFAULT_EPISODES) for u in quick) / 60
    tables = write_doc(Path(args.doc), Path(args.figures), out, results, args, units, command.strip(), full_minutes, scale,
                       quick_minutes, minutes_left(plan, results, cal, args.episodes, args.seeds),
                       measured_ratios(plan, results, cal, args.episodes))
    if args.quick:
        print(tables["headline"])
    _log(f"wrote {args.doc}")
    return 0


def finished_results(out: Path, units: list[Unit], episodes: int, skip_stale: bool = False) -> dict[str, dict]:
    """The saved results of the finished ``units``, by key (unfinished ones are left out; so
    are results made with other settings when ``skip_stale``, else they raise)."""
    results = {}
    for unit in units:
        try:
            done = load_result(out, unit, episodes)
        except ValueError:
            if not skip_stale:
                raise
            done = None
        if done is not None:
            results[unit.key] = done
    return results


def page_results(out: Path, plan: list[Unit], units: list[Unit], episodes: int) -> dict[str, dict]:
    """What the page is written from: every finished unit of the plan, with this invocation's
    ``units`` (perhaps scaled to a budget) read as they ran."""
    return {**finished_results(out, plan, episodes, skip_stale=True), **finished_results(out, units, episodes)}


def run_all(out: Path, units: list[Unit], cal: dict[str, float], episodes: int, workers: int = 1,
            cheapest_first: bool = False) -> dict[str, dict]:
    """Run every unfinished unit (finished ones are read back); a bar with the time left (on a
    terminal) advances by each unit's estimated CPU time.

    ``workers > 1`` runs that many units at once, each in its own process (spawned, so the
    parent's torch state is not shared); a unit that evaluates another's checkpoint waits
    until that one has finished. If a unit fails, the ones running finish and save their
    results, none is started after it, and its error is raised. ``cheapest_first`` starts
    the unit with the smallest estimate first (among those whose checkpoint is ready), so
    that a run cut short leaves as many finished units as it could; otherwise plan order."""
    from .trainer import progress_bar

    require_int("workers", workers, minimum=1)
    costs = {u.key: estimate(u, cal, episodes) for u in units}
    results = finished_results(out, units, episodes)
    todo = [u for u in units if u.key not in results]
    if cheapest_first:
        todo.sort(key=lambda u: costs[u.key])  # stable: plan order among equal estimates
    keys = {u.key for u in units}
    for unit in todo:
        if unit.source is not None and unit.source not in keys:
            raise ValueError(f"{unit.key} evaluates {unit.source}, which is not in the plan")
    _log(f"{len(results)} of {len(units)} units already finished; {len(todo)} to run"
         f"{f' on {workers} workers' if workers > 1 else ''}, "
         f"estimated {sum(costs[u.key] for u in todo) / 60:.1f} CPU-minutes")
    bar = progress_bar(True, total=round(sum(costs[u.key] for u in todo)), desc="reproduce", unit="est. CPU-s")

    def started(unit: Unit) -> None:
        if bar is None:
            _log(f"running {unit.key} (estimated {costs[unit.key] / 60:.1f} CPU-minutes)")
        else:
            bar.set_postfix_str(unit.key)

    def finished(unit: Unit, result: dict) -> None:
        results[unit.key] = result
        if bar is None:
            _log(f"finished {unit.key} ({result.get('cpu_s', 0) / 60:.1f} CPU-minutes)")
        else:
            bar.update(round(costs[unit.key]))

    try:
        if workers == 1:
            waiting = list(todo)
            while (unit := _take_ready(waiting, results)) is not None:
                started(unit)
                finished(unit, run_unit(out, unit, episodes))
        else:
            _run_parallel(out, todo, episodes, workers, results, started, finished)
    finally:
        if bar is not None:
            bar.close()
    return results


def _take_ready(waiting: list[Unit], results: dict[str, dict]) -> Unit | None:
    """Remove and return the first waiting unit that can start now (it evaluates no
    checkpoint, or one whose unit has finished), or None if there is none."""
    ready = next((u for u in waiting if u.source is None or u.source in results), None)
    if ready is not None:
        waiting.remove(ready)
    return ready


def _run_parallel(out: Path, todo: list[Unit], episodes: int, workers: int, results: dict[str, dict],
                  started, finished) -> None:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    waiting = list(todo)
    running: dict[Any, Unit] = {}
    failure: BaseException | None = None
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        while waiting or running:
            while failure is None and len(running) < workers and (ready := _take_ready(waiting, results)) is not None:
                started(ready)
                running[pool.submit(run_unit, out, ready, episodes)] = ready
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                unit = running.pop(future)
                try:
                    finished(unit, future.result())
                except BaseException as err:  # noqa: BLE001 - the first failure is raised once the others end
                    _log(f"{unit.key} failed: {err!r}")
                    failure = failure or err
    if failure is not None:
        raise failure


if __name__ == "__main__":
    sys.exit(main())
