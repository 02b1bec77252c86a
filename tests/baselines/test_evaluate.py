"""Confidence intervals and summaries of evaluations."""

from baselines.evaluate import summarize, wilson_interval


def test_wilson_interval_and_summary():
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and 0 < high < 0.35
    low, high = wilson_interval(7, 10)
    assert low < 0.7 < high and 0 <= low and high <= 1
    wide, narrow = wilson_interval(5, 10), wilson_interval(50, 100)
    assert wide[1] - wide[0] > narrow[1] - narrow[0]
    s = summarize([{"success": True, "return": 1.0, "steps": 2}, {"success": False, "return": 0.0, "steps": 4}])
    assert s["success_rate"] == 0.5 and s["mean_steps"] == 3.0
    assert s["mean_return_ci95"][0] < 0.5 < s["mean_return_ci95"][1]


def test_progress_bars_only_on_a_terminal(monkeypatch):
    import sys

    from baselines.trainer import progress_bar

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert progress_bar(True, total=3) is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert progress_bar(False, total=3) is None
    bar = progress_bar(True, total=3, desc="evaluating")
    assert bar is not None and bar.total == 3
    bar.close()


def test_positional_rules_follow_the_offered_order():
    from baselines.evaluate import play_positional

    from .conftest import make_env

    first_then_last = play_positional(make_env, [1, 2], 0, -1)
    first_always = play_positional(make_env, [1, 2], 0, 0)
    assert [e["steps"] for e in first_then_last] == [2, 2] and all(e["success"] for e in first_then_last)
    assert not any(e["success"] for e in first_always)
