"""Generated blocks inside hand-written markdown: a block lives between a start and an end
marker (HTML comments), and only that block is replaced when it is written again.

Used by the registry's knob tables (``python -m textagent_envs.registry --write-docs``),
the benchmark scripts (``benchmarks/markdown_section.py``) and ``baselines.report``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["read_section", "replace_section", "write_section"]


def replace_section(text: str, start: str, end: str, body: str, *, heading: str = "") -> str:
    """``text`` with the block between ``start`` and ``end`` replaced by ``body`` (markers
    kept), or the block appended (after ``heading``, when given) if the markers are absent."""
    body = body.strip("\n")
    if body.startswith(start):
        body = body[len(start):]
    if body.endswith(end):
        body = body[: -len(end)]
    block = f"{start}\n{body.strip(chr(10))}\n{end}"
    first = text.find(start)
    last = text.find(end, first + len(start)) if first != -1 else -1
    if first != -1 and last != -1:
        return text[:first] + block + text[last + len(end):]
    lead = text.rstrip("\n") + "\n\n" if text.strip() else ""
    return lead + (f"{heading}\n\n" if heading else "") + block + "\n"


def read_section(text: str, start: str, end: str) -> str | None:
    """The body between ``start`` and ``end`` (stripped of blank edge lines), or None."""
    first = text.find(start)
    last = text.find(end, first + len(start)) if first != -1 else -1
    if first == -1 or last == -1:
        return None
    return text[first + len(start):last].strip("\n")


def write_section(path: str | os.PathLike, start: str, end: str, body: str, *, heading: str = "") -> None:
    """:func:`replace_section` on the file at ``path`` (created if missing)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(replace_section(text, start, end, body, heading=heading), encoding="utf-8")
