"""Reading JSON-lines files (task manifests, curriculum logs): one reader, one policy.

Every non-blank line must be one JSON object. A line that is not raises ``ValueError``
naming the file and the line number; a caller that must go on past bad lines passes
``on_error="warn"`` and documents why (make-tasks resuming after an interrupted run, whose
last line may be torn). A missing file is ``FileNotFoundError`` naming what was expected.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any, Callable, TypeVar

__all__ = ["ON_ERROR", "read_jsonl"]

T = TypeVar("T")
ON_ERROR = ("raise", "warn")


def read_jsonl(
    path: str | os.PathLike, *, what: str = "JSON-lines file", on_error: str = "raise",
    convert: Callable[[dict[str, Any], str], T] | None = None,
) -> list[tuple[int, Any]]:
    """``(line number, object)`` for every non-blank line of ``path``.

    ``convert(obj, where)``, when given, turns each object into what the caller wants
    (``where`` is ``"FILE:LINE"`` for its messages); its ``ValueError``/``TypeError`` is a bad
    line like invalid JSON. ``what`` names the file in errors (``"task manifest"``).
    """
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {list(ON_ERROR)}, got {on_error!r}")
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"{what} {str(path)!r} does not exist")
    if not path.is_file():
        raise ValueError(f"{what} {str(path)!r} is not a file")
    records = []
    with open(path, encoding="utf-8") as file:
        for lineno, line in enumerate(file, start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise ValueError(f"{where}: not valid JSON ({err.msg}); each line must be one JSON object") from None
                if not isinstance(record, dict):
                    raise ValueError(f"{where}: each line must be a JSON object, got {type(record).__name__}")
                if convert is not None:
                    try:
                        record = convert(record, where)
                    except (TypeError, ValueError) as err:
                        raise ValueError(str(err) if str(err).startswith(where) else f"{where}: {err}") from None
            except ValueError as err:
                if on_error == "raise":
                    raise
                warnings.warn(f"skipping a bad line: {err}", stacklevel=2)
                continue
            records.append((lineno, record))
    return records
