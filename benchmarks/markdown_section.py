"""Writes one benchmark's table into docs/benchmarks.md between its own markers
(``<!-- bench_NAME:start -->`` ... ``<!-- bench_NAME:end -->``), leaving the rest alone."""

from __future__ import annotations

from pathlib import Path

from textagent_envs import docsections


def markers(name: str) -> tuple[str, str]:
    return f"<!-- bench_{name}:start -->", f"<!-- bench_{name}:end -->"


def write_section(path: Path, name: str, body: str) -> None:
    """Replace the ``name`` section of ``path`` with ``body`` (markers added), or append it."""
    docsections.write_section(path, *markers(name), body)
