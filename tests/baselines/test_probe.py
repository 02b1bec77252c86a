"""``python -m baselines.probe``: one measured experiment on the study's setting."""

import argparse
import json

import pytest

from baselines import probe


def test_overrides_are_json_values_or_words():
    assert probe.parse_override("sft_loss=token") == ("sft_loss", "token")
    assert probe.parse_override("tiny-model={\"hidden_size\": 128}") == ("tiny_model", {"hidden_size": 128})
    assert probe.parse_override("lr=3e-4") == ("lr", 3e-4)
    with pytest.raises(argparse.ArgumentTypeError, match="NAME=VALUE"):
        probe.parse_override("iterations")


def test_a_probe_trains_the_study_setting_and_prints_its_held_out_success(capsys, tmp_path):
    small = ["--set", "sft_demos=2", "--set", "sft_epochs=1", "--set", "train_tasks=1", "--set", "iterations=1",
             "--set", "tasks_per_iter=2", "--set", "num_envs=2", "--set", 'tiny_model={"hidden_size": 32, "vocab_size": 400}']
    assert probe.main(small + ["--episodes", "2", "--out", str(tmp_path / "run")]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["set"]["sft_demos"] == 2 and result["episodes"] == 2
    assert 0.0 <= result["ci95"][0] <= result["success_rate"] <= result["ci95"][1] <= 1.0
    assert result["sft_loss"] is not None and result["train_cpu_s"] > 0
    assert result["iterations"] == 1
    assert "train_spread" not in result


class _Played:
    """A trainer stand-in whose sampled episodes win as ``wins`` says (seed -> wins in order)."""

    def __init__(self, wins):
        self.train_seeds, self.wins, self.asked = list(wins), {s: list(w) for s, w in wins.items()}, []

    def evaluate(self, seeds, *, greedy=True):
        self.asked.append((list(seeds), greedy))
        return {}, [{"seed": s, "success": self.wins[s].pop(0)} for s in seeds]


def test_the_spread_counts_games_won_never_sometimes_and_always():
    trainer = _Played({7: [True, True, True], 8: [False, True, False], 9: [False] * 3, 10: [True] * 3})
    spread = probe.train_spread(trainer, 3, 3)  # the first 3 training games only
    assert trainer.asked == [([7, 7, 7, 8, 8, 8, 9, 9, 9], False)]  # sampled, each game `samples` times
    assert spread == {"games": 3, "samples": 3, "never": 1, "sometimes": 1, "always": 1, "sampled_success": 4 / 9}


def test_a_probe_with_a_spread_reports_it(capsys):
    small = ["--set", "sft_demos=1", "--set", "sft_epochs=1", "--set", "train_tasks=2", "--set", "iterations=0",
             "--set", "num_envs=2", "--set", 'tiny_model={"hidden_size": 32, "vocab_size": 400}']
    assert probe.main(small + ["--episodes", "1", "--spread", "2", "--spread-games", "5"]) == 0
    spread = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["train_spread"]
    assert spread["games"] == 2 and spread["samples"] == 2  # only 2 training games exist
    assert spread["never"] + spread["sometimes"] + spread["always"] == 2


def test_a_bad_override_is_a_clear_error(capsys):
    assert probe.main(["--set", "sft_loss=cross_entropy", "--episodes", "1"]) == 2
    assert "sft_loss" in capsys.readouterr().err


@pytest.mark.parametrize("flags, named", [(["--spread", "-1"], "spread"), (["--spread", "2", "--spread-games", "0"],
                                                                            "spread_games")])
def test_a_bad_spread_is_a_clear_error(capsys, flags, named):
    assert probe.main(flags + ["--episodes", "1"]) == 2
    assert named in capsys.readouterr().err
