"""DDP through accelerate with two CPU processes: training runs, gradients are averaged
(the trainer checks the two processes' weights are equal at the end).

``accelerate launch --cpu`` starts a single process; ``--multi_gpu`` starts the processes
with torchrun, and ``Accelerator(cpu=True)`` in each makes it CPU DDP over gloo."""

import os
import subprocess
import sys
from pathlib import Path

import torch

from .conftest import ENV_ID, MAX_TURNS


def test_two_cpu_processes_train_in_sync(tmp_path):
    out = tmp_path / "ddp"
    accelerate = Path(sys.executable).with_name("accelerate")
    command = [str(accelerate), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
               "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "baselines.train",
               "--algo", "grpo", "--group-size", "2", "--env", ENV_ID, "--knob", "level=2", "--max-turns", str(MAX_TURNS),
               "--tasks-per-iter", "2", "--num-envs", "2", "--train-tasks", "2", "--eval-tasks", "1", "--epochs", "1",
               "--iterations", "1", "--no-progress", "--out", str(out)]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    state = torch.load(out / "checkpoint.pt", weights_only=False)
    assert state["processes"] == 2 and state["iteration"] == 1
    iterations = [line.split(",")[0] for line in (out / "metrics.csv").read_text().strip().splitlines()[1:]]
    assert iterations == ["0", "1"]  # the held-out start and one iteration, written once (main process)
