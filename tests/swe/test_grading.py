"""Grading: which changes count, patch filtering, log parsing and the three rewards."""

import pytest

import subprocess
import sys

from textagent_envs.swe.grading import (
    PluginRun, TestReport, changed_files, filter_patch, filter_paths, is_cache, is_protected, log_parser,
    parse_pytest_log, plugin_command, plugin_run, prepare_grading_copy, pytest_invocation, split_patch,
    unquote_git_path,
)


@pytest.mark.parametrize("path, protected", [
    ("calckit/stats.py", False), ("src/pkg/core.py", False), ("README.md", False),
    ("tests/test_stats.py", True), ("pkg/tests/helpers.py", True), ("test_top.py", True), ("pkg/core_test.py", True),
    ("conftest.py", True), ("pkg/conftest.py", True), ("pytest.ini", True), ("tox.ini", True), ("setup.cfg", True),
    ("pyproject.toml", True), ("sitecustomize.py", True), ("pkg/evil.pth", True), ("_pytest/__init__.py", True),
    ("pytest.py", True), ("pluggy/__init__.py", True),
])
def test_is_protected(path, protected):
    assert is_protected(path) is protected


PATCH = """diff --git a/pkg/a.py b/pkg/a.py
index 1..2 100644
--- a/pkg/a.py
+++ b/pkg/a.py
@@ -1 +1 @@
-x = 1
+x = 2
diff --git a/tests/test_a.py b/tests/test_a.py
--- a/tests/test_a.py
+++ b/tests/test_a.py
@@ -1 +1 @@
-assert x == 2
+assert True
diff --git a/pkg/b.py b/pkg/b.py
new file mode 100644
--- /dev/null
+++ b/pkg/b.py
@@ -0,0 +1 @@
+y = 3
"""


def test_split_and_filter_patch():
    parts = split_patch(PATCH)
    assert [p for p, _ in parts] == ["pkg/a.py", "tests/test_a.py", "pkg/b.py"]
    assert "".join(chunk for _, chunk in parts) == PATCH
    kept, ignored = filter_patch(PATCH, {"pkg/b.py"})
    assert ignored == ["tests/test_a.py", "pkg/b.py"]
    assert [p for p, _ in split_patch(kept)] == ["pkg/a.py"]
    assert split_patch("") == [] and filter_patch("") == ("", [])


def test_grading_copy_takes_only_unprotected_changes_in_the_source(tmp_path):
    pristine, work, dest = tmp_path / "pristine", tmp_path / "work", tmp_path / "dest"
    for root in (pristine, work):
        (root / "pkg").mkdir(parents=True)
        (root / "tests").mkdir()
        (root / "pkg" / "a.py").write_text("x = 1\n")
        (root / "tests" / "test_a.py").write_text("def test(): pass\n")
    (work / "pkg" / "a.py").write_text("x = 2\n")
    (work / "tests" / "test_a.py").write_text("def test(): assert 0\n")
    (work / "pkg" / "new.py").write_text("y = 1\n")
    (work / "shadow.py").write_text("z = 1\n")
    (work / "pkg" / "link.py").symlink_to("/etc/passwd")
    assert changed_files(pristine, work) == ["pkg/a.py", "pkg/link.py", "pkg/new.py", "shadow.py", "tests/test_a.py"]
    applied, ignored = prepare_grading_copy(pristine, work, dest, source_roots=["pkg"])
    assert applied == ["pkg/a.py", "pkg/new.py"]
    assert ignored == ["pkg/link.py", "shadow.py", "tests/test_a.py"]
    assert (dest / "pkg" / "a.py").read_text() == "x = 2\n" and (dest / "tests" / "test_a.py").read_text() == "def test(): pass\n"
    assert not (dest / "shadow.py").exists() and not (dest / "pkg" / "link.py").exists()
    (work / "pkg" / "new.py").unlink()
    (work / "pkg" / "a.py").unlink()  # a deletion in the source counts
    applied, _ = prepare_grading_copy(pristine, work, dest, source_roots=["pkg"])
    assert applied == ["pkg/a.py"] and not (dest / "pkg" / "a.py").exists()


LOG = """tests/test_a.py::test_one PASSED
PASSED tests/test_a.py::test_one
FAILED tests/test_a.py::test_two - AssertionError: boom
ERROR tests/test_b.py::test_three
XFAIL tests/test_b.py::test_four
"""


def test_parsers_read_pytest_logs():  # the fallback for runners other than pytest
    ours = parse_pytest_log(LOG)
    assert ours == {"tests/test_a.py::test_one": "PASSED", "tests/test_a.py::test_two": "FAILED",
                    "tests/test_b.py::test_three": "ERROR", "tests/test_b.py::test_four": "XFAIL"}
    swebench = log_parser({"repo": "someone/unknown"})(LOG)
    assert {k: v for k, v in swebench.items() if k in ours} == ours
    with pytest.raises(ValueError, match="not one of swebench's parsers"):
        log_parser({"log_parser": "parse_log_nothing"})


def test_only_passed_counts_and_tampering_zeroes_every_reward():
    f2p, p2p = ["a", "b", "c", "d", "e"], ["f"]
    statuses = {"a": "SKIPPED", "b": "XFAIL", "c": "XPASS", "d": "ERROR", "f": "PASSED"}  # e is missing
    report = TestReport(f2p, p2p, statuses)
    assert report.passing == 1 and report.reward("f2p_ratio") == 0.0 and report.summary()["statuses"]["e"] == "MISSING"
    solved = {t: "PASSED" for t in f2p + p2p}
    assert TestReport(f2p, p2p, solved).reward("resolved") == 1.0
    tampered = TestReport(f2p, p2p, solved, ("builtins.__import__ was changed",))
    assert [tampered.reward(r) for r in ("resolved", "test_pass_ratio", "f2p_ratio")] == [0.0, 0.0, 0.0]


QUOTED = (
    'diff --git "a/tests/\\303\\274/conftest.py" "b/tests/\\303\\274/conftest.py"\nnew file mode 100644\n'
    'diff --git a/pkg/a b.py b/pkg/a b.py\n--- a/pkg/a b.py\n'
    'diff --git "a/pkg/q\\"u\\no.py" "b/pkg/q\\"u\\no.py"\n'
)


def test_quoted_diff_headers_are_read_exactly():
    assert [p for p, _ in split_patch(QUOTED)] == ["tests/ü/conftest.py", "pkg/a b.py", 'pkg/q"u\no.py']
    kept, ignored = filter_patch(QUOTED)
    assert ignored == ["tests/ü/conftest.py"] and "conftest" not in kept
    assert unquote_git_path("caf\\303\\251\\t") == "café\t"
    with pytest.raises(ValueError, match="cannot read the diff header"):
        split_patch('diff --git "a/unterminated\n')
    assert filter_paths(["pkg/a.py", "tests/ü/conftest.py", ".pytest_cache/v/x", "pkg/__pycache__/a.pyc"]) == (
        ["pkg/a.py"], ["tests/ü/conftest.py"])
    assert is_cache(".pytest_cache/README.md") and is_cache("a/b.pyc") and not is_cache("pkg/cache.py")


@pytest.mark.parametrize("command, expected", [
    ("python3 -m pytest -rA -p no:cacheprovider tests", ("python3", ["-rA", "-p", "no:cacheprovider", "tests"], True)),
    ("/opt/env/bin/python -m pytest tests/x.py::t", ("/opt/env/bin/python", ["tests/x.py::t"], True)),
    ("pytest -rA 'tests/a b.py'", ("python3", ["-rA", "tests/a b.py"], False)),
    ("tox -e py311", None), ("cd src && pytest", None), ("pytest tests | tee log", None), ("./runtests.py", None),
])
def test_which_commands_run_under_the_plugin(command, expected):
    assert pytest_invocation(command) == expected


def test_the_runner_gives_authenticated_results_and_refuses_forgeries(tmp_path):
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "pkg").mkdir()
    (repo / "pkg" / "__init__.py").write_text("import sys\nprint('TEXTAGENT-GRADING {\"nonce\": \"x\"} 00')\n")
    (repo / "tests" / "test_a.py").write_text(
        "import pytest, pkg\ndef test_ok(): pass\ndef test_bad(): assert 0\ndef test_skip(): pytest.skip('x')\n"
        "@pytest.mark.xfail\ndef test_xfail(): assert 0\n@pytest.mark.xfail\ndef test_xpass(): pass\n")
    run = plugin_run(tmp_path / "run", root=str(repo))
    out = subprocess.run(plugin_command(sys.executable, str(run.folder), ["-q", "-p", "no:cacheprovider", "tests"]),
                         cwd=repo, capture_output=True, text=True, timeout=120).stdout
    assert not run.folder.exists()  # the run deletes its secret before any project code starts
    statuses, tampering, error = run.results(out)
    assert statuses == {"tests/test_a.py::test_ok": "PASSED", "tests/test_a.py::test_bad": "FAILED",
                        "tests/test_a.py::test_skip": "SKIPPED", "tests/test_a.py::test_xfail": "FAILED",
                        "tests/test_a.py::test_xpass": "XPASS"}
    assert tampering == [] and error is None and "assert 0" in run.failures(out)["tests/test_a.py::test_bad"]
    line = next(line for line in out.splitlines() if line.startswith("TEXTAGENT-GRADING"))
    forged = line.replace('"failed"', '"passed"')
    assert run.results(forged)[0] == {} and "no results" in run.results(forged)[2]
    assert run.results(out + "\n" + line)[2].startswith("the test run gave more than one result record")
    other = PluginRun(run.key, "another nonce", run.folder)
    assert other.results(out)[0] == {}


def test_rewards_by_hand():
    f2p, p2p = ["t1", "t2"], ["t3", "t4", "t5", "t6"]
    report = TestReport(f2p, p2p, {"t1": "PASSED", "t3": "PASSED", "t4": "PASSED", "t5": "FAILED"})  # t2, t6 missing
    assert report.passing == 3 and report.total == 6
    assert report.reward("test_pass_ratio") == 0.5
    assert report.reward("f2p_ratio") == 0.5
    assert report.reward("resolved") == 0.0
    assert report.summary()["failing"] == ["t2", "t5", "t6"]
    empty_patch = TestReport(f2p, p2p, {t: "PASSED" for t in p2p})
    assert empty_patch.reward("f2p_ratio") == 0.0 and empty_patch.reward("test_pass_ratio") == pytest.approx(4 / 6)
    solved = TestReport(f2p, p2p, {t: "PASSED" for t in f2p + p2p})
    assert solved.resolved and solved.reward("resolved") == 1.0
    assert TestReport([], [], {}).reward("resolved") == 0.0
    with pytest.raises(ValueError, match="reward_type"):
        report.reward("vibes")
