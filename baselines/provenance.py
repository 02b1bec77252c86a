"""Where a study result comes from: the code that ran it and the SFT model it started from.

Two results can only be compared game by game as "RL after SFT" against "SFT alone" when both
started from the same SFT model; and a page of results made over days may mix code versions
whose float rounding differs (the same recipe then gives another model). :func:`code_version`
names the code a unit ran with, :func:`sft_digest` names the SFT model a run started from
(from its checkpoint, so it can be read again from any finished run).
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path
from typing import Any, Mapping

#: The repository holding this package (a git checkout when installed from a clone).
ROOT = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The git commit of the checkout this package runs from (12 hex digits), with
    ``+changes`` when tracked files differ from it; the package's version when it does not
    run from a git checkout."""
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        changed = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                                 capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"textagent-envs {version('textagent-envs')}"
        except PackageNotFoundError:
            return "unknown"
    return commit + ("+changes" if changed else "")


def weights_digest(state: Mapping[str, Any]) -> str:
    """A short hash of a state dict's names and exact tensor bytes (equal only for equal weights)."""
    h = hashlib.sha256()
    for name in sorted(state):
        h.update(name.encode())
        h.update(state[name].detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def sft_digest(checkpoint: Mapping[str, Any]) -> str | None:
    """The digest of the SFT model a run started from, read from its checkpoint (a
    :meth:`baselines.trainer.Trainer.save_checkpoint` dict): the KL reference, which is that
    model; or, for a run with no RL step yet, its model's language model. None when the
    checkpoint holds neither (no SFT, or RL without a full reference)."""
    if not checkpoint.get("sft_done"):
        return None
    if "reference" in checkpoint:
        return weights_digest(checkpoint["reference"])
    if checkpoint.get("iteration") == 0:
        return weights_digest({k[len("lm."):]: v for k, v in checkpoint["model"].items() if k.startswith("lm.")})
    return None


def sft_digest_of_run(run: Path) -> str | None:
    """:func:`sft_digest` of the checkpoint in run directory ``run`` (None without one)."""
    import torch

    from .trainer import CHECKPOINT

    path = Path(run) / CHECKPOINT
    if not path.exists():
        return None
    return sft_digest(torch.load(path, map_location="cpu", weights_only=False))
