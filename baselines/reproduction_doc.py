"""docs/reproduction.md and its figures, written from the study's results only (see
:mod:`baselines.reproduce`): a table per finding, our numbers beside the paper's, a verdict
per claim, and what part of the study the numbers come from."""

from __future__ import annotations

import functools
import platform
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Sequence

from . import study
from .evaluate import wilson_interval
from .study import Finding, pct

#: The issue's headline target: success, and points above the start and the best trivial policy.
TARGET_SUCCESS, TARGET_MARGIN = 0.60, 0.30


def pooled_rows(finding: Finding, results: dict[str, dict]) -> dict[str, dict | None]:
    """Each row's pooled result (None when a unit of the row has no result)."""
    rows: dict[str, dict | None] = {}
    for row in finding.rows:
        found = [results.get(k) for k in row.keys]
        rows[row.label] = (study.pooled_interval([r["successes"] for r in found]) if all(found) else None)
        if rows[row.label] is not None and len(row.keys) == 1 and "best" in found[0]:
            rows[row.label]["policy"] = found[0]["best"]
    return rows


def resolve_best_mix(finding: Finding, pooled: dict[str, dict | None]) -> str | None:
    """The label of the finding's mix with the highest success (None until every mix has a result)."""
    if not finding.mixes or any(pooled[m] is None for m in finding.mixes):
        return None
    return max(finding.mixes, key=lambda m: pooled[m]["success_rate"])


def _interval(p: dict | None) -> str:
    if p is None:
        return "not run"
    low, high = p["ci95"]
    return f"{pct(p['success_rate'])} [{pct(low)}, {pct(high)}]"


def finding_table(finding: Finding, pooled: dict[str, dict | None]) -> str:
    lines = ["| condition | ours: held-out success [95% CI] | per training seed | paper |", "|---|---:|---|---|"]
    for row in finding.rows:
        p = pooled[row.label]
        seeds = ", ".join(pct(x) for x in p["per_seed"]) if p is not None and len(p["per_seed"]) > 1 else ""
        label = row.label + (f" ({p['policy']})" if p is not None and "policy" in p else "")
        lines.append(f"| {label} | {_interval(p)} | {seeds} | {row.paper or '—'} |")
    return "\n".join(lines)


#: The findings that count their runs game by game against the SFT model they start from.
SFT_ALONE_ROWS = {"algorithms": study.SFT_ONLY, "density": study.DENSITY_SFT_ONLY}


def _sft_digest(out: Path, results: dict[str, dict], key: str) -> str | None:
    """The SFT digest a unit's result recorded, else read from its run's checkpoint (results
    from before it was recorded)."""
    recorded = results.get(key, {}).get("sft_digest")
    if recorded is not None:
        return recorded
    from .provenance import sft_digest_of_run

    return sft_digest_of_run(out / key / "run")


def code_line(results: dict[str, dict]) -> str:
    """The page's bullet on the code the finished units ran with (``code`` in each result:
    :func:`baselines.provenance.code_version`)."""
    counts = Counter(r.get("code") for r in results.values())
    if not counts:
        return "- Code the units ran with: no unit has finished yet."
    unknown = counts.pop(None, 0)
    parts = [f"`{code}` ({_units(n)})" for code, n in counts.most_common()]
    if unknown:
        parts.append(f"{_units(unknown)} finished before the code version was recorded")
    text = "- Code the units ran with: " + ", ".join(parts)
    if len(counts) + bool(unknown) > 1:
        text += (". Versions can differ in float rounding, so the same recipe and seed can give another model: the "
                 "rows compare as conditions, and the game-by-game counts below say whether each pair started from "
                 "the same SFT model")
    return text + "."


def _units(n: int) -> str:
    return f"{n} unit{'s' if n != 1 else ''}"


def paired_against(finding: Finding, results: dict[str, dict], base_label: str,
                   digest: Callable[[str], str | None] | None = None) -> str | None:
    """One sentence: for each other training row of ``finding``, the held-out games it lost
    that the ``base_label`` row's model of the same training seed won, and the reverse
    (None until every unit of those rows has a result). With ``digest`` (a unit key to the
    digest of the SFT model its run started from, :func:`baselines.provenance.sft_digest`),
    it also says whether each pair started from the same SFT model: a row whose RL started
    from another one measures RL and that difference together."""
    rows = {row.label: row for row in finding.rows}
    base = rows[base_label].keys
    parts = []
    for row in finding.rows:
        if row.label == base_label or len(row.keys) != len(base) or not row.keys[0].startswith("train/"):
            continue
        pairs = [(results.get(b), results.get(k)) for b, k in zip(base, row.keys)]
        if not all(x and y for x, y in pairs):
            return None
        lost = [sum(b_ok and not ok for b_ok, ok in zip(x["successes"], y["successes"])) for x, y in pairs]
        won = [sum(ok and not b_ok for b_ok, ok in zip(x["successes"], y["successes"])) for x, y in pairs]
        part = (f"{row.label} lost {sum(lost)} and won {sum(won)} (by training seed: "
                + ", ".join(f"{a} and {b}" for a, b in zip(lost, won)) + ")")
        if digest is not None:
            part += " " + _same_start(base, row.keys, digest)
        parts.append(part)
    if not parts:
        return None
    return (f"Game by game against {base_label} of the same training seed, on the same held-out games (games it won "
            f"that the row lost, and games it lost that the row won): " + "; ".join(parts) + ".")


def _same_start(base: Sequence[str], keys: Sequence[str], digest: Callable[[str], str | None]) -> str:
    pairs = [(digest(b), digest(k)) for b, k in zip(base, keys)]
    if any(x is None or y is None for x, y in pairs):
        return "[same SFT model: not known]"
    other = [k.rsplit("seed", 1)[1] for (x, y), k in zip(pairs, keys) if x != y]
    if not other:
        return "[each from the same SFT model, identical weights]"
    return (f"[training seed{'s' if len(other) > 1 else ''} {', '.join(other)}: RL started from another SFT model than "
            "the SFT-alone row's (same recipe and seed, other weights), so those counts mix RL's effect with that "
            "difference]")


def lost_episode_pay(finding: Finding, out: Path, last: int = 10) -> str | None:
    """One sentence for a finding with dense rows: in each dense run's last ``last`` training
    iterations, what a lost episode earned on average as a share of a win's return (a won
    dense episode returns exactly 1). None until every dense run has that many iterations."""
    from .plot import read_metrics

    parts = []
    for row in finding.rows:
        if "dense" not in row.label:
            continue
        lost_pay = lost = episodes = 0.0
        for key in row.keys:
            run = out / key / "run"
            trained = [r for r in read_metrics(run) if "charts/success_rate" in r] if (run / "metrics.csv").exists() else []
            if len(trained) < last + 1:
                return None
            for previous, current in zip(trained[-last - 1:-1], trained[-last:]):
                n = current["episodes"] - previous["episodes"]
                won = n * current["charts/success_rate"]
                lost_pay += n * current["charts/return"] - won
                lost += n - won
                episodes += n
        share = f"{lost_pay / lost:.2f}" if lost else "none lost"
        parts.append(f"{row.label} {share} ({lost:.0f} of {episodes:.0f} episodes lost)")
    if not parts:
        return None
    return (f"What a lost training episode earned, as a share of a win's return of 1 (each run's last {last} "
            "iterations, its training seeds pooled): " + "; ".join(parts) + ". The dense reward pays a lost game the "
            "share of the game's score it reached, so a win adds only the milestones still missing; the sparse reward "
            "pays a lost game 0.")


def claim_lines(finding: Finding, pooled: dict[str, dict | None]) -> list[tuple[str, str]]:
    """(verdict, sentence) for each claim of the finding."""
    out = []
    for claim in finding.claims:
        a_label = resolve_best_mix(finding, pooled) if claim.a == study.BEST_MIX else claim.a
        a = pooled.get(a_label) if a_label else None
        b = pooled.get(claim.b)
        v = study.verdict(a, claim.op, b)
        name = f"{claim.a} ({a_label})" if claim.a == study.BEST_MIX and a_label else claim.a
        detail = (f"{name} {_interval(a)} vs {claim.b} {_interval(b)}" if v != study.NOT_RUN
                  else "a condition has no results yet")
        out.append((v, f"{claim.text}: **{v}** ({detail})"))
    return out


def headline_target(pooled: dict[str, dict | None], finding: Finding) -> str:
    trained, start, trivial = (pooled[r.label] for r in (finding.rows[2], finding.rows[1], finding.rows[0]))
    if trained is None or start is None or trivial is None:
        return "The headline target (issue 13 §3) is not checked: a condition has no results yet."
    rate = trained["success_rate"]
    margin = rate - max(start["success_rate"], trivial["success_rate"])
    met = rate >= TARGET_SUCCESS and margin >= TARGET_MARGIN
    side = f"{100 * margin:.0f} points above" if margin >= 0 else f"{-100 * margin:.0f} points below"
    text = (f"Target (issue 13 §3): at least {pct(TARGET_SUCCESS)} success and {100 * TARGET_MARGIN:.0f} points above both "
            f"the starting point and the best trivial policy. Ours: {pct(rate)}, {side} the better of the two: ")
    if met:
        low, high = trained["ci95"]
        if low >= TARGET_SUCCESS:
            return text + f"**met**, its whole 95% interval [{pct(low)}, {pct(high)}] at or above {pct(TARGET_SUCCESS)}."
        return text + (f"**met by the point estimate only**: its 95% interval [{pct(low)}, {pct(high)}] reaches below "
                       f"{pct(TARGET_SUCCESS)} (per training seed: {', '.join(pct(r) for r in trained['per_seed'])}), "
                       "so another set of training seeds could miss it.")
    short = max(TARGET_SUCCESS - rate, TARGET_MARGIN - margin)
    return text + f"**not met**, short by {100 * short:.0f} points."


def _paper_value(text: str) -> float | None:
    import re

    match = re.search(r"(\d+)%", text)
    return int(match.group(1)) / 100 if match else None


def notebook_lines() -> list[str]:
    """The headline's lab notebook (:data:`baselines.study.NOTEBOOK`) and what it says
    limits the headline (:data:`baselines.study.LIMITS`)."""
    lines = ["### Lab notebook: what limits the headline", "",
             "Small measured experiments, one change at a time from the headline's setting (SFT, then RL where the row "
             f"says so), greedy on the first 50 (or 100) held-out games of `{study.TEST_SPLIT}`, training seed 0, one "
             "`python -m baselines.probe` each (1 thread; the machine was shared, so CPU times are this process's "
             "own). The 95% intervals are Wilson intervals over the row's games.", "",
             "| experiment | held-out success [95% CI] | training CPU-s | command |", "|---|---:|---:|---|"]
    for what, won, games, cpu, flags in study.NOTEBOOK:
        low, high = wilson_interval(won, games)
        command = "`" + " ".join(filter(None, ["python -m baselines.probe", flags])) + "`"
        lines.append(f"| {what} | {won}/{games} = {pct(won / games)} [{pct(low)}, {pct(high)}] | {cpu:.0f} | {command} |")
    return lines + ["", study.LIMITS, ""]


def draw_finding(path: Path, finding: Finding, pooled: dict[str, dict | None]) -> Path | None:
    """A bar per condition with its 95% interval, the paper's number as a dot."""
    rows = [r for r in finding.rows if pooled[r.label] is not None]
    if not rows:
        return None
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 0.45 * len(rows) + 1.4))
    ax = fig.subplots()
    y = list(range(len(rows)))[::-1]
    rates = [pooled[r.label]["success_rate"] for r in rows]
    # (a Wilson bound can sit a rounding error inside its point estimate: errors are clipped at 0)
    err = [[max(0.0, rate - pooled[r.label]["ci95"][0]) for r, rate in zip(rows, rates)],
           [max(0.0, pooled[r.label]["ci95"][1] - rate) for r, rate in zip(rows, rates)]]
    ax.barh(y, rates, xerr=err, color="#4c78a8", capsize=3, label="ours (95% CI)")
    paper = [(yy, _paper_value(r.paper)) for yy, r in zip(y, rows) if _paper_value(r.paper) is not None]
    if paper:
        ax.plot([p[1] for p in paper], [p[0] for p in paper], "o", color="#e45756", label="paper")
    ax.set_yticks(y)
    ax.set_yticklabels([r.label for r in rows], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("held-out success rate (greedy)")
    ax.set_title(finding.title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def draw_curves(path: Path, runs: Sequence[Path], labels: Sequence[str], trivial: float | None) -> Path | None:
    """Held-out success at each evaluation of each run (x: RL episodes), with the best
    trivial policy as a dashed line."""
    from .plot import read_metrics

    curves = [([r["episodes"] for r in rows if "eval/success_rate" in r],
               [r["eval/success_rate"] for r in rows if "eval/success_rate" in r], label)
              for run, label in zip(runs, labels) if (run / "metrics.csv").exists() for rows in [read_metrics(run)]]
    curves = [c for c in curves if c[0]]
    if not curves:
        return None
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5))
    ax = fig.subplots()
    for x, y, label in curves:
        ax.plot(x, y, marker="o", label=label)
    if trivial is not None:
        ax.axhline(trivial, color="grey", linestyle="--", label="best trivial policy")
    ax.set_xlabel("RL episodes (0: after the SFT warm start)")
    ax.set_ylabel("held-out success (greedy)")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def _rel(target: Path, doc: Path) -> str:
    import os

    return Path(os.path.relpath(target.resolve(), doc.parent.resolve())).as_posix()


def write_doc(doc: Path, figures: Path, out: Path, results: dict[str, dict], args: Any, units: Sequence[study.Unit],
              command: str, full_minutes: float, scale: float, quick_minutes: float | None = None,
              left_minutes: dict[str, float] | None = None, ratios: dict[str, float] | None = None) -> dict[str, str]:
    """Write the page (and the figures) from ``results``; returns each finding's table.
    ``full_minutes`` and ``quick_minutes`` are the estimates of the default grid and of the
    default ``--quick`` run; ``ratios``, by game, what its finished training units took over
    their estimates; ``left_minutes``, by finding, the estimate of its units that have
    no result yet."""
    found = study.findings(args.seeds, quick=False)
    # each unit's SFT digest once (the SFT-alone row's are compared with every RL row's; an
    # old result's is read from its checkpoint)
    digest = functools.cache(lambda key: _sft_digest(out, results, key))
    keys = {u.key for u in units}
    finished = len(keys & set(results))
    head_iters = sorted({u.config.get("iterations") for u in units if u.key.startswith("train/w2-o3-q4/ppo-sft")})
    setting = study.SETTING
    scope = "the headline row alone (`--quick`)" if args.quick else "the whole grid"
    if getattr(args, "only", None):
        scope += ", the units matching `--only " + " ".join(args.only) + "` (and those they evaluate)"
    lines = [
        "# Reproducing the paper's findings in miniature",
        "",
        "<!-- Written by `python -m baselines.reproduce` from its results; rerun it rather than editing this page. -->",
        "",
        f"Written by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"(Python {platform.python_version()}, {platform.machine()}, OMP_NUM_THREADS=1; the machine is shared, so CPU "
        "times are this process's own).",
        "",
        "## What these numbers come from",
        "",
        f"- This invocation's plan: {scope}, "
        f"{finished} of its {len(units)} units finished"
        f"{' (`--doc-only`: this page was written from the results saved so far; nothing was run)' if getattr(args, 'doc_only', False) else ''}; training seeds {', '.join(map(str, args.seeds))}; held-out games: "
        f"seeds 1-{args.episodes} of `{study.TEST_SPLIT}`, played greedily.",
        f"- CPU time of those units: {sum(r.get('cpu_s', 0.0) for k, r in results.items() if k in keys) / 60:.1f} "
        "CPU-minutes (each unit's last run: a unit resumed after a cut counts only its resumed part; the one-off "
        "calibration not counted).",
        f"- The whole grid (`make reproduce`: training seeds 0, 1, 2; 100 held-out games) is estimated at "
        f"**{full_minutes:.0f} CPU-minutes** on this machine (from `{out.as_posix()}/calibration.json`). Findings whose "
        "conditions have no results say *not run*.",
    ]
    grid = {u.key for u in study.plan(args.seeds)}
    if not grid <= set(results):
        lines.append(f"- **The full grid has not been run**: {len(grid & set(results))} of its {len(grid)} units "
                     f"(for training seeds {', '.join(map(str, args.seeds))}) have results."
                     + (f" The default `--quick` (the headline with seeds 0, 1, 2 on 100 games) is estimated at "
                        f"{quick_minutes:.0f} CPU-minutes." if quick_minutes is not None else "")
                     + (" Estimated CPU time of each finding's units without results: "
                        + "; ".join(f"{name} {minutes:.0f} CPU-minutes" for name, minutes in left_minutes.items() if minutes > 0)
                        + (" (each unit's estimate scaled by what the finished training units of its game took against "
                           "theirs: " + ", ".join(f"`{env}` {r:.1f}x" for env, r in sorted(ratios.items())) + ")"
                           if ratios else "")
                        + " (resumable: `python -m baselines.reproduce --workers 2` runs only those)."
                        if left_minutes and any(m > 0 for m in left_minutes.values()) else ""))
    lines.append(code_line({k: r for k, r in results.items() if k in keys}))
    if scale < 1.0:
        lines.append(f"- `--budget-minutes {args.budget_minutes:g}` scaled the RL iterations by {scale:.2f}: the headline runs "
                     f"trained {', '.join(map(str, head_iters))} RL iteration(s) of 8 episodes instead of "
                     f"{study.HEADLINE_ITERATIONS}. This is a reduced run: its numbers show that the pipeline works, not "
                     "what the full budget reaches.")
    lines += [
        f"- Setting of every training run: the `paper` preset (its prompt, observation and whole-reply action, the released "
        f"seed splits), the tiny model (a random-init 2-layer Qwen2 with a tokenizer trained on local game text) in "
        f"{setting['mode']} mode, `engine=\"native\"`, SFT on walkthrough demonstrations of the `sft` split (its first seeds are `released-validation`) then RL "
        f"(8 episodes an iteration, temperature {setting['temperature']} while training).",
        f"- {study.MODE_NOTE}",
        "- Every table puts the best of the trivial policies (`baselines.trivial`: random admissible, positional and "
        "lexical rules) beside the trained ones, so that no rule passes for learning.",
        f"- Each training run is a run directory, `{out.as_posix()}/<unit>/run`: `python -m baselines.view` on it draws "
        "its curves and shows its transcripts; each unit's numbers are in `<unit>/result.json`.",
        "",
        "## The verdict rule",
        "",
        study.VERDICT_RULE,
        "",
    ]
    tables: dict[str, str] = {}
    for finding in found:
        pooled = pooled_rows(finding, results)
        table = finding_table(finding, pooled)
        tables[finding.name] = f"{finding.title}\n{table}"
        lines += [f"## {finding.title}", "", f"Setting: {finding.setting}. Paper: {finding.paper}.", "", table, ""]
        notes: list[str | None] = []  # sentences under the table, also returned with it
        if finding.name == "headline":
            target = headline_target(pooled, finding)
            if "not met" in target:
                trained = pooled[finding.rows[2].label]
                best = max(trained["per_seed"]) if trained is not None else 0.0
                target += (f" Best held-out success of a trained model (its best training seed): {pct(best)}. "
                           "What limits it: the lab notebook below; ")
                target += (f"compute (the headline runs trained only {', '.join(map(str, head_iters))} RL iteration(s), "
                           "to fit the budget); " if scale < 1.0 else "")
                target += "the curve below shows where the runs stood at each evaluation."
            notes.append(target)
        if finding.name in SFT_ALONE_ROWS:
            notes.append(paired_against(finding, results, SFT_ALONE_ROWS[finding.name], digest))
        if finding.name == "density":
            notes.append(lost_episode_pay(finding, out))
        for note in filter(None, notes):
            lines += [note, ""]
            tables[finding.name] += "\n" + note
        lines += ["Verdicts:", ""] + [f"- {sentence}" for _, sentence in claim_lines(finding, pooled)] + [""]
        picture = draw_finding(figures / f"reproduction-{finding.name}.png", finding, pooled)
        if picture is not None:
            lines += [f"![{finding.title}]({_rel(picture, doc)})", ""]
        if finding.name == "headline":
            keys = finding.rows[2].keys
            trivial = pooled[finding.rows[0].label]
            curve = draw_curves(figures / "reproduction-headline-curves.png", [out / k / "run" for k in keys],
                                [f"seed {k.rsplit('seed', 1)[1]}" for k in keys],
                                trivial["success_rate"] if trivial else None)
            if curve is not None:
                lines += ["Learning curves of the headline runs (held-out success on the first "
                          f"{setting['eval_tasks']} test games at each evaluation during training; the dashed line is the "
                          "best trivial policy on the table's games):", "",
                          f"![headline learning curves]({_rel(curve, doc)})", ""]
            lines += notebook_lines()
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text("\n".join(lines).rstrip() + "\n")
    return tables
