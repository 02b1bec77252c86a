"""The env base every family shares (textagent_envs.base): one ResetNeeded, one info-name
check, one docstring layout, and documented examples that run."""

import doctest
import importlib
import inspect
import pkgutil
import re

import gymnasium as gym
import pytest

import textagent_envs
from textagent_envs import infos
from textagent_envs.base import ResetNeeded, TextEnv

FAMILY_MODULES = ("textagent_envs.textworld.env", "textagent_envs.alfworld.env", "textagent_envs.swe.env")


def test_every_family_raises_the_one_reset_needed():
    import textagent_envs.swe.env as swe
    import textagent_envs.textworld.env as textworld

    assert textworld.ResetNeeded is swe.ResetNeeded is ResetNeeded
    assert issubclass(ResetNeeded, RuntimeError)  # code that caught RuntimeError still does


def test_every_registered_env_class_is_a_text_env():
    for env_id in textagent_envs.ENV_IDS:
        cls = gym.spec(env_id).entry_point
        module, _, name = cls.partition(":")
        assert issubclass(getattr(importlib.import_module(module), name), TextEnv), env_id


def test_info_names_are_checked_by_one_function_with_one_message():
    assert infos.check_requested(["inventory", "location"]) == ("inventory", "location")
    with pytest.raises(ValueError, match=r"extra_infos cannot give \['colour'\]; choose from"):
        infos.check_requested(["colour"])
    with pytest.raises(TypeError, match="a list of info names"):
        infos.check_requested("inventory")  # a str would be read letter by letter
    from textagent_envs.alfworld.backend import PddlBackend
    from textagent_envs.textworld.backend import JerichoBackend

    for make in (JerichoBackend, PddlBackend):
        with pytest.raises(ValueError, match=r"engine cannot give \['colour'\]"):
            make(extra_infos=["colour"])
    with pytest.raises(ValueError, match=r"engine='pddl' cannot give \['inventory'\]"):
        textagent_envs.alfworld.env.ALFWorldEnv(engine="pddl", extra_infos=["inventory"])


#: The sections of every env class docstring, in this order (Minigrid's layout).
SECTIONS = ("Description:", "Observation:", "Action:", "Rewards:", "Termination and truncation:", "Infos:", "Knobs:",
            "Examples:")


def _registered_classes():
    classes = {}
    for env_id in textagent_envs.ENV_IDS:
        module, _, name = gym.spec(env_id).entry_point.partition(":")
        cls = getattr(importlib.import_module(module), name)
        classes[cls.__qualname__] = cls
    return sorted(classes.items())


@pytest.mark.parametrize("name, cls", _registered_classes())
def test_every_registered_env_class_documents_the_sections_in_order(name, cls):
    doc = inspect.getdoc(cls) or ""
    positions = []
    for section in SECTIONS:
        match = re.search(rf"^{re.escape(section)}$", doc, flags=re.M)
        assert match, f"{name}'s docstring has no {section!r} section (a line of its own)"
        positions.append(match.start())
    assert positions == sorted(positions), f"{name}'s docstring sections are not in the order {SECTIONS}"
    examples = doc[positions[-1]:]
    assert ">>>" in examples, f"{name}'s Examples section has no runnable example"


def _package_modules():
    names = [textagent_envs.__name__]
    for info in pkgutil.walk_packages(textagent_envs.__path__, prefix="textagent_envs."):
        names.append(info.name)
    return sorted(names)


#: Modules whose examples need what this machine may lack; each with its reason.
DOCTEST_SKIPS = {
    "textagent_envs.__main__": "running it starts the CLI",
}


@pytest.mark.parametrize("module_name", _package_modules())
def test_documented_examples_run(module_name):
    """Every ``>>>`` example in the package runs (lines marked ``+SKIP`` say why they cannot here)."""
    if DOCTEST_SKIPS.get(module_name):
        pytest.skip(f"{module_name}: {DOCTEST_SKIPS[module_name]}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:  # an optional extra (vllm, ray, ...) that is not installed
        pytest.skip(f"{module_name} needs an optional dependency that is not installed: {err}")
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = [t for t in finder.find(module, module_name) if t.examples]
    if not tests:
        return
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {module_name} failed (output above)"
