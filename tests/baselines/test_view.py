"""The run viewer: the trainer keeps bounded transcripts, and the HTML page renders its
curves and transcripts in a real headless Chromium without JavaScript errors."""

import json
import shutil
import subprocess

import pytest

from baselines import view
from baselines.trainer import TRANSCRIPTS, Trainer

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A two-iteration text-mode run with an evaluation at 0, 1 and 2."""
    from baselines.config import TrainConfig

    from .conftest import ENV_ID, KNOBS, MAX_TURNS

    out = tmp_path_factory.mktemp("view") / "run"
    cfg = TrainConfig(algo="grpo", env=ENV_ID, env_kwargs=dict(KNOBS), max_turns=MAX_TURNS, mode="text", tasks_per_iter=2,
                      group_size=2, num_envs=4, iterations=2, minibatch=4, epochs=1, train_tasks=2, eval_tasks=2,
                      eval_every=1, save_every=1, transcripts_per_iter=1, transcripts_eval=2, max_new_tokens=4, out=str(out))
    trainer = Trainer(cfg)
    try:
        trainer.train(progress=False)
    finally:
        trainer.close()
    return out


def _lines(run):
    return [json.loads(line) for line in (run / TRANSCRIPTS).read_text().splitlines()]


def test_trainer_keeps_a_few_transcripts_per_iteration_and_the_evaluations(run):
    lines = _lines(run)
    kinds = [(line["kind"], line["iteration"]) for line in lines]
    # evaluation at 0, then per iteration one sampled training episode and two evaluation episodes
    assert kinds == [("eval", 0), ("eval", 0), ("train", 1), ("eval", 1), ("eval", 1), ("train", 2), ("eval", 2), ("eval", 2)]
    for line in lines:
        assert 1 <= len(line["turns"]) == line["steps"]
        for turn in line["turns"]:
            assert set(turn) == {"observation", "reply", "command", "reward"}
        assert line["turns"][0]["observation"].strip()  # the first observation, as the model saw it
    assert [line["seed"] for line in lines if line["kind"] == "eval"][:2] == [1, 2]


def test_resume_drops_the_transcripts_written_after_the_checkpoint(run, tmp_path):
    from baselines.trainer import drop_transcripts_after

    copy = tmp_path / TRANSCRIPTS
    shutil.copy(run / TRANSCRIPTS, copy)
    drop_transcripts_after(copy, 1)
    assert max(json.loads(line)["iteration"] for line in copy.read_text().splitlines()) == 1


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium to open the page in: `make system-deps` (as root) installs Debian's chromium")


def _dump_dom(page, tmp_path, fragment=""):
    result = subprocess.run([_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                             page.as_uri() + fragment], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_the_page_renders_curves_and_transcripts_in_headless_chromium(run, tmp_path):
    page = view.write_page(run, tmp_path / "view.html")
    dom = _dump_dom(page, tmp_path)
    assert 'data-rendered="yes"' in dom and 'data-js-error="' not in dom  # the script ran to its end
    assert '<pre id="js-errors"></pre>' in dom
    assert dom.count('<polyline class="curve"') >= 4  # success (training, held-out), return, ...
    assert 'data-series="held-out (greedy)"' in dom
    assert dom.count('class="turn"') == sum(len(line["turns"]) for line in _lines(run))  # built by the script
    assert "8 of 8 episodes" in dom and "held-out success (2 games)" in dom
    # the filters (here from the address) select by kind and iteration
    dom = _dump_dom(page, tmp_path, "#kind=train&iteration=2")
    assert 'data-shown="1"' in dom and "1 of 8 episodes" in dom


def test_the_check_catches_a_script_error(run, tmp_path, monkeypatch):
    monkeypatch.setattr(view, "_SCRIPT", view._SCRIPT.replace("render();\n", "render(); undefinedFunction();\n", 1))
    dom = _dump_dom(view.write_page(run, tmp_path / "broken.html"), tmp_path)
    assert 'data-js-error="' in dom and 'data-rendered="yes"' not in dom


def test_view_cli_writes_the_page_and_explains_a_wrong_directory(run, tmp_path, capsys):
    from textagent_envs.cli import main

    assert main(["view", str(run), "--out", str(tmp_path / "page.html")]) == 0
    assert (tmp_path / "page.html").read_text().startswith("<!DOCTYPE html>")
    assert main(["view", str(tmp_path / "missing")]) == 2
    assert "baselines.train run directory" in capsys.readouterr().err
