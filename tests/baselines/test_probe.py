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


def test_a_bad_override_is_a_clear_error(capsys):
    assert probe.main(["--set", "sft_loss=cross_entropy", "--episodes", "1"]) == 2
    assert "sft_loss" in capsys.readouterr().err
