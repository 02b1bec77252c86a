"""Turning an agent's free-text action into one command a game can safely read.

Interactive-fiction interpreters read a line of ASCII. Some strings break them: a NUL
byte hangs Jericho; ``quit`` and ``restart`` leave it waiting for a yes/no answer;
``save`` and ``script`` write files into the working directory; a backslash starts one
of the interpreter's own escape commands; ``.``, ``then``, ``;`` and newlines make
Inform run several commands in one step; a comma addresses another character
(``bob, save`` is ``save``). :func:`parse_command` refuses those before they reach the
game and says why, so that every step is one in-world command and every string gets an
answer.

The rules, checked in this order:

- at most :data:`MAX_COMMAND_LENGTH` characters; no control or invisible characters, no
  backslash; one command (no ``;``, new line, ``then`` or inner ``.``);
- trailing ``.``, ``!`` and ``?`` are dropped (``take key!`` is ``take key``);
- only letters, digits, spaces, hyphens and apostrophes remain: any other punctuation
  (a comma, quotes, ``*``) is refused, because Inform reads it as grammar (a comma
  addresses someone, ``*`` starts a comment) that the native engine does not have, so
  the two TextWorld backends would disagree;
- no word of the command may be an interpreter command (:data:`META_WORDS`: ``quit``,
  ``save``, ``script``, ``undo``, ``again`` ...), wherever it stands;
- the first word may not be one of the interpreter's short or mode commands
  (:data:`META_FIRST_WORDS`: ``q``, ``g``, ``o``, ``verbose``, ``notify`` ...);
- no multi-object word (:data:`MULTI_OBJECT_WORDS`: ``all``, ``everything`` ...): one
  command acts on named things.
"""

from __future__ import annotations

import re
import unicodedata

#: Longest command passed to a game; longer ones are refused.
MAX_COMMAND_LENGTH = 500

#: Words that make the interpreter end, restart, save, restore, record, rewind or repeat
#: the game, refused wherever they stand in a command.
META_WORDS = frozenset(
    {
        "quit", "restart", "save", "restore", "script", "unscript", "transcript", "noscript",
        "verify", "undo", "again", "oops",
    }
)
#: Interpreter commands refused as a command's first word: abbreviations (``q`` quit,
#: ``g`` again, ``o`` oops, ``die``) and the settings of the interpreter's own output.
META_FIRST_WORDS = frozenset(
    {"q", "g", "o", "die", "verbose", "superbrief", "brief", "short", "long", "normal", "notify", "nouns", "pronouns", "version"}
)
#: Words that make Inform act on several objects at once; refused.
MULTI_OBJECT_WORDS = frozenset({"all", "everything", "each", "both", "except"})

_SEPARATORS = re.compile(r"[;\n\r]|\.(?=\s*\S)|\bthen\b", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s.!?]+$")
_ALLOWED = re.compile(r"[\w' -]+")
_WORDS = re.compile(r"[^\W_]+")


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
    if any(unicodedata.category(ch)[0] == "C" and ch not in "\t\n\r" for ch in action):
        raise InvalidCommand("That command contains control or invisible characters, which the game cannot read.")
    if "\\" in action:
        raise InvalidCommand("That command contains a backslash, which the game program reads as its own control code.")
    command = _TRAILING.sub("", action).strip()
    if _SEPARATORS.search(command):
        raise InvalidCommand("Only one command per turn is understood; this one holds several (joined by ';', '.', 'then' or a new line).")
    command = _SPACES.sub(" ", command).strip()
    if not command:
        raise InvalidCommand("I beg your pardon? (The command is empty.)")
    if not _ALLOWED.fullmatch(command):
        odd = sorted({ch for ch in command if not _ALLOWED.fullmatch(ch)})
        raise InvalidCommand(
            f"Use only words in a command (letters, digits, spaces, hyphens, apostrophes); {' '.join(odd)!s} is not understood here. "
            "A comma would address another character, which these games do not have."
        )
    words = [word.lower() for word in _WORDS.findall(command)]
    meta = next((word for word in words if word in META_WORDS), None)
    if meta is None and words and words[0] in META_FIRST_WORDS:
        meta = words[0]
    if meta is not None:
        raise InvalidCommand(f"'{meta}' controls the game program itself and is not available here.")
    multi = next((word for word in words if word in MULTI_OBJECT_WORDS), None)
    if multi is not None:
        raise InvalidCommand(f"Name the things to act on one at a time ('{multi}' is not understood here).")
    return command
