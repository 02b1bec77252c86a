"""The tools an SWE agent calls, as OpenAI-style tool calls written in the action string.

An action is one JSON object ``{"name": TOOL, "arguments": {...}}``::

    {"name": "str_replace", "arguments": {"path": "calc/ops.py", "old_str": "a - b", "new_str": "a + b"}}

:data:`TOOL_SCHEMAS` holds the tools' JSON schemas (in the ``{"type": "function",
"function": {...}}`` form chat templates take); :func:`format_tool_call` writes a call;
:func:`parse_tool_call` reads one and raises :class:`InvalidToolCall` saying exactly what
is wrong, so the env can answer a malformed action with an observation. File tools
(:class:`FileTools`) act inside one workspace folder and refuse any path that leads out
of it, symbolic links included.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..checks import is_int

#: Longest tool output returned; longer output is cut with a note saying how much.
MAX_OUTPUT_CHARS = 10_000
#: Largest file the file tools read (view, str_replace, insert); bigger files are for bash.
MAX_FILE_BYTES = 4 << 20
#: Most entries a directory view lists.
MAX_LISTING = 1_000
_MAX_READ = 100_000  # entries read per folder for a listing (the first MAX_LISTING by name are kept)

_STR = {"type": "string"}
_INT = {"type": "integer"}


def _tool(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required, "additionalProperties": False},
        },
    }


TOOL_SCHEMAS: list[dict[str, Any]] = [
    _tool("bash", "Run a shell command in the repository (no network; it has a time limit).",
          {"command": {**_STR, "description": "the command line"}}, ["command"]),
    _tool("view", "Show a file with line numbers (optionally lines [start, end]), or list a directory.",
          {"path": {**_STR, "description": "path relative to the repository root"},
           "view_range": {"type": "array", "items": _INT, "minItems": 2, "maxItems": 2,
                          "description": "[first, last] line, 1-based; last -1 means the end"}},
          ["path"]),
    _tool("create", "Create a new file with the given content (the file must not exist).",
          {"path": _STR, "file_text": _STR}, ["path", "file_text"]),
    _tool("str_replace", "Replace the one occurrence of old_str in a file with new_str.",
          {"path": _STR, "old_str": _STR, "new_str": _STR}, ["path", "old_str", "new_str"]),
    _tool("insert", "Insert text after line insert_line of a file (0 inserts at the top).",
          {"path": _STR, "insert_line": _INT, "insert_text": _STR}, ["path", "insert_line", "insert_text"]),
    _tool("submit", "Finish the episode: the repository's tests grade the current code.", {}, []),
]

TOOL_NAMES = tuple(t["function"]["name"] for t in TOOL_SCHEMAS)
_PARAMETERS = {t["function"]["name"]: t["function"]["parameters"] for t in TOOL_SCHEMAS}
_PY_TYPES = {"string": str, "integer": int, "array": list}


class InvalidToolCall(ValueError):
    """An action that is not a well-formed call of a known tool; ``str(err)`` says why."""


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


def format_tool_call(name: str, **arguments: Any) -> str:
    """The action string that calls ``name`` with ``arguments`` (validated)."""
    call = json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)
    parse_tool_call(call)
    return call


def parse_tool_call(action: str) -> ToolCall:
    """The :class:`ToolCall` in ``action``, or :class:`InvalidToolCall`; ``TypeError`` for a non-str."""
    if not isinstance(action, str):
        raise TypeError(f"an action must be a str holding a JSON tool call, got {type(action).__name__}")
    text = action.strip()
    if not text:
        raise InvalidToolCall(f"The action is empty. Call a tool: {_EXAMPLE}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidToolCall(f"The action is not valid JSON ({err.msg} at character {err.pos}). Call a tool: {_EXAMPLE}") from None
    if not isinstance(data, dict):
        raise InvalidToolCall(f"The action must be a JSON object, got a JSON {type(data).__name__}. Call a tool: {_EXAMPLE}")
    extra = set(data) - {"name", "arguments"}
    if extra:
        raise InvalidToolCall(f"Unexpected field(s) {sorted(extra)}; a tool call has only 'name' and 'arguments'.")
    name = data.get("name")
    if name not in _PARAMETERS:
        raise InvalidToolCall(f"Unknown tool {name!r}; the tools are {', '.join(TOOL_NAMES)}.")
    arguments = data.get("arguments", {})
    if isinstance(arguments, str):  # some chat templates send the arguments as a JSON string
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            raise InvalidToolCall(f"The arguments of {name!r} are a string that is not JSON.") from None
    if not isinstance(arguments, dict):
        raise InvalidToolCall(f"The arguments of {name!r} must be a JSON object, got {type(arguments).__name__}.")
    schema = _PARAMETERS[name]
    missing = [k for k in schema["required"] if k not in arguments]
    if missing:
        raise InvalidToolCall(f"{name!r} needs argument(s) {missing}.")
    unknown = sorted(set(arguments) - set(schema["properties"]))
    if unknown:
        raise InvalidToolCall(f"{name!r} takes no argument(s) {unknown}; its arguments are {sorted(schema['properties'])}.")
    for key, value in arguments.items():
        expected = _PY_TYPES[schema["properties"][key]["type"]]
        if isinstance(value, bool) or not isinstance(value, expected):  # JSON's true is not a number
            raise InvalidToolCall(f"Argument {key!r} of {name!r} must be a {schema['properties'][key]['type']}, got {type(value).__name__}.")
    for key, value in arguments.items():
        bad = _lone_surrogate(value) if isinstance(value, str) else None
        if bad is not None:
            raise InvalidToolCall(f"Argument {key!r} of {name!r} holds {value[bad]!r} at character {bad}, a lone "
                                  "surrogate that is not text; send valid Unicode.")
    view_range = arguments.get("view_range")
    if view_range is not None and (len(view_range) != 2 or not all(is_int(v) for v in view_range)):
        raise InvalidToolCall("'view_range' must be two integers [first, last].")
    return ToolCall(name, dict(arguments))


_EXAMPLE = '{"name": "view", "arguments": {"path": "."}}'


def _lone_surrogate(text: str) -> int | None:
    """The index of the first lone surrogate in ``text`` (which cannot be encoded), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return error.start
    return None


def truncate_output(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """``text`` cut to ``limit`` characters, with a note of how much was left out."""
    if len(text) <= limit:
        return text
    head, tail = text[: limit * 3 // 4], text[-(limit // 4):]
    return f"{head}\n[... {len(text) - len(head) - len(tail)} characters cut ...]\n{tail}"


def _numbered(lines: list[str], first: int, last: int, limit: int = MAX_OUTPUT_CHARS) -> str:
    """Lines ``first``-``last`` (1-based) with their numbers. When that is over ``limit``
    characters: the first lines (three quarters of it) and the last ones (a quarter), with a
    note of the lines left out; only the lines shown are formatted."""
    def take(numbers, budget: int) -> list[str]:
        kept, used = [], 0
        for n in numbers:
            row = f"{n:6}\t{lines[n - 1][:budget]}"
            used += len(row) + 1
            if used > budget and kept:
                break
            kept.append(row)
        return kept

    head = take(range(first, last + 1), limit + 1)
    if len(head) == last - first + 1:
        return truncate_output("\n".join(head), limit)
    head = take(range(first, last + 1), limit * 3 // 4)
    tail = take(range(last, first + len(head) - 1, -1), limit // 4)[::-1]
    cut_from, cut_to = first + len(head), last - len(tail)
    note = [f"[... lines {cut_from}-{cut_to} not shown; view them with view_range ...]"] if cut_from <= cut_to else []
    return "\n".join([*head, *note, *tail])


class ToolError(ValueError):
    """A tool call that was well formed but could not be done (no such file, ...)."""


class WorkspaceFiles(Protocol):
    """The file operations :class:`FileTools` needs, on some workspace: a host folder
    (:class:`LocalFiles`) or a folder in a container (``textagent_envs.swe.docker``).
    Paths are workspace-relative POSIX strings; ``"."`` is the root."""

    def resolve(self, path: str) -> str | None:
        """``path`` with symbolic links followed, relative to the root, or None if it
        leads outside the workspace."""

    def kind(self, rel: str) -> str | None:
        """``"file"``, ``"dir"``, or None when nothing is there."""

    def size(self, rel: str) -> int:
        """The size in bytes of the file ``rel``."""

    def read_bytes(self, rel: str) -> bytes: ...

    def write_bytes(self, rel: str, data: bytes) -> None:
        """Write a file, creating its parent folders."""

    def listing(self, rel: str, depth: int) -> list[str]:
        """Paths under ``rel`` down to ``depth`` levels, relative to the root, folders
        ending in ``/``, ``.git`` left out; at most ``MAX_LISTING + 1`` of them (more
        means the listing was cut)."""


class LocalFiles:
    """:class:`WorkspaceFiles` on a host folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"workspace {str(self.root)!r} is not a directory")

    def resolve(self, path: str) -> str | None:
        target = (self.root / path).resolve()
        if target != self.root and self.root not in target.parents:
            return None
        return target.relative_to(self.root).as_posix() or "."

    def kind(self, rel: str) -> str | None:
        target = self.root / rel
        return "dir" if target.is_dir() else "file" if target.is_file() else None

    def size(self, rel: str) -> int:
        return (self.root / rel).stat().st_size

    def read_bytes(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()

    def write_bytes(self, rel: str, data: bytes) -> None:
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def listing(self, rel: str, depth: int) -> list[str]:
        """Breadth first, each folder's entries in name order, without recursion (a tree
        of any depth costs at most ``depth`` levels, and a folder at most 100,000 entries
        read)."""
        found: list[str] = []
        level = [(self.root / rel, "" if rel in ("", ".") else rel.rstrip("/") + "/")]
        for _ in range(depth):
            below = []
            for folder, prefix in level:
                try:
                    with os.scandir(folder) as entries:
                        names = sorted(itertools.islice(((e.name, e.is_dir(follow_symlinks=False)) for e in entries),
                                                        _MAX_READ))[:MAX_LISTING + 1]
                except OSError:
                    continue
                for name, is_dir in names:
                    if name == ".git":
                        continue
                    found.append(prefix + name + ("/" if is_dir else ""))
                    if len(found) > MAX_LISTING:
                        return found
                    if is_dir:
                        below.append((folder / name, prefix + name + "/"))
            level = below
        return found


class FileTools:
    """``view``, ``create``, ``str_replace`` and ``insert`` inside one workspace: a host
    folder (a path) or any :class:`WorkspaceFiles`.

    Every path is resolved (symbolic links followed) and must stay inside the workspace.
    Each method returns the observation text or raises :class:`ToolError`.
    """

    def __init__(self, workspace: str | Path | WorkspaceFiles):
        self.files = LocalFiles(workspace) if isinstance(workspace, (str, Path)) else workspace

    def run(self, call: ToolCall) -> str:
        if call.name not in ("view", "create", "str_replace", "insert"):
            raise ToolError(f"{call.name!r} is not a file tool")
        try:
            return getattr(self, call.name)(**call.arguments)
        except OSError as error:  # a name too long, a path too deep, a full disk, ...
            raise ToolError(f"{call.name} failed: {error.strerror or error}.") from None
        except RecursionError:
            raise ToolError(f"{call.name} failed: the path is nested too deeply.") from None

    def _path(self, path: str) -> str:
        if "\x00" in path:
            raise ToolError("The path contains a NUL character.")
        if _lone_surrogate(path) is not None:
            raise ToolError("The path holds a lone surrogate, which is not text.")
        try:
            rel = self.files.resolve(path)
        except OSError as error:
            raise ToolError(f"Cannot use the path {path[:300]!r}: {error.strerror or error}.") from None
        if rel is None:
            raise ToolError(f"{path!r} is outside the repository; paths are relative to its root.")
        return rel

    def view(self, path: str, view_range: list[int] | None = None) -> str:
        rel = self._path(path)
        if self.files.kind(rel) == "dir":
            if view_range is not None:
                raise ToolError("'view_range' applies to files, not directories.")
            entries = sorted(self.files.listing(rel, 2))
            cut = f"\n[listing cut at {MAX_LISTING} entries; view a subfolder]" if len(entries) > MAX_LISTING else ""
            return truncate_output("\n".join(entries[:MAX_LISTING]) + cut or "(empty directory)")
        lines = self._read(rel).split("\n")
        first, last = 1, len(lines)
        if view_range is not None:
            first, last = view_range
            last = len(lines) if last == -1 else last
            if not 1 <= first <= last <= len(lines):
                raise ToolError(f"view_range {view_range} is outside the file's lines 1-{len(lines)}.")
        return _numbered(lines, first, last)

    def create(self, path: str, file_text: str) -> str:
        rel = self._path(path)
        if self.files.kind(rel) is not None:
            raise ToolError(f"{path!r} already exists; edit it with str_replace or insert.")
        self._write(rel, file_text)
        return f"Created {rel} ({len(file_text.splitlines())} lines)."

    def str_replace(self, path: str, old_str: str, new_str: str) -> str:
        rel = self._path(path)
        text = self._read(rel)
        if not old_str:
            raise ToolError("'old_str' is empty; give the exact text to replace.")
        count = text.count(old_str)
        if count != 1:
            where = "does not occur" if count == 0 else f"occurs {count} times"
            raise ToolError(f"'old_str' {where} in {rel}; it must occur exactly once.")
        self._write(rel, text.replace(old_str, new_str))
        return f"Edited {rel}."

    def insert(self, path: str, insert_line: int, insert_text: str) -> str:
        rel = self._path(path)
        lines = self._read(rel).split("\n")
        if not 0 <= insert_line <= len(lines):
            raise ToolError(f"insert_line {insert_line} is outside 0-{len(lines)}.")
        new = insert_text.split("\n")
        self._write(rel, "\n".join(lines[:insert_line] + new + lines[insert_line:]))
        return f"Inserted {len(new)} line(s) after line {insert_line} of {rel}."

    def _write(self, rel: str, text: str) -> None:
        try:
            self.files.write_bytes(rel, text.encode("utf-8"))
        except OSError as error:
            raise ToolError(f"Could not write {rel}: {error.strerror or error}.") from None

    def _read(self, rel: str) -> str:
        if self.files.kind(rel) != "file":
            raise ToolError(f"{rel} is not a file.")
        size = self.files.size(rel)
        if size > MAX_FILE_BYTES:
            raise ToolError(f"{rel} is {size} bytes; the file tools read files up to {MAX_FILE_BYTES} bytes. "
                            "Look at it with bash (head, sed -n, grep).")
        try:
            return self.files.read_bytes(rel).decode("utf-8")
        except UnicodeDecodeError:
            raise ToolError(f"{rel} is not UTF-8 text.") from None
