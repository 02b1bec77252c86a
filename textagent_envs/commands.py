"""Turning an agent's free-text action into one command a game can safely read.

Interactive-fiction interpreters read a line of ASCII. Some strings break them: a NUL
byte hangs Jericho; ``quit`` and ``restart`` leave it waiting for a yes/no answer;
``script`` writes a transcript file into the working directory; a backslash starts one
of the interpreter's own escape commands; ``.``, ``then``, ``;``
and newlines make Inform run several commands in one step. :func:`parse_command`
refuses those before they reach the game and says why, so that every step is one
command and every string gets an answer.
"""

from __future__ import annotations

import re
import unicodedata

#: Longest command passed to a game; longer ones are refused.
MAX_COMMAND_LENGTH = 500

#: Interpreter-level verbs that would end, restart, save, restore or record the game.
META_VERBS = frozenset(
    {"quit", "q", "restart", "save", "restore", "script", "unscript", "transcript", "noscript", "verify", "undo"}
)

_SEPARATORS = re.compile(r"[;\n\r]|\.(?=\s*\S)|\bthen\b", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


class InvalidCommand(ValueError):
    """An action that is refused before reaching the game; ``str(err)`` says why."""


def parse_command(action: str) -> str:
    """The normalised single command in ``action``, or :class:`InvalidCommand`.

    Raises ``TypeError`` for a non-``str`` action.
    """
    if not isinstance(action, str):
        raise TypeError(f"an action must be a str (one command in words), got {type(action).__name__}: {action!r:.80}")
    if len(action) > MAX_COMMAND_LENGTH:
        raise InvalidCommand(f"That command is too long ({len(action)} characters; at most {MAX_COMMAND_LENGTH}).")
    if _SEPARATORS.search(action.strip().rstrip(".")):
        raise InvalidCommand("Only one command per turn is understood; this one holds several (joined by ';', '.', 'then' or a new line).")
    if any(unicodedata.category(ch)[0] == "C" and ch not in "\t" for ch in action):
        raise InvalidCommand("That command contains control or invisible characters, which the game cannot read.")
    if "\\" in action:
        raise InvalidCommand("That command contains a backslash, which the game program reads as its own control code.")
    command = _SPACES.sub(" ", action).strip().rstrip(".").strip()
    if not command:
        raise InvalidCommand("I beg your pardon? (The command is empty.)")
    if command.split(" ", 1)[0].lower() in META_VERBS:
        raise InvalidCommand(f"'{command.split(' ', 1)[0]}' controls the game program itself and is not available here.")
    return command
