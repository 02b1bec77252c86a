"""Shared by the integration tests: load an example as a module, a small ChatML tokenizer."""

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).parents[2] / "examples"


def example(name: str):
    """``examples/<name>.py`` as a module (its ``main`` runs a shortened example)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def chatml_tokenizer():
    """A byte-level BPE with the tiny model's ChatML template (no model needed)."""
    from baselines.models import build_tokenizer

    return build_tokenizer(["You are in a room. look go north take coin current state your action"] * 4, vocab_size=400)
