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
_TRAILING = re.compile(r"[\s.!?]+$")
_ALLOWED = re.compile(r"[\w' -]+")
_WORDS = re.compile(r"[^\W_]+")
#: ASCII control characters but tab, new line and carriage return (category "C" in ASCII).
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Every word the rules below refuse, for the one set test of the common case (nothing refused).
_REFUSED_WORDS = META_WORDS | MULTI_OBJECT_WORDS


def _may_join(lowered: str) -> bool:
    """Whether an ASCII command (lower-cased) holds a character or word that may join two
    commands (the cheap test before :data:`_SEPARATORS`)."""
    return ";" in lowered or "." in lowered or "\n" in lowered or "\r" in lowered or "then" in lowered


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
    ascii = action.isascii()
    if ascii:  # the common case: one C call each, no per-character Python loop
        if not action.isprintable() and _ASCII_CONTROL.search(action):
            raise InvalidCommand("That command contains control or invisible characters, which the game cannot read.")
        command = action.rstrip(" \t\n\r.!?").strip()  # in ASCII, \s beyond these is a control character
    else:
        if any(unicodedata.category(ch)[0] == "C" and ch not in "\t\n\r" for ch in action):
            raise InvalidCommand("That command contains control or invisible characters, which the game cannot read.")
        command = _TRAILING.sub("", action).strip()
    if "\\" in action:
        raise InvalidCommand("That command contains a backslash, which the game program reads as its own control code.")
    if (not ascii or _may_join(command.lower())) and _SEPARATORS.search(command):
        raise InvalidCommand("Only one command per turn is understood; this one holds several (joined by ';', '.', 'then' or a new line).")
    command = " ".join(command.split())  # runs of white space as one space (str.split's white space is the regex's \s)
    if not command:
        raise InvalidCommand("I beg your pardon? (The command is empty.)")
    if not _ALLOWED.fullmatch(command):
        odd = sorted({ch for ch in command if not _ALLOWED.fullmatch(ch)})
        raise InvalidCommand(
            f"Use only words in a command (letters, digits, spaces, hyphens, apostrophes); {' '.join(odd)!s} is not understood here. "
            "A comma would address another character, which these games do not have."
        )
    if ascii:  # letters, digits, '_', "'", ' ' and '-' only (checked above): split at the last four
        words = command.lower().replace("_", " ").replace("'", " ").replace("-", " ").split()
    else:  # lower-casing first may add characters that split words
        words = [word.lower() for word in _WORDS.findall(command)]
    if _REFUSED_WORDS.isdisjoint(words) and (not words or words[0] not in META_FIRST_WORDS):
        return command
    meta = next((word for word in words if word in META_WORDS), None)
    if meta is None and words and words[0] in META_FIRST_WORDS:
        meta = words[0]
    if meta is not None:
        raise InvalidCommand(f"'{meta}' controls the game program itself and is not available here.")
    multi = next((word for word in words if word in MULTI_OBJECT_WORDS), None)
    raise InvalidCommand(f"Name the things to act on one at a time ('{multi}' is not understood here).")
