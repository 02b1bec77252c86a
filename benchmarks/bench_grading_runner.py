"""The cost of the graders' runner (textagent_envs.swe.pytest_plugin) against plain pytest
on a practice repository's suite (no sandbox: the runner's own overhead).

    python benchmarks/bench_grading_runner.py [--repo calckit] [--rounds 5]
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from textagent_envs.swe.grading import plugin_command, plugin_run
from textagent_envs.swe.mini import PYTEST_ARGS, repo_path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", default="calckit")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    plain, runner = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(args.rounds):
            repo = Path(scratch) / f"repo{i}"
            shutil.copytree(repo_path(args.repo), repo)
            start = time.perf_counter()
            subprocess.run([sys.executable, *PYTEST_ARGS], cwd=repo, capture_output=True, check=False)
            plain.append(time.perf_counter() - start)
            run = plugin_run(Path(scratch) / f"run{i}", root=str(repo), hide_test_files=True)
            start = time.perf_counter()
            out = subprocess.run(plugin_command(sys.executable, str(run.folder), PYTEST_ARGS[2:]), cwd=repo,
                                 capture_output=True, text=True, check=False).stdout
            runner.append(time.perf_counter() - start)
            assert run.results(out)[0], "the runner gave no results"
    print(f"| {args.repo} | plain pytest {statistics.median(plain):.2f} s | graders' runner {statistics.median(runner):.2f} s |")


if __name__ == "__main__":
    main()
