"""Seeded bug injection for SWE-Mini tasks: find the places in a Python source where a
small, realistic bug can go, and write it there.

Each :class:`Mutation` replaces one source segment (found with :mod:`ast`) by a changed
copy, so the rest of the file keeps its formatting and the gold fix is a one-place diff.

Kinds (:data:`MUTATION_KINDS`):

- ``operator_swap``: an arithmetic operator (``+`` and ``-``, ``*`` and ``//``, ...);
- ``comparison_swap``: a comparison (``<`` and ``<=``, ``==`` and ``!=``, ...);
- ``off_by_one``: an integer literal one higher or lower;
- ``boolean_swap``: ``and`` and ``or``;
- ``dropped_branch``: an ``if`` without ``else`` removed (its body never runs).
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

MUTATION_KINDS = ("operator_swap", "comparison_swap", "off_by_one", "boolean_swap", "dropped_branch")

_ARITH_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult,
                ast.Div: ast.Mult, ast.Mod: ast.FloorDiv}
_COMPARE_SWAPS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
                  ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}


@dataclass(frozen=True)
class Mutation:
    """Replace ``original`` at ``file`` lines ``lineno``-``end_lineno`` (1-based, columns in
    characters) by ``replacement``."""

    kind: str
    file: str
    lineno: int
    col: int
    end_lineno: int
    end_col: int
    original: str
    replacement: str

    def describe(self) -> str:
        return f"{self.kind} at {self.file}:{self.lineno}: {self.original!r} -> {self.replacement!r}"


def _char_col(line: str, byte_col: int) -> int:
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def find_mutations(source: str, file: str) -> list[Mutation]:
    """Every mutation this module can make in ``source``, in source order."""
    tree = ast.parse(source)
    lines = source.split("\n")
    found: list[Mutation] = []

    def add(kind: str, node: ast.AST, replacement: str) -> None:
        col = _char_col(lines[node.lineno - 1], node.col_offset)
        end_col = _char_col(lines[node.end_lineno - 1], node.end_col_offset)
        original = ast.get_source_segment(source, node)
        if original is not None and original != replacement:
            found.append(Mutation(kind, file, node.lineno, col, node.end_lineno, end_col, original, replacement))

    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH_SWAPS:
            changed = copy.deepcopy(node)
            changed.op = _ARITH_SWAPS[type(node.op)]()
            add("operator_swap", node, ast.unparse(changed))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE_SWAPS:
            changed = copy.deepcopy(node)
            changed.ops = [_COMPARE_SWAPS[type(node.ops[0])]()]
            add("comparison_swap", node, ast.unparse(changed))
        elif isinstance(node, ast.BoolOp):
            changed = copy.deepcopy(node)
            changed.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            add("boolean_swap", node, ast.unparse(changed))
        elif isinstance(node, ast.Constant) and type(node.value) is int and 0 <= node.value <= 100:
            add("off_by_one", node, str(node.value + 1 if node.value in (0, 1) else node.value - 1))
        elif isinstance(node, ast.If) and not node.orelse and node.lineno != node.end_lineno:
            add("dropped_branch", node, "pass")
    found.sort(key=lambda m: (m.lineno, m.col, m.kind))
    return found


def apply_mutation(source: str, mutation: Mutation) -> str:
    """``source`` with ``mutation`` written in; raises ``ValueError`` if the segment moved."""
    lines = source.split("\n")
    start = sum(len(line) + 1 for line in lines[: mutation.lineno - 1]) + mutation.col
    end = sum(len(line) + 1 for line in lines[: mutation.end_lineno - 1]) + mutation.end_col
    if source[start:end] != mutation.original:
        raise ValueError(f"{mutation.describe()} no longer matches the source")
    return source[:start] + mutation.replacement + source[end:]
