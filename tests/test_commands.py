import pytest

from textagent_envs.commands import MAX_COMMAND_LENGTH, InvalidCommand, parse_command


@pytest.mark.parametrize(
    "action, command",
    [
        ("open chest", "open chest"),
        ("  open   the\tchest.  ", "open the chest"),
        ("take Quote of the Day Calendar", "take Quote of the Day Calendar"),
        ("Go North", "Go North"),
        ("examine café", "examine café"),
    ],
)
def test_normalises_one_command(action, command):
    assert parse_command(action) == command


@pytest.mark.parametrize(
    "action, reason",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("look; inventory", "several"),
        ("look\ninventory", "several"),
        ("look. inventory", "several"),
        ("look then inventory", "several"),
        ("look\x00", "control"),
        ("look\u200b", "control"),
        ("look \\n", "backslash"),
        ("quit", "controls the game program"),
        ("RESTART now", "controls the game program"),
        ("save", "controls the game program"),
        ("script", "controls the game program"),
        ("x" * (MAX_COMMAND_LENGTH + 1), "too long"),
    ],
)
def test_refuses_what_the_interpreter_cannot_take(action, reason):
    with pytest.raises(InvalidCommand, match=reason):
        parse_command(action)


@pytest.mark.parametrize("action", [None, 3, b"look", ["look"]])
def test_non_str_is_a_type_error(action):
    with pytest.raises(TypeError, match="must be a str"):
        parse_command(action)


META_SPELLINGS = [
    "quit,", "QUIT", "Quit!", "q", "Q.", "quit now", "die", "restart,", "RESTART!", "save,", "save game", "Save?",
    "restore,", "restore game", "script,", "script on", "transcript!", "transcript off", "unscript", "noscript",
    "verify", "undo", "UNDO!", "again", "g", "G", "oops", "o", "bob, save", "Bob , quit", "take key, save",
    '"save"', "'quit'", "save-game", "verbose", "superbrief", "brief", "notify", "pronouns", "version",
]


@pytest.mark.parametrize("action", META_SPELLINGS)
def test_refuses_every_spelling_of_interpreter_commands(action):
    with pytest.raises(InvalidCommand):
        parse_command(action)


@pytest.mark.parametrize(
    "action, reason",
    [
        ("north,", "Use only words"),
        ("i,", "Use only words"),
        ("look ,", "Use only words"),
        ("put key in chest ,", "Use only words"),
        ("*comment", "Use only words"),
        ("eat all", "one at a time"),
        ("put all in chest", "one at a time"),
        ("take everything", "one at a time"),
        ("drop all except key", "one at a time"),
    ],
)
def test_refuses_grammar_only_inform_reads(action, reason):
    # Inform 7 reads commas (talking to someone) and multi-object words; the native
    # backend does not, so both refuse them alike.
    with pytest.raises(InvalidCommand, match=reason):
        parse_command(action)


@pytest.mark.parametrize(
    "action, command",
    [("take key!", "take key"), ("open the chest?", "open the chest"), ("look...", "look"), ("take Bob's hat", "take Bob's hat"),
     ("examine t-shirt", "examine t-shirt"), ("take ball", "take ball"), ("examine saver", "examine saver")],
)
def test_keeps_ordinary_commands(action, command):
    assert parse_command(action) == command
