"""The benchmark scripts measure what their tables say they measure.

* Every env, game file or trainer a script makes names its engine (``engine=``, SWE's
  ``sandbox=``, the trainer's ``textworld_engine=``), so a change of a default (native by
  default for TextWorld) cannot silently change what a table compares.
  (That the cold benchmarks' ``NativeGame.forget_states`` empties every per-state memo is
  tested in tests/textworld/test_native_scale.py.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest


BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("bench_*.py"))

#: Calls that make an env, a game file or a trainer, and the keywords that name the engine.
ENGINE_KEYWORDS = {
    "gym.make": {"engine", "sandbox"},
    "textagent_envs.make": {"engine", "sandbox"},
    "ensure_game": {"engine"},
    "ALFWorldEnv": {"engine"},
    "TrainConfig": {"textworld_engine"},
}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_name(func.value)}.{func.attr}"
    return ""


def _unnamed_engines(source: str) -> list[str]:
    """The calls of :data:`ENGINE_KEYWORDS` in ``source`` that name no engine (a ``**``
    argument counts as naming it: the dict is checked by the script's own run)."""
    missing = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        wanted = ENGINE_KEYWORDS.get(_name(node.func))
        if wanted is None:
            continue
        given = {k.arg for k in node.keywords}
        if None not in given and not given & wanted:  # None: a ** argument
            missing.append(f"line {node.lineno}: {ast.unparse(node)[:100]}")
    return missing


def test_the_engine_check_finds_a_call_relying_on_the_default():
    source = "env = gym.make('TextWorld-Custom-v0', cache_dir=d)\nf = ensure_game(task, d)\ntextworld.gym.make(i)\n"
    assert len(_unnamed_engines(source)) == 2  # textworld's own gym.make has no engine to name
    assert _unnamed_engines("gym.make('X', engine='native')\nensure_game(t, **{k: 'native'})\n") == []


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_every_benchmark_names_its_engines(script):
    assert SCRIPTS, "no benchmark scripts found"
    missing = _unnamed_engines(script.read_text())
    assert not missing, f"{script.name} relies on a default engine; pass engine= (or sandbox=): {missing}"


def test_a_table_names_the_command_that_made_it(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import markdown_section

    assert markdown_section.command_line("bench_rollout.py", ["--episodes", "8", "--tiny"]) == \
        "python benchmarks/bench_rollout.py --episodes 8 --tiny"
    monkeypatch.setattr("sys.argv", ["bench_choice_update.py", "--out", "x.md"])
    assert markdown_section.command_line("bench_choice_update.py") == "python benchmarks/bench_choice_update.py --out x.md"
