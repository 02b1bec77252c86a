"""The command lines end to end: train (with resume), then evaluate (JSON with intervals) and plot its run."""

import json

import pytest

from baselines import evaluate, plot, train

from .conftest import ENV_ID, MAX_TURNS


def test_train_evaluate_plot(tmp_path):
    out = tmp_path / "run"
    common = ["--env", ENV_ID, "--knob", "level=2", "--max-turns", str(MAX_TURNS), "--tasks-per-iter", "2",
              "--num-envs", "4", "--train-tasks", "2", "--eval-tasks", "2", "--epochs", "1", "--no-progress"]
    assert train.main(["--algo", "grpo", "--group-size", "2", "--iterations", "1", "--out", str(out)] + common) == 0
    for name in ("config.json", "metrics.csv", "checkpoint.pt", "init_model"):
        assert (out / name).exists(), name
    assert any((out / "tensorboard").iterdir())
    config = json.loads((out / "config.json").read_text())
    assert config["algo"] == "grpo" and config["env_kwargs"] == {"level": 2} and config["estimator"] == "grpo"
    assert train.main(["--resume", "--out", str(out), "--iterations", "2", "--no-progress"]) == 0
    lines = (out / "metrics.csv").read_text().strip().splitlines()
    assert len(lines) == 4 and lines[1].startswith("0,0,")  # header, the held-out start, two iterations
    with pytest.raises(SystemExit):
        train.main(["--resume", "--out", str(out), "--algo", "ppo"])

    result_path = tmp_path / "eval.json"
    assert evaluate.main(["--run", str(out), "--episodes", "2", "--out", str(result_path)]) == 0
    result = json.loads(result_path.read_text())
    s = result["summary"]
    assert s["episodes"] == 2 and len(result["episodes"]) == 2 and result["iteration"] == 2
    assert s["success_rate_ci95"][0] <= s["success_rate"] <= s["success_rate_ci95"][1]

    random_path = tmp_path / "random.json"
    assert evaluate.main(["--model", "random", "--env", ENV_ID, "--env-kwargs", '{"level": 2}', "--max-turns", "3",
                          "--episodes", "2", "--out", str(random_path)]) == 0
    assert json.loads(random_path.read_text())["model"] == "random-admissible"

    png = tmp_path / "curves.png"
    assert plot.main([str(out), "--out", str(png), "--baseline", "0.2"]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert plot.main([str(tmp_path / "nope"), "--out", str(png)]) == 2


def test_help_lists_config_fields(capsys):
    with pytest.raises(SystemExit):
        train.main(["--help"])
    text = capsys.readouterr().out
    assert "--group-size" in text and "Rollouts per task" in text


def test_dict_fields_take_json_on_the_command_line():
    args = train.build_parser().parse_args(["--tiny-model", '{"hidden_size": 128, "num_layers": 3}', "--sft-loss", "choice"])
    cfg = train.config_from_args(args)
    assert cfg.tiny_model == {"hidden_size": 128, "num_layers": 3} and cfg.sft_loss == "choice"
