"""SWE-Mini's practice repositories ship inside the wheel, so an installed package makes
tasks as a source checkout does (they used to be found through ``parents[2] / "tasks"``)."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if shutil.which("pip", path=os.path.dirname(sys.executable)) is None:
        pytest.skip(f"no pip beside {sys.executable} to build the wheel with")
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("textagent_envs", "baselines"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
                   check=True, capture_output=True, text=True, timeout=600)
    return next(out.glob("textagent_envs-*.whl"))


def test_the_wheel_holds_the_practice_repositories(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for repo in ("calckit", "shopcart"):
        shipped = [n for n in names if n.startswith(f"textagent_envs/swe/repos/{repo}/")]
        assert f"textagent_envs/swe/repos/{repo}/tests/__init__.py" in shipped or any("/tests/test_" in n for n in shipped)
        assert any(n.startswith(f"textagent_envs/swe/repos/{repo}/{repo}/") for n in shipped)
    assert not [n for n in names if "__pycache__" in n]


def test_an_installed_wheel_finds_the_repositories_and_makes_a_task(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import textagent_envs.swe.knobs as knobs, textagent_envs\n"
        f"assert textagent_envs.__file__.startswith({str(site)!r}), textagent_envs.__file__\n"
        "from textagent_envs.swe.mini import MiniKnobs, available_repos, ensure_task\n"
        "print(available_repos())\n"
        "task = ensure_task(MiniKnobs(nb_bugs=1).task(11))\n"
        "print(len(task.FAIL_TO_PASS) > 0, task.workspace.is_dir())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "TEXTAGENT_ENVS_CACHE": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split("\n")[:2] == ["['calckit', 'shopcart']", "True True"]
