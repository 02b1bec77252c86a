"""A tool-call fuzzer for the SWE envs: plays random, often hostile, tool calls and
reports every exception raised out of ``reset``/``step``/``close``, every step that ran
past its time limit, and anything left behind (workspaces, cgroups, containers).

One line from Python::

    from textagent_envs.swe.fuzz import fuzz
    report = fuzz(calls=500, seed=0)          # SWE-Mini-v0 in bubblewrap
    assert not report.exceptions, report.exceptions

The long run (documented in ``docs/swe.md``)::

    python -m textagent_envs.swe.fuzz --calls 5000 [--sandbox docker] [--seed 1]

Calls are drawn with a seeded ``random.Random``: a mix of the six tools with hostile
arguments (lone surrogates, NULs, commands of 48-200 KB, names over 255 characters, paths
leading out or 1,400 folders deep, huge and negative line numbers, output floods, sleeps
past the time limit, background processes, files filling the workspace) and malformed
actions. ``submit`` and running out of turns end an episode; the next one starts at once.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

_WEIRD = ["\ud800", "\udfff", "\x00", "é", "\u202e", "'", '"', "$(id)", "`id`", "\n", "\\", "../", "*", "%s", "{}"]


def _text(rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        return "".join(rng.choice(_WEIRD) for _ in range(rng.randint(1, 8)))
    if kind == 1:
        return "x" * rng.choice([255, 256, 300, 4096, 48 << 10, 130 << 10, 200_000])
    if kind == 2:
        return "/".join(["d"] * rng.choice([2, 64, 1400]))
    return rng.choice(["", "calckit/__init__.py", "tests", ".", "..", "/etc/passwd", "calckit/../..", "new.py",
                       "calckit", "deep", "big.txt", "link", "a" * 300 + ".py"])


_COMMANDS = [
    "ls -la", "cat /proc/self/status | head -3", "python -c 'print(1)'", "true", "exit 3", "echo $((1/0))",
    "yes | head -c 50000000", "cat /dev/zero | head -c 200000000 | tr '\\0' x", "sleep {slow}",
    "sleep {slow} & echo bg", "nohup sleep 1000 >/dev/null 2>&1 &", "exec >&-; sleep {slow}",
    "python -c \"import os\nfor i in range(1400): os.mkdir('d'); os.chdir('d')\"", "rm -rf d",
    "head -c 60000000 /dev/zero > big.txt", "rm -f big.txt", "ln -sf / link", "ln -sf /etc/passwd link",
    "mkdir -p many && cd many && seq 1 30000 | xargs touch", "rm -rf many",
    "python -c 'x = bytearray(1 << 31)'", ":(){ :|:& };:", "kill -9 -1", "kill -9 0",
    "python -c \"import os\nfor fd in range(3, 64):\n  try: os.write(fd, b'{\\\"pid\\\": 0}\\\\n')\n  except OSError: pass\"",
    "printf '\\xff\\xfe invalid utf-8'", "python -c 'print(chr(10) * (16 << 20), end=\"\")' > nl.txt",
]


def random_call(rng: random.Random, slow: float) -> str:
    """One action string: mostly well-formed tool calls with hostile arguments."""
    roll = rng.random()
    if roll < 0.05:
        return rng.choice(["", "{", "[]", '{"name": "nope"}', '{"name": "bash", "arguments": "{oops"}', "\ud800",
                           json.dumps({"name": "view", "arguments": {"path": 3}})])
    name = rng.choice(["bash"] * 4 + ["view"] * 2 + ["create", "str_replace", "insert"] + ["submit"] * (roll < 0.1))
    if name == "bash":
        command = rng.choice(_COMMANDS).replace("{slow}", str(slow)) if rng.random() < 0.8 else _text(rng)
        arguments: dict[str, Any] = {"command": command}
    elif name == "view":
        arguments = {"path": _text(rng)}
        if rng.random() < 0.3:
            arguments["view_range"] = [rng.choice([-5, 0, 1, 2, 10**9]), rng.choice([-1, 1, 3, 10**12])]
    elif name == "create":
        arguments = {"path": _text(rng), "file_text": _text(rng)}
    elif name == "str_replace":
        arguments = {"path": _text(rng), "old_str": _text(rng), "new_str": _text(rng)}
    elif name == "insert":
        arguments = {"path": _text(rng), "insert_line": rng.choice([-1, 0, 1, 10**9]), "insert_text": _text(rng)}
    else:
        arguments = {}
    return json.dumps({"name": name, "arguments": arguments})


@dataclass
class FuzzReport:
    """What a fuzz run found. ``exceptions``: (call index, action, traceback) of each
    exception raised out of the env; ``overruns``: (call index, action, seconds) of steps
    slower than the allowed time; ``leftovers``: what was still there after ``close``."""

    calls: int = 0
    episodes: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    exceptions: list[tuple[int, str, str]] = field(default_factory=list)
    overruns: list[tuple[int, str, float]] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.exceptions or self.overruns or self.leftovers)

    def summary(self) -> str:
        lines = [f"{self.calls} calls, {self.episodes} episodes in {self.seconds:.0f} s (slowest step "
                 f"{self.slowest:.1f} s): {len(self.exceptions)} exceptions, {len(self.overruns)} overruns, "
                 f"{len(self.leftovers)} leftovers"]
        lines += [f"exception at call {i}: {a[:200]!r}\n{t}" for i, a, t in self.exceptions[:5]]
        lines += [f"overrun at call {i}: {s:.1f} s for {a[:200]!r}" for i, a, s in self.overruns[:5]]
        lines += [f"left behind: {x}" for x in self.leftovers]
        return "\n".join(lines)


def fuzz(calls: int = 500, *, seed: int = 0, sandbox: str = "bwrap", seconds: float | None = None,
         timeout: float = 2.0, make: Callable[..., Any] | None = None) -> FuzzReport:
    """Play up to ``calls`` random tool calls (or until ``seconds`` pass) on SWE-Mini-v0
    with a ``timeout``-second command limit, then close the env and look for leftovers.
    ``make``: builds the env instead (gets ``limits`` and ``sandbox``)."""
    import gymnasium as gym

    import textagent_envs  # noqa: F401  (registers the ids)

    from .cleanup import leftovers, owner_tag
    from .sandbox import Limits

    limits = Limits(timeout=timeout, memory_mb=512, pids=64, output_bytes=64 << 10, workspace_mb=512)
    grading = 30.0
    allowed = timeout + grading + 30.0  # a command, or a grading run, plus the host's own bounded work
    rng = random.Random(seed)
    report = FuzzReport()
    start = time.monotonic()
    before = set(leftovers(alive_only=False, owner=owner_tag()))  # this process's only: others may run envs
    build = make or (lambda **kw: gym.make("SWE-Mini-v0", grading_timeout=grading, max_turns=25, **kw))
    env = build(limits=limits, sandbox=sandbox)
    over = True
    try:
        while report.calls < calls and (seconds is None or time.monotonic() - start < seconds):
            action = "reset" if over else random_call(rng, slow=timeout * 2)
            began = time.monotonic()
            try:
                if over:
                    env.reset(seed=rng.choice([3, 5, 8]))
                    report.episodes += 1
                    over = False
                else:
                    report.calls += 1
                    _, _, terminated, truncated, _ = env.step(action)
                    over = terminated or truncated
            except Exception:
                report.exceptions.append((report.calls, action, traceback.format_exc()[-3000:]))
                over = True
            took = time.monotonic() - began
            report.slowest = max(report.slowest, took)
            if took > allowed:
                report.overruns.append((report.calls, action, took))
    finally:
        try:
            env.close()
        except Exception:
            report.exceptions.append((report.calls, "close", traceback.format_exc()[-3000:]))
    report.leftovers = sorted(set(leftovers(alive_only=False, owner=owner_tag())) - before)
    report.seconds = time.monotonic() - start
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m textagent_envs.swe.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sandbox", choices=["bwrap", "docker"], default="bwrap")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long")
    parser.add_argument("--timeout", type=float, default=2.0, help="each command's time limit")
    args = parser.parse_args(argv)
    report = fuzz(args.calls, seed=args.seed, sandbox=args.sandbox, seconds=args.seconds, timeout=args.timeout)
    print(report.summary())
    return 0 if report.clean else 1


if __name__ == "__main__":
    sys.exit(main())
