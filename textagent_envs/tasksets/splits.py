"""Seed ranges per data split, disjoint so that no game is in two splits.

They extend the paper's scheme (train 30001-35000, SFT demonstrations 40001-40101, test
1-100): a split's tasks use its seeds in order from the start, so the first 100 test
tasks are the paper's test seeds 1-100 and the first 5000 train tasks its 30001-35000.

=========  ===============  ==========================================
split      seeds            use
=========  ===============  ==========================================
``test``   1 - 10000        held-out evaluation (the paper's 1-100)
``valid``  10001 - 20000    model selection
``train``  30001 - 40000    RL training (the paper's 30001-35000)
``sft``    40001 - 50000    demonstrations (the paper's 40001-40101)
=========  ===============  ==========================================
"""

from __future__ import annotations

SPLITS: dict[str, range] = {
    "test": range(1, 10_001),
    "valid": range(10_001, 20_001),
    "train": range(30_001, 40_001),
    "sft": range(40_001, 50_001),
}


def split_seeds(split: str) -> range:
    """The seeds of ``split``, in the order tasks take them."""
    try:
        return SPLITS[split]
    except KeyError:
        raise ValueError(f"unknown split {split!r}; choose from {sorted(SPLITS)}") from None


def split_of(seed: int) -> str | None:
    """The split a seed belongs to, or None."""
    return next((name for name, seeds in SPLITS.items() if seed in seeds), None)
