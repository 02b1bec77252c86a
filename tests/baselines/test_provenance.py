"""``baselines.provenance``: the code a result ran with and the SFT model a run started from."""

import re
import subprocess

import torch

from baselines import provenance


def test_the_code_version_is_the_checkout_commit():
    version = provenance.code_version()
    if (provenance.ROOT / ".git").exists():
        head = subprocess.run(["git", "-C", str(provenance.ROOT), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        assert re.fullmatch(r"[0-9a-f]{12}(\+changes)?", version) and version.startswith(head)
    else:
        print("not a git checkout: the package version names the code")
        assert version.startswith("textagent-envs ") or version == "unknown"


def _weights(seed=0):
    g = torch.Generator().manual_seed(seed)
    return {"model.embed.weight": torch.randn(4, 3, generator=g), "model.out.bias": torch.randn(3, generator=g)}


def test_the_weights_digest_sees_every_bit_and_not_the_order():
    a = _weights()
    assert provenance.weights_digest(a) == provenance.weights_digest(dict(reversed(list(a.items()))))
    b = {k: v.clone() for k, v in a.items()}
    b["model.out.bias"][1] = torch.nextafter(b["model.out.bias"][1], torch.tensor(10.0))  # one ulp
    assert provenance.weights_digest(a) != provenance.weights_digest(b)
    assert provenance.weights_digest(a) != provenance.weights_digest({"other": a["model.embed.weight"],
                                                                      "model.out.bias": a["model.out.bias"]})


def test_the_sft_digest_reads_the_reference_or_an_sft_only_model():
    sft = _weights()
    model = {**{f"lm.{k}": v for k, v in sft.items()}, "value_head.weight": torch.ones(1, 3)}
    digest = provenance.weights_digest(sft)
    # a run after RL: the KL reference is the SFT model (the model itself has moved)
    after_rl = {"sft_done": True, "iteration": 30, "model": {k: v + 1 for k, v in model.items()}, "reference": sft}
    assert provenance.sft_digest(after_rl) == digest
    # SFT alone: the model's language model (its value head is no part of the SFT model)
    assert provenance.sft_digest({"sft_done": True, "iteration": 0, "model": model}) == digest
    assert provenance.sft_digest({"sft_done": False, "iteration": 0, "model": model}) is None  # no SFT
    assert provenance.sft_digest({"sft_done": True, "iteration": 3, "model": model}) is None  # RL, no reference kept


def test_the_sft_digest_of_a_run_without_a_checkpoint_is_none(tmp_path):
    assert provenance.sft_digest_of_run(tmp_path) is None
