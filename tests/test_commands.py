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
