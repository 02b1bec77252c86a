"""``python -m baselines.reproduce``: the plan covers the grid, finished units are skipped and
half-written ones are not, the verdict rule, the page with every table, argument errors."""

import json
import re
import types

import pytest

from baselines import reproduce, study
from baselines.evaluate import wilson_interval
from baselines.study import Unit, pct

from .conftest import ENV_ID, KNOBS, MAX_TURNS

SEEDS = [0, 1, 2]
CAL = {"build_s": 1.0, "demo_s": 0.1, "train_episode_s": 0.5, "eval_episode_s": 0.1, "env_episode_s": 0.01}


def _calibration_file():
    """A kept calibration that matches the study (so no test measures one)."""
    per_env = {env: {"demo_s": 0.3, "train_episode_s": 4.0, "eval_episode_s": 0.5}
               for env in study.TRAIN_ENVS if env != study.BASE_ENV}
    return {**CAL, "per_env": per_env, "setting": json.dumps(study.SETTING, sort_keys=True)}


def test_a_game_calibrated_on_its_own_is_estimated_from_its_own_costs():
    density = next(u for u in study.plan(SEEDS) if u.config.get("env") == study.DENSITY_ENV and u.kind == "train")
    scaled = reproduce.estimate(density, CAL, 100)  # the base game's costs x the turn budget (24 / 8)
    own = reproduce.estimate(density, _calibration_file(), 100)
    c = density.config
    per_iter = c["tasks_per_iter"] * c["group_size"]
    evals = c["iterations"] // c["eval_every"] + 1
    assert own == pytest.approx(CAL["build_s"] + 100 * 0.5 + c["sft_demos"] * c["sft_epochs"] * 0.3
                                + c["iterations"] * per_iter * 4.0 + evals * c["eval_tasks"] * 0.5)
    assert scaled == pytest.approx(CAL["build_s"] + 3 * (100 * 0.1 + c["iterations"] * per_iter * 0.5
                                                         + evals * c["eval_tasks"] * 0.1) + c["sft_demos"] * c["sft_epochs"] * 0.1)
    base = study.plan(SEEDS)[2]  # a headline run: no calibration of its own, so the same either way
    assert reproduce.estimate(base, CAL, 100) == reproduce.estimate(base, _calibration_file(), 100)


def test_the_time_left_is_scaled_by_what_finished_units_of_the_same_game_took():
    plan, cal = study.plan(SEEDS), _calibration_file()
    density = [u for u in plan if u.config.get("env") == study.DENSITY_ENV and u.kind == "train"]
    base = [u for u in plan if u.config.get("env") == study.BASE_ENV and u.kind == "train"]
    before = reproduce.minutes_left(plan, {}, cal, 100, SEEDS)
    assert reproduce.measured_ratios(plan, {}, cal, 100) == {}
    # one density unit took twice its estimate (its training CPU counted across a resume), a
    # base-game unit half of its own; an evaluation unit's time says nothing of training
    results = {density[0].key: {"cpu_s": 10.0, "train_cpu_s": 2 * reproduce.estimate(density[0], cal, 100)},
               base[0].key: {"cpu_s": 0.5 * reproduce.estimate(base[0], cal, 100)}}
    ratios = reproduce.measured_ratios(plan, results, cal, 100)
    assert ratios == pytest.approx({study.DENSITY_ENV: 2.0, study.BASE_ENV: 0.5})
    after = reproduce.minutes_left(plan, results, cal, 100, SEEDS)
    trained = sum(reproduce.estimate(u, cal, 100) for u in density[1:]) / 60  # the other density training units
    assert after["density"] == pytest.approx(before["density"] - reproduce.estimate(density[0], cal, 100) / 60 + trained)


def test_the_plan_covers_the_grid():
    units = study.plan(SEEDS)
    by_key = {u.key: u for u in units}
    assert len(by_key) == len(units)  # each unit once (PPO of the algorithms row is the headline run)
    train = [u for u in units if u.kind == "train"]
    for algo in study.ALGOS:
        assert sorted(u.config["seed"] for u in train if u.config["algo"] == algo and u.config["env"] == study.BASE_ENV
                      and not u.config.get("budget_units") and u.config["iterations"]
                      and u.config.get("value_detach") is not False) == SEEDS
    assert all(u.config["value_detach"] for u in train if u.config["algo"] == "ppo" and u.config["iterations"] != 0
               and u.key not in {study.shared_critic_ppo_unit(s).key for s in SEEDS})  # every PPO run but the shared row's
    shared = [u for u in train if u.config.get("value_detach") is False]
    assert [u.config for u in shared] == [{**h.config, "value_detach": False} for h in study.headline_units(SEEDS)]
    sft_only = [u for u in train if u.config["env"] == study.BASE_ENV and u.config["iterations"] == 0 and not u.config.get("budget_units")]
    headline = study.headline_units(SEEDS)
    assert all(u.config["bootstrap_truncated"] is False for u in train if u.config["algo"] == "ppo" and u.config["iterations"] != 0)
    no_critic = lambda config: {k: v for k, v in config.items() if k not in ("value_detach", "bootstrap_truncated")}  # noqa: E731
    assert [u.config for u in sft_only] == [no_critic({**h.config, "iterations": 0}) for h in headline]  # its SFT, no RL
    density = [u for u in train if u.config["env"] == study.DENSITY_ENV and u.config["iterations"]]
    assert sorted((u.config["algo"], u.config["reward"], u.config["seed"]) for u in density) == sorted(
        (a, r, s) for a in ("ppo", "rloo") for r in ("sparse", "dense") for s in SEEDS)
    density_sft = [u for u in train if u.config["env"] == study.DENSITY_ENV and not u.config["iterations"]]
    ppo_sparse = [u for u in density if u.config["algo"] == "ppo" and u.config["reward"] == "sparse"]
    assert [u.config for u in density_sft] == [no_critic({**u.config, "iterations": 0}) for u in ppo_sparse]
    finding = next(f for f in study.findings(SEEDS) if f.name == "density")
    assert next(r for r in finding.rows if r.label == study.DENSITY_SFT_ONLY).keys == tuple(u.key for u in density_sft)
    budget = [u for u in train if u.config.get("budget_units")]
    assert sorted({u.config["sft_demos"] for u in budget}) == [0, 20, 40, 60, 80, 100] and len(budget) == 6 * len(SEEDS)
    for u in budget:  # 1000 units: a demonstration costs 10, an episode 1
        assert reproduce.rl_iterations(u) * 8 == 1000 - 10 * u.config["sft_demos"]
    for env in study.TRANSFER_ENVS:
        sources = sorted(u.source for u in units if u.kind == "eval" and u.config["env"] == env and u.source)
        assert sources == sorted(u.key for u in study.headline_units(SEEDS))
        assert any(u.kind == "trivial" and u.config["env"] == env for u in units)
    assert all(u.config["max_turns"] == 24 for u in units if u.config.get("env") == "TextWorld-Custom-w4-o6-q8-v0")
    assert all(u.source in by_key and units.index(by_key[u.source]) < units.index(u) for u in units if u.source)
    # every row of every finding is made of units of the plan, so the page can be written
    for finding in study.findings(SEEDS):
        assert finding.claims and all(k in by_key for row in finding.rows for k in row.keys)
        labels = {row.label for row in finding.rows} | {study.BEST_MIX}
        assert all(c.a in labels and c.b in labels for c in finding.claims)
    quick = study.plan(SEEDS, quick=True)
    assert {u.kind for u in quick} == {"trivial", "eval", "train"} and len(quick) == 2 + len(SEEDS)
    assert all(k in {u.key for u in quick} for row in study.findings(SEEDS, quick=True)[0].rows for k in row.keys)


def test_budget_scales_rl_iterations_to_fit_and_states_the_estimate():
    units = study.plan([0], quick=True)
    full = sum(reproduce.estimate(u, CAL, 100) for u in units) / 60
    budget = full * 0.75  # leaves room for some RL beside SFT and the evaluations
    fitted, scale = reproduce.fit_budget(units, CAL, 100, budget)
    assert 0 < scale < 1
    assert sum(reproduce.estimate(u, CAL, 100) for u in fitted) <= budget * 60 + 1e-6
    assert all(u.config["iterations"] >= 1 for u in fitted if u.kind == "train")
    assert reproduce.fit_budget(units, CAL, 100, full * 2) == (units, 1.0)
    tiny, _ = reproduce.fit_budget(units, CAL, 100, 0.01)
    assert all(u.config["iterations"] == 1 for u in tiny if u.kind == "train")  # never below one iteration
    lines = reproduce.describe_plan(fitted, CAL, 100, scale, budget)
    assert "estimated" in lines[-2] and "CPU-minutes" in lines[-2] and "scaled" in lines[-1]


def _trivial_unit():
    return Unit("trivial/cc", "trivial", {"env": ENV_ID, "env_kwargs": dict(KNOBS), "max_turns": MAX_TURNS, "reward": "sparse"})


def test_resume_skips_finished_units_and_reruns_half_written_ones(tmp_path, monkeypatch):
    unit = _trivial_unit()
    calls = []
    real = reproduce.run_unit

    def counting(out, u, episodes):
        calls.append(u.key)
        return real(out, u, episodes)

    monkeypatch.setattr(reproduce, "run_unit", counting)
    first = reproduce.run_all(tmp_path, [unit], CAL, 2)
    assert calls == ["trivial/cc"] and first["trivial/cc"]["complete"] is True
    assert first["trivial/cc"]["best"] == "first offered on turn 1, last afterwards" and first["trivial/cc"]["successes"] == [True, True]
    again = reproduce.run_all(tmp_path, [unit], CAL, 2)
    assert calls == ["trivial/cc"] and again["trivial/cc"] == first["trivial/cc"]  # finished: read back, not rerun
    path = tmp_path / "trivial/cc/result.json"
    text = path.read_text()
    for broken in (text[: len(text) // 2], json.dumps({**json.loads(text), "complete": False})):
        path.write_text(broken)  # cut off mid-write, or never marked complete
        reproduce.run_all(tmp_path, [unit], CAL, 2)
        assert calls[-1] == "trivial/cc" and json.loads(path.read_text())["complete"] is True
    assert len(calls) == 3
    with pytest.raises(ValueError, match="other settings.*use another --out or delete"):
        reproduce.load_result(tmp_path, unit, 3)  # made for 2 held-out games, asked for 3


def test_verdict_rule_on_synthetic_results():
    def r(rate, low, high):
        return {"success_rate": rate, "ci95": [low, high]}

    better, worse, middle = r(0.8, 0.7, 0.9), r(0.3, 0.2, 0.4), r(0.6, 0.35, 0.75)
    assert study.verdict(better, ">", worse) == study.REPRODUCED
    assert study.verdict(worse, ">", better) == study.NOT_REPRODUCED
    assert study.verdict(middle, ">", worse) == study.INCONCLUSIVE and study.verdict(better, ">", middle) == study.INCONCLUSIVE
    assert study.verdict(r(0.5, 0.4, 0.6), "~", r(0.52, 0.42, 0.62)) == study.REPRODUCED
    assert study.verdict(better, "~", worse) == study.NOT_REPRODUCED
    assert study.verdict(r(0.5, 0.45, 0.55), "~", r(0.62, 0.5, 0.7)) == study.INCONCLUSIVE
    assert study.verdict(None, ">", worse) == study.NOT_RUN
    with pytest.raises(ValueError, match="unknown claim operator"):
        study.verdict(better, "<", worse)


def test_pooled_interval_counts_games_and_training_seeds():
    from baselines.evaluate import wilson_interval

    one = study.pooled_interval([[True] * 30 + [False] * 70])
    assert one["success_rate"] == 0.3 and one["ci95"] == list(wilson_interval(30, 100))
    agree = study.pooled_interval([[True] * 50 + [False] * 50] * 3)
    disagree = study.pooled_interval([[True] * 100, [False] * 100, [True] * 50 + [False] * 50])
    assert agree["success_rate"] == disagree["success_rate"] == 0.5
    width = lambda p: p["ci95"][1] - p["ci95"][0]  # noqa: E731
    assert width(disagree) > 2 * width(agree)  # seeds that disagree widen the interval
    assert disagree["per_seed"] == [1.0, 0.0, 0.5]


def _fake_results(units, rates):
    """A finished result for every unit: success rate by the unit key's first matching fragment."""
    out = {}
    for u in units:
        rate = next((v for k, v in rates.items() if k in u.key), 0.2)
        wins = round(100 * rate)
        out[u.key] = {"successes": [True] * wins + [False] * (100 - wins), "best": "most objective words"}
    return out


def test_the_best_mix_is_picked_among_the_intermediate_mixes_only():
    from baselines.reproduction_doc import claim_lines, resolve_best_mix

    budget = next(f for f in study.findings(SEEDS) if f.name == "budget")
    labels = [row.label for row in budget.rows]
    assert labels[0] == "best trivial policy" and budget.mixes == tuple(labels[2:-1])
    # RL alone, SFT alone and the trivial row score highest: none of them may stand for the mix
    rates = dict(zip(labels, [0.9, 0.95, 0.2, 0.4, 0.3, 0.25, 0.99]))
    pooled = {label: study.pooled_interval([[True] * round(100 * r) + [False] * (100 - round(100 * r))])
              for label, r in rates.items()}
    assert resolve_best_mix(budget, pooled) == labels[3] == "40 demos + 600 episodes"
    verdicts = dict((sentence.split(":")[0], v) for v, sentence in claim_lines(budget, pooled))
    assert verdicts == {"the best mix beats RL alone": study.NOT_REPRODUCED,
                        "the best mix beats SFT alone": study.NOT_REPRODUCED,
                        "the best mix beats the best trivial policy": study.NOT_REPRODUCED}
    pooled[labels[4]] = None
    assert resolve_best_mix(budget, pooled) is None


def _write_metrics(run, rows):
    run.mkdir(parents=True)
    lines = ["iteration,episodes,charts/success_rate,charts/return,eval/success_rate", "0,0,,,0.1"]
    lines += [f"{i},{8 * i},{won / 8},{ret},{'0.2' if i % 10 == 0 else ''}" for i, (won, ret) in enumerate(rows, 1)]
    (run / "metrics.csv").write_text("\n".join(lines) + "\n")


def test_the_density_page_says_what_a_lost_dense_episode_earned(tmp_path):
    from baselines.reproduction_doc import lost_episode_pay

    density = next(f for f in study.findings(SEEDS) if f.name == "density")
    dense = [row for row in density.rows if "dense" in row.label]
    assert [row.label for row in dense] == ["PPO dense", "RLOO dense"]
    for row in dense:
        for key in row.keys[:-1]:
            # early iterations (not counted): 4 of 8 won; the last 10: 2 of 8 won, the 6 lost earning 0.5 in all
            _write_metrics(tmp_path / key / "run", [(4, 0.9)] * 5 + [(2, (2 * 1.0 + 0.5) / 8)] * 10)
    assert lost_episode_pay(density, tmp_path) is None  # a dense run has no metrics yet
    for row in dense:
        _write_metrics(tmp_path / row.keys[-1] / "run", [(8, 1.0)] * 10)  # the last seed wins everything
    assert lost_episode_pay(density, tmp_path) is None  # ... and then too few iterations
    for row in dense:
        (tmp_path / row.keys[-1] / "run" / "metrics.csv").unlink()
        (tmp_path / row.keys[-1] / "run").rmdir()
        _write_metrics(tmp_path / row.keys[-1] / "run", [(8, 1.0)] * 11)
    pay = lost_episode_pay(density, tmp_path)
    lost = 6 * 10 * (len(SEEDS) - 1)
    share = 0.5 * 10 * (len(SEEDS) - 1) / lost
    assert f"PPO dense {share:.2f} ({lost} of {80 * len(SEEDS)} episodes lost)" in pay
    assert f"RLOO dense {share:.2f} ({lost} of {80 * len(SEEDS)} episodes lost)" in pay
    assert "PPO sparse" not in pay and "RLOO sparse" not in pay  # a sparse loss earns 0: no row for them


def test_the_page_has_every_table_and_says_what_it_comes_from(tmp_path):
    from baselines.reproduction_doc import write_doc

    units = study.plan(SEEDS)
    results = _fake_results(units, {"transfer/w8-o3": 0.6, "transfer/w2-o12": 0.3, "grpo": 0.1, f"ppo-sft{study.HEADLINE_DEMOS}": 0.9,
                                    "rloo": 0.5, "trivial/": 0.15, "start/": 0.05, "d60": 0.8, "d0-": 0.3, "d100": 0.5})
    args = types.SimpleNamespace(seeds=SEEDS, episodes=100, quick=False, budget_minutes=None)
    doc = tmp_path / "docs" / "reproduction.md"
    tables = write_doc(doc, tmp_path / "docs" / "img", tmp_path / "runs", results, args, units, "python -m baselines.reproduce",
                       343.0, 1.0)
    text = doc.read_text()
    for finding in study.findings(SEEDS):
        assert f"## {finding.title}" in text and finding.name in tables
        assert (tmp_path / "docs" / "img" / f"reproduction-{finding.name}.png").exists()
        for row in finding.rows:
            assert f"| {row.label}" in text
    assert "estimated at **343 CPU-minutes**" in text and study.VERDICT_RULE in text
    assert "PPO beats GRPO: **reproduced**" in text and "RLOO beats GRPO: **reproduced**" in text
    assert "the best mix beats RL alone: **reproduced** (best mix (60 demos + 400 episodes)" in text
    assert "object count hurts more than room count: **reproduced**" in text
    assert "RLOO is indifferent to density: **reproduced**" in text  # both at the default 0.2
    assert "dense rewards help PPO: **inconclusive**" in text
    assert "Ours: 90%, 75 points above the better of the two: **met**, its whole 95% interval" in text
    assert "has not been run" not in text
    assert "| 88% (PPO, 12 turns) |" in text and "| not run |" not in text and ": **not run**" not in text

    missing = {k: v for k, v in results.items() if "grpo" not in k}
    args = types.SimpleNamespace(seeds=SEEDS, episodes=30, quick=True, budget_minutes=3.0)
    write_doc(doc, tmp_path / "docs" / "img", tmp_path / "runs", missing, args, units, "cmd --quick", 343.0, 0.05)
    text = doc.read_text()
    assert "| GRPO | not run |" in text and "PPO beats GRPO: **not run**" in text
    assert "`--budget-minutes 3` scaled the RL iterations by 0.05" in text and "This is a reduced run" in text
    assert "the headline row alone (`--quick`)" in text
    assert f"**The full grid has not been run**: {len(results) - len(SEEDS)} of its {len(units)} units" in text


def test_a_training_unit_and_an_evaluation_of_its_checkpoint_serially_and_on_workers(tmp_path):
    config = dict(env=ENV_ID, env_kwargs=dict(KNOBS), max_turns=MAX_TURNS, algo="ppo", tasks_per_iter=2, group_size=1,
                  num_envs=2, minibatch=2, epochs=1, iterations=1, train_tasks=2, eval_tasks=2, eval_every=0, save_every=0,
                  sft_demos=2, sft_epochs=1, seed=0)
    train = Unit("train/cc/ppo/seed0", "train", config)
    evaluation = Unit("transfer/cc3/ppo/seed0", "eval", {"env": ENV_ID, "max_turns": MAX_TURNS + 1}, source=train.key)
    serial = reproduce.run_all(tmp_path / "serial", [train, evaluation], CAL, 2)
    assert serial[train.key]["iteration"] == 1 and len(serial[train.key]["successes"]) == 2
    assert serial[evaluation.key]["iteration"] == 1  # the trained checkpoint, not a fresh model
    assert (tmp_path / "serial" / train.key / "run" / "checkpoint.pt").exists()
    # the checkpoint trained again (here: its result rewritten as by other code): the
    # evaluation of it is stale and runs again; the training result is kept
    assert reproduce.load_result(tmp_path / "serial", evaluation, 2) is not None
    source_file = tmp_path / "serial" / train.key / "result.json"
    source_file.write_text(json.dumps({**json.loads(source_file.read_text()), "code": "another-commit"}))
    assert reproduce.load_result(tmp_path / "serial", evaluation, 2) is None
    assert reproduce.load_result(tmp_path / "serial", train, 2) is not None
    again = reproduce.run_all(tmp_path / "serial", [train, evaluation], CAL, 2)
    assert json.loads(again[evaluation.key]["source_stamp"])["code"] == "another-commit"
    assert reproduce.load_result(tmp_path / "serial", evaluation, 2) is not None
    with pytest.raises(ValueError, match="has no finished result"):
        reproduce.run_unit(tmp_path / "empty", evaluation, 2)
    # on two workers, the evaluation listed first: a scheduler that ignored the dependency
    # would start it before its checkpoint exists
    results = reproduce.run_all(tmp_path / "workers", [evaluation, train, _trivial_unit()], CAL, 2, workers=2)
    assert set(results) == {train.key, evaluation.key, "trivial/cc"}
    assert results[evaluation.key]["iteration"] == 1
    assert all(json.loads((tmp_path / "workers" / key / "result.json").read_text())["complete"] for key in results)
    assert results[train.key]["successes"] == serial[train.key]["successes"]
    # the SFT model the run started from, recorded: the same recipe and seed give the same weights
    assert re.fullmatch(r"[0-9a-f]{16}", serial[train.key]["sft_digest"])
    assert results[train.key]["sft_digest"] == serial[train.key]["sft_digest"]
    from baselines.provenance import sft_digest_of_run  # taken in memory: the same as the saved checkpoint's
    assert serial[train.key]["sft_digest"] == sft_digest_of_run(tmp_path / "serial" / train.key / "run")


def test_a_failing_unit_stops_the_parallel_run_and_keeps_the_finished_results(tmp_path):
    broken = Unit("trivial/broken", "trivial", {"env": "TextWorld-NoSuchGame-v0", "env_kwargs": {}, "max_turns": 3,
                                                 "reward": "sparse"})
    with pytest.raises(Exception, match="NoSuchGame"):
        reproduce.run_all(tmp_path, [broken, _trivial_unit()], CAL, 2, workers=2)
    assert not (tmp_path / "trivial/broken/result.json").exists()
    assert json.loads((tmp_path / "trivial/cc/result.json").read_text())["complete"]  # ran beside it: kept
    with pytest.raises(ValueError, match="evaluates train/missing, which is not in the plan"):
        reproduce.run_all(tmp_path, [Unit("transfer/x", "eval", {"env": ENV_ID, "max_turns": 3}, source="train/missing")],
                          CAL, 2, workers=2)
    with pytest.raises(ValueError, match="workers must be an int >= 1, got 0"):
        reproduce.run_all(tmp_path, [_trivial_unit()], CAL, 2, workers=0)


@pytest.mark.parametrize("argv, message", [
    (["--episodes", "0"], "--episodes must be an int in [1, 100], got 0"),
    (["--episodes", "101"], "--episodes must be an int in [1, 100], got 101"),
    (["--seeds", "-1"], "--seeds must be an int >= 0, got -1"),
    (["--seeds", "1", "1"], "--seeds repeats a seed"),
    (["--budget-minutes", "0"], "--budget-minutes must be a positive number, got 0.0"),
    (["--budget-minutes", "soon"], "--budget-minutes takes a number of CPU minutes, got 'soon'"),
    (["--workers", "0"], "--workers must be an int in [1, "),
])
def test_bad_arguments_are_refused_with_a_clear_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        reproduce.parse_args(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_quick_defaults_to_the_issue_budget():
    assert reproduce.parse_args(["--quick"]).budget_minutes == reproduce.QUICK_MINUTES
    assert reproduce.parse_args([]).budget_minutes is None


def test_a_headline_short_of_the_target_says_by_how_much_and_why(tmp_path):
    from baselines.reproduction_doc import write_doc

    units = study.plan([0], quick=True)
    results = _fake_results(units, {f"ppo-sft{study.HEADLINE_DEMOS}": 0.35, "trivial/": 0.15, "start/": 0.0})  # 0%: a zero-width lower error
    args = types.SimpleNamespace(seeds=[0], episodes=100, quick=True, budget_minutes=3.0)
    tables = write_doc(tmp_path / "r.md", tmp_path / "img", tmp_path / "runs", results, args, units, "cmd", 300.0, 0.1)
    text = (tmp_path / "r.md").read_text()
    assert "Ours: 35%, 20 points above the better of the two: **not met**, short by 25 points." in text
    assert "compute (the headline runs trained only" in text and "not met" in tables["headline"]
    assert "Best held-out success of a trained model (its best training seed): 35%" in text
    # what limits it: the lab notebook, a row per experiment with its interval and command, and its conclusion
    assert "### Lab notebook: what limits the headline" in text and study.LIMITS in text
    for what, won, games, cpu, flags in (study.NOTEBOOK[1], study.NOTEBOOK[-1]):
        low, high = wilson_interval(won, games)
        assert (f"| {what} | {won}/{games} = {pct(won / games)} [{pct(low)}, {pct(high)}] | {cpu:.0f} | "
                f"`python -m baselines.probe {flags}` |") in text
    # a row's game count is the one its command evaluates on
    assert all((games == 100) == ("--episodes 100" in flags) for _, _, games, _, flags in study.NOTEBOOK)
    assert "the trained model beats the best trivial policy: **reproduced**" in text


def test_a_headline_met_by_its_point_estimate_only_says_so(tmp_path):
    from baselines.reproduction_doc import write_doc

    units = study.plan([0, 1, 2], quick=True)
    rates = {f"ppo-sft{study.HEADLINE_DEMOS}-sparse/seed0": 0.72, f"ppo-sft{study.HEADLINE_DEMOS}-sparse/seed1": 0.41,
             f"ppo-sft{study.HEADLINE_DEMOS}-sparse/seed2": 0.70, "trivial/": 0.19, "start/": 0.0}
    results = _fake_results(units, rates)
    args = types.SimpleNamespace(seeds=[0, 1, 2], episodes=100, quick=True, budget_minutes=10_000.0)
    write_doc(tmp_path / "r.md", tmp_path / "img", tmp_path / "runs", results, args, units, "cmd", 300.0, 0.1)
    text = (tmp_path / "r.md").read_text()
    assert "**met by the point estimate only**" in text and "72%, 41%, 70%" in text
    # one strong seed and a tight interval above the bar: met outright
    results = _fake_results(units, {f"ppo-sft{study.HEADLINE_DEMOS}": 0.9, "trivial/": 0.19, "start/": 0.0})
    write_doc(tmp_path / "r.md", tmp_path / "img", tmp_path / "runs", results, args, units, "cmd", 300.0, 0.1)
    text = (tmp_path / "r.md").read_text()
    assert "**met**, its whole 95% interval" in text and "point estimate only" not in text


def test_dry_run_prints_the_plan_and_budget_and_runs_nothing(tmp_path, capsys):
    (tmp_path / reproduce.CALIBRATION).write_text(json.dumps(_calibration_file()))
    assert reproduce.main(["--dry-run", "--out", str(tmp_path), "--doc", str(tmp_path / "r.md")]) == 0
    printed = capsys.readouterr().out
    assert f"{len(study.plan(SEEDS))} units, estimated" in printed and f"train/w2-o3-q4/grpo-sft{study.HEADLINE_DEMOS}-sparse/seed2" in printed
    assert sorted(p.name for p in tmp_path.iterdir()) == [reproduce.CALIBRATION]  # no unit ran, no page written
    assert reproduce.main(["--dry-run", "--quick", "--out", str(tmp_path)]) == 0
    assert "5 units" in capsys.readouterr().out


def _study_with_one_finished_unit(tmp_path):
    """A study folder with its calibration and one finished unit (the base game's trivial
    policies at 19%): the plan, that unit, and where the page goes."""
    (tmp_path / reproduce.CALIBRATION).write_text(json.dumps(_calibration_file()))
    units = study.plan(SEEDS)
    trivial = next(u for u in units if u.key == "trivial/w2-o3-q4")
    reproduce.save_result(tmp_path, trivial, 100, _fake_results([trivial], {"trivial/": 0.19})[trivial.key])
    return units, trivial, tmp_path / "r.md"


def test_doc_only_writes_the_page_from_the_finished_units_and_runs_nothing(tmp_path, capsys):
    units, trivial, doc = _study_with_one_finished_unit(tmp_path)
    assert reproduce.main(["--doc-only", "--out", str(tmp_path), "--doc", str(doc), "--figures", str(tmp_path / "img")]) == 0
    text = doc.read_text()
    assert f"1 of its {len(units)} units finished (`--doc-only`" in text and "| best trivial policy (most objective words) | 19%" in text
    assert "| PPO | not run |" in text
    left = reproduce.minutes_left(units, {trivial.key: {}}, _calibration_file(), 100, SEEDS)
    assert set(left) == {f.name for f in study.findings(SEEDS)} and all(m > 0 for m in left.values())
    assert f"Estimated CPU time of each finding's units without results: headline {left['headline']:.0f} CPU-minutes" in text
    everything = {u.key: {} for u in units}
    assert all(m == 0 for m in reproduce.minutes_left(units, everything, _calibration_file(), 100, SEEDS).values())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([reproduce.CALIBRATION, "trivial", "r.md", "img"])  # nothing ran
    with pytest.raises(SystemExit):
        reproduce.parse_args(["--doc-only", "--dry-run"])
    assert "choose one" in capsys.readouterr().err


def test_only_selects_units_by_key_with_the_checkpoints_they_evaluate():
    units = study.plan(SEEDS)
    chosen = reproduce.select(units, ["transfer/w8-o3-q4/*"])
    keys = [u.key for u in chosen]
    assert {k for k in keys if k.startswith("transfer/")} == {f"transfer/w8-o3-q4/ppo-sft{study.HEADLINE_DEMOS}-sparse/seed{s}" for s in SEEDS}
    assert {k for k in keys if k.startswith("train/")} == {u.key for u in study.headline_units(SEEDS)}  # their sources
    assert len(keys) == 2 * len(SEEDS) and keys == [u.key for u in units if u.key in keys]  # plan order
    assert reproduce.select(units, None) == units
    both = reproduce.select(units, ["trivial/*", "start/*"])
    assert {u.kind for u in both} == {"trivial", "eval"} and not any(u.source for u in both)
    with pytest.raises(ValueError, match="--only 'train/nothing/\\*' matches no unit of the plan"):
        reproduce.select(units, ["train/nothing/*"])


def test_the_page_of_a_selection_reads_every_finished_unit(tmp_path, capsys):
    units, trivial, doc = _study_with_one_finished_unit(tmp_path)
    argv = ["--only", "start/w2-o3-q4", "--out", str(tmp_path), "--doc", str(doc), "--figures", str(tmp_path / "img")]
    assert reproduce.main(["--doc-only", *argv]) == 0
    text = doc.read_text()
    assert "the units matching `--only start/w2-o3-q4`" in text
    assert "| best trivial policy (most objective words) | 19%" in text  # finished, though not selected
    assert reproduce.main(["--doc-only", "--only", "nope/*", "--out", str(tmp_path)]) == 2
    assert "matches no unit" in capsys.readouterr().err


def test_calibration_is_kept_until_the_setting_or_the_calibrated_games_change(tmp_path, monkeypatch):
    import baselines.trivial

    measured = []

    def fake_measure(run, env):
        measured.append(env)
        return {"build_s": 1.0, "demo_s": 0.2, "train_episode_s": 1.0 + len(measured), "eval_episode_s": 0.1}

    monkeypatch.setattr(reproduce, "_measure", fake_measure)
    monkeypatch.setattr(baselines.trivial, "play_trivial", lambda *a, **k: [])
    (tmp_path / reproduce.CALIBRATION).write_text(json.dumps(_calibration_file()))
    assert reproduce.calibrate(tmp_path)["per_env"] == _calibration_file()["per_env"] and measured == []  # kept
    old = {k: v for k, v in _calibration_file().items() if k != "per_env"}  # a file from before per-game calibration
    (tmp_path / reproduce.CALIBRATION).write_text(json.dumps(old))
    cal = reproduce.calibrate(tmp_path)
    assert measured == list(study.TRAIN_ENVS) and set(cal["per_env"]) == set(study.TRAIN_ENVS) - {study.BASE_ENV}
    assert json.loads((tmp_path / reproduce.CALIBRATION).read_text())["per_env"] == cal["per_env"]
    assert reproduce.calibrate(tmp_path) == cal and len(measured) == len(study.TRAIN_ENVS)  # kept again


def test_rl_rows_are_counted_game_by_game_against_the_sft_model_of_their_seed():
    from baselines.reproduction_doc import paired_against

    algorithms = next(f for f in study.findings(SEEDS) if f.name == "algorithms")
    rows = {r.label: r for r in algorithms.rows}
    sft = [True] * 70 + [False] * 30
    results = {k: {"successes": sft} for k in rows[study.SFT_ONLY].keys}
    ppo = [[True] * 60 + [False] * 40, sft, [False] * 5 + [True] * 65 + [True] * 3 + [False] * 27]
    results.update({k: {"successes": s} for k, s in zip(rows["PPO"].keys, ppo)})
    for label in ("GRPO", "RLOO", study.PPO_SHARED):
        results.update({k: {"successes": sft} for k in rows[label].keys})
    assert paired_against(algorithms, {k: v for k, v in results.items() if "rloo" not in k}, study.SFT_ONLY) is None
    text = paired_against(algorithms, results, study.SFT_ONLY)
    assert "PPO lost 15 and won 3 (by training seed: 10 and 0, 0 and 0, 5 and 3)" in text
    assert "GRPO lost 0 and won 0" in text and "best trivial" not in text
    assert "SFT model" not in text  # without digests it says nothing of the start
    # with the digests of the SFT models the runs started from: PPO's seed 1 started from other weights
    digests = {k: f"sft{k[-1]}" for k in results}
    digests[rows["PPO"].keys[1]] = "other"
    del digests[rows["RLOO"].keys[2]]
    text = paired_against(algorithms, results, study.SFT_ONLY, digests.get)
    assert "(by training seed: 10 and 0, 0 and 0, 5 and 3) [training seed 1: RL started from another SFT model" in text
    assert "GRPO lost 0 and won 0 (by training seed: 0 and 0, 0 and 0, 0 and 0) [each from the same SFT model" in text
    assert "RLOO lost 0 and won 0 (by training seed: 0 and 0, 0 and 0, 0 and 0) [same SFT model: not known]" in text


def test_the_page_names_the_code_each_unit_ran_with():
    from baselines.reproduction_doc import code_line

    assert code_line({}) == "- Code the units ran with: no unit has finished yet."
    one = code_line({"a": {"code": "0123456789ab"}, "b": {"code": "0123456789ab"}})
    assert one == "- Code the units ran with: `0123456789ab` (2 units)."
    mixed = code_line({"a": {"code": "0123456789ab"}, "b": {"code": "ba9876543210+changes"}, "c": {}, "d": {}})
    assert mixed.startswith("- Code the units ran with: `0123456789ab` (1 unit), `ba9876543210+changes` (1 unit), "
                            "2 units finished before the code version was recorded. Versions can differ")


def test_a_saved_result_records_the_code_version(tmp_path):
    from baselines.provenance import code_version

    unit = Unit("trivial/x", "trivial", {"env": "e"})
    saved = reproduce.save_result(tmp_path, unit, 3, {"successes": [True]})
    assert saved["code"] == code_version() and json.loads((tmp_path / "trivial/x/result.json").read_text())["code"]


def test_cheapest_first_starts_small_units_first_but_never_before_their_checkpoint(tmp_path, monkeypatch):
    units = study.plan(SEEDS)
    head = study.headline_units(SEEDS)[0]
    transfer = next(u for u in units if u.source == head.key)
    budget = [u for u in units if u.config.get("budget_units") and u.config["seed"] == 0]
    chosen = [head, transfer, *budget]
    ran = []
    monkeypatch.setattr(reproduce, "run_unit", lambda out, u, episodes: ran.append(u.key) or {"cpu_s": 0.0})
    reproduce.run_all(tmp_path, chosen, CAL, 100, cheapest_first=True)
    costs = {u.key: reproduce.estimate(u, CAL, 100) for u in chosen}
    assert ran.index(head.key) < ran.index(transfer.key)  # the cheapest, yet after the run it evaluates
    trains = [k for k in ran if k != transfer.key]
    assert trains == sorted(trains, key=costs.get) and costs[budget[-1].key] < costs[budget[0].key]
    ran.clear()
    reproduce.run_all(tmp_path / "plan", chosen, CAL, 100)
    assert ran == [u.key for u in chosen]  # plan order by default
