"""Plots from small synthetic curriculum logs and manifests."""

import json

import numpy as np
import pytest

from textagent_envs import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 10_000  # a drawn figure, not an empty canvas
    assert b"IEND" in data[-12:]


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def synthetic_log(path, episodes=120):
    rng = np.random.default_rng(0)
    records, level = [], 1
    for episode in range(episodes):
        success = bool(rng.random() < 1.0 - 0.2 * level)
        records.append({"episode": episode, "level": level, "success": success, "return": float(success),
                        "length": level + 2, "task_id": f"tw-coin_collector-level{level}-s{episode}"})
        level = min(4, 1 + episode // 30)
    return write_jsonl(path, records)


def synthetic_manifest(path):
    records = [
        {"id": f"t{i}", "family": "tw-coin_collector" if i % 3 else "tw-treasure_hunter", "params": {"level": 1 + i % 5},
         "seed": i, "metadata": {"walkthrough_length": 1 + i % 5, "max_score": 1}}
        for i in range(40)
    ]
    records.append({"id": "no-meta", "family": "tw-coin_collector", "params": {}, "seed": 99})
    return write_jsonl(path, records)


def test_plot_run_writes_a_png_and_returns_its_path(tmp_path):
    log = synthetic_log(tmp_path / "run.jsonl")
    out = plots.plot_run(log, tmp_path / "figs" / "run.png", window=10)
    assert out == tmp_path / "figs" / "run.png"
    assert_png(out)


def test_plot_run_with_one_episode_and_blank_lines(tmp_path):
    log = tmp_path / "one.jsonl"
    log.write_text('\n{"episode": 0, "level": 2, "success": false, "return": 0.0}\n\n')
    assert_png(plots.plot_run(log, tmp_path / "one.png"))


def test_the_rolling_success_rate_is_a_trailing_mean():
    rates = plots._rolling_mean(np.array([1.0, 0.0, 1.0, 1.0, 0.0]), 2)
    assert rates.tolist() == [1.0, 0.5, 0.5, 1.0, 0.5]
    assert plots._rolling_mean(np.array([0.0, 1.0, 1.0]), 10).tolist() == [0.0, 0.5, 2 / 3]


def test_plot_difficulty_writes_a_png(tmp_path):
    manifest = synthetic_manifest(tmp_path / "tasks.jsonl")
    out = plots.plot_difficulty(manifest, tmp_path / "difficulty.png")
    assert out == tmp_path / "difficulty.png"
    assert_png(out)
    assert_png(plots.plot_difficulty(manifest, tmp_path / "score.png", key="max_score", bins=3))


@pytest.mark.parametrize("plot", [plots.plot_run, plots.plot_difficulty])
def test_a_missing_or_empty_file_is_an_error_naming_it(tmp_path, plot):
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        plot(tmp_path / "nope.jsonl", tmp_path / "out.png")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n  \n")
    with pytest.raises(ValueError, match=r"empty\.jsonl.*is empty"):
        plot(empty, tmp_path / "out.png")
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("plot", [plots.plot_run, plots.plot_difficulty])
def test_a_corrupt_line_is_an_error_naming_the_file_and_line(tmp_path, plot):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"episode": 0, "level": 1, "success": true, "return": 1.0}\n{"episode": 1, "lev\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:2: not valid JSON"):
        plot(bad, tmp_path / "out.png")
    bad.write_text("[1, 2]\n")
    with pytest.raises(ValueError, match=r"bad\.jsonl:1: each line must be a JSON object"):
        plot(bad, tmp_path / "out.png")


@pytest.mark.parametrize(
    "line, match",
    [
        ({"episode": 1, "level": 1, "success": True}, r":2: .* no 'return'"),
        ({"episode": 1, "level": "2", "success": True, "return": 0.0}, r":2: 'level' must be an int"),
        ({"episode": 1, "level": 2, "success": "yes", "return": 0.0}, r":2: 'success' must be true or false"),
        ({"episode": 1, "level": 2, "success": True, "return": None}, r":2: 'return' must be a finite number"),
    ],
)
def test_plot_run_names_the_line_with_a_bad_field(tmp_path, line, match):
    log = write_jsonl(tmp_path / "log.jsonl", [{"episode": 0, "level": 1, "success": True, "return": 1.0}, line])
    with pytest.raises(ValueError, match=match):
        plots.plot_run(log, tmp_path / "out.png")


def test_plot_difficulty_metric_absent_from_every_line(tmp_path):
    manifest = synthetic_manifest(tmp_path / "tasks.jsonl")
    with pytest.raises(ValueError, match=r"no line of .*tasks\.jsonl has metadata\['nb_rooms'\].*\['max_score', 'walkthrough_length'\]"):
        plots.plot_difficulty(manifest, tmp_path / "out.png", key="nb_rooms")
    bare = write_jsonl(tmp_path / "bare.jsonl", [{"id": "a", "family": "tw-custom", "params": {}, "seed": 1}])
    with pytest.raises(ValueError, match="no line has any metadata"):
        plots.plot_difficulty(bare, tmp_path / "out.png")


def test_plot_difficulty_names_the_line_with_a_bad_value(tmp_path):
    manifest = write_jsonl(tmp_path / "m.jsonl", [
        {"id": "a", "family": "tw-custom", "seed": 1, "metadata": {"walkthrough_length": 3}},
        {"id": "b", "family": "tw-custom", "seed": 2, "metadata": {"walkthrough_length": "long"}},
    ])
    with pytest.raises(ValueError, match=r"m\.jsonl:2: metadata\['walkthrough_length'\] must be a finite number"):
        plots.plot_difficulty(manifest, tmp_path / "out.png")
    write_jsonl(manifest, [{"id": "a", "family": "tw-custom", "seed": 1, "metadata": [3]}])
    with pytest.raises(ValueError, match=r"m\.jsonl:1: 'metadata' must be a JSON object"):
        plots.plot_difficulty(manifest, tmp_path / "out.png")


def test_importing_the_module_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, textagent_envs.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("values", [[4, 4, 4], [2, 3], [1, 40]])
def test_integer_metrics_get_whole_number_ticks(values):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.hist(values, bins=np.arange(min(values) - 0.5, max(values) + 1.5))
    plots._integer_ticks(ax, values)
    fig.canvas.draw()
    ticks = [t for t in ax.get_xticks() if min(values) - 0.5 <= t <= max(values) + 0.5]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    plt.close(fig)
