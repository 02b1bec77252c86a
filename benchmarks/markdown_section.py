"""Writes one benchmark's table into docs/benchmarks.md between its own markers
(``<!-- bench_NAME:start -->`` ... ``<!-- bench_NAME:end -->``), leaving the rest alone."""

from __future__ import annotations

from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    return f"<!-- bench_{name}:start -->", f"<!-- bench_{name}:end -->"


def write_section(path: Path, name: str, body: str) -> None:
    """Replace the ``name`` section of ``path`` with ``body`` (markers added), or append it."""
    start_marker, end_marker = markers(name)
    body = body.strip("\n")
    if body.startswith(start_marker):
        body = body[len(start_marker):]
    if body.endswith(end_marker):
        body = body[: -len(end_marker)]
    block = f"{start_marker}\n{body.strip(chr(10))}\n{end_marker}"
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = text.find(start_marker), text.find(end_marker)
    if start != -1 and end > start:
        text = text[:start] + block + text[end + len(end_marker):]
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
