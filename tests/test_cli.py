import subprocess
import sys

import pytest

from textagent_envs.cli import main
from textagent_envs.knobargs import legacy_knob_flags, parse_knob


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "textagent_envs", *args], input=stdin, capture_output=True, text=True, timeout=300)


def test_list_shows_every_family_with_its_knob_ranges_and_ids(capsys):
    from textagent_envs.registry import ENTRIES, FAMILIES

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "TextWorld-Custom-w4-o6-q8-v0  (max_episode_steps=24; world_size=4, nb_objects=6, quest_length=8)" in out
    assert "world_size     default 2; 1-100: number of rooms (`--world-size`)" in out
    assert "nb_receptacles  default 10; 2-60: receptacles in the room" in out
    assert "engines (sandbox=): bwrap, docker" in out
    for name in FAMILIES:
        assert f"\n{name}: " in "\n" + out
    for entry in ENTRIES:
        assert f"    {entry.id}  (" in out
    assert main(["list", "ALFWorld-PickTwoObjAndPlace-v0"]) == 0
    one = capsys.readouterr().out
    assert one.startswith("alfworld: ") and "tw-custom" not in one


def test_knobs_are_name_value_pairs_and_old_flags_still_parse_with_a_warning():
    assert parse_knob("world_size=4") == ("world_size", 4)
    assert parse_knob("open=true") == ("open", True) and parse_knob("split=test") == ("split", "test")
    assert parse_knob("quest-breadth=none") == ("quest_breadth", None)
    assert parse_knob('kinds=["off_by_one"]') == ("kinds", ["off_by_one"])
    with pytest.raises(Exception, match="name=value"):
        parse_knob("level")
    with pytest.warns(DeprecationWarning, match="--knob world_size=4"):
        assert legacy_knob_flags(["--world-size", "4", "--open", "true", "--split=test", "--quest-breadth", "none"]) == {
            "world_size": 4, "open": True, "split": "test", "quest_breadth": None,
        }
    with pytest.raises(SystemExit, match="needs a value"):
        legacy_knob_flags(["--level"])
    with pytest.raises(SystemExit, match="expected --knob NAME=VALUE"):
        legacy_knob_flags(["level", "3"])


def test_the_three_knob_spellings_give_the_same_knobs(monkeypatch):
    from textagent_envs import cli

    seen = []
    monkeypatch.setattr(cli, "cmd_play", lambda args, knobs: seen.append(knobs) or 0)
    assert main(["play", "tw-coin_collector", "--knob", "level=3"]) == 0
    assert main(["play", "tw-coin_collector", "--env-kwargs", '{"level": 3}']) == 0
    assert main(["play", "tw-coin_collector", "--level", "3"]) == 0
    assert seen == [{"level": 3}] * 3


def test_old_knob_spellings_warn_on_stderr():
    result = _cli("make-tasks", "tw-coin_collector", "--env-kwargs", '{"level": 0}', "--count", "1", "--split", "test",
                  "--out", "/nonexistent")
    assert "warning: --env-kwargs is deprecated; write --knob NAME=VALUE" in result.stderr
    assert result.returncode != 0 and "level must be an int in [1, 300], got 0" in result.stderr


def test_play_a_game_to_the_end_from_stdin():
    from textagent_envs.textworld.env import CoinCollectorEnv

    env = CoinCollectorEnv(level=2, isolation="none")
    _, info = env.reset(seed=4)
    env.close()
    script = "/objective\n/admissible\n/score\n" + "\n".join(info["walkthrough"]) + "\n"
    result = _cli("play", "tw-coin_collector", "--seed", "4", "--knob", "level=2", stdin=script)
    assert result.returncode == 0, result.stderr
    assert "*** won" in result.stdout
    assert info["admissible_commands"][0] in result.stdout


def test_play_with_a_bad_knob_or_id_fails_clearly():
    bad_knob = _cli("play", "TextWorld-Custom-v0", "--knob", "world_size=0")
    assert bad_knob.returncode != 0 and "world_size must be an int in [1, 100]" in bad_knob.stderr
    unknown = _cli("play", "TextWorld-Nope-v0")
    assert unknown.returncode != 0 and "unknown family 'TextWorld-Nope-v0'" in unknown.stderr and "swe-mini" in unknown.stderr


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
            current = line.split(":")[0]
            sections[current] = []
        else:
            sections[current].append(line.strip())
    assert "or level=1..7 (easiest to hardest) instead of the knobs (task_type may go with it)" in sections["alfworld"]
    assert "or level=1..5 (easiest to hardest) instead of the knobs (repo may go with it)" in sections["swe-mini"]
    assert "levels: 1..8 (easiest to hardest)" in sections["tw-cooking"]
    assert any(line.startswith("no generator:") for line in sections["swe-gym"])


def test_play_points_a_leaving_word_to_slash_quit():
    result = _cli("play", "TextWorld-CoinCollector-v0", "--seed", "1", "--knob", "engine=native", stdin="quit\n/quit\n")
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


def test_the_help_of_knob_commands_lists_every_family_knob_range(capsys):
    from textagent_envs.registry import FAMILIES

    with pytest.raises(SystemExit):
        main(["make-tasks", "--help"])
    out = capsys.readouterr().out
    assert "tw-custom: world_size (1-100), nb_objects (0-200)" in out and "swe-mini: repo (calckit | shopcart)" in out
    for name in FAMILIES:
        assert f"  {name}: " in out
