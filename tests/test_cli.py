import subprocess
import sys

import pytest

from textagent_envs.cli import _parse_knobs, main


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "textagent_envs", *args], input=stdin, capture_output=True, text=True, timeout=300)


def test_list_shows_every_id_with_its_knobs(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "TextWorld-Custom-w4-o6-q8-v0" in out and "quest_length=8" in out
    assert "TextWorld-Cooking-v0" in out and "level=None" in out


def test_knob_flags_are_parsed_to_values():
    assert _parse_knobs(["--world-size", "4", "--open", "true", "--split=test", "--quest-breadth", "none"]) == {
        "world_size": 4, "open": True, "split": "test", "quest_breadth": None,
    }
    with pytest.raises(SystemExit, match="needs a value"):
        _parse_knobs(["--level"])
    with pytest.raises(SystemExit, match="expected a knob flag"):
        _parse_knobs(["level", "3"])


def test_play_a_game_to_the_end_from_stdin():
    from textagent_envs.textworld.env import CoinCollectorEnv

    env = CoinCollectorEnv(level=2, isolation="none")
    _, info = env.reset(seed=4)
    env.close()
    script = "/objective\n/admissible\n/score\n" + "\n".join(info["walkthrough"]) + "\n"
    result = _cli("play", "TextWorld-CoinCollector-v0", "--seed", "4", "--level", "2", stdin=script)
    assert result.returncode == 0, result.stderr
    assert "*** won" in result.stdout
    assert info["admissible_commands"][0] in result.stdout


def test_play_with_a_bad_knob_or_id_fails_clearly():
    bad_knob = _cli("play", "TextWorld-Custom-v0", "--world-size", "0")
    assert bad_knob.returncode != 0 and "world_size must be in [1, 100]" in bad_knob.stderr
    unknown = _cli("play", "TextWorld-Nope-v0")
    assert unknown.returncode != 0 and "not a textagent_envs id" in unknown.stderr


def test_check_runs_the_conformance_check():
    result = _cli("check", "TextWorld-TreasureHunter-v0", "--seeds", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK TextWorld-TreasureHunter-v0")


def test_demo_generates_and_plays(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "tw-custom-w4-o6-q8-s2" in out and "won=True" in out and "random agent" in out


def test_plot_difficulty_and_bad_source(tmp_path):
    manifest = tmp_path / "set.jsonl"
    manifest.write_text("".join(
        '{"family": "tw-custom", "seed": %d, "metadata": {"walkthrough_length": %d}}\n' % (s, 2 + s % 3) for s in range(1, 9)
    ))
    out = tmp_path / "hist.png"
    result = _cli("plot", "difficulty", str(manifest), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    missing = _cli("plot", "run", str(tmp_path / "nope.jsonl"), "--out", str(out))
    assert missing.returncode != 0 and "nope.jsonl" in missing.stderr


def test_list_shows_the_levels_of_every_family_with_levels(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    sections = {}
    current = None
    for line in out.splitlines():
        if not line.startswith(" "):
            current = line
            sections[current] = []
        else:
            sections[current].append(line.strip())
    assert "or level=1..7 (easiest to hardest) instead of the knobs" in sections["ALFWorld-v0"]
    assert "or level=1..5 (easiest to hardest) instead of the knobs" in sections["SWE-Mini-v0"]
    assert "levels: 1..8 (easiest to hardest)" in sections["TextWorld-Cooking-v0"]


def test_play_points_a_leaving_word_to_slash_quit():
    result = _cli("play", "TextWorld-CoinCollector-v0", "--seed", "1", "--engine", "native", stdin="quit\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "To leave, type /quit" in result.stdout


def test_play_help_shows_a_tool_call_for_tool_envs():
    from types import SimpleNamespace

    from textagent_envs.cli import _play_help

    text_env = SimpleNamespace(unwrapped=SimpleNamespace())
    tool_env = SimpleNamespace(unwrapped=SimpleNamespace(tool_schemas=[{"name": "bash"}]))
    assert "open the chest" in _play_help(text_env)
    assert '{"name": "bash"' in _play_help(tool_env) and "open the chest" not in _play_help(tool_env)


@pytest.mark.parametrize("family", ["alfworld", "swe-mini"])
def test_make_tasks_takes_every_family_by_its_name(family, tmp_path):
    result = _cli("make-tasks", family, "--level", "1", "--count", "1", "--split", "train", "--out", str(tmp_path),
                  "--specs-only")
    assert result.returncode == 0, result.stderr
    manifest = next(tmp_path.glob("*.jsonl"))
    assert f'"family": "{family}"' in manifest.read_text()
    assert "\r" not in result.stderr  # no progress bar when stderr is not a terminal


def test_make_tasks_names_the_families_for_an_unknown_one(tmp_path):
    result = _cli("make-tasks", "nope", "--count", "1", "--split", "train", "--out", str(tmp_path))
    assert result.returncode != 0 and "alfworld" in result.stderr and "tw-custom" in result.stderr
