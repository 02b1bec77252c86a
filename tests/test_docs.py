"""Every Python code block in README.md and docs/ runs on its own.

Each ```python block is written to a file and run in a fresh interpreter, with nothing from
the blocks before it on the same page: a reader who copies one block gets working code.
A block that needs something the machine may lack says so in an HTML comment on the line
before it, ``<!-- doc-test: needs docker -->`` (or ``needs bwrap``, ``needs alfworld-data``), and is skipped with
that reason when it is missing. A block that is an illustration rather than a program is
written as ```text, not ```python.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"(?:<!-- doc-test: (?P<needs>[^>]*?) -->\n)?```python\n(?P<code>.*?)```", re.S)


def _blocks():
    for page in PAGES:
        text = page.read_text()
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start("code")) + 1
            yield pytest.param(page, match.group("code"), match.group("needs") or "",
                               id=f"{page.relative_to(ROOT)}:{line}")


def _missing(needs: str) -> str | None:
    for need in needs.replace("needs", " ").replace(",", " ").split():
        if need == "docker":
            from textagent_envs.swe.docker import docker_unavailable_reason

            reason = docker_unavailable_reason()
            if reason:
                return reason
        elif need == "bwrap":
            if shutil.which("bwrap") is None:
                return "needs bubblewrap (apt-get install bubblewrap)"
        elif need == "alfworld-data":
            if not (Path.home() / ".cache/alfworld/json_2.1.1").is_dir():
                return "needs ALFWorld's real data in ~/.cache/alfworld/json_2.1.1 (a download, unreachable here)"
        else:
            raise AssertionError(f"unknown doc-test requirement {need!r}")
    return None


def test_the_pages_have_blocks_to_run():
    assert sum(1 for _ in _blocks()) >= 20


@pytest.mark.parametrize("page, code, needs", list(_blocks()))
def test_code_block_runs_alone(page, code, needs, tmp_path):
    reason = _missing(needs)
    if reason:
        pytest.skip(f"{page.name}: {reason}")
    (tmp_path / "tasks").symlink_to(ROOT / "tasks")  # blocks read committed task sets as from the root
    (tmp_path / "runs").mkdir()
    script = tmp_path / "block.py"
    script.write_text(code)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, f"{page.name} block failed:\n{code}\n--- stderr ---\n{result.stderr[-3000:]}"
