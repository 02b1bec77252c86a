"""The docs' knob tables, rendered from the family registry so they cannot drift.

Each family's page holds its table between two markers (``<!-- knobs:NAME:start ... -->``
and ``<!-- knobs:NAME:end -->``); ``docs/tasks.md`` holds the levels of every family.
``python -m textagent_envs.knobdocs --write`` rewrites them all, ``--check`` lists the
stale ones (tests/test_registry.py runs the check).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

from .docsections import read_section, write_section
from .registry import FAMILIES, families, family

__all__ = ["doc_sections", "knob_table", "levels_table", "stale_docs", "write_docs"]


def knob_table(name: str) -> str:
    """The markdown table of a family's knobs: name, default, accepted values, meaning."""
    knobs = family(name).knobs_class
    if knobs is None:
        return f"`{name}` has no knobs: {family(name).no_generator}."
    rows = ["| knob | default | values | what it sets |", "|---|---|---|---|"]
    for spec in knobs.knob_specs():
        default = list(spec.default) if isinstance(spec.default, tuple) else spec.default
        values = spec.describe().replace("|", "\\|")
        rows.append(f"| `{spec.name}` | `{default!r}` | {values} | {spec.doc} |")
    levels = knobs.levels()
    if levels and "level" not in {s.name for s in knobs.knob_specs()}:
        with_level = f"; {', '.join(f'`{k}`' for k in knobs.level_knobs)} may go with it" if knobs.level_knobs else ""
        rows.append(f"| `level` | - | {levels.start}-{levels.stop - 1} | sets the knobs above instead (1 = easiest){with_level} |")
    return "\n".join(rows)


def levels_table() -> str:
    """One row per generated family: its levels, what grows with them, its engines."""
    rows = ["| family | levels | what grows | engines |", "|---|---|---|---|"]
    for item in families(generated=True):
        engines = ", ".join(f"`{e}`" for e in item.engines)
        levels = item.levels
        rows.append(f"| `{item.name}` | {levels.start}-{levels.stop - 1} | {item.growth} | `{item.engine_option}=` {engines} |")
    return "\n".join(rows)


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- knobs:{name}:start (python -m textagent_envs.knobdocs --write) -->", f"<!-- knobs:{name}:end -->"


def doc_sections(root: str | Path = ".") -> list[tuple[Path, str, str, str]]:
    """``(doc path, start marker, end marker, rendered table)`` for every generated table."""
    root = Path(root)
    out = [(root / item.doc, *_markers(item.name), knob_table(item.name)) for item in FAMILIES.values() if item.doc]
    out.append((root / "docs/tasks.md", *_markers("levels"), levels_table()))
    return out


def stale_docs(root: str | Path = ".") -> list[str]:
    """The docs whose generated table differs from the registry (empty when all agree)."""
    stale = []
    for path, start, end, table in doc_sections(root):
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if read_section(text, start, end) != table:
            stale.append(f"{path}: {start.split(' ')[1]}")
    return stale


def write_docs(root: str | Path = ".") -> list[Path]:
    """Rewrite every generated table in the docs; returns the files written."""
    written = []
    for path, start, end, table in doc_sections(root):
        write_section(path, start, end, table, heading="## Knobs")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m textagent_envs.knobdocs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the knob tables in docs/ from the registry")
    parser.add_argument("--check", action="store_true", help="exit 1 if a doc's table differs from the registry")
    parser.add_argument("--root", default=".", help="the checkout whose docs/ to read or write")
    args = parser.parse_args(argv)
    if args.write:
        for path in write_docs(args.root):
            print(f"wrote {path}")
        return 0
    if args.check:
        stale = stale_docs(args.root)
        print("\n".join(stale) or "the docs' knob tables match the registry")
        return 1 if stale else 0
    print(levels_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
