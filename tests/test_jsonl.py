import warnings

import pytest

from textagent_envs.jsonl import read_jsonl


@pytest.fixture
def bad_log(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"episode": 0, "level": 1, "success": true, "return": 1.0, "family": "tw-custom", "seed": 1}\n'
                    "\n"
                    '{"episode": 1, "level": 1, "succ\n')
    return path


def test_a_bad_line_names_the_file_and_line_and_warn_mode_skips_it(bad_log):
    with pytest.raises(ValueError, match=rf"{bad_log}:3: not valid JSON"):
        read_jsonl(bad_log)
    with pytest.warns(UserWarning, match=rf"skipping a bad line: {bad_log}:3"):
        assert [n for n, _ in read_jsonl(bad_log, on_error="warn")] == [1]
    with pytest.raises(FileNotFoundError, match="curriculum log"):
        read_jsonl(bad_log.with_name("none.jsonl"), what="curriculum log")


def test_every_reader_of_json_lines_has_the_same_policy(bad_log, tmp_path):
    """Task sets, plots and the curriculum log all raise on the same bad line, naming it."""
    import gymnasium as gym

    from textagent_envs.curriculum import CurriculumWrapper, FixedLevel
    from textagent_envs.plots import _read_jsonl
    from textagent_envs.tasks import load_task_set

    where = rf"{bad_log}:3: not valid JSON"
    manifest = tmp_path / "tasks.jsonl"
    manifest.write_text('{"family": "tw-custom", "seed": 1}\n\n{"family": "tw-cus\n')
    with pytest.raises(ValueError, match=rf"{manifest}:3: not valid JSON"):
        load_task_set(manifest, family="tw-custom")
    with pytest.raises(ValueError, match=where):
        _read_jsonl(bad_log, "task manifest")
    env = gym.make("TextWorld-CoinCollector-v0")
    with pytest.raises(ValueError, match=where):
        CurriculumWrapper(env, FixedLevel(1), log_path=bad_log)
    env.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=rf"{bad_log}:1: unknown TaskSpec fields"):
            load_task_set(bad_log, family="tw-custom")
