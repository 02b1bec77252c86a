import subprocess
import sys

import gymnasium as gym

import textagent_envs


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout


def test_import_is_light():
    out = _run("import sys, textagent_envs; print(sorted(m for m in ('textworld', 'torch', 'docker', 'jericho', 'alfworld') if m in sys.modules))")
    assert out.strip() == "[]"


def test_every_id_is_registered_on_import():
    textworld = {
        "TextWorld-Custom-v0", "TextWorld-Simple-v0", "TextWorld-Cooking-v0",
        "TextWorld-CoinCollector-v0", "TextWorld-TreasureHunter-v0",
        *(f"TextWorld-Custom-{s}-v0" for s in ("w2-o3-q4", "w8-o3-q4", "w2-o12-q4", "w8-o12-q4", "w4-o6-q8")),
        *(f"TextWorld-Simple-{d}-v0" for d in ("Dense", "Balanced", "Sparse")),
    }
    assert {i for i in textagent_envs.ENV_IDS if i.startswith("TextWorld-")} == textworld
    assert {i for i in textagent_envs.ENV_IDS if i.startswith("SWE-")} >= {"SWE-Mini-v0"}
    alfworld_types = ("PickAndPlaceSimple", "LookAtObjInLight", "PickCleanThenPlace", "PickHeatThenPlace", "PickCoolThenPlace", "PickTwoObjAndPlace")
    assert {i for i in textagent_envs.ENV_IDS if i.startswith("ALFWorld-")} == {"ALFWorld-v0", *(f"ALFWorld-{t}-v0" for t in alfworld_types)}
    for env_id in textagent_envs.ENV_IDS:
        assert env_id in gym.registry
        steps = gym.spec(env_id).max_episode_steps
        if env_id.startswith("SWE-"):  # they keep their own budget (max_turns) so the last turn is graded
            assert steps is None
        else:
            assert steps > 0


def test_namespaced_id_works_without_prior_import():
    out = _run(
        "import gymnasium as gym, sys\n"
        "assert 'textagent_envs' not in sys.modules\n"
        "env = gym.make('textagent_envs:TextWorld-Cooking-v0')\n"
        "print(type(env.unwrapped).__name__, env.spec.max_episode_steps)"
    )
    assert out.split() == ["CookingEnv", "100"]


def test_check_text_env_is_exported():
    from textagent_envs.testing import check_text_env

    assert textagent_envs.check_text_env is check_text_env


def test_import_loads_the_registry_but_no_family_subpackage():
    out = _run(
        "import sys, textagent_envs\n"
        "from textagent_envs.registry import FAMILIES\n"
        "print(len(FAMILIES), sorted({m.split('.')[1] for m in sys.modules if m.startswith('textagent_envs.')}))"
    )
    count, loaded = out.split(" ", 1)
    assert int(count) == 8
    assert not {"textworld", "alfworld", "swe", "tasksets", "curriculum"} & set(eval(loaded))
