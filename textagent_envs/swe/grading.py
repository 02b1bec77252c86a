"""Grading an SWE episode: which of the agent's changes count, how the tests run, the
test report, and the three rewards.

Only changes to the code under test count. :func:`is_protected` names the files an
agent may not change to sway the grade: test files and folders, ``conftest.py``, pytest
and packaging configuration, and files Python runs at start-up (``sitecustomize.py``,
``usercustomize.py``, ``*.pth``). Graders start from a pristine copy of the task's
repository and carry over only the unprotected changes, then run the tests in a fresh
sandbox; the changes left out are reported in ``info["ignored_changes"]`` (caches such as
``__pycache__`` and ``.pytest_cache`` are dropped silently).

The tests run under :mod:`textagent_envs.swe.pytest_plugin` (:func:`plugin_run`,
:func:`plugin_command`): each test's outcome comes back on a channel the code under test
cannot forge (a line authenticated with a per-grading secret, on a descriptor the test
run's own output never reaches), with what the run found tampered with. Only ``passed``
counts; skips, xfails, xpasses, errors and missing tests count as failing, and any
tampering grades the episode 0 (:class:`TestReport`).
"""

from __future__ import annotations

import filecmp
import hashlib
import hmac
import json
import re
import secrets
import shlex
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
_CACHE_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"}
#: The test runner shipped with the package (copied into the sandbox for each grading).
PLUGIN_PATH = Path(__file__).with_name("pytest_plugin.py")
_PLUGIN_MARKER = "TEXTAGENT-GRADING"
_OUTCOME_NAMES = {"passed": "PASSED", "failed": "FAILED", "error": "ERROR", "skipped": "SKIPPED",
                  "xfailed": "XFAIL", "xpassed": "XPASS"}


def is_cache(path: str) -> bool:
    """Whether ``path`` is a cache file (``__pycache__``, ``.pytest_cache``, ``*.pyc``):
    grading drops those silently."""
    parts = PurePosixPath(path).parts
    return any(part in _CACHE_PARTS for part in parts) or path.endswith((".pyc", ".pyo"))


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


def _files(root: Path, hidden: Sequence[str] = ()) -> set[str]:
    out = set()
    for p in root.rglob("*"):
        rel = p.relative_to(root)
        if (p.is_file() or p.is_symlink()) and ".git" not in rel.parts and not is_cache(rel.as_posix()) \
                and rel.parts[0] not in hidden:
            out.add(rel.as_posix())
    return out


def changed_files(pristine: Path, workspace: Path, *, hidden: Sequence[str] = ()) -> list[str]:
    """Files added, removed or changed in ``workspace`` relative to ``pristine`` (caches
    left out; ``hidden``: top-level folders of ``pristine`` the workspace never had, the
    hidden tests)."""
    before, after = _files(pristine, hidden), _files(workspace)
    changed = before ^ after
    for rel in before & after:
        a, b = pristine / rel, workspace / rel
        if a.is_symlink() or b.is_symlink() or not filecmp.cmp(a, b, shallow=False):
            changed.add(rel)
    return sorted(changed)


def prepare_grading_copy(
    pristine: Path, workspace: Path, dest: Path, *, source_roots: Sequence[str] | None = None,
    hidden: Sequence[str] = (),
) -> tuple[list[str], list[str]]:
    """Write to ``dest`` the pristine repository with the agent's unprotected changes
    (symbolic links are never carried over). With ``source_roots`` (top-level folders of
    the code under test), changes elsewhere are ignored too: a new top-level module or
    package could shadow pytest itself. ``hidden``: top-level folders of ``pristine``
    (the tests) the workspace did not have; they are put back, not counted as deleted.
    Returns (applied, ignored) paths."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(pristine, dest, symlinks=True, ignore=shutil.ignore_patterns(*_CACHE_PARTS, "*.pyc"))
    applied, ignored = [], []
    for rel in changed_files(pristine, workspace, hidden=hidden):
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
    """The outcome of the graded tests. A test counts as passing only when its status is
    ``PASSED``: ``SKIPPED``, ``XFAIL``, ``XPASS``, ``ERROR``, ``FAILED`` and a test with
    no result all count as failing. ``tampering`` (what the run found: the code under
    test changed pytest, builtins, the tests, or looked into the run) makes every
    reward 0. ``channel`` says where the statuses came from: ``"plugin"`` (the
    authenticated channel of :mod:`.pytest_plugin`) or ``"log"`` (a log parser: a
    non-pytest runner, whose output the code under test can forge). ``error`` says why
    there are no results, when there are none."""

    __test__ = False  # not a pytest class

    fail_to_pass: Sequence[str]
    pass_to_pass: Sequence[str]
    statuses: Mapping[str, str] = field(default_factory=dict)
    tampering: Sequence[str] = ()
    channel: str = "plugin"
    error: str | None = None

    def passed(self, test: str) -> bool:
        return not self.tampering and self.statuses.get(test) == "PASSED"

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
        tests = (*self.fail_to_pass, *self.pass_to_pass)
        out = {
            "resolved": self.resolved, "test_pass_ratio": self.test_pass_ratio, "f2p_ratio": self.f2p_ratio,
            "passing": self.passing, "total": self.total,
            "failing": sorted(t for t in tests if not self.passed(t)),
            "statuses": {t: self.statuses.get(t, "MISSING") for t in tests},
            "channel": self.channel,
        }
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class PluginRun:
    """One grading run of :mod:`.pytest_plugin`: its secret and where its files are."""

    key: str
    nonce: str
    folder: Path

    def results(self, output: str) -> tuple[dict[str, str], list[str], str | None]:
        """(statuses, tampering, error) from the run's output: the one line with this
        run's nonce and a valid MAC. Forged, repeated or missing lines give no statuses
        and an error saying so."""
        found = []
        for line in output.splitlines():
            if not line.startswith(_PLUGIN_MARKER + " "):
                continue
            body, _, mac = line[len(_PLUGIN_MARKER) + 1:].rpartition(" ")
            expected = hmac.new(bytes.fromhex(self.key), body.encode("utf-8"), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(mac, expected):
                continue
            try:
                data = json.loads(body)
            except json.JSONDecodeError:
                continue
            if data.get("nonce") == self.nonce:
                found.append(data)
        if len(found) != 1:
            why = "no results" if not found else "more than one result record"
            tail = output.strip()[-300:]
            return {}, [], f"the test run gave {why} (it did not finish: a crash, a timeout or os._exit){': ' + tail if tail else ''}"
        data = found[0]
        statuses = {test: _OUTCOME_NAMES.get(outcome, "ERROR") for test, outcome in data.get("outcomes", {}).items()}
        return statuses, list(data.get("tampering", [])), None

    def failures(self, output: str) -> dict[str, str]:
        """Each failing test's short failure text from the run's output."""
        for line in output.splitlines():
            if line.startswith(_PLUGIN_MARKER + " "):
                body, _, mac = line[len(_PLUGIN_MARKER) + 1:].rpartition(" ")
                expected = hmac.new(bytes.fromhex(self.key), body.encode("utf-8"), hashlib.sha256).hexdigest()
                if hmac.compare_digest(mac, expected):
                    return dict(json.loads(body).get("failures", {}))
        return {}


def plugin_run(folder: str | Path, *, root: str, agent_files: Sequence[str] = (), cwd_first: bool = True,
               hide_test_files: bool = False) -> PluginRun:
    """Write a grading run's files into ``folder`` (made here; the run deletes it before
    any project code starts): the runner and its configuration with a fresh secret.
    ``root``: the repository as the sandbox sees it; ``agent_files``: the files the agent
    changed, as the sandbox sees them (introspection from them is refused);
    ``cwd_first``: the working directory goes first on ``sys.path`` (``python -m
    pytest``); ``hide_test_files``: the collected test files are deleted once imported."""
    folder = Path(folder)
    folder.mkdir(parents=True)
    run = PluginRun(secrets.token_hex(32), secrets.token_hex(16), folder)
    config = {"key": run.key, "nonce": run.nonce, "root": root, "agent_files": list(agent_files),
              "cwd_first": cwd_first, "hide_test_files": hide_test_files}
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    shutil.copyfile(PLUGIN_PATH, folder / "runner.py")
    return run


def plugin_command(python: str, folder: str, pytest_args: Sequence[str]) -> list[str]:
    """The argv that runs pytest with ``pytest_args`` under the runner whose files are in
    ``folder`` (as the sandbox sees it)."""
    return [python, f"{folder}/runner.py", f"{folder}/config.json", "--", *pytest_args]


def pytest_invocation(test_cmd: str) -> tuple[str, list[str], bool] | None:
    """How ``test_cmd`` runs pytest: (python to use, pytest's arguments, whether it is
    ``python -m pytest``), or None when it is not one plain pytest command (then the
    grader falls back to a log parser)."""
    try:
        tokens = shlex.split(test_cmd)
    except ValueError:
        return None
    if not tokens or any(t in ("&&", "||", ";", "|", "&", ">", "<") or t.startswith((">", "<", "2>")) for t in tokens):
        return None
    if len(tokens) >= 3 and re.fullmatch(r"(.*/)?python[0-9.]*", tokens[0]) and tokens[1:3] == ["-m", "pytest"]:
        return tokens[0], tokens[3:], True
    if re.fullmatch(r"(.*/)?(pytest|py\.test)", tokens[0]):
        return "python3", tokens[1:], False
    return None


def check_reward_type(reward_type: str) -> str:
    if reward_type not in REWARD_TYPES:
        raise ValueError(f"reward_type must be one of {REWARD_TYPES}, got {reward_type!r}")
    return reward_type



_DIFF_HEADER = re.compile(r'^diff --git (?:a/(?P<a>.*) b/(?P<b>.*)|"a/(?P<qa>(?:[^"\\]|\\.)*)" "b/(?P<qb>(?:[^"\\]|\\.)*)"'
                          r'|a/(?P<a2>.*) "b/(?P<qb2>(?:[^"\\]|\\.)*)"|"a/(?P<qa3>(?:[^"\\]|\\.)*)" b/(?P<b3>.*))$')
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def unquote_git_path(text: str) -> str:
    """A path as git writes it quoted (C-style escapes, octal bytes) back as text."""
    out = bytearray()
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in "0123":
                out.append(int(text[i + 1:i + 4], 8))
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
            continue
        out += char.encode("utf-8")
        i += 1
    return out.decode("utf-8", "surrogateescape")


def split_patch(patch: str) -> list[tuple[str, str]]:
    """A ``git diff`` split into (path, that file's part of the patch); quoted paths
    (non-ASCII, quotes, newlines) are unquoted. A header that cannot be read is an
    error (grading must never fold one file's change into another's)."""
    parts: list[tuple[str, list[str]]] = []
    for line in patch.splitlines(keepends=True):
        if line.startswith("diff --git "):
            match = _DIFF_HEADER.match(line.rstrip("\n"))
            if not match:
                raise ValueError(f"cannot read the diff header {line.strip()[:200]!r}")
            groups = match.groupdict()
            if groups["b"] is not None:
                path = groups["b"]
            elif groups["qb"] is not None:
                path = unquote_git_path(groups["qb"])
            elif groups["qb2"] is not None:
                path = unquote_git_path(groups["qb2"])
            else:
                path = groups["b3"]
            parts.append((path, [line]))
        elif parts:
            parts[-1][1].append(line)
    return [(path, "".join(lines)) for path, lines in parts]


def filter_patch(patch: str, also_protected: set[str] = frozenset()) -> tuple[str, list[str]]:
    """The part of ``patch`` grading applies, and the paths it leaves out (protected
    files, see :func:`is_protected`, and ``also_protected``: e.g. the files the
    instance's test patch writes; caches are dropped without a mention)."""
    kept, ignored = [], []
    for path, part in split_patch(patch):
        if is_cache(path):
            continue
        if is_protected(path) or path in also_protected:
            ignored.append(path)
        else:
            kept.append(part)
    return "".join(kept), ignored


def filter_paths(paths: Sequence[str], also_protected: set[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(kept, ignored) among changed ``paths`` (read NUL-separated, so never quoted):
    protected paths and ``also_protected`` are ignored, caches dropped silently."""
    kept, ignored = [], []
    for path in paths:
        if is_cache(path):
            continue
        (ignored if is_protected(path) or path in also_protected else kept).append(path)
    return kept, ignored


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
