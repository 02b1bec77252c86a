"""``python -m baselines.mutation_check``: break the trainer in each way that would make it
learn backwards and show that the tests catch every one.

    python -m baselines.mutation_check            # all mutations (about 3-5 CPU minutes)
    python -m baselines.mutation_check --only critic-shift kl-reversed

Each mutation is a one-line edit of the ``baselines`` sources, applied to a copy of the
package and the tests in a temporary folder (the working tree is never touched); the tests
named for it run against the copy (``pytest -x``) and must fail. A mutation whose tests
pass is reported as MISSED and the command exits with 1. Run from the repository root.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence


@dataclass(frozen=True)
class Mutation:
    name: str
    what: str
    #: File under baselines/, the exact text to replace, and its replacement.
    path: str
    old: str
    new: str
    #: Tests to run (paths under tests/baselines/, pytest node ids), fastest first.
    tests: tuple[str, ...]


MUTATIONS = (
    Mutation("ppo-sign", "PPO loss sign flipped", "losses.py",
             "loss = masked_mean(-torch.minimum(unclipped, clipped), mask)",
             "loss = masked_mean(torch.minimum(unclipped, clipped), mask)",
             ("test_losses.py", "test_learning.py")),
    Mutation("clip-max", "max instead of min in the PPO clip", "losses.py",
             "loss = masked_mean(-torch.minimum(unclipped, clipped), mask)",
             "loss = masked_mean(-torch.maximum(unclipped, clipped), mask)",
             ("test_losses.py",)),
    Mutation("zero-advantages", "advantages zeroed", "trainer.py",
             "        if cfg.normalize_advantages:\n",
             "        advantages = advantages * 0.0\n        if cfg.normalize_advantages:\n",
             ("test_learning.py",)),
    Mutation("kl-reversed", "KL direction reversed (k3 of KL(reference || policy))", "losses.py",
             "q = ref_logp - logp", "q = logp - ref_logp",
             ("test_losses.py", "test_trainer.py::test_choice_mode_trains_and_regularises_the_choice_probability")),
    Mutation("reward-first-token", "a turn's reward on the first token of its reply", "rollout.py",
             "self.rewards[-1] = float(reward)", "self.rewards[self.reply_start[-1]] = float(reward)",
             ("test_rollout.py::test_each_turn_reward_sits_on_the_last_token_of_its_reply", "test_learning.py")),
    Mutation("critic-shift", "critic values shifted by one position (V read after the token)", "policy.py",
             "return torch.cat([torch.zeros_like(raw[:, :1]), raw[:, :-1]], dim=1)", "return raw",
             ("test_policy.py::test_the_value_of_a_token_is_read_before_the_token",)),
)


def _copy_tree(root: Path, dest: Path) -> None:
    shutil.copytree(root / "baselines", dest / "baselines", ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "tests").mkdir()
    for name in ("__init__.py", "conftest.py"):  # the session fixtures (a game cache of the tests' own)
        if (root / "tests" / name).exists():
            shutil.copy(root / "tests" / name, dest / "tests" / name)
    shutil.copytree(root / "tests" / "baselines", dest / "tests" / "baselines", ignore=shutil.ignore_patterns("__pycache__"))


def run_mutation(root: Path, mutation: Mutation | None, timeout: float = 900) -> tuple[bool, float, str]:
    """Apply ``mutation`` (None: no change) to a copy and run its tests; returns (tests
    failed, seconds, the tail of pytest's output)."""
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        dest = Path(tmp)
        _copy_tree(root, dest)
        tests = MUTATIONS[0].tests if mutation is None else mutation.tests
        if mutation is not None:
            path = dest / "baselines" / mutation.path
            text = path.read_text()
            if text.count(mutation.old) != 1:
                raise RuntimeError(f"mutation {mutation.name}: {mutation.path} no longer contains its line exactly once; "
                                   "update baselines/mutation_check.py")
            path.write_text(text.replace(mutation.old, mutation.new))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(dest), str(root)]), OMP_NUM_THREADS="1",
                   PYTHONDONTWRITEBYTECODE="1")
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:warnings",
                   *[f"tests/baselines/{t}" for t in tests]]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=dest, env=env, capture_output=True, text=True, timeout=timeout)
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-3:])
        if done.returncode not in (0, 1):
            raise RuntimeError(f"pytest could not run for {mutation.name if mutation else 'the clean copy'} "
                               f"(exit {done.returncode}):\n{tail}")
        return done.returncode == 1, time.perf_counter() - start, tail


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m baselines.mutation_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=[m.name for m in MUTATIONS], help="run only these mutations")
    parser.add_argument("--root", default=".", help="the repository root (with baselines/ and tests/baselines/)")
    parser.add_argument("--skip-clean", action="store_true", help="do not first check that the unmutated copy passes")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    if not (root / "baselines").is_dir() or not (root / "tests" / "baselines").is_dir():
        parser.error(f"{root} has no baselines/ and tests/baselines/; run from the repository root or pass --root")
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    if not args.skip_clean:
        failed, seconds, tail = run_mutation(root, None)
        if failed:
            print(f"the unmutated tests fail; fix them first:\n{tail}", file=sys.stderr)
            return 2
        print(f"clean copy: tests pass ({seconds:.0f} s)", flush=True)
    missed = []
    print(f"{'mutation':<20} {'result':<7} {'time':>6}  what / tests", flush=True)
    for mutation in chosen:
        caught, seconds, tail = run_mutation(root, mutation)
        print(f"{mutation.name:<20} {'caught' if caught else 'MISSED':<7} {seconds:5.0f}s  {mutation.what}; "
              f"{', '.join(mutation.tests)}", flush=True)
        if not caught:
            missed.append(mutation.name)
    print(f"{len(chosen) - len(missed)} of {len(chosen)} mutations caught" + (f"; missed: {', '.join(missed)}" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
