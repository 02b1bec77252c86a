"""The report rewrites only its own section of the doc."""

from baselines.report import MARK_END, MARK_START, write_section


def test_write_section_replaces_only_between_the_markers(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(f"# Title\n\nprose\n\n{MARK_START}\nold\n{MARK_END}\n\nafter\n")
    write_section(doc, "new table")
    text = doc.read_text()
    assert "old" not in text and "new table" in text
    assert text.startswith("# Title\n\nprose\n") and text.endswith("\nafter\n")
    write_section(doc, "newer")
    assert doc.read_text().count(MARK_START) == 1 and "newer" in doc.read_text()


def test_write_section_appends_when_the_doc_has_no_markers(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("# Title\n")
    write_section(doc, "table")
    text = doc.read_text()
    assert text.startswith("# Title\n") and MARK_START in text and "table" in text


def _run(folder, evals):
    """A run directory whose metrics.csv has one iteration row per (iteration, eval success)."""
    import csv

    from baselines.trainer import METRICS

    folder.mkdir(parents=True)
    with open(folder / "metrics.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=METRICS)
        w.writeheader()
        for it, rate in evals:
            w.writerow({"iteration": it, "episodes": 32 * it, "charts/success_rate": 0.5, "perf/tokens_per_s": 100,
                        "perf/env_share": 0.3, "eval/success_rate": rate, "time/rollout_s": 1, "time/env_s": 0.5,
                        "time/reference_s": 0.1, "time/forward_s": 0.2, "time/backward_s": 0.3})


def _summary(rate):
    return {"success_rate": rate, "success_rate_ci95": [max(0, rate - 0.1), min(1, rate + 0.1)], "mean_steps": 2.0,
            "episodes": 100}


def test_the_generated_text_states_what_the_runs_measured(tmp_path):
    """No sentence is written whatever the runs show: the curves' description comes from
    their numbers (the old report always claimed the curves coincide)."""
    from baselines.report import results_markdown

    _run(tmp_path / "ppo", [(0, 0.0), (2, 0.5), (4, 0.9)])
    _run(tmp_path / "grpo", [(0, 0.0), (2, 1.0), (4, 1.0)])
    algos = {"ppo": {"summary": _summary(0.9), "cpu_s": 60}, "grpo": {"summary": _summary(1.0), "cpu_s": 60}}
    rules = {"first offered on turn 1, last afterwards": _summary(1.0), "first offered, every turn": _summary(0.2)}
    text = results_markdown(tmp_path, {"summary": _summary(0.2)}, algos, {}, "fig.png", "cmd", rules)
    assert "coincide" not in text and "identical" not in text and "The runs' held-out curves differ." in text
    assert "- PPO: 0: 0%, 2: 50%, 4: 90% (at its final 90% from iteration 4 on)" in text
    assert "- GRPO: 0: 0%, 2: 100%, 4: 100% (at its final 100% from iteration 2 on)" in text
    assert '| rule: first offered on turn 1, last afterwards | | | | 100% [90%, 100%] | +80 | 2.00 |' in text
    assert 'best positional rule ("first offered on turn 1, last afterwards") wins 100%' in text
    same = tmp_path / "same"
    _run(same / "ppo", [(0, 0.0), (2, 1.0)])
    _run(same / "grpo", [(0, 0.0), (2, 1.0)])
    assert "The runs' held-out curves are identical." in results_markdown(same, {"summary": _summary(0.2)}, algos, {},
                                                                           "fig.png", "cmd")
