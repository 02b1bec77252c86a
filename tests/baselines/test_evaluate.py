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


def _spy(rule, seen):
    """``rule`` that also records (turn, commands, objective, choice) of every call."""
    def choose(turn, commands, info):
        index = rule(turn, commands, info)
        seen.append((turn, list(commands), info.get("objective", ""), index))
        return index
    return choose


def test_objective_rule_takes_the_command_sharing_most_objective_words_never_twice():
    from baselines.trivial import LexicalRule, objective_overlap

    rule = LexicalRule(objective_overlap)
    info = {"objective": "Take the coin from the table, then open the chest."}
    commands = ["go east", "open chest", "take coin from table", "look"]
    assert rule(0, commands, info) == 2  # take, coin, table: three objective words
    assert rule(1, commands, info) == 1  # "take coin from table" was sent; "open chest" shares two
    assert rule(2, ["go east", "look"], info) == 0  # no overlap anywhere: the first offered
    assert rule(0, commands, info) == 2  # a new episode forgets what was sent


def test_verb_rules_follow_their_fixed_order():
    from baselines.trivial import LexicalRule, VERB_ORDERS, verb_rank

    commands = ["go west", "examine coin", "open box", "take coin"]
    picks = {name: LexicalRule(verb_rank(order))(0, commands, {}) for name, order in VERB_ORDERS.items()}
    assert picks == {"verbs take > open > go": 3, "verbs open > take > go": 2, "verbs go > open > take": 0}
    rule = LexicalRule(verb_rank(("take", "open", "go")))
    assert [rule(t, commands, {}) for t in range(4)] == [3, 2, 0, 1]  # then the verb outside the order


def test_each_trivial_rule_does_what_it_says_on_a_real_env():
    """Played on CoinCollector: every recorded choice is the one the rule's definition gives."""
    from baselines.evaluate import play_rule
    from baselines.trivial import TRIVIAL, objective_overlap

    from .conftest import make_env

    for name in ("most objective words", "last offered on turn 1, first afterwards"):
        seen = []
        episodes = play_rule(make_env, [1, 2, 3], _spy(TRIVIAL[name](), seen))
        assert len(seen) == sum(e["steps"] for e in episodes) and seen
        sent = []
        for turn, commands, objective, index in seen:
            if name.startswith("last"):
                assert commands[index] == (commands[-1] if turn == 0 else commands[0])
                continue
            sent = [] if turn == 0 else sent
            fresh = [i for i, c in enumerate(commands) if c not in sent] or list(range(len(commands)))
            best = min(objective_overlap(commands[i], {"objective": objective}) for i in fresh)
            assert index in fresh and objective_overlap(commands[index], {"objective": objective}) == best
            assert index == min(i for i in fresh if objective_overlap(commands[i], {"objective": objective}) == best)
            sent.append(commands[index])
    a, b = [], []
    play_rule(make_env, [1, 2], _spy(TRIVIAL["random admissible"](), a))
    play_rule(make_env, [1, 2], _spy(TRIVIAL["random admissible"](), b))
    assert a == b and all(0 <= index < len(commands) for _, commands, _, index in a)


def test_best_trivial_is_the_max_and_solves_coin_collector_level_2():
    from baselines.trivial import TRIVIAL, best_of, best_trivial

    from .conftest import ENV_ID, KNOBS, MAX_TURNS

    best = best_trivial(ENV_ID, [1, 2, 3, 4], max_turns=MAX_TURNS, **KNOBS)
    assert set(best["all"]) == set(TRIVIAL)
    rates = {name: s["success_rate"] for name, s in best["all"].items()}
    assert best["success_rate"] == max(rates.values()) == 1.0
    assert rates[best["name"]] == best["success_rate"] and best["name"] == "first offered on turn 1, last afterwards"
    low, high = best["success_rate_ci95"]
    assert low < 1.0 == high  # four games leave a wide interval
    assert min(rates.values()) == 0.0  # not every rule wins: the best is a real max
    assert best_of({"a": {"success_rate": 0.5}, "b": {"success_rate": 0.5}})[0] == "a"


def test_trivial_policy_errors_name_the_choices():
    import pytest

    from baselines.trivial import best_of, best_trivial, play_trivial

    from .conftest import make_env

    with pytest.raises(ValueError, match="unknown trivial policy 'always win'; choose from"):
        play_trivial("always win", make_env, [1])
    with pytest.raises(ValueError, match="at least one seed"):
        best_trivial("TextWorld-CoinCollector-v0", [])
    with pytest.raises(ValueError, match="no trivial policy results"):
        best_of({})


def test_evaluate_command_reports_the_best_trivial_policy(tmp_path):
    import json

    from baselines.evaluate import main

    from .conftest import ENV_ID, MAX_TURNS

    out = tmp_path / "trivial.json"
    assert main(["--model", "trivial", "--env", ENV_ID, "--env-kwargs", '{"level": 2}', "--max-turns", str(MAX_TURNS),
                 "--episodes", "2", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["model"] == "best trivial policy: first offered on turn 1, last afterwards"
    assert result["summary"]["success_rate"] == 1.0 and len(result["policies"]) == 9 and len(result["episodes"]) == 2
