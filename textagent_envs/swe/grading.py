"""Grading an SWE episode: which of the agent's changes count, the test report, and the
three rewards.

Only changes to the code under test count. :func:`is_protected` names the files an
agent may not change to sway the grade: test files and folders, ``conftest.py``, pytest
and packaging configuration, and files Python runs at start-up (``sitecustomize.py``,
``usercustomize.py``, ``*.pth``). Graders start from a pristine copy of the task's
repository and carry over only the unprotected changes, then run the tests in a fresh
sandbox; the changes left out are reported in ``info["ignored_changes"]``.
"""

from __future__ import annotations

import filecmp
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Mapping, Sequence

#: The rewards an SWE env can give at the end of an episode.
REWARD_TYPES = ("test_pass_ratio", "resolved", "f2p_ratio")

_PROTECTED_NAMES = {
    "conftest.py", "pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml", "setup.py",
    "sitecustomize.py", "usercustomize.py", ".coveragerc", "noxfile.py", "pytest.py",
}
_PROTECTED_DIRS = {"tests", "test", "testing", ".git", ".github"}
# Top-level names that would shadow the test runner itself when the repository root is on sys.path.
_SHADOWING_ROOTS = {"pytest", "_pytest", "pytest.py", "_pytest.py", "pluggy", "pluggy.py", "py", "py.py", "unittest", "unittest.py"}
_TEST_FILE = re.compile(r"^(test_.*|.*_test)\.py$")
_RESULT = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS|SKIPPED) (\S+)")


def is_protected(path: str) -> bool:
    """Whether a change to ``path`` (relative to the repository root) is ignored by grading."""
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    return (
        name in _PROTECTED_NAMES
        or name.endswith(".pth")
        or bool(_TEST_FILE.match(name))
        or any(part in _PROTECTED_DIRS for part in parts[:-1])
        or bool(parts) and parts[0] in _SHADOWING_ROOTS
    )


def _files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix() for p in root.rglob("*")
        if (p.is_file() or p.is_symlink()) and "__pycache__" not in p.parts and ".git" not in p.relative_to(root).parts
    }


def changed_files(pristine: Path, workspace: Path) -> list[str]:
    """Files added, removed or changed in ``workspace`` relative to ``pristine``."""
    before, after = _files(pristine), _files(workspace)
    changed = before ^ after
    for rel in before & after:
        a, b = pristine / rel, workspace / rel
        if a.is_symlink() or b.is_symlink() or not filecmp.cmp(a, b, shallow=False):
            changed.add(rel)
    return sorted(changed)


def prepare_grading_copy(
    pristine: Path, workspace: Path, dest: Path, *, source_roots: Sequence[str] | None = None,
) -> tuple[list[str], list[str]]:
    """Write to ``dest`` the pristine repository with the agent's unprotected changes
    (symbolic links are never carried over). With ``source_roots`` (top-level folders of
    the code under test), changes elsewhere are ignored too: a new top-level module or
    package could shadow pytest itself. Returns (applied, ignored) paths."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(pristine, dest, symlinks=True)
    applied, ignored = [], []
    for rel in changed_files(pristine, workspace):
        source = workspace / rel
        outside = source_roots is not None and PurePosixPath(rel).parts[0] not in source_roots
        if outside or is_protected(rel) or source.is_symlink():
            ignored.append(rel)
            continue
        target = dest / rel
        if target.is_symlink() or target.exists():
            target.unlink()
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        applied.append(rel)
    return applied, ignored


def parse_pytest_log(log: str) -> dict[str, str]:
    """Each test's status from a ``pytest -rA`` log (``PASSED``, ``FAILED``, ``ERROR``, ...)."""
    outcomes = {}
    for line in log.splitlines():
        match = _RESULT.match(line)
        if match:
            outcomes[match.group(2)] = match.group(1)
    return outcomes


@dataclass(frozen=True)
class TestReport:
    """The outcome of the graded tests. A test counts as passing only when the log says
    ``PASSED`` (or ``XFAIL``); a test missing from the log failed."""

    __test__ = False  # not a pytest class

    fail_to_pass: Sequence[str]
    pass_to_pass: Sequence[str]
    statuses: Mapping[str, str] = field(default_factory=dict)

    def passed(self, test: str) -> bool:
        return self.statuses.get(test) in ("PASSED", "XFAIL")

    @property
    def passing(self) -> int:
        return sum(self.passed(t) for t in (*self.fail_to_pass, *self.pass_to_pass))

    @property
    def total(self) -> int:
        return len(self.fail_to_pass) + len(self.pass_to_pass)

    @property
    def resolved(self) -> bool:
        return self.total > 0 and self.passing == self.total

    @property
    def test_pass_ratio(self) -> float:
        return self.passing / self.total if self.total else 0.0

    @property
    def f2p_ratio(self) -> float:
        if not self.fail_to_pass:
            return float(self.resolved)
        return sum(self.passed(t) for t in self.fail_to_pass) / len(self.fail_to_pass)

    def reward(self, reward_type: str) -> float:
        if reward_type == "resolved":
            return float(self.resolved)
        if reward_type == "test_pass_ratio":
            return self.test_pass_ratio
        if reward_type == "f2p_ratio":
            return self.f2p_ratio
        raise ValueError(f"reward_type must be one of {REWARD_TYPES}, got {reward_type!r}")

    def summary(self) -> dict:
        return {
            "resolved": self.resolved, "test_pass_ratio": self.test_pass_ratio, "f2p_ratio": self.f2p_ratio,
            "passing": self.passing, "total": self.total,
            "failing": sorted(t for t in (*self.fail_to_pass, *self.pass_to_pass) if not self.passed(t)),
        }


def check_reward_type(reward_type: str) -> str:
    if reward_type not in REWARD_TYPES:
        raise ValueError(f"reward_type must be one of {REWARD_TYPES}, got {reward_type!r}")
    return reward_type



_DIFF_HEADER = re.compile(r"^diff --git a/(.*) b/(.*)$")


def split_patch(patch: str) -> list[tuple[str, str]]:
    """A ``git diff`` split into (path, that file's part of the patch)."""
    parts: list[tuple[str, list[str]]] = []
    for line in patch.splitlines(keepends=True):
        match = _DIFF_HEADER.match(line.rstrip("\n"))
        if match:
            parts.append((match.group(2), [line]))
        elif parts:
            parts[-1][1].append(line)
    return [(path, "".join(lines)) for path, lines in parts]


def filter_patch(patch: str, also_protected: set[str] = frozenset()) -> tuple[str, list[str]]:
    """The part of ``patch`` grading applies, and the paths it leaves out (protected
    files, see :func:`is_protected`, and ``also_protected``: e.g. the files the
    instance's test patch writes)."""
    kept, ignored = [], []
    for path, part in split_patch(patch):
        if is_protected(path) or path in also_protected:
            ignored.append(path)
        else:
            kept.append(part)
    return "".join(kept), ignored


def log_parser(instance: Mapping) -> Callable[[str], dict[str, str]]:
    """The swebench log parser for an instance: its ``log_parser`` (a name in
    ``swebench``'s ``PARSER_REGISTRY``), else swebench's parser for its repository,
    else ``parse_log_pytest``."""
    from swebench.harness.log_parsers import PARSER_REGISTRY

    name = instance.get("log_parser")
    if name is not None:
        if name not in PARSER_REGISTRY:
            raise ValueError(f"log_parser {name!r} is not one of swebench's parsers: {sorted(PARSER_REGISTRY)}")
        parser = PARSER_REGISTRY[name]
    else:
        try:
            from swebench.harness.log_parsers.python import MAP_REPO_TO_PARSER_PY as by_repo
        except ImportError:
            by_repo = {}
        parser = by_repo.get(instance.get("repo"), PARSER_REGISTRY["parse_log_pytest"])
    return lambda log: {test: str(getattr(status, "value", status)) for test, status in parser(log, None).items()}
