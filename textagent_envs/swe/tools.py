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

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

#: Longest tool output returned; longer output is cut with a note saying how much.
MAX_OUTPUT_CHARS = 10_000

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
        if isinstance(value, bool) or not isinstance(value, expected):
            raise InvalidToolCall(f"Argument {key!r} of {name!r} must be a {schema['properties'][key]['type']}, got {type(value).__name__}.")
    view_range = arguments.get("view_range")
    if view_range is not None and (len(view_range) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in view_range)):
        raise InvalidToolCall("'view_range' must be two integers [first, last].")
    return ToolCall(name, dict(arguments))


_EXAMPLE = '{"name": "view", "arguments": {"path": "."}}'


def truncate_output(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """``text`` cut to ``limit`` characters, with a note of how much was left out."""
    if len(text) <= limit:
        return text
    head, tail = text[: limit * 3 // 4], text[-(limit // 4):]
    return f"{head}\n[... {len(text) - len(head) - len(tail)} characters cut ...]\n{tail}"


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

    def read_bytes(self, rel: str) -> bytes: ...

    def write_bytes(self, rel: str, data: bytes) -> None:
        """Write a file, creating its parent folders."""

    def listing(self, rel: str, depth: int) -> list[str]:
        """Paths under ``rel`` down to ``depth`` levels, relative to the root, folders
        ending in ``/``, ``.git`` left out."""


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

    def read_bytes(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()

    def write_bytes(self, rel: str, data: bytes) -> None:
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def listing(self, rel: str, depth: int) -> list[str]:
        base = self.root / rel
        return [
            p.relative_to(self.root).as_posix() + ("/" if p.is_dir() else "")
            for p in base.rglob("*")
            if ".git" not in p.relative_to(self.root).parts and len(p.relative_to(base).parts) <= depth
        ]


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
        return getattr(self, call.name)(**call.arguments)

    def _path(self, path: str) -> str:
        if "\x00" in path:
            raise ToolError("The path contains a NUL character.")
        rel = self.files.resolve(path)
        if rel is None:
            raise ToolError(f"{path!r} is outside the repository; paths are relative to its root.")
        return rel

    def view(self, path: str, view_range: list[int] | None = None) -> str:
        rel = self._path(path)
        if self.files.kind(rel) == "dir":
            if view_range is not None:
                raise ToolError("'view_range' applies to files, not directories.")
            entries = sorted(self.files.listing(rel, 2))
            return truncate_output("\n".join(entries) or "(empty directory)")
        lines = self._read(rel).split("\n")
        first, last = 1, len(lines)
        if view_range is not None:
            first, last = view_range
            last = len(lines) if last == -1 else last
            if not 1 <= first <= last <= len(lines):
                raise ToolError(f"view_range {view_range} is outside the file's lines 1-{len(lines)}.")
        numbered = "\n".join(f"{n:6}\t{lines[n - 1]}" for n in range(first, last + 1))
        return truncate_output(numbered)

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
        try:
            return self.files.read_bytes(rel).decode("utf-8")
        except UnicodeDecodeError:
            raise ToolError(f"{rel} is not UTF-8 text.") from None
