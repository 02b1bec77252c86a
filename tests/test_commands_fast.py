"""parse_command's fast paths (plain ASCII, one set test for refused words) answer
exactly as the rules written character by character: a differential test on random and
tricky strings."""

import random
import re
import unicodedata

import pytest

from textagent_envs.commands import (
    MAX_COMMAND_LENGTH, META_FIRST_WORDS, META_WORDS, MULTI_OBJECT_WORDS, InvalidCommand, parse_command,
)


def reference(action: str) -> str:
    """The rules of textagent_envs.commands, one character and one regex at a time."""
    if len(action) > MAX_COMMAND_LENGTH:
        raise InvalidCommand("too long")
    if any(unicodedata.category(ch)[0] == "C" and ch not in "\t\n\r" for ch in action):
        raise InvalidCommand("control or invisible")
    if "\\" in action:
        raise InvalidCommand("backslash")
    command = re.sub(r"[\s.!?]+$", "", action).strip()
    if re.search(r"[;\n\r]|\.(?=\s*\S)|\bthen\b", command, re.IGNORECASE):
        raise InvalidCommand("one command per turn")
    command = re.sub(r"\s+", " ", command).strip()
    if not command:
        raise InvalidCommand("the command is empty")
    if not re.fullmatch(r"[\w' -]+", command):
        raise InvalidCommand("use only words")
    words = [word.lower() for word in re.findall(r"[^\W_]+", command)]
    meta = next((word for word in words if word in META_WORDS), None)
    if meta is None and words and words[0] in META_FIRST_WORDS:
        meta = words[0]
    if meta is not None:
        raise InvalidCommand(f"'{meta}' controls the game program")
    multi = next((word for word in words if word in MULTI_OBJECT_WORDS), None)
    if multi is not None:
        raise InvalidCommand(f"('{multi}' is not understood")
    return command


def assert_same(action):
    """The same command, or a refusal by the same rule (its words are in the message)."""
    mine, expected = outcome(parse_command, action), outcome(reference, action)
    assert mine[0] == expected[0], (action, mine, expected)
    if mine[0] == "ok":
        assert mine[1] == expected[1], (action, mine, expected)
    else:
        assert expected[1].lower() in mine[1].lower(), (action, mine, expected)


def outcome(parse, action):
    try:
        return "ok", parse(action)
    except InvalidCommand as err:
        return "refused", str(err)


PIECES = [
    "take", "the", "red", "key", "open", "chest", "go", "north", "save", "Quit", "q", "all", "then", "Then",
    "g", "café", "İsave", "x", " ", "  ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x00", "\x7f", "\u200b",
    "\u00a0", "\u2003", "\u0085", ".", "!", "?", ";", ",", "'", "-", "_", "\\", "*", "3", "é", "ß", "Ǆ",
]

TRICKY = [
    "look", "  Look!  ", "look.\n", "look x\n", "take key.", "take key . ", "look\x1c", "look\u00a0\u00a0at key",
    "look\x0c", "x\u0085", "İsave", "go_north", "save_game", "all-purpose flour", "take Ǆ", "\u2003look\u2003",
    "then", "thenar", "look..", "look.!?", "q key", "Q", "'", "-", "take bob's key",
]


@pytest.mark.parametrize("action", TRICKY)
def test_tricky_strings_answer_as_the_rules_say(action):
    assert_same(action)


def test_random_strings_answer_as_the_rules_say():
    rng = random.Random(14)
    for _ in range(20000):
        action = "".join(rng.choice(PIECES) + rng.choice(["", " "]) for _ in range(rng.randint(0, 6)))
        assert_same(action)
