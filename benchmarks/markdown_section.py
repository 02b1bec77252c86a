"""Writes one benchmark's table into docs/benchmarks.md between its own markers
(``<!-- bench_NAME:start -->`` ... ``<!-- bench_NAME:end -->``), leaving the rest alone."""

from __future__ import annotations

import sys
from pathlib import Path

from textagent_envs import docsections


def markers(name: str) -> tuple[str, str]:
    return f"<!-- bench_{name}:start -->", f"<!-- bench_{name}:end -->"


def write_section(path: Path, name: str, body: str) -> None:
    """Replace the ``name`` section of ``path`` with ``body`` (markers added), or append it."""
    docsections.write_section(path, *markers(name), body)


def command_line(script: str, argv=None) -> str:
    """The command that produced a table, as the table names it: ``python benchmarks/SCRIPT``
    and the arguments given (``argv``, else the process's own)."""
    return " ".join(["python", f"benchmarks/{script}", *(argv if argv is not None else sys.argv[1:])])
