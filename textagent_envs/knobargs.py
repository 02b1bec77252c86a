"""Env knobs on a command line: one syntax, ``--knob name=value`` (repeatable), for every CLI.

Values are JSON where they parse (``4``, ``true``, ``null``, ``["a", "b"]``), ``true`` /
``false`` / ``none`` in any case, and text otherwise::

    >>> parse_knob("world_size=4"), parse_knob("split=test"), parse_knob("open=True")
    (('world_size', 4), ('split', 'test'), ('open', True))

The older spellings still work until the next release, with a ``DeprecationWarning``:
``--env-kwargs '{"level": 2}'`` (a JSON object) and knob flags such as
``--world-size 4`` after the command (see CHANGELOG.md).
"""

from __future__ import annotations

import argparse
import json
import warnings
from typing import Any, Sequence

__all__ = ["add_knob_arguments", "knobs_from_args", "legacy_knob_flags", "parse_knob", "parse_value"]


def parse_value(text: str) -> Any:
    """A knob value from its text (see the module docstring)."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_knob(text: str) -> tuple[str, Any]:
    """``"name=value"`` -> ``(name, value)``; the type of ``--knob``."""
    name, sep, value = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"--knob takes name=value (e.g. --knob level=2), got {text!r}")
    return name, parse_value(value)


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"--env-kwargs takes a JSON object, got {text!r} ({err.msg})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"--env-kwargs takes a JSON object, got {text!r}")
    return value


def add_knob_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--knob NAME=VALUE`` (repeatable) and the deprecated ``--env-kwargs JSON``."""
    parser.add_argument("--knob", action="append", type=parse_knob, default=[], metavar="NAME=VALUE",
                        help="an env knob, e.g. --knob level=2 (repeatable; `textagent-envs list` shows each family's)")
    parser.add_argument("--env-kwargs", type=_json_object, default=None, metavar="JSON",
                        help="deprecated: env knobs as a JSON object; use --knob NAME=VALUE")


def legacy_knob_flags(extra: Sequence[str]) -> dict[str, Any]:
    """Knobs from old-style flags (``--world-size 4 --open true``), with a
    ``DeprecationWarning``; ``SystemExit`` for anything else."""
    knobs: dict[str, Any] = {}
    items = list(extra)
    while items:
        flag = items.pop(0)
        if not flag.startswith("--") or len(flag) < 3:
            raise SystemExit(f"error: expected --knob NAME=VALUE, got {flag!r}")
        name = flag[2:].replace("-", "_")
        if "=" in name:
            name, value = name.split("=", 1)
        elif items and not items[0].startswith("--"):
            value = items.pop(0)
        else:
            raise SystemExit(f"error: knob {flag} needs a value (write --knob {name}=VALUE)")
        knobs[name] = parse_value(value)
    if knobs:
        spelled = " ".join(f"--knob {k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in knobs.items())
        warnings.warn(f"knob flags such as {extra[0]} are deprecated; write {spelled}", DeprecationWarning, stacklevel=2)
    return knobs


def knobs_from_args(args: argparse.Namespace, extra: Sequence[str] = ()) -> dict[str, Any]:
    """The knobs a command line gave: ``--env-kwargs`` (deprecated), then old-style flags
    in ``extra`` (deprecated), then ``--knob`` (later wins)."""
    knobs: dict[str, Any] = {}
    if getattr(args, "env_kwargs", None) is not None:
        warnings.warn("--env-kwargs is deprecated; write --knob NAME=VALUE (repeatable)", DeprecationWarning, stacklevel=2)
        knobs.update(args.env_kwargs)
    knobs.update(legacy_knob_flags(extra))
    knobs.update(dict(getattr(args, "knob", None) or []))
    return knobs
