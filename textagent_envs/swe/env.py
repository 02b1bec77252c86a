"""Gymnasium environments for software-engineering tasks.

:class:`SWEEnv` holds what every SWE env shares: actions are tool calls
(:mod:`textagent_envs.swe.tools`), observations are the tools' output, and the episode
ends with ``submit`` (graded: ``terminated``) or when ``max_turns`` tool calls are used
(graded as if submitted: ``truncated`` with ``info["truncation_reason"] == "max_turns"``).
The reward is 0 until the grading step, which gives ``reward_type``:

- ``"test_pass_ratio"`` (default, the paper's best): passing tests / (FAIL_TO_PASS + PASS_TO_PASS);
- ``"resolved"``: 1.0 when every one of them passes, else 0.0;
- ``"f2p_ratio"``: the share of FAIL_TO_PASS tests that pass (an empty patch gets 0).

Info follows :mod:`textagent_envs.infos`: ``score`` is the number of graded tests that
pass (0 before grading), ``max_score`` their number, ``won`` / ``success`` resolved,
``lost`` graded and not resolved, ``moves`` the tool calls that ran, ``walkthrough`` the
gold fix as tool calls, ``objective`` the problem statement. After grading, ``tests``
holds the report (each graded test's status, and the ``channel`` the statuses came
from), ``ignored_changes`` the edited files grading left out (tests, configuration; see
:mod:`textagent_envs.swe.grading`), and ``tampering`` what the test run found the code
under test doing to the run (empty when nothing; anything there grades the episode 0).

:class:`MiniEnv` (``SWE-Mini-v0``) plays generated tasks in bubblewrap;
:class:`GymEnv` (``SWE-Gym-v0``) plays SWE-bench-style instances in Docker.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shlex
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

from .. import infos
from ..base import FORKING_ENGINES, ResetNeeded, TextEnv
from ..checks import require_bool, require_choice, require_int, require_number
from ..tasks import MAX_SEED, TaskSpec, check_seed, make_with_redraws
from .mini import (
    PYTEST_ARGS, TEST_DIRS, MiniKnobs, TaskGenerationError, ensure_task, repo_path, source_roots,
)
from .grading import TestReport, check_reward_type, plugin_command, plugin_run, prepare_grading_copy
from .sandbox import Limits, remove_tree, workspace_overflow
from .tools import TOOL_SCHEMAS, FileTools, InvalidToolCall, ToolError, parse_tool_call, truncate_output

MAX_TEXT = 200_000
WORKDIR_BWRAP = "/workspace"  # where the bubblewrap sandbox shows the repository

INSTRUCTIONS = (
    "The repository is your working directory ({workdir}). Act with exactly one tool call per turn, "
    'written as a JSON object {{"name": TOOL, "arguments": {{...}}}}. Tools: bash(command), '
    "view(path, view_range?), create(path, file_text), str_replace(path, old_str, new_str), "
    "insert(path, insert_line, insert_text), submit(). Call submit when you are done; the tests grade the code."
)


class SWEEnv(TextEnv):
    """Base of the SWE envs (see the module docstring): a :class:`~textagent_envs.base.TextEnv`
    whose engine is a sandbox. Subclasses choose the task and provide the workspace
    (:meth:`_choose`), commands (:meth:`_bash`) and grading (:meth:`_grade`).

    Args (every SWE env's):
        reward_type: ``"test_pass_ratio"`` (default), ``"resolved"`` or ``"f2p_ratio"``.
        max_turns: tool calls in an episode (an int >= 1, default 30).
        limits: the sandbox's :class:`~textagent_envs.swe.sandbox.Limits`.
        render_mode: ``"ansi"`` or ``"human"``.
    """

    #: The env's reward is the grade, not the change of ``score`` (see ``reward_type``).
    reward_is_score_change = False
    episode_end = "submitted or out of turns"
    workdir = "/workspace"

    def __init__(self, *, reward_type: str = "test_pass_ratio", max_turns: int = 30, limits: Limits | None = None,
                 render_mode: str | None = None):
        self.reward_type = check_reward_type(reward_type)
        self.max_turns = require_int("max_turns", max_turns, minimum=1)
        if limits is not None and not isinstance(limits, Limits):
            raise TypeError(f"limits must be a textagent_envs.swe.sandbox.Limits, got {type(limits).__name__}")
        super().__init__(render_mode=render_mode, max_text=MAX_TEXT)
        self.limits = limits or Limits()
        #: The tools' JSON schemas, for chat templates.
        self.tool_schemas = TOOL_SCHEMAS
        self._instance: dict[str, Any] | None = None
        self._tools: FileTools | None = None
        self._turns = 0
        self._moves = 0
        self._report: TestReport | None = None
        self._ignored: list[str] = []

    # -- subclass hooks ----------------------------------------------------------------
    def _choose(self, seed: int | None, options: dict) -> tuple[TaskSpec, dict[str, Any]]:
        """The task and its SWE-bench-schema instance (with ``walkthrough``), workspace ready."""
        raise NotImplementedError

    def _bash(self, command: str) -> str:
        raise NotImplementedError

    def _grade(self) -> tuple[TestReport, list[str]]:
        raise NotImplementedError

    # -- gymnasium API -----------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[str, dict]:
        self._playing = False  # a reset that fails leaves no episode to step
        check_seed(seed)
        options = self._reset_options(options)
        super().reset(seed=seed)
        self.task, self._instance = self._choose(seed, options)
        self._turns = self._moves = 0
        self._report, self._ignored, self._playing, self._started = None, [], True, True
        obs = f"{self._instance['problem_statement'].rstrip()}\n\n{INSTRUCTIONS.format(workdir=self.workdir)}"
        return self._observe(obs), self._info(valid=False)

    def step(self, action: str) -> tuple[str, float, bool, bool, dict]:
        self._check_step(action, "a JSON tool call")
        self._turns += 1
        valid, submitted, reason = False, False, None
        try:
            call = parse_tool_call(action)
        except InvalidToolCall as error:
            text, reason = str(error), str(error)
        else:
            if call.name == "submit":
                valid = submitted = True
                text = "Submitted."
            elif call.name == "bash":
                text, valid = self._bash(call.arguments["command"]), True
            else:
                try:
                    text, valid = self._tools.run(call), True
                except ToolError as error:
                    text, reason = f"Error: {error}", str(error)
        self._moves += valid
        truncated = not submitted and self._turns >= self.max_turns
        reward = 0.0
        if submitted or truncated:
            self._report, self._ignored = self._grade()
            self._playing = False
            reward = self._report.reward(self.reward_type)
            text += "\n" + self._grade_text(truncated)
        info = self._info(valid=valid)
        if reason is not None:
            info[infos.INVALID_REASON] = reason
        if truncated:
            info[infos.TRUNCATION_REASON] = "max_turns"
        return self._observe(truncate_output(text)), float(reward), submitted, truncated, info

    def _grade_text(self, truncated: bool) -> str:
        report = self._report
        head = f"Out of turns ({self.max_turns}); the code as it stands was graded." if truncated else "Graded."
        lines = [f"{head} {report.passing}/{report.total} tests pass; {'resolved' if report.resolved else 'not resolved'}."]
        if self._ignored:
            lines.append(f"Changes not counted (tests and configuration): {', '.join(self._ignored)}")
        if report.tampering:
            lines.append("The code under test tampered with the test run, so nothing counts: " + "; ".join(report.tampering[:3]))
        elif report.error:
            lines.append(report.error)
        return "\n".join(lines)

    def _info(self, *, valid: bool) -> dict[str, Any]:
        report = self._report
        graded = report is not None
        tests = self._instance
        info = super()._info({
            infos.WON: graded and report.resolved,
            infos.LOST: graded and not report.resolved,
            infos.SCORE: report.passing if graded else 0,
            infos.MAX_SCORE: len(tests["FAIL_TO_PASS"]) + len(tests["PASS_TO_PASS"]),
            infos.MOVES: self._moves,
            infos.OBJECTIVE: tests["problem_statement"],
            infos.WALKTHROUGH: tests.get("walkthrough", []),
        }, valid=valid)
        if graded:
            info["tests"] = report.summary()
            info["ignored_changes"] = list(self._ignored)
            info["tampering"] = list(report.tampering)
            info["grading_channel"] = report.channel
        return info

    def _copy_refusal(self) -> str:
        return (
            f"{type(self).__name__} holds a live sandbox (processes, a workspace) and cannot be copied or pickled "
            "(a copy would share the one sandbox). Make another env with the same arguments and "
            "reset(options={'task': env.unwrapped.task}) to play the same task."
        )


class MiniEnv(SWEEnv):
    """``SWE-Mini-v0``: generated bug-fixing tasks over the practice repositories, run in a sandbox.

    Description:
        A small Python repository (one of the practice repositories shipped with the
        package) into which ``nb_bugs`` bugs were introduced; the problem statement gives
        the failing tests' names and their failure output. The agent edits the code with
        tools and submits; the tests grade the result. Runs in a bubblewrap sandbox
        (:mod:`textagent_envs.swe.bwrap`), or in Docker with ``sandbox="docker"``.

    Observation:
        ``str``: at reset the problem statement and the tool instructions; after a step
        the tool's output (cut when long), and the grade after ``submit``.

    Action:
        ``str``, one JSON tool call ``{"name": TOOL, "arguments": {...}}``
        (:mod:`textagent_envs.swe.tools`; schemas in ``env.unwrapped.tool_schemas``).
        A malformed call gets an explanation and counts as a turn.

    Rewards:
        0 until the grading step, which gives ``reward_type`` (see the module docstring).

    Termination and truncation:
        ``terminated`` at ``submit`` (graded); ``truncated`` after ``max_turns`` tool calls
        (graded as if submitted; ``info["truncation_reason"] == "max_turns"``).

    Infos:
        The keys in :mod:`textagent_envs.infos` (see the module docstring for their
        meaning here), plus ``tests``, ``ignored_changes``, ``tampering`` and
        ``grading_channel`` after grading.

    Knobs:
        ``repo`` (default ``"calckit"``), ``nb_bugs``, ``kinds`` (bug kinds), or one
        ``level`` (see :class:`~textagent_envs.swe.mini.MiniKnobs`); ranges: the knob table
        of docs/swe.md (generated from the family registry). Env arguments:

        - ``sandbox``: ``"bwrap"`` (default; ``fork`` copies its episodes) or
          ``"docker"`` (an image per task, built once from the local base image; see
          :class:`GymEnv`).
        - ``hidden_tests``: ``True`` (default, as SWE-bench): the workspace has no
          ``tests/`` folder, put back only for grading; ``False`` gives the whole
          repository, tests included.
        - ``tasks``, ``task_order``: a task set (a manifest written by ``textagent-envs
          make-tasks SWE-Mini-v0``), sampled with the env's ``np_random`` or in order.
        - ``reward_type``, ``max_turns``, ``limits``, ``network``, ``grading_timeout``,
          ``cache_dir``, ``render_mode``.

        ``reset(seed=s)`` plays the task generated with seed ``s`` (made once, then
        cached); ``reset(options={"task": spec})`` plays a :class:`TaskSpec`.

    Examples:
        >>> import gymnasium as gym, textagent_envs
        >>> env = gym.make("SWE-Mini-v0", level=1)
        >>> obs, info = env.reset(seed=1)
        >>> for call in info["walkthrough"]:
        ...     obs, reward, terminated, truncated, info = env.step(call)
        >>> terminated, info["success"], reward
        (True, True, 1.0)
        >>> env.close()
    """

    Knobs = MiniKnobs
    family = MiniKnobs.family

    def __init__(self, *, repo: str = "calckit", nb_bugs: int | None = None, kinds=None, level: int | None = None,
                 tasks=None, task_order: str = "random", cache_dir: str | None = None, network: bool = False,
                 grading_timeout: float = 120.0, sandbox: str = "bwrap", hidden_tests: bool = True, **kwargs: Any):
        super().__init__(**kwargs)
        self.hidden_tests = require_bool("hidden_tests", hidden_tests)
        self.sandbox = require_choice("sandbox", sandbox, ("bwrap", "docker"))
        require_number("grading_timeout (seconds)", grading_timeout, positive=True)
        if level is not None:
            if nb_bugs is not None or kinds is not None:
                raise ValueError("give either level or nb_bugs/kinds, not both")
            self.knobs = MiniKnobs.from_level(level, repo)
        else:
            self.knobs = MiniKnobs(repo, 1 if nb_bugs is None else nb_bugs, *(() if kinds is None else (kinds,)))
        repo_path(self.knobs.repo)  # unknown repository: fail now
        self._use_task_set(tasks, task_order)
        self.cache_dir = cache_dir
        self.network = network
        self.grading_timeout = float(grading_timeout)
        self._root: Path | None = None
        self._sandbox = None
        self._grader = None
        self._pristine: Path | None = None
        self._ungraded: str | None = None  # why the last grading refused the workspace

    def _ensure_sandboxes(self) -> None:
        from .bwrap import BwrapSandbox
        from .cleanup import workspace_dir

        if self._root is None:
            self._root = workspace_dir()  # named with its owner, for `textagent-envs clean`
            (self._root / "repo").mkdir()
            (self._root / "grading").mkdir()
            self._sandbox = BwrapSandbox(self._root / "repo", limits=self.limits, network=self.network)
            grading_limits = Limits(**{**vars(self.limits), "timeout": self.grading_timeout})
            self._grader = BwrapSandbox(self._root / "grading", limits=grading_limits)

    def _choose(self, seed, options):
        spec = self._chosen_task(seed, options)
        if spec is not None:
            generated = ensure_task(spec, self.cache_dir)
        else:
            def draw() -> TaskSpec:
                return self.knobs.task(int(self.np_random.integers(MAX_SEED)))

            spec, generated = make_with_redraws(
                self.knobs.task(seed) if seed is not None else draw(), lambda s: ensure_task(s, self.cache_dir), draw,
                drawn=seed is None, error=TaskGenerationError, what=f"task with knobs {self.knobs}",
            )
        instance = {**generated.to_instance(hidden_tests=self.hidden_tests), "walkthrough": list(generated.walkthrough)}
        self._source_roots = source_roots(generated.workspace)
        if self.sandbox == "docker":
            instance = {**self._docker_instance(generated), "walkthrough": instance["walkthrough"]}
            self.workdir = instance["workdir"]
            self._tools = FileTools(self._docker.start(instance))
            return spec, instance
        self._ensure_sandboxes()
        workspace = self._root / "repo"
        remove_tree(workspace)  # any depth the last episode left
        hidden = TEST_DIRS if self.hidden_tests else ()
        shutil.copytree(generated.workspace, workspace, symlinks=True,
                        ignore=lambda folder, names: [n for n in names if Path(folder) == generated.workspace and n in hidden])
        self._tools = FileTools(self._sandbox.files)
        self._pristine = generated.workspace
        return spec, instance

    # -- forks ---------------------------------------------------------------------------
    def _require_state_copies(self, method: str) -> None:
        if self.sandbox != "bwrap":
            raise NotImplementedError(
                f"{method}() needs sandbox='bwrap' (a Docker container's state is not copied); engines that fork: "
                f"{FORKING_ENGINES}"
            )

    def _forks(self, k: int) -> list["MiniEnv"]:
        """See :meth:`TextEnv.fork` (``sandbox="bwrap"``): each fork has its own copy of the
        workspace (copy-on-write clones where the file system has them, plain copies
        elsewhere: never hard links, which an edit in place would share), its own
        sandboxes, and the episode's turn count, moves and grade, so each grades on its
        own (no process outlives a command, so the workspace is the whole state). Costs
        milliseconds, plus the copy of what the agent added."""
        if self._root is None:
            raise ResetNeeded("call reset() before fork()")
        overflow = workspace_overflow(self._root / "repo", self.limits)
        if overflow:
            raise RuntimeError(f"cannot fork this episode: its workspace is over the sandbox's limits ({overflow})")
        return [self._sandbox_twin() for _ in range(k)]

    def _sandbox_twin(self) -> "MiniEnv":
        twin = self._twin()
        twin._ignored = list(self._ignored)
        twin._root = twin._sandbox = twin._grader = twin._tools = None
        try:
            twin._ensure_sandboxes()
            clone_tree(self._root / "repo", twin._root / "repo")
        except BaseException:
            twin.close()
            raise
        twin._tools = FileTools(twin._sandbox.files)
        return twin

    def _docker_instance(self, generated) -> dict[str, Any]:
        """The task's Docker instance: its image built once (recorded next to the task;
        the tag names the task's knobs and the tests mode)."""
        import json

        from . import images

        if getattr(self, "_docker", None) is None:
            self._docker = DockerEpisodes(self.limits, self.network, self.grading_timeout)
        tag = images.task_image_tag(generated, hidden_tests=self.hidden_tests)
        record = generated.workspace.parent / f"docker-instance-{tag.rpartition(':')[2]}.json"
        if record.is_file():
            instance = json.loads(record.read_text(encoding="utf-8"))
            if instance.get("image") == tag and images.image_exists(tag):
                return instance
        instance = images.build_task_image(generated, tag, hidden_tests=self.hidden_tests)
        temp = record.with_suffix(f".tmp{secrets.token_hex(4)}")
        temp.write_text(json.dumps(instance), encoding="utf-8")
        temp.replace(record)
        return instance

    def _bash(self, command: str) -> str:
        if self.sandbox == "docker":
            return self._docker.bash(command)
        return self._sandbox.run(command).observation()

    def _grade(self):
        if self.sandbox == "docker":
            return self._docker.grade(self._instance, hide_test_files=True, source_roots=self._source_roots)
        grading = self._root / "grading"
        self._ungraded = workspace_overflow(self._root / "repo", self.limits)
        if self._ungraded:  # too big or deep to copy and compare: every test counts as failing
            return TestReport(self._instance["FAIL_TO_PASS"], self._instance["PASS_TO_PASS"], {}), []
        try:
            applied, ignored = prepare_grading_copy(self._pristine, self._root / "repo", grading,
                                                    source_roots=source_roots(self._pristine),
                                                    hidden=TEST_DIRS if self.hidden_tests else ())
            name = f".textagent-grading-{secrets.token_hex(8)}"
            run = plugin_run(grading / name, root=WORKDIR_BWRAP, agent_files=[f"{WORKDIR_BWRAP}/{p}" for p in applied],
                             cwd_first=True, hide_test_files=True)
            result = self._grader.run(shlex.join(plugin_command("python", f"{WORKDIR_BWRAP}/{name}", PYTEST_ARGS[2:])))
        finally:
            remove_tree(grading)  # no grading copy (nor the runner's secret) outlives its grading
            grading.mkdir()
        statuses, tampering, error = run.results(result.output)
        return TestReport(self._instance["FAIL_TO_PASS"], self._instance["PASS_TO_PASS"], statuses, tuple(tampering),
                          "plugin", error), ignored

    def _grade_text(self, truncated: bool) -> str:
        text = super()._grade_text(truncated)
        if self._ungraded:
            text = f"Not graded: the workspace is full ({self._ungraded}); every test counts as failing.\n{text}"
        return text

    def close(self) -> None:
        if getattr(self, "_docker", None) is not None:
            self._docker.close()
        for sandbox in (self._sandbox, self._grader):
            if sandbox is not None:
                sandbox.close()
        self._sandbox = self._grader = None
        if self._root is not None:
            try:
                remove_tree(self._root)
            except OSError:
                pass
            self._root = None
        super().close()


#: ``ioctl`` request that clones a file's blocks (copy-on-write: btrfs, XFS, bcachefs).
_FICLONE = 0x40049409


def _clone_file(src: str, dst: str) -> None:
    """Copy one file: a copy-on-write clone where the file system supports it, else a
    plain copy; its mode and times kept. Sockets, pipes and devices are skipped (no content)."""
    if not stat.S_ISREG(os.lstat(src).st_mode):
        return
    with open(src, "rb") as source, open(dst, "wb") as target:
        try:
            fcntl.ioctl(target.fileno(), _FICLONE, source.fileno())
        except OSError:
            shutil.copyfileobj(source, target, 1 << 20)
    shutil.copystat(src, dst)


def clone_tree(src: Path, dst: Path) -> None:
    """Copy the folder ``src`` into ``dst`` (existing or not), links as links."""
    shutil.copytree(src, dst, symlinks=True, copy_function=_clone_file, dirs_exist_ok=True)


#: Fields an SWE-Gym / SWE-bench instance must have.
REQUIRED_FIELDS = ("instance_id", "problem_statement", "base_commit", "FAIL_TO_PASS", "PASS_TO_PASS")


def load_instances(source) -> list[dict[str, Any]]:
    """SWE-bench-schema instances from a JSONL or JSON file, or a list of dicts, checked:
    the required fields are there, and ``FAIL_TO_PASS`` / ``PASS_TO_PASS`` are lists
    (SWE-bench's JSON-encoded strings are decoded)."""
    import json

    if isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"instances file {str(path)!r} does not exist (a SWE-bench/SWE-Gym .jsonl or .json)")
        text = path.read_text(encoding="utf-8")
        try:
            items = json.loads(text) if path.suffix == ".json" else [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not valid JSON ({err})") from None
        where = str(path)
    elif isinstance(source, (list, tuple)):
        items, where = list(source), "instances"
    else:
        raise TypeError(f"instances must be a path or a list of dicts, got {type(source).__name__}")
    if not items:
        raise ValueError(f"{where} holds no instances")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"{where} item {i}: an instance must be a JSON object")
        missing = [f for f in REQUIRED_FIELDS if f not in item]
        if missing:
            raise ValueError(f"{where} item {i} ({item.get('instance_id', '?')}): missing field(s) {missing}")
        item = dict(item)
        for key in ("FAIL_TO_PASS", "PASS_TO_PASS"):
            if isinstance(item[key], str):
                item[key] = json.loads(item[key])
            if not isinstance(item[key], list) or not all(isinstance(t, str) for t in item[key]):
                raise ValueError(f"{where} item {i}: {key} must be a list of test ids")
        out.append(item)
    return out


def patch_walkthrough(patch: str) -> list[str]:
    """The gold patch as tool calls: ``git apply`` it with ``bash``, then ``submit``."""
    from .tools import format_tool_call

    marker = "TEXTAGENT_PATCH_EOF"
    while marker in patch:
        marker += "_"
    command = f"git apply --whitespace=nowarn - <<'{marker}'\n{patch if patch.endswith(chr(10)) else patch + chr(10)}{marker}"
    return [format_tool_call("bash", command=command), format_tool_call("submit")]


def _upload_command(local: Path, remote: str) -> str:
    """A shell command that writes the files of the folder ``local`` into ``remote``."""
    import base64

    parts = [f"umask 077 && mkdir -p {shlex.quote(remote)}"]
    for path in sorted(local.iterdir()):
        data = base64.b64encode(path.read_bytes()).decode()
        parts.append(f"base64 -d > {shlex.quote(remote + '/' + path.name)} <<'TEXTAGENT_EOF'\n{data}\nTEXTAGENT_EOF")
    return "\n".join(parts)


class DockerEpisodes:
    """Runs SWE-bench-style instances in Docker for an env: one container per image,
    reused between episodes (:class:`~textagent_envs.swe.docker.DockerSandbox`), and
    the grading: the agent's diff without protected files and without the files the
    test patch writes, applied to a clean checkout with the test patch, then the tests."""

    def __init__(self, limits: Limits, network: bool, grading_timeout: float):
        self.limits, self.network, self.grading_timeout = limits, network, grading_timeout
        self.sandbox = None
        self.image = None

    def start(self, instance: dict[str, Any]):
        from .docker import DockerSandbox, docker_unavailable_reason
        from .sandbox import SandboxUnavailable

        reason = docker_unavailable_reason()
        if reason is not None:
            raise SandboxUnavailable(f"SWE-Gym episodes run in Docker, which is not available: {reason}")
        if self.sandbox is None or self.image != instance["image"] or self.sandbox.workdir != instance["workdir"]:
            self.close()
            self.sandbox = DockerSandbox(instance["image"], workdir=instance["workdir"], limits=self.limits, network=self.network)
            self.image = instance["image"]
        self.sandbox.reset(instance["base_commit"])
        return self.sandbox.files

    def bash(self, command: str) -> str:
        return self.sandbox.run(command).observation()

    def grade(self, instance: dict[str, Any], *, hide_test_files: bool = False,
              source_roots: list[str] | None = None) -> tuple[TestReport, list[str]]:
        """Grade the container's work directory (see the class docstring). Changed paths
        are read NUL-separated (never quoted), so a protected file is recognised
        whatever its name. A pytest ``test_cmd`` runs under the graders' runner
        (:mod:`.pytest_plugin`); any other runner falls back to swebench's log parser,
        flagged with ``channel="log"`` in the report."""
        from .grading import filter_paths, log_parser, pytest_invocation, split_patch
        from .sandbox import SandboxError

        base = instance["base_commit"]
        test_patch = instance.get("test_patch") or ""
        try:
            kept, ignored = filter_paths(self.sandbox.changed_paths(base), {p for p, _ in split_patch(test_patch)})
            if source_roots is not None:  # a new top-level module could shadow what pytest imports
                ignored += [p for p in kept if p.split("/")[0] not in source_roots]
                kept = [p for p in kept if p.split("/")[0] in source_roots]
            patch = self.sandbox.diff(base, kept) if kept else ""
        except SandboxError as error:  # e.g. a diff over docker.MAX_PATCH_BYTES: every test counts as failing
            self.sandbox.reset(base)
            return TestReport(instance["FAIL_TO_PASS"], instance["PASS_TO_PASS"], {}), [f"(not graded: {error})"]
        self.sandbox.reset(base)
        f2p, p2p = instance["FAIL_TO_PASS"], instance["PASS_TO_PASS"]
        try:
            if patch:
                self.sandbox.apply(patch)
            if test_patch:
                self.sandbox.apply(test_patch)
        except SandboxError as error:
            return TestReport(f2p, p2p, {}, (), "plugin", f"the patch does not apply: {str(error)[:300]}"), ignored
        invocation = pytest_invocation(instance["test_cmd"])
        if invocation is None:
            result = self.sandbox.run(instance["test_cmd"], timeout=self.grading_timeout)
            return TestReport(f2p, p2p, log_parser(instance)(result.output), (), "log"), ignored
        python, args, cwd_first = invocation
        workdir = instance["workdir"].rstrip("/")
        folder = f"/tmp/.textagent-grading-{secrets.token_hex(8)}"
        with tempfile.TemporaryDirectory(prefix="textagent-grading-") as scratch:
            run = plugin_run(Path(scratch) / "run", root=workdir, agent_files=[f"{workdir}/{p}" for p in kept],
                             cwd_first=cwd_first, hide_test_files=hide_test_files)
            upload = self.sandbox.run(_upload_command(run.folder, folder), timeout=60)
        if upload.exit_code != 0:
            return TestReport(f2p, p2p, {}, (), "plugin", f"could not copy the test runner in: {upload.output[-300:]}"), ignored
        result = self.sandbox.run(shlex.join(plugin_command(python, folder, args)), timeout=self.grading_timeout)
        statuses, tampering, error = run.results(result.output)
        return TestReport(f2p, p2p, statuses, tuple(tampering), "plugin", error), ignored

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()
        self.sandbox = self.image = None


class GymEnv(SWEEnv):
    """``SWE-Gym-v0``: SWE-Gym / SWE-bench instances, each episode in a Docker container.

    Description:
        A real repository at an instance's ``base_commit`` and its issue text; the
        agent fixes the issue with tools and submits; the instance's tests grade it
        (the agent's diff without test files, applied to a clean checkout with the test
        patch).

    Observation:
        ``str``: at reset the problem statement and the tool instructions; after a step
        the tool's output, and the grade after ``submit``.

    Action:
        ``str``, one JSON tool call (as :class:`MiniEnv`).

    Rewards:
        0 until the grading step, which gives ``reward_type`` (see the module docstring).

    Termination and truncation:
        ``terminated`` at ``submit``; ``truncated`` after ``max_turns`` tool calls
        (graded as if submitted).

    Infos:
        As :class:`MiniEnv`; ``task`` names the instance.

    Knobs:
        No generated knobs: the instances are the tasks. Env arguments:

        - ``instances``: a JSONL/JSON file or a list of instance dicts (SWE-bench
          schema: ``instance_id``, ``repo``, ``base_commit``, ``problem_statement``,
          ``patch``, ``test_patch``, ``FAIL_TO_PASS``, ``PASS_TO_PASS``, ``version``,
          plus ``image``, ``workdir`` and ``test_cmd``, or the env's defaults for them).
        - ``image``: the image of instances that have none, a template with
          ``{instance_id}``, ``{repo}`` (``/`` as ``__``) and ``{version}``, e.g.
          SWE-Gym's ``"xingyaoww/sweb.eval.x86_64.{instance_id}"`` (images must be
          local: nothing is pulled).
        - ``workdir``, ``test_cmd``: defaults for instances without them.
        - ``network`` (off unless ``True``), ``limits`` (memory, CPUs, pids, file size,
          command time), ``grading_timeout``, ``reward_type``, ``max_turns``, ``render_mode``.

        ``reset(seed=s)`` picks an instance with the seeded ``np_random``;
        ``reset(options={"instance_id": id})`` picks one by id.

    Examples:
        Build a local instance from an SWE-Mini task with ``python -m
        textagent_envs.swe.images task``, then:

        >>> env = gym.make("SWE-Gym-v0", instances="instances.jsonl")  # doctest: +SKIP
        >>> obs, info = env.reset(options={"instance_id": "calckit-1"})  # doctest: +SKIP
    """

    workdir = "/testbed"
    family = "swe-gym"
    reset_options = ("instance_id",)

    def __init__(self, *, instances=None, image: str | None = None, workdir: str = "/testbed",
                 test_cmd: str | None = None, network: bool = False, grading_timeout: float = 1800.0, **kwargs: Any):
        super().__init__(**kwargs)
        if instances is None:
            raise ValueError(
                "SWE-Gym-v0 needs instances=: a SWE-bench/SWE-Gym JSONL or JSON file (or a list of dicts) whose images "
                "are local; `python -m textagent_envs.swe.images task` builds one from an SWE-Mini task"
            )
        self.instances = load_instances(instances)
        self.image_template = image
        self.default_workdir = workdir
        self.default_test_cmd = test_cmd
        for item in self.instances:
            self._complete(item)
        self._by_id = {item["instance_id"]: i for i, item in enumerate(self.instances)}
        self._docker = DockerEpisodes(self.limits, network, require_number("grading_timeout (seconds)", grading_timeout,
                                                                            positive=True))

    def _complete(self, item: dict[str, Any]) -> None:
        if "image" not in item:
            if self.image_template is None:
                raise ValueError(f"instance {item['instance_id']!r} names no image; give it an 'image' field or the env image= template")
            repo = str(item.get("repo", "")).replace("/", "__")
            item["image"] = self.image_template.format(instance_id=item["instance_id"], repo=repo, version=item.get("version", ""))
        item.setdefault("workdir", self.default_workdir)
        if "test_cmd" not in item:
            if self.default_test_cmd is None:
                raise ValueError(f"instance {item['instance_id']!r} has no 'test_cmd'; give it one or the env test_cmd=")
            item["test_cmd"] = self.default_test_cmd

    def _choose(self, seed, options):
        instance_id = options.get("instance_id")
        if instance_id is not None:
            if instance_id not in self._by_id:
                raise ValueError(f"no instance {instance_id!r} among the {len(self.instances)} loaded")
            index = self._by_id[instance_id]
        else:
            index = int(self.np_random.integers(len(self.instances)))
        instance = self.instances[index]
        self.workdir = instance["workdir"]
        self._tools = FileTools(self._docker.start(instance))
        walkthrough = patch_walkthrough(instance["patch"]) if instance.get("patch") else []
        spec = TaskSpec("swe-gym", {"instance_id": instance["instance_id"]}, index, id=instance["instance_id"])
        return spec, {**instance, "walkthrough": walkthrough}

    def _bash(self, command: str) -> str:
        return self._docker.bash(command)

    def _grade(self):
        return self._docker.grade(self._instance)

    def close(self) -> None:
        self._docker.close()
        super().close()
