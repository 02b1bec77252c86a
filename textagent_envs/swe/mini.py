"""SWE-Mini task generation: seeded bugs in small Python repositories shipped as package
data (``textagent_envs/swe/repos/``, see :mod:`.knobs`), with the tests that catch them.

:func:`make_task` copies a repository, injects ``nb_bugs`` bugs chosen with a seeded
generator (:mod:`.mutations`), keeps a bug only if some test that passed now fails, and
records ``FAIL_TO_PASS`` (tests the bugs break) and ``PASS_TO_PASS`` (tests that still
pass), the gold ``patch`` (a unified diff from the buggy to the original code) and a
walkthrough of tool calls that fixes the code and submits. The same (repo, seed, knobs)
gives the same task on any machine.

The tests run in a fresh Python subprocess of the package's own code, never the agent's:
injecting a bug needs no sandbox. They run under the graders' runner
(:mod:`.pytest_plugin`), which also gives the failing tests' failure output: with hidden
tests (the default of ``SWE-Mini-v0``) the problem statement shows it instead of the tests.

A task folder (``task.json`` and ``repo/``) records a SHA-256 of every repository file;
:func:`load_task_folder` refuses a folder whose files do not match (a damaged cache entry
is made again by :func:`ensure_task`, with a warning).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..cache import cache_root, file_lock
from ..checks import require_int
from ..knobs import GenerationError
from ..progress import waiting
from ..tasks import TaskSpec
from .grading import plugin_command, plugin_run
from .knobs import FAMILY, REPOS_DIR, MiniKnobs, available_repos, repo_path
from .mutations import MUTATION_KINDS, Mutation, apply_mutation, find_mutations
from .tools import FileTools, format_tool_call, parse_tool_call

TEST_TIMEOUT = 120.0
#: How a practice repository's tests run (after ``python``), at generation and at grading.
PYTEST_ARGS = ("-m", "pytest", "-rA", "-q", "-p", "no:cacheprovider", "tests")
#: Bump when generation changes, so cached tasks are made again.
GENERATOR_VERSION = "2"
#: Top-level folders of a practice repository that hold its tests (hidden in hidden-tests mode).
TEST_DIRS = ("tests",)
_FAILURE_CHARS = 1500

log = logging.getLogger(__name__)


__all__ = [
    "FAMILY", "REPOS_DIR", "MiniKnobs", "MiniTask", "TaskGenerationError", "available_repos", "ensure_task",
    "load_task_folder", "make_task", "repo_path", "run_tests", "task_dir",
]


class TaskGenerationError(GenerationError):
    """No task could be made with these knobs (e.g. fewer catchable bug sites than bugs)."""


def run_tests(repo: Path, timeout: float = TEST_TIMEOUT, *, failures: dict[str, str] | None = None) -> dict[str, str]:
    """Each test's outcome (``PASSED``, ``FAILED``, ``ERROR``, ...) in ``repo``, by pytest
    id, from the graders' runner; ``failures``, when given, gets each failing test's
    short failure output."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    with tempfile.TemporaryDirectory(prefix="swe-mini-run-") as scratch:
        run = plugin_run(Path(scratch) / "runner", root=str(repo.resolve()), cwd_first=True)
        result = subprocess.run(
            plugin_command(sys.executable, str(run.folder), [*PYTEST_ARGS[2:], "--tb=short"]),
            cwd=repo, env=env, capture_output=True, text=True, timeout=timeout,
        )
    outcomes, tampering, error = run.results(result.stdout)
    if not outcomes:
        raise TaskGenerationError(f"pytest reported no tests in {repo}: {error}\n{result.stderr[-2000:]}")
    if failures is not None:
        failures.update(run.failures(result.stdout))
    return outcomes


def _source_files(repo: Path) -> list[str]:
    return sorted(
        str(p.relative_to(repo)) for p in repo.rglob("*.py")
        if "tests" not in p.relative_to(repo).parts and p.name != "conftest.py"
    )


@dataclass(frozen=True)
class MiniTask:
    """A generated task; ``to_instance()`` gives it in the SWE-bench schema."""

    instance_id: str
    repo: str
    seed: int
    problem_statement: str
    patch: str
    FAIL_TO_PASS: list[str]
    PASS_TO_PASS: list[str]
    mutations: list[Mutation]
    walkthrough: list[str]
    workspace: Path
    knobs: dict[str, Any] = field(default_factory=dict)
    failure_output: dict[str, str] = field(default_factory=dict)

    def hidden_statement(self) -> str:
        """The problem statement when the tests are hidden: the failing tests' names and
        their failure output (the test files are not in the workspace)."""
        shown = "".join(
            f"\n--- {test}\n{self.failure_output[test].strip()[:_FAILURE_CHARS]}\n"
            for test in self.FAIL_TO_PASS if self.failure_output.get(test)
        )
        return (
            f"The test suite of {self.repo} fails. These tests should pass but do not:\n"
            + "".join(f"- {t}\n" for t in self.FAIL_TO_PASS)
            + (f"Their failure output:{shown}" if shown else "")
            + "\nThe test files are not in your workspace: they run on your code when you submit. "
            "Find the bug(s) in the package's code and fix them."
        )

    def to_instance(self, *, hidden_tests: bool = False) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "repo": self.repo,
            "base_commit": None,
            "problem_statement": self.hidden_statement() if hidden_tests else self.problem_statement,
            "patch": self.patch,
            "test_patch": "",
            "FAIL_TO_PASS": list(self.FAIL_TO_PASS),
            "PASS_TO_PASS": list(self.PASS_TO_PASS),
            "version": "swe-mini-1",
            "seed": self.seed,
            "knobs": dict(self.knobs),
            "mutations": [m.describe() for m in self.mutations],
        }


def make_task(
    repo: str,
    seed: int,
    out_dir: str | os.PathLike,
    *,
    nb_bugs: int = 1,
    kinds: Sequence[str] = MUTATION_KINDS,
) -> MiniTask:
    """Write the buggy repository to ``out_dir/<instance_id>`` and return the task."""
    require_int("nb_bugs", nb_bugs, minimum=1, maximum=5)
    unknown = set(kinds) - set(MUTATION_KINDS)
    if unknown or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {list(MUTATION_KINDS)}, got {list(kinds)}")
    require_int("seed", seed, minimum=0)
    source_repo = repo_path(repo)
    instance_id = f"swe-mini-{repo}-b{nb_bugs}-s{seed}"
    workspace = Path(out_dir) / instance_id
    with tempfile.TemporaryDirectory(prefix="swe-mini-") as scratch:
        work = Path(scratch) / repo
        shutil.copytree(source_repo, work, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        baseline = run_tests(work)
        broken = sorted(t for t, outcome in baseline.items() if outcome != "PASSED")
        failure_output: dict[str, str] = {}
        if broken:
            raise TaskGenerationError(f"{repo}'s tests must all pass before injection; failing: {broken}")
        originals = {f: (work / f).read_text(encoding="utf-8") for f in _source_files(work)}
        candidates = [m for f, text in originals.items() for m in find_mutations(text, f) if m.kind in kinds]
        order = np.random.default_rng(seed).permutation(len(candidates))
        chosen: list[Mutation] = []
        failing: set[str] = set()
        for index in order:
            if len(chosen) == nb_bugs:
                break
            mutation = candidates[index]
            if any(m.file == mutation.file and m.lineno <= mutation.end_lineno and mutation.lineno <= m.end_lineno for m in chosen):
                continue  # one bug per line range keeps every fix independent
            path = work / mutation.file
            before = path.read_text(encoding="utf-8")
            path.write_text(_apply_all(originals[mutation.file], [*_in_file(chosen, mutation.file), mutation]), encoding="utf-8")
            output: dict[str, str] = {}
            outcomes = run_tests(work, failures=output)
            now_failing = {t for t, outcome in outcomes.items() if outcome != "PASSED"}
            if now_failing > failing:
                chosen.append(mutation)
                failing = now_failing
                failure_output = output
            else:
                path.write_text(before, encoding="utf-8")
        if len(chosen) < nb_bugs:
            raise TaskGenerationError(f"{repo} has only {len(chosen)} catchable bug site(s) of kinds {list(kinds)}; asked for {nb_bugs}")
        buggy = {f: (work / f).read_text(encoding="utf-8") for f in originals}
        patch = "".join(
            "".join(difflib.unified_diff(buggy[f].splitlines(True), originals[f].splitlines(True), f"a/{f}", f"b/{f}"))
            for f in sorted(originals) if buggy[f] != originals[f]
        )
        walkthrough = _walkthrough(buggy, originals)
        _check_walkthrough(work, walkthrough, set(baseline))
        for f, text in buggy.items():  # the verified fix left the scratch copy fixed: restore the bugs
            (work / f).write_text(text, encoding="utf-8")
        if workspace.exists():
            shutil.rmtree(workspace)
        workspace.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(work, workspace, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
    fail_to_pass = sorted(failing)
    statement = (
        f"The test suite of {repo} fails. These tests should pass but do not:\n"
        + "".join(f"- {t}\n" for t in fail_to_pass)
        + "Find the bug(s) in the package's code and fix them. Do not change the tests."
    )
    return MiniTask(
        instance_id, repo, seed, statement, patch, fail_to_pass, sorted(set(baseline) - failing), chosen, walkthrough,
        workspace, {"nb_bugs": nb_bugs, "kinds": list(kinds)}, {t: failure_output.get(t, "") for t in fail_to_pass},
    )


def _in_file(mutations: list[Mutation], file: str) -> list[Mutation]:
    return [m for m in mutations if m.file == file]


def _apply_all(source: str, mutations: list[Mutation]) -> str:
    for mutation in sorted(mutations, key=lambda m: (m.lineno, m.col), reverse=True):
        source = apply_mutation(source, mutation)
    return source


def _walkthrough(buggy: dict[str, str], originals: dict[str, str]) -> list[str]:
    """``str_replace`` calls that turn each buggy file back into the original, then submit."""
    calls = []
    for f in sorted(buggy):
        current, target = buggy[f], originals[f]
        matcher = difflib.SequenceMatcher(None, current.split("\n"), target.split("\n"), autojunk=False)
        for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
            if tag == "equal":
                continue
            lines, goal = current.split("\n"), target.split("\n")
            lo, hi, glo, ghi = i1, i2, j1, j2
            while True:  # widen the context until the old text is unique in the file
                old = "\n".join(lines[lo:hi])
                if old and current.count(old) == 1:
                    break
                lo, glo = max(lo - 1, 0), max(glo - 1, 0)
                hi, ghi = min(hi + 1, len(lines)), min(ghi + 1, len(goal))
            new = "\n".join(goal[glo:ghi])
            calls.append(format_tool_call("str_replace", path=f, old_str=old, new_str=new))
            current = current.replace(old, new)
    calls.append(format_tool_call("submit"))
    return calls


def _check_walkthrough(work: Path, walkthrough: list[str], tests: set[str]) -> None:
    tools = FileTools(work)
    for action in walkthrough[:-1]:
        tools.run(parse_tool_call(action))
    outcomes = run_tests(work)
    failing = sorted(t for t in tests if outcomes.get(t) != "PASSED")
    if failing:
        raise TaskGenerationError(f"the walkthrough does not fix the tests {failing}")


def task_dir(knobs: MiniKnobs, seed: int, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where the generated task lives in the cache (``task.json`` and ``repo/``)."""
    return cache_root(cache_dir) / FAMILY / f"v{GENERATOR_VERSION}" / knobs.slug() / f"s{seed}"


def ensure_task(spec: TaskSpec, cache_dir: str | os.PathLike | None = None, *, folder: str | os.PathLike | None = None) -> MiniTask:
    """The task ``spec`` names: read from its folder (``spec.game_file``, or ``folder``, or
    the cache), generated there first if missing or damaged (safe with several processes
    at once; the lock file lives in the cache, never in ``folder``)."""
    if spec.family != FAMILY:
        raise ValueError(f"task {spec.id!r} is a {spec.family!r} task, not {FAMILY!r}")
    if spec.game_file is not None and folder is None:
        return load_task_folder(spec.game_file)
    if spec.seed is None:
        raise ValueError(f"task {spec.id!r} has neither a seed nor a task folder")
    knobs = MiniKnobs.from_params(dict(spec.params))
    folder = Path(folder) if folder is not None else task_dir(knobs, spec.seed, cache_dir)
    try:
        return load_task_folder(folder)
    except (FileNotFoundError, ValueError) as error:
        damaged = (folder / "task.json").exists() or folder.exists() and any(folder.iterdir())
        lock = cache_root(cache_dir) / "locks" / f"{hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:24]}.lock"
        with file_lock(lock):
            try:
                return load_task_folder(folder)
            except (FileNotFoundError, ValueError):
                if damaged:
                    log.warning("the SWE-Mini task folder %s is damaged (%s); making it again", folder, error)
                folder.parent.mkdir(parents=True, exist_ok=True)
                with waiting(f"generating {spec.id} (injecting bugs, running its tests)", kind="generating swe-mini"):
                    _write_task_folder(knobs, spec.seed, folder)
    return load_task_folder(folder)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _repo_files(repo: Path) -> dict[str, str]:
    return {p.relative_to(repo).as_posix(): _digest(p) for p in sorted(repo.rglob("*")) if p.is_file()}


def _write_task_folder(knobs: MiniKnobs, seed: int, folder: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="swe-mini-gen-") as scratch:
        task = make_task(knobs.repo, seed, scratch, nb_bugs=knobs.nb_bugs, kinds=knobs.kinds)
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        shutil.copytree(task.workspace, folder / "repo")
        data = {**task.to_instance(), "walkthrough": task.walkthrough, "mutations_full": [vars(m) for m in task.mutations],
                "failure_output": task.failure_output, "files": _repo_files(folder / "repo")}
        temp = folder / "task.json.tmp"
        temp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        temp.rename(folder / "task.json")


def load_task_folder(folder: str | os.PathLike) -> MiniTask:
    """A task written by :func:`ensure_task` (``task.json`` and ``repo/``); a folder whose
    repository files differ from the ones recorded (deleted, changed, added) is refused
    with a ``ValueError`` that names them."""
    folder = Path(folder)
    record = folder / "task.json"
    if not record.is_file() or not (folder / "repo").is_dir():
        raise FileNotFoundError(f"{str(folder)!r} is not an SWE-Mini task folder (it needs task.json and repo/)")
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        task = MiniTask(
            data["instance_id"], data["repo"], data["seed"], data["problem_statement"], data["patch"],
            data["FAIL_TO_PASS"], data["PASS_TO_PASS"], [Mutation(**m) for m in data["mutations_full"]],
            data["walkthrough"], folder / "repo", data["knobs"], dict(data.get("failure_output", {})),
        )
        files = data["files"]
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise ValueError(f"{record}: not a valid SWE-Mini task record ({err!r}); make it again "
                         "(delete the folder, or `textagent-envs make-tasks SWE-Mini-v0`)") from None
    found = _repo_files(folder / "repo")
    missing = sorted(set(files) - set(found))
    changed = sorted(f for f in set(files) & set(found) if files[f] != found[f])
    added = sorted(f for f in set(found) - set(files) if "__pycache__" not in f and not f.endswith(".pyc"))
    if missing or changed or added:
        raise ValueError(f"the SWE-Mini task folder {str(folder)!r} is damaged: "
                         + "; ".join(f"{what}: {names[:5]}" for what, names in
                                     (("missing", missing), ("changed", changed), ("added", added)) if names))
    return task


def source_roots(repo: Path) -> list[str]:
    """The top-level folders of ``repo`` that hold the code under test (not the tests)."""
    return sorted(p.name for p in repo.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name not in ("tests", "test"))
