import json
import os
import tracemalloc

import pytest

from textagent_envs.swe.sandbox import remove_tree
from textagent_envs.swe.tools import (
    MAX_FILE_BYTES,
    MAX_LISTING,
    MAX_OUTPUT_CHARS,
    TOOL_NAMES,
    TOOL_SCHEMAS,
    FileTools,
    InvalidToolCall,
    ToolCall,
    ToolError,
    format_tool_call,
    parse_tool_call,
    truncate_output,
)


def test_schemas_are_openai_function_tools():
    assert TOOL_NAMES == ("bash", "view", "create", "str_replace", "insert", "submit")
    for tool in TOOL_SCHEMAS:
        assert tool["type"] == "function"
        params = tool["function"]["parameters"]
        assert params["type"] == "object" and set(params["required"]) <= set(params["properties"])
    json.dumps(TOOL_SCHEMAS)  # serialisable for chat templates


def test_format_and_parse_round_trip():
    action = format_tool_call("str_replace", path="a.py", old_str="a - b", new_str="a + b")
    assert parse_tool_call(action) == ToolCall("str_replace", {"path": "a.py", "old_str": "a - b", "new_str": "a + b"})
    assert parse_tool_call('{"name": "submit"}') == ToolCall("submit", {})
    assert parse_tool_call('{"name": "bash", "arguments": "{\\"command\\": \\"ls\\"}"}') == ToolCall("bash", {"command": "ls"})
    with pytest.raises(InvalidToolCall):
        format_tool_call("bash")  # a formatted call is validated too


@pytest.mark.parametrize(
    "action, message",
    [
        ("", "empty"),
        ("ls -la", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"name": "rm"}', "Unknown tool 'rm'"),
        ('{"name": "bash", "arguments": {}}', "needs argument"),
        ('{"name": "bash", "arguments": {"command": "ls", "cwd": "/"}}', "takes no argument"),
        ('{"name": "bash", "arguments": {"command": 3}}', "must be a string"),
        ('{"name": "insert", "arguments": {"path": "a", "insert_line": true, "insert_text": "x"}}', "must be a integer"),
        ('{"name": "view", "arguments": {"path": "a", "view_range": [1]}}', "two integers"),
        ('{"name": "bash", "arguments": [1]}', "must be a JSON object"),
        ('{"name": "bash", "arguments": "nope"}', "not JSON"),
        ('{"name": "bash", "arguments": {"command": "ls"}, "id": 3}', "Unexpected field"),
    ],
)
def test_malformed_calls_say_what_is_wrong(action, message):
    with pytest.raises(InvalidToolCall, match=message):
        parse_tool_call(action)


def test_non_str_action_is_a_type_error():
    with pytest.raises(TypeError):
        parse_tool_call({"name": "submit"})


def test_long_output_is_cut_with_a_note():
    text = "x" * (MAX_OUTPUT_CHARS * 3)
    cut = truncate_output(text)
    assert len(cut) < MAX_OUTPUT_CHARS + 100 and f"[... {len(text) - MAX_OUTPUT_CHARS} characters cut ...]" in cut
    assert truncate_output("short") == "short"


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "ops.py").write_text("def add(a, b):\n    return a - b\n")
    return FileTools(tmp_path)


def test_view_file_and_directory(repo):
    assert repo.view("pkg/ops.py") == "     1\tdef add(a, b):\n     2\t    return a - b\n     3\t"
    assert repo.view("pkg/ops.py", [2, 2]) == "     2\t    return a - b"
    assert repo.view(".") == "pkg/\npkg/ops.py"
    with pytest.raises(ToolError, match="outside the file's lines"):
        repo.view("pkg/ops.py", [2, 9])


def test_edit_tools(repo):
    assert "Edited pkg/ops.py" in repo.str_replace("pkg/ops.py", "a - b", "a + b")
    assert "a + b" in repo.view("pkg/ops.py")
    repo.insert("pkg/ops.py", 0, "# ops")
    assert repo.view("pkg/ops.py", [1, 1]).endswith("# ops")
    assert "Created" in repo.create("pkg/new.py", "X = 1\n")
    with pytest.raises(ToolError, match="already exists"):
        repo.create("pkg/new.py", "")
    with pytest.raises(ToolError, match="does not occur"):
        repo.str_replace("pkg/ops.py", "nothing", "x")
    repo.create("pkg/twice.py", "x\nx\n")
    with pytest.raises(ToolError, match="occurs 2 times"):
        repo.str_replace("pkg/twice.py", "x", "y")
    with pytest.raises(ToolError, match="outside 0-"):
        repo.insert("pkg/ops.py", 99, "x")
    with pytest.raises(ToolError, match="is not a file"):
        repo.view("pkg/missing.py")


@pytest.mark.parametrize("path", ["../outside.py", "/etc/passwd", "pkg/../../x", "link/secret"])
def test_paths_cannot_leave_the_workspace(repo, tmp_path_factory, path):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret").write_text("host secret")
    os.symlink(outside, repo.files.root / "link")
    with pytest.raises(ToolError, match="outside the repository"):
        repo.view(path)
    with pytest.raises(ToolError, match="outside the repository"):
        repo.create(path, "x")
    assert (outside / "secret").read_text() == "host secret"


# -- no exception from a well-formed call, and bounded host work (issue 16 §2-3) ----------

@pytest.mark.parametrize("arguments", [
    {"name": "bash", "arguments": {"command": "echo \ud800"}},
    {"name": "view", "arguments": {"path": "\udfff.py"}},
    {"name": "create", "arguments": {"path": "x.py", "file_text": "a\udc80"}},
])
def test_lone_surrogates_are_refused_with_a_reason(arguments):
    with pytest.raises(InvalidToolCall, match="lone surrogate"):
        parse_tool_call(json.dumps(arguments))


def test_names_too_long_and_paths_too_deep_are_tool_errors(repo):
    for name, arguments in [("create", {"path": "a" * 300, "file_text": "x"}), ("view", {"path": "a" * 300}),
                            ("str_replace", {"path": "b" * 300 + "/c", "old_str": "x", "new_str": "y"}),
                            ("view", {"path": "/".join(["d"] * 3000)})]:
        with pytest.raises(ToolError):
            repo.run(ToolCall(name, arguments))


def test_a_deep_tree_is_listed_without_recursion(repo):
    os.makedirs(repo.files.root / "deep", exist_ok=True)
    folder = os.open(repo.files.root / "deep", os.O_RDONLY)
    try:  # 1,400 levels: past Python's recursion limit (and past PATH_MAX as a path)
        for _ in range(1400):
            os.mkdir("d", dir_fd=folder)
            inner = os.open("d", os.O_RDONLY, dir_fd=folder)
            os.close(folder)
            folder = inner
    finally:
        os.close(folder)
    try:
        assert "deep/d/" in repo.view(".").splitlines()
        assert repo.view("deep") == "deep/d/\ndeep/d/d/"
    finally:
        remove_tree(repo.files.root / "deep")  # pytest's own clean-up of tmp_path recurses
    assert not (repo.files.root / "deep").exists()


def test_a_listing_reads_a_bounded_number_of_entries(repo):
    many = repo.files.root / "many"
    many.mkdir()
    for i in range(MAX_LISTING + 500):
        (many / f"f{i:05}").touch()
    assert len(repo.files.listing("many", 2)) == MAX_LISTING + 1
    shown = repo.view("many")
    assert len(shown) < MAX_OUTPUT_CHARS + 200 and shown.startswith("many/f00000\nmany/f00001\n")
    assert shown.endswith(f"[listing cut at {MAX_LISTING} entries; view a subfolder]")


def test_a_big_file_is_not_read_whole(repo):
    tracemalloc.start()
    (repo.files.root / "newlines.txt").write_bytes(b"\n" * (MAX_FILE_BYTES - 1))
    text = repo.view("newlines.txt")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(text) < MAX_OUTPUT_CHARS + 200 and "not shown; view them with view_range" in text
    assert text.splitlines()[-1].strip() == str(MAX_FILE_BYTES)  # the last line, numbered
    assert peak < 16 * MAX_FILE_BYTES, peak  # the split lines, not a formatted copy of each (that was ~90x)
    (repo.files.root / "huge.txt").write_bytes(b"\n" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ToolError, match="up to .* bytes. Look at it with bash"):
        repo.view("huge.txt")
    with pytest.raises(ToolError, match="Look at it with bash"):
        repo.insert("huge.txt", 0, "x")
