"""Grading: which changes count, patch filtering, log parsing and the three rewards."""

import pytest

from textagent_envs.swe.grading import (
    TestReport, changed_files, filter_patch, is_protected, log_parser, parse_pytest_log, prepare_grading_copy,
    split_patch,
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


def test_parsers_read_pytest_logs():
    ours = parse_pytest_log(LOG)
    assert ours == {"tests/test_a.py::test_one": "PASSED", "tests/test_a.py::test_two": "FAILED",
                    "tests/test_b.py::test_three": "ERROR", "tests/test_b.py::test_four": "XFAIL"}
    swebench = log_parser({"repo": "someone/unknown"})(LOG)
    assert {k: v for k, v in swebench.items() if k in ours} == ours
    with pytest.raises(ValueError, match="not one of swebench's parsers"):
        log_parser({"log_parser": "parse_log_nothing"})


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
